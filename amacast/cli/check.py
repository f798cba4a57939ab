"""``amacast validate``: every problem a build would stop on, printed as text, JSON or GitHub
annotations.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from amacast.cli.common import (
    _check_timezone,
    format_diagnostic,
    plural,
    project_root,
    relative_diagnostic,
)
from amacast.cli.project import shown_text
from amacast.errors import ExitCode
from amacast.transcript.validate import count_by_severity
from amacast.transcript.validate import strict as make_strict


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: one line per problem and a hint; json: a list of objects with keys path, "
    "line, column, code, severity, message, hint (on stdout); github: workflow "
    "annotation lines (::error file=…,line=…::…).",
)
@click.option(
    "--strict", is_flag=True, help="Treat warnings as errors (exit 1 when there are any)."
)
@click.option(
    "--timezone",
    callback=_check_timezone,
    metavar="ZONE",
    help="Zone for dates written without one (default: `timezone` in amacast.toml, else UTC).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Where output/ is served, as `build` and `publish` take it (overrides base_url).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the summary.")
@click.option(
    "--fix",
    is_flag=True,
    help="First repair what the warnings mojibake, invisible-label-char and bom name, "
    "in the files themselves, printing each change; then check them.",
)
def validate(
    paths: tuple[Path, ...],
    fmt: str,
    strict: bool,
    timezone: str | None,
    base_url: str | None,
    quiet: bool,
    fix: bool,
) -> None:
    """Check the settings and transcripts; report every problem with file, line, code and hint.

    PATHS are transcript files or folders of them (*.md); the default is the
    project's episodes/ (amacast.toml is looked for here and in the folders above).
    Every table of amacast.toml is checked too (keys, [audio], [voices], and
    each episode's `voices:` against its Legend): what `validate` passes,
    `build` and `publish` do not stop on.  With --fix, the repairs the fixable
    warnings name are made first, each file replaced in one step, and each
    change is printed as `path:line:col: fixed[code] old → new` (on stderr
    with --format json or github).

    \b
    Example:
      amacast validate --fix episodes/

    \b
    Errors (exit 1): not-utf8, no-front-matter, front-matter-syntax,
      front-matter-not-mapping, front-matter-alias, missing-title, missing-date,
      bad-date, no-legend, unknown-speaker, no-turns, duplicate-slug, duplicate-guid;
      config-* and audio-bad-value, voices-* errors of amacast.toml.
    Warnings (exit 0 unless --strict): naive-date, unused-speaker,
      empty-turn, mojibake, invisible-label-char, unknown-key, bad-key-type,
      bad-legend-item, bom, bad-people, bad-soundbite, bad-image;
      config-unknown-key, audio-unknown-key, voices-unknown-key,
      voices-unknown-speaker.
    Info: draft.

    Exit codes: 0 clean or warnings only, 1 errors, 2 usage, 3 a file --fix cannot write.
    See docs/format.md for the transcript format and docs/settings.md for amacast.toml.
    """
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.build.checks import FOR_VALIDATE, check_project
    from amacast.config import CONFIG_FILE
    from amacast.transcript.files import find_episode_files

    root = project_root()
    targets = list(paths) or [root / "episodes"]
    if not paths and not targets[0].is_dir():
        raise click.UsageError("no PATHS given and the project has no episodes/ folder")
    # Absolute, so that they are shown relative to the project wherever the command runs.
    files = [Path(os.path.abspath(f)) for f in find_episode_files(targets)]
    fixes = _fix(files, root, fmt) if fix else []
    given = {"base_url": base_url, "timezone": timezone}
    required, expected = FOR_VALIDATE  # base_url may come from `build --base-url` in CI
    checked, _episodes = check_project(  # what build and publish check, the same way
        root,
        files,
        check_drafts=True,
        overrides={key: value for key, value in given.items() if value},
        required=required,
        expected=expected,
    )
    diagnostics = [relative_diagnostic(d, root) for d in checked.diagnostics]
    if strict:
        diagnostics = make_strict(diagnostics)
    counts = count_by_severity(diagnostics)
    shown = [d for d in diagnostics if not quiet or d.severity == "error"]
    if fmt == "json":
        click.echo(json.dumps([d.as_dict() for d in shown], ensure_ascii=False, indent=2))
    else:
        for d in shown:
            click.echo(format_diagnostic(d, fmt), err=fmt == "text")
    what = f"{CONFIG_FILE} and {plural(len(files), 'file')}"
    click.echo(
        f"{what} checked: {plural(counts['error'], 'error')}, "
        f"{plural(counts['warning'], 'warning')}, {counts['info']} info"
        + (f", {len(fixes)} fixed" if fix else ""),
        err=True,
    )
    if counts["error"]:
        sys.exit(ExitCode.INPUT)


def _fix(files: list[Path], root: Path, fmt: str) -> list[object]:
    """Make the repairs the fixable warnings name, printing each; exit 3 on a file not written."""
    # Start-up: loaded when --fix is given.
    from amacast.transcript.fixes import fix_files

    try:
        fixes = fix_files(f for f in files if f.is_file())
    except OSError as error:
        click.echo(f"error: cannot fix {error.filename}: {error.strerror}", err=True)
        sys.exit(ExitCode.ENVIRONMENT)
    for change in fixes:
        click.echo(shown_text(str(change), root), err=fmt != "text")
    return list(fixes)
