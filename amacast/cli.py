"""The ``amacast`` command line: thin click wrappers over library calls.

Only this module prints.  Diagnostics and progress go to stderr, requested
data (``--format json``) to stdout.  Exit codes: 0 clean (warnings allowed),
1 errors in the input, 2 usage.
"""

from __future__ import annotations

import json
import sys
import zoneinfo
from pathlib import Path

import click

from amacast import __version__
from amacast.build import build as build_project
from amacast.model import Diagnostic
from amacast.parse import find_episode_files, parse_episode
from amacast.validate import count_by_severity, validate_episodes
from amacast.validate import strict as make_strict


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amacast")
def main() -> None:
    """Publish AMA and interview transcripts as a podcast.

    Transcripts live in episodes/ as Markdown with YAML front matter and a
    Legend; `amacast validate` checks them, `amacast build` writes the feeds,
    `amacast render` narrates them, `amacast publish` does everything into output/.
    """


def _check_timezone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(f"unknown timezone {value!r} (use an IANA name such as Asia/Kolkata)") from exc
    return value


def _default_timezone(root: Path) -> str:
    """The `timezone` of amacast.toml when there is one, else UTC."""
    try:
        from amacast.config import load_settings
    except ImportError:  # settings not available: UTC
        return "UTC"
    settings, _ = load_settings(root)
    return str(getattr(settings, "timezone", "UTC") or "UTC")


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_diagnostic(d: Diagnostic, fmt: str) -> str:
    """One diagnostic as a line of text or a GitHub workflow command."""
    if fmt == "github":
        level = {"error": "error", "warning": "warning", "info": "notice"}[d.severity]
        props = (f"file={_github_escape(d.path, prop=True)},line={d.line},col={d.column},"
                 f"title={_github_escape(d.code, prop=True)}")
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        return f"::{level} {props}::{_github_escape(message)}"
    line = f"{d.path}:{d.line}:{d.column}: {d.severity}[{d.code}] {d.message}"
    return line + (f"\n    hint: {d.hint}" if d.hint else "")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True,
              help="text: one line per problem and a hint; json: a list of objects with keys path, "
                   "line, column, code, severity, message, hint (on stdout); github: workflow "
                   "annotation lines (::error file=…,line=…::…).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 when there are any).")
@click.option("--timezone", callback=_check_timezone, metavar="ZONE",
              help="Zone for dates written without one (default: `timezone` in amacast.toml, else UTC).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the summary.")
def validate(paths: tuple[Path, ...], fmt: str, strict: bool, timezone: str | None, quiet: bool) -> None:
    """Check transcripts and report every problem with file, line, code and hint.

    PATHS are transcript files or folders of them (*.md); the default is episodes/.

    \b
    Errors (exit 1): not-utf8, no-front-matter, front-matter-syntax,
      front-matter-not-mapping, missing-title, missing-date, bad-date,
      no-legend, unknown-speaker, no-turns, duplicate-slug, duplicate-guid.
    Warnings (exit 0 unless --strict): naive-date, unused-speaker,
      empty-turn, mojibake, invisible-label-char, unknown-key, bad-key-type,
      bad-legend-item, bom.
    Info: draft.

    Exit codes: 0 clean or warnings only, 1 errors in the input, 2 usage.
    See docs/format.md for the transcript format.
    """
    targets = list(paths) or [Path("episodes")]
    if not paths and not targets[0].is_dir():
        raise click.UsageError("no PATHS given and there is no episodes/ folder here")
    files = find_episode_files(targets)
    zone = timezone or _default_timezone(Path.cwd())
    diagnostics = validate_episodes([parse_episode(f) for f in files], zone)
    if strict:
        diagnostics = make_strict(diagnostics)
    counts = count_by_severity(diagnostics)
    shown = [d for d in diagnostics if not quiet or d.severity == "error"]
    if fmt == "json":
        click.echo(json.dumps([d.as_dict() for d in shown], ensure_ascii=False, indent=2))
    else:
        for d in shown:
            click.echo(format_diagnostic(d, fmt), err=fmt == "text")
    click.echo(
        f"{len(files)} file{'s' if len(files) != 1 else ''} checked: {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} info",
        err=True,
    )
    if counts["error"]:
        sys.exit(1)


@main.command()
@click.option("--drafts", is_flag=True, help="Include episodes with `draft: true`.")
@click.option("--keep-going", is_flag=True,
              help="Leave out episodes with errors and build the rest (still exits 1).")
@click.option("--base-url", metavar="URL",
              help="Where output/ is served (overrides base_url and $AMACAST_BASE_URL).")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True, help="Folder to write the feeds into.")
def build(drafts: bool, keep_going: bool, base_url: str | None, output: Path) -> None:
    """Write atom.xml and podcast.xml from the transcripts in episodes/.

    Settings come from amacast.toml in the current folder.  Any episode with
    errors stops the build and leaves the output folder as it was, unless
    --keep-going.  Exit codes: 0 built, 1 errors in the input, 2 usage.
    """
    overrides = {"base_url": base_url} if base_url else None
    result = build_project(Path.cwd(), output, drafts=drafts, keep_going=keep_going,
                           overrides=overrides)
    for d in result.diagnostics:
        click.echo(format_diagnostic(d, "text"), err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if result.written:
        click.echo(
            f"wrote {output / 'atom.xml'} ({result.atom_entries} entries) and "
            f"{output / 'podcast.xml'} ({result.podcast_items} items)",
            err=True,
        )
    else:
        click.echo(f"build stopped: {len(result.errors)} errors; {output} left as it was", err=True)
    if not result.ok:
        sys.exit(1)
