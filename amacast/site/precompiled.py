"""The packaged templates compiled to Python ahead of time, so that a build does not compile them.

``compiled/`` holds what :meth:`jinja2.Environment.compile_templates` makes
of ``amacast/templates`` in the site's environment (generated code, not
written by hand), for the Jinja2 version ``compiled/jinja2-version`` names.
The modules are part of the package, loaded as any of its modules is; a
test keeps them in step with the templates (after editing one, run
``python -m amacast.site.precompiled``).  With another Jinja2 version
installed, the packaged templates are compiled from their source instead.
A project's own templates are always compiled from their source, and win.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

#: The compiled packaged templates (:class:`jinja2.ModuleLoader`'s folder).
COMPILED = Path(__file__).resolve().parent / "compiled"
#: The Jinja2 version they were compiled by, in that folder.
VERSION_FILE = "jinja2-version"


def packaged_loader() -> jinja2.BaseLoader:
    """The packaged templates: compiled ahead of time where this Jinja2 made them."""
    if compiled_version(COMPILED) == jinja2.__version__:
        return jinja2.ModuleLoader(COMPILED)
    return source_loader()


def source_loader() -> jinja2.BaseLoader:
    """The packaged templates from their source."""
    return jinja2.PackageLoader("amacast", "templates")


def compiled_version(folder: Path) -> str | None:
    """The Jinja2 version that compiled the templates in ``folder``; None without any."""
    try:
        return (folder / VERSION_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def site_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """The site's Jinja2 environment around ``loader``: the options it compiles templates with."""
    return jinja2.Environment(
        loader=loader,
        auto_reload=False,  # a build's templates do not change under it: no stat per page
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def compile_packaged(folder: Path) -> None:
    """Compile the packaged templates into ``folder``, replacing any compiled before."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("tmpl_*.py"):
        old.unlink()
    site_environment(source_loader()).compile_templates(
        folder, filter_func=lambda name: name.endswith(".html"), zip=None, ignore_errors=False
    )
    (folder / VERSION_FILE).write_text(f"{jinja2.__version__}\n", encoding="utf-8")


if __name__ == "__main__":
    compile_packaged(COMPILED)
