"""Files the site has beside its pages: static files copied as they are, redirect pages."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from amacast.config import Settings
from amacast.site.links import episode_page_path

STATIC_FILES: tuple[str, ...] = ("style.css", "player.js", "favicon.svg")
"""Files copied as they are to the root of the site (a user's copy in the
project's ``templates/`` folder wins)."""


def static_files(template_dir: Path | None) -> dict[str, bytes]:
    """The files copied as they are to the root of the site (a project's own copy wins)."""
    return {name: _static_file(name, template_dir) for name in STATIC_FILES}


#: The packaged static files, where the package is a folder (the usual install).
_STATIC = Path(__file__).resolve().parent / "static"


def _static_file(name: str, template_dir: Path | None) -> bytes:
    if template_dir is not None and (template_dir / name).is_file():
        return (template_dir / name).read_bytes()
    if (_STATIC / name).is_file():  # read as a file: importlib.resources costs start-up time
        return (_STATIC / name).read_bytes()
    from importlib import resources  # a package in an archive; here for start-up time

    return resources.files("amacast").joinpath("static").joinpath(name).read_bytes()


def redirect_page(target: str, canonical: str, language: str = "en") -> bytes:
    """The bytes of a page that sends its readers on to ``target`` at once.

    A meta refresh for browsers, a canonical link for search engines (at the
    absolute URL ``canonical``) and a plain link for everyone else; marked
    ``noindex``.  What Hugo writes for a page's ``aliases``.
    """
    href, url = html.escape(target, quote=True), html.escape(canonical, quote=True)
    lang = html.escape(language or "en", quote=True)
    return encode(
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>Moved to {url}</title>\n"
        f'<link rel="canonical" href="{url}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<meta http-equiv="refresh" content="0; url={href}">\n'
        "</head>\n"
        "<body>\n"
        f'<p>This page has moved to <a href="{href}">{url}</a>.</p>\n'
        "</body>\n"
        "</html>\n"
    )


def redirect_pages(moves: Mapping[str, str], settings: Settings) -> dict[str, bytes]:
    """A redirect page at each old episode URL: old slug → new slug in, path → bytes out.

    The refresh and the link are relative (``../new-slug/``), as every link of
    the site is; the canonical link is the new page's absolute URL.
    """
    return {
        episode_page_path(old): redirect_page(
            f"../{quote(new)}/", settings.episode_url(new), settings.language
        )
        for old, new in sorted(moves.items())
        if old != new
    }


def encode(text: str) -> bytes:
    return text.encode("utf-8")
