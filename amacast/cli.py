"""The ``amacast`` command line: thin click wrappers over library calls.

Only this module prints.  Diagnostics and progress go to stderr, requested
data (``--format json``) to stdout.  Exit codes are
:class:`amacast.errors.ExitCode`: 0 clean (warnings allowed), 1 errors in the
input, 2 usage (and outside a project: every command but ``init`` looks for
``amacast.toml`` in the current folder and its parents, as git looks for
``.git``), 3 the environment (an :class:`amacast.errors.AmacastError` says
which).  Paths are printed relative to the project.
"""

from __future__ import annotations

import json
import os
import sys
import zoneinfo
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amacast import __version__
from amacast.build.shards import parse_shard
from amacast.errors import ExitCode
from amacast.model import Diagnostic
from amacast.progress import ProgressPrinter, clock
from amacast.project import NOT_A_PROJECT, escape_control, find_project_root, shown_path, shown_text
from amacast.transcript.validate import count_by_severity, drafts_included, validate_episodes
from amacast.transcript.validate import strict as make_strict

# The commands import what they use when they run: `amacast --help` starts in 0.2 s,
# against 2.5-3.5 s with every command's modules (numpy, scipy, onnxruntime, feedgen,
# jinja2) loaded at the top (`/usr/bin/time`, three runs each, on a shared machine).
if TYPE_CHECKING:
    from amacast.engines.base import Voice
    from amacast.render_jobs import RenderProgress


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amacast")
def main() -> None:
    """Publish AMA and interview transcripts as a podcast.

    `amacast init` starts a project (amacast.toml, episodes/, a cover, a
    workflow).  Transcripts live in episodes/ as Markdown with YAML front
    matter and a Legend; `amacast validate` checks them, `amacast build`
    writes the feeds and the site, `amacast render` narrates them,
    `amacast publish` does everything into output/.
    """


class Failure(click.ClickException):
    """A failure click prints as its own errors (``Error: ...``), ending with ``code``."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = code


def project_root() -> Path:
    """The project's folder: the nearest with amacast.toml from here up; exit 2 if none."""
    root = find_project_root(Path.cwd())
    if root is None:
        click.echo(f"error: {NOT_A_PROJECT}", err=True)
        sys.exit(ExitCode.USAGE)
    return root


def in_project(root: Path, path: Path) -> Path:
    """``path`` as given, or under the project's folder when relative."""
    return path if path.is_absolute() else root / path


#: The slugs a build summary names at most, before "and N more".
SHOWN_SLUGS = 10


def first_of(slugs: Sequence[str], limit: int = SHOWN_SLUGS) -> str:
    """``a, b, c``; past ``limit`` the first ``limit`` and ``and N more``."""
    shown = ", ".join(slugs[:limit])
    return shown if len(slugs) <= limit else f"{shown} and {len(slugs) - limit} more"


def plural(count: int, word: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def relative_diagnostic(d: Diagnostic, root: Path) -> Diagnostic:
    """A diagnostic with its paths relative to the project."""
    return Diagnostic(
        shown_path(d.path, root) if d.path else d.path,
        d.line,
        d.column,
        d.code,
        d.severity,
        shown_text(d.message, root),
        shown_text(d.hint, root),
    )


def _check_timezone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(
            f"unknown timezone {value!r} (use an IANA name such as Asia/Kolkata)"
        ) from exc
    return value


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_diagnostic(d: Diagnostic, fmt: str) -> str:
    """One diagnostic as a line of text or a GitHub workflow command."""
    if fmt == "github":
        level = {"error": "error", "warning": "warning", "info": "notice"}[d.severity]
        place = f"line={d.line},col={d.column}," if d.line > 0 else ""
        props = (
            f"file={_github_escape(d.path, prop=True)},{place}"
            f"title={_github_escape(d.code, prop=True)}"
        )
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        return f"::{level} {props}::{_github_escape(message)}"
    # Escaped, so that a file name with a line break never splits the line; a problem of a
    # whole file (or of one that is missing) has no line to point at.
    path = escape_control(d.path)
    where = f"{path}:{d.line}:{d.column}" if d.line > 0 else path
    line = f"{where}: {d.severity}[{d.code}] {escape_control(d.message)}"
    return line + (f"\n    hint: {escape_control(d.hint)}" if d.hint else "")


@main.command()
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

    Exit codes: 0 clean or warnings only, 1 errors in the input, 2 usage,
    3 a file --fix cannot write.
    See docs/format.md for the transcript format and docs/settings.md for amacast.toml.
    """
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.build.checks import FOR_VALIDATE, check_project
    from amacast.config import CONFIG_FILE
    from amacast.transcript.files import find_episode_files

    root = project_root()
    targets = list(paths) or [root / "episodes"]
    if not paths and not targets[0].is_dir():
        raise click.UsageError("no PATHS given and the project has no episodes/ folder")
    # Absolute, so that they are shown relative to the project wherever the command runs.
    files = [Path(os.path.abspath(f)) for f in find_episode_files(targets)]
    fixes = []
    if fix:
        # Start-up: loaded when this command runs (see the note on the imports).
        from amacast.fixes import fix_files

        try:
            fixes = fix_files(f for f in files if f.is_file())
        except OSError as error:
            click.echo(f"error: cannot fix {error.filename}: {error.strerror}", err=True)
            sys.exit(ExitCode.ENVIRONMENT)
        for change in fixes:
            click.echo(shown_text(str(change), root), err=fmt != "text")
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


_publish_options = [
    click.option("--drafts", is_flag=True, help="Include episodes with `draft: true`."),
    click.option(
        "--keep-going",
        is_flag=True,
        help="Leave out episodes with errors and publish the rest (still exits 1).",
    ),
    click.option(
        "--base-url",
        metavar="URL",
        help="Where output/ is served (overrides base_url and $AMACAST_BASE_URL).",
    ),
    click.option(
        "--output",
        "-o",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("output"),
        show_default=True,
        help="Folder to publish into (relative to the project).",
    ),
    click.option(
        "--dry-run",
        is_flag=True,
        help="Say which episodes would be rendered, written and removed; change nothing.",
    ),
    click.option("--quiet", "-q", is_flag=True, help="Print only problems and the summary."),
]


def _with_publish_options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_publish_options):
        command = option(command)
    return command


def _run_publish(
    *,
    audio: bool | None,
    drafts: bool,
    keep_going: bool,
    base_url: str | None,
    output: Path,
    quiet: bool,
    dry_run: bool = False,
    audio_from: tuple[Path, ...] = (),
    verb: str = "published",
) -> None:
    """Build the project found from the current folder and report; exit 1 on failure."""
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.build.output import BuildInterrupted, BuildRunning, OutputError, OutputRefused
    from amacast.build.pipeline import BuildError, build_all

    overrides = {"base_url": base_url} if base_url else None

    def progress(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    root = project_root()
    printer, show = render_progress(sys.stderr.isatty())
    shown: list[Diagnostic] = []

    def report(diagnostics: Sequence[Diagnostic]) -> None:
        """Print problems as soon as they are known, each once (info not with --quiet)."""
        fresh = [d for d in diagnostics if d not in shown]
        shown.extend(fresh)
        fresh = [relative_diagnostic(d, root) for d in fresh]
        for d in drafts_included(fresh) if drafts else fresh:
            if not quiet or d.severity != "info":
                click.echo(format_diagnostic(d, "text"), err=True)

    try:
        result = build_all(
            root,
            output,
            audio=audio,
            drafts=drafts,
            keep_going=keep_going,
            overrides=overrides,
            progress=progress,
            audio_from=audio_from,
            dry_run=dry_run,
            render_progress=None if quiet else show,
            found=report,
        )
    except BuildError as error:
        printer.finish()
        click.echo(f"error: {shown_text(str(error), root)}", err=True)
        sys.exit(error.exit_code)
    except OutputRefused as error:
        click.echo(f"error: {shown_text(str(error), root)}", err=True)
        sys.exit(error.exit_code)
    except BuildInterrupted as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    except (BuildRunning, OutputError) as error:
        click.echo(f"error: {shown_text(str(error), root)}", err=True)
        sys.exit(error.exit_code)
    printer.finish()
    report(result.diagnostics)
    for note in result.notes:
        click.echo(f"note: {shown_text(note, root)}", err=True)
    where = shown_path(in_project(root, output), root)
    labels = ("would render", "would write") if result.dry_run else ("rendered", "changed")
    for label, slugs in zip(labels, (result.rendered, result.changed), strict=True):
        if slugs:
            click.echo(f"{label}: {first_of(slugs)}", err=True)
    if result.dry_run:
        for relative in result.removed:
            click.echo(f"would remove: {relative}", err=True)
        click.echo(
            f"dry run: {plural(len(result.rendered), 'episode')} to render, "
            f"{len(result.changed)} page(s) to write, {len(result.removed)} file(s) to remove; "
            f"{where} left as it was",
            err=True,
        )
        sys.exit(ExitCode.INPUT if result.errors else ExitCode.OK)
    if result.swapped:
        click.echo(
            f"{verb} {plural(len(result.published), 'episode')} to {where}: "
            f"{len(result.rendered)} rendered, {len(result.reused)} unchanged, "
            + (f"{len(result.adopted)} adopted, " if audio_from or result.adopted else "")
            + f"{len(result.files)} files, {result.total_bytes / 1e6:.1f} MB",
            err=True,
        )
    else:
        click.echo(
            f"stopped: {plural(len(result.errors), 'error')}; {where} left as it was", err=True
        )
    if not result.ok:
        sys.exit(ExitCode.INPUT)


@main.command()
@click.option("--audio", is_flag=True, help="Also render the MP3s of new or changed episodes.")
@_with_publish_options
def build(
    audio: bool,
    drafts: bool,
    keep_going: bool,
    base_url: str | None,
    output: Path,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Write the feeds and the site into output/, without rendering audio.

    Like `amacast publish`, all or nothing: the new output is made beside
    the old and put in its place in one step once every step succeeded.  MP3s
    of episodes that did not change since the last publish are kept; with
    --audio the new and changed ones are rendered too.  Exit codes: 0 built,
    1 errors in the input, 2 usage, 3 a failed step, another build running
    or an output that cannot be written.
    """
    _run_publish(
        audio=audio,
        drafts=drafts,
        keep_going=keep_going,
        base_url=base_url,
        output=output,
        quiet=quiet,
        dry_run=dry_run,
        verb="built",
    )


@main.command()
@click.option(
    "--audio/--no-audio",
    default=None,
    help="Render the narrated MP3s (default: `[audio] enabled` in amacast.toml, on).",
)
@click.option(
    "--audio-from",
    "audio_from",
    multiple=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Adopt audio rendered elsewhere (`amacast render --shard K/N --output DIR`) "
    "for episodes whose transcript and settings match; repeatable.",
)
@_with_publish_options
def publish(
    audio: bool | None,
    drafts: bool,
    keep_going: bool,
    base_url: str | None,
    output: Path,
    dry_run: bool,
    quiet: bool,
    audio_from: tuple[Path, ...],
) -> None:
    """Validate, then write feeds, audio and the site into output/, all or nothing.

    The new output is made beside the old and put in its place in one step
    once every step succeeded; a failed or killed run leaves output/ as it
    was.  Episodes whose transcript and voice settings did not change keep
    their MP3s.

    With --audio-from DIR (once per shard), audio rendered by
    `amacast render --shard` jobs is taken from DIR instead of rendered;
    anything missing there is rendered here.
    Exit codes: 0 published, 1 errors in the input, 2 usage, 3 a failed step,
    another build running or an output that cannot be written.
    """
    _run_publish(
        audio=audio,
        drafts=drafts,
        keep_going=keep_going,
        base_url=base_url,
        output=output,
        quiet=quiet,
        dry_run=dry_run,
        audio_from=audio_from,
    )


@main.command()
@click.argument("title")
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD[THH:MM+HH:MM]",
    help="The episode's date (default: now, in the project's `timezone`).",
)
def new(title: str, date_text: str | None) -> None:
    """Write episodes/<date>-<slug>.md for TITLE: front matter, a Legend, turns to fill in.

    The new file is a draft (`draft: true`) with a fresh `guid:` and the next
    `episode:` number after the highest in episodes/, so its identity in the
    feeds never changes; an existing file is never overwritten.  The date is
    in the `timezone` of amacast.toml (UTC without one); the path printed is
    relative to the project.

    \b
    amacast new "AMA with Ann Lee"
    amacast new "AMA with Ann Lee" --date 2026-05-09T18:00+05:30
    """
    import datetime as dt

    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.scaffold import EpisodeExistsError, new_episode
    from amacast.transcript.front_matter import parse_date

    root = project_root()
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.config import load_settings

    zone = zoneinfo.ZoneInfo(load_settings(root)[0].timezone)
    when = dt.datetime.now(zone)
    if date_text:
        try:
            when = parse_date(date_text)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--date") from error
        if when.tzinfo is None:
            when = when.replace(tzinfo=zone)
    try:
        path = new_episode(root, title, when)
    except EpisodeExistsError as error:
        raise click.ClickException(
            f"{shown_text(str(error), root)}; choose another title or --date"
        ) from error
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="TITLE") from error
    click.echo(escape_control(shown_path(path, root)))


@main.command()
@click.argument(
    "folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--from",
    "source",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Import the posts in DIR (and its subfolders) that parse; list the others.",
)
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
def init(folder: Path, source: Path | None, force: bool) -> None:
    """Start a podcast in FOLDER (default: here): settings, an example episode, a cover, CI.

    Asks nothing: the title comes from the folder's name, the author from
    git, base_url from a GitHub remote (its Pages address), the language and
    the timezone from the machine; edit amacast.toml afterwards.  Writes
    amacast.toml, episodes/, cover.png and .github/workflows/podcast.yml
    (publishing with the amacast action), and never overwrites a file
    unless --force.  Then `amacast validate && amacast build` work.

    \b
    amacast init
    amacast init podcast --from content/posts
    """
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.starter import ProjectExistsError, start_project

    here = Path.cwd()
    try:
        started = start_project(folder, force=force, source=source)
    except ProjectExistsError as error:
        names = ", ".join(escape_control(shown_path(p, here)) for p in error.paths)
        click.echo(f"error: not overwriting {names} (use --force to replace them)", err=True)
        sys.exit(ExitCode.INPUT)
    except OSError as error:
        click.echo(f"error: cannot write the project: {error}", err=True)
        sys.exit(ExitCode.ENVIRONMENT)
    defaults = started.defaults
    where = escape_control(shown_path(started.root, here))
    click.echo(f"started the podcast {defaults.title!r} in {where}", err=True)
    for path in started.written:
        click.echo(f"  wrote {escape_control(shown_path(path, here))}", err=True)
    click.echo(
        f"  base_url {defaults.base_url}, language {defaults.language}, "
        f"timezone {defaults.timezone}, author {defaults.author or '(none)'}",
        err=True,
    )
    if source is not None:
        click.echo(
            f"imported {plural(len(started.imported), 'post')} from "
            f"{escape_control(shown_path(source, here))}; "
            f"{plural(len(started.rejected), 'post')} did not parse and stayed where they are",
            err=True,
        )
        for problems in started.rejected.values():
            for d in problems:
                click.echo(format_diagnostic(relative_diagnostic(d, here), "text"), err=True)
    click.echo("next: amacast validate && amacast build && amacast serve --watch", err=True)


@main.command()
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder to serve (relative to the project).",
)
@click.option(
    "--watch",
    "-w",
    is_flag=True,
    help="Build first, then rebuild (without audio) whenever a transcript, template or "
    "setting changes, and reload the pages open in the browser.",
)
@click.option("--drafts", is_flag=True, help="With --watch: include `draft: true` episodes.")
def serve(port: int, output: Path, watch: bool, drafts: bool) -> None:
    """Preview output/ at http://127.0.0.1:PORT/ (Ctrl-C stops).

    Run `amacast publish --base-url http://127.0.0.1:PORT/` first so that the
    feeds point at the preview; the pages' own links are relative and work anyway.
    With --watch, as `hugo server` does, the site is built (audio of unchanged
    episodes kept, none rendered) and rebuilt on every change, and open pages
    reload; the reload script is added to the pages served, not to the files.

    \b
    amacast serve
    amacast serve --watch --port 8080
    """
    import threading

    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.preview import LiveReload, make_server, server_url

    root = project_root()
    output = in_project(root, output)
    live = LiveReload() if watch else None
    if watch:
        rebuild = _watch_rebuilder(root, output, drafts)
        rebuild(["(start)"])
    if not (output / "index.html").is_file():
        where = escape_control(shown_path(output / "index.html", root))
        raise click.ClickException(f"{where} does not exist: run `amacast publish`")
    try:
        server = make_server(output, "127.0.0.1", port, quiet=False, live=live)
    except OSError as error:
        raise Failure(
            f"cannot listen on 127.0.0.1:{port}: {error.strerror}", ExitCode.ENVIRONMENT
        ) from error
    click.echo(
        f"serving {shown_path(output, root)} at {server_url(server)}"
        + (", rebuilding on changes" if watch else "")
        + " (Ctrl-C stops)",
        err=True,
    )
    stop = threading.Event()
    if watch:
        # Start-up: loaded when this command runs (see the note on the imports).
        from amacast.watch import watch_project

        assert live is not None
        reload = live

        def on_change(changed: list[str]) -> None:
            if rebuild(changed):
                reload.bump()

        threading.Thread(
            target=watch_project, args=(root, on_change, stop), daemon=True, name="watch"
        ).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()


def _watch_rebuilder(root: Path, output: Path, drafts: bool) -> Callable[[list[str]], bool]:
    """For `serve --watch`: a function that rebuilds the site and says whether it changed."""

    def rebuild(changed: list[str]) -> bool:
        # Start-up: loaded when this command runs (see the note on the imports).
        from amacast.build.output import OutputError
        from amacast.build.pipeline import BuildError, build_all

        click.echo(f"changed: {escape_control(', '.join(changed))}", err=True)
        try:
            result = build_all(root, output, audio=False, drafts=drafts)
        except (BuildError, OutputError) as error:
            click.echo(f"error: {shown_text(str(error), root)}", err=True)
            return False
        for d in result.diagnostics:
            if d.severity != "info":
                click.echo(format_diagnostic(relative_diagnostic(d, root), "text"), err=True)
        if not result.swapped:
            click.echo(
                f"not rebuilt: {plural(len(result.errors), 'error')}; the served site is as it was",
                err=True,
            )
            return False
        click.echo(f"rebuilt: {plural(len(result.published), 'episode')}", err=True)
        return True

    return rebuild


SAMPLES_FOLDER = "amacast-samples"


def _default_samples_folder() -> Path:
    """Where samples go without --out: a folder of the system's temp dir, never the cwd."""
    import tempfile

    return Path(tempfile.gettempdir()) / SAMPLES_FOLDER


@main.command()
@click.argument(
    "episode", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--say",
    metavar="TEXT",
    is_flag=False,
    flag_value="",
    default=None,
    help="Speak TEXT in the voice (with EPISODE: in each speaker's voice; "
    "without TEXT: each speaker's first words).",
)
@click.option(
    "--voice",
    "voice_name",
    default="joe",
    show_default=True,
    metavar="NAME",
    help="A voice from the list, or one of [voices.custom] in amacast.toml.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="The sample file (.wav or .mp3), or with EPISODE a folder for the samples "
    f"(default: {SAMPLES_FOLDER}/ in the system's temp folder).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to list engines, voices or an episode's cast (on stdout).",
)
def voices(
    episode: Path | None, say: str | None, voice_name: str, out: Path | None, fmt: str
) -> None:
    """List speech engines and voices, show an episode's cast, or write samples with --say.

    \b
    amacast voices
    amacast voices episodes/ama.md
    amacast voices episodes/ama.md --say --out samples/
    amacast voices --say "Hello there" --voice joe-high --out hello.mp3
    """
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.voices import voice_named

    table: dict[str, object] = {}
    engine = "piper"
    root = project_root()
    if (root / "amacast.toml").is_file():
        # Start-up: loaded when this command runs (see the note on the imports).
        from amacast.config import load_settings

        settings, _ = load_settings(root, required=())
        table = dict(settings.voices)
        engine = settings.render.engine
    if episode is not None:
        _show_cast(episode, table, engine, say, out, fmt)
        return
    if say is None:
        _list_engines(fmt)
        return
    if not say.strip():
        raise click.BadParameter(
            "give the words to say (--say TEXT), or an EPISODE to hear its speakers",
            param_hint="--say",
        )
    voice = voice_named(voice_name, table)
    if voice is None:
        raise click.BadParameter(_unknown_voice(voice_name, table), param_hint="--voice")
    target = out or _default_samples_folder() / f"{voice.id}.wav"
    if target.suffix.lower() not in (".wav", ".mp3"):
        raise click.BadParameter("the sample must be a .wav or .mp3 file", param_hint="--out")
    _write_sample(say, voice, target)


def _unknown_voice(name: str, table: dict[str, object]) -> str:
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.config.voices import PALETTE
    from amacast.voices import nearest_voice

    custom = table.get("custom")
    names = set(PALETTE) | (set(map(str, custom)) if isinstance(custom, dict) else set())
    guess = nearest_voice(name, names)
    mean = f"; did you mean {guess!r}?" if guess else ""
    return f"unknown voice {name!r}{mean} (`amacast voices` lists them)"


def _write_sample(text: str, voice: Voice, target: Path, who: str = "") -> None:
    """Speak ``text`` in ``voice`` into ``target`` and say so on stderr."""
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.engines.base import EngineError
    from amacast.engines.registry import get_engine
    from amacast.speech import speakable_text
    from amacast.voices import write_sample

    spoken = speakable_text(text)
    if not spoken:
        raise click.BadParameter("nothing speakable in the text", param_hint="--say")
    try:
        pcm = get_engine(voice.engine).synthesize(spoken, voice)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_sample(pcm, target)
    except EngineError as error:
        raise Failure(str(error), error.exit_code) from error
    except OSError as error:
        raise Failure(f"cannot write {target}: {error}", ExitCode.ENVIRONMENT) from error
    click.echo(f"wrote {target} ({pcm.duration:.2f} s, {who}voice {voice.id})", err=True)


def _list_engines(fmt: str) -> None:
    """Every engine, usable or not, reachable now or not, with its voices."""
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.engines.registry import available_engines
    from amacast.voices import describe

    infos = available_engines()
    if fmt == "json":
        rows = [
            {
                "engine": i.name,
                "description": i.description,
                "usable": i.usable,
                "online": i.online,
                "reachable": i.reachable,
                "note": i.note,
                "voices": [
                    {
                        "name": v.id,
                        "pitch": v.pitch,
                        "tempo": v.tempo,
                        "lang": v.lang,
                        "tld": v.tld,
                        "model": v.model,
                    }
                    for v in i.voices
                ],
            }
            for i in infos
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for info in infos:
        state = "usable" if info.usable else "not usable"
        where = "offline"
        if info.online:
            where = "online, reachable now" if info.reachable else "online, unreachable now"
        click.echo(f"{info.name}: {info.description} [{state}, {where}]")
        if info.note and (info.online or not info.usable):
            click.echo(f"  note: {info.note}")
        for listed in info.voices:
            click.echo(f"  {listed.id:<12} {describe(listed)}")


def _show_cast(
    path: Path,
    table: dict[str, object],
    engine: str,
    say: str | None,
    out: Path | None,
    fmt: str,
) -> None:
    """Each speaker of an episode with the voice they get and why; samples with --say."""
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.transcript.parse import parse_episode
    from amacast.voices import cast_episode, speaker_sample

    episode = parse_episode(path)
    cast, problems = cast_episode(episode, table, engine)
    # The transcript's own problems too: an episode with errors is not rendered.
    problems = validate_episodes([episode]) + problems
    for problem in problems:
        click.echo(format_diagnostic(problem, "text"), err=True)
    failed = any(p.severity == "error" for p in problems)
    speakers = {s.code: s for s in episode.speakers}
    rows = []
    for code, casting in cast.items():
        speaker = speakers.get(code)
        name, role = (speaker.name, speaker.role) if speaker else ("Narrator", "narrator")
        rows.append((code, name, role, casting))
    if fmt == "json":
        keys = ("code", "name", "role", "voice", "engine", "reason")
        values = [(c, n, r, k.voice.id, k.voice.engine, k.reason) for c, n, r, k in rows]
        click.echo(json.dumps([dict(zip(keys, v, strict=True)) for v in values], indent=2))
    else:
        click.echo(f"{episode.slug} ({len(episode.speakers)} speakers, engine {engine}):")
        for code, name, role, casting in rows:
            voice = f"{casting.voice.id} ({casting.voice.engine})"
            click.echo(f"  {code:<9} {name[:24]:<24} {role:<11} {voice:<20} {casting.reason}")
    if failed:
        sys.exit(ExitCode.INPUT)
    if say is None:
        return
    folder = out if out is not None else _default_samples_folder() / episode.slug
    if folder.suffix.lower() in (".wav", ".mp3"):
        raise click.BadParameter("with EPISODE, --out is a folder", param_hint="--out")
    for code, _name, _role, casting in rows:
        text = say or (
            speaker_sample(episode, code) if code in speakers else f"This is {episode.title}."
        )
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in code)
        _write_sample(text, casting.voice, folder / f"{safe}.wav", who=f"{code}, ")


def render_progress(tty: bool) -> tuple[ProgressPrinter, Callable[[RenderProgress], None]]:
    """A printer on stderr (a bar with ETA on a terminal, a line per episode otherwise)
    and the render callback that feeds it."""
    printer = ProgressPrinter(
        "render", tty=tty, write=lambda text, newline: click.echo(text, nl=newline, err=True)
    )

    def show(state: RenderProgress) -> None:
        printer.update(
            state.episodes_done,
            state.episodes_total,
            state.fraction,
            state.elapsed,
            current=state.current,
            detail=f"{state.segments_done}/{state.segments_total} segments",
        )

    return printer, show


def _check_shard(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    if value is None:
        return None

    try:
        return parse_shard(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


@main.command()
@click.argument("episodes", nargs=-1)
@click.option("--engine", metavar="NAME", help="Speech engine (default: `[audio] engine`, piper).")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes (default: the number of cores).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Segment cache folder (default: `[audio] cache_dir`, .amacast-cache/segments).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write audio/ etc. into (default: output, or shard-K with --shard).",
)
@click.option("--drafts", is_flag=True, help="Include episodes with `draft: true`.")
@click.option(
    "--shard",
    metavar="K/N",
    callback=_check_shard,
    help="Render only shard K of N (1 <= K <= N): an episode's shard follows from its "
    "slug alone, so adding episodes never moves the others.",
)
def render(
    episodes: tuple[str, ...],
    engine: str | None,
    jobs: int | None,
    cache_dir: Path | None,
    output: Path | None,
    drafts: bool,
    shard: tuple[int, int] | None,
) -> None:
    """Narrate episodes ahead of a build: MP3s with transcripts and chapters, never into output/.

    EPISODES are files, file names in episodes/ (with or without .md) or
    slugs; the default is every episode.  Drafts are skipped unless --drafts.
    Problems are found as `validate` and `build` find them.  Segments are
    cached, so a re-run only synthesises what changed.  Progress is a bar
    with the time left on a terminal, a line per episode otherwise.

    Without --output the audio goes to .amacast-cache/rendered/ (beside the
    segment cache), replaced in one step under the build lock, and the next
    `amacast build` or `publish` adopts what still matches its settings and
    transcripts instead of rendering it, and puts it in output/ with its
    own commit: output/ only ever changes by a build.  A render killed half
    way leaves output/ and the rendered audio as they were.

    \b
    amacast render
    amacast render 2026-03-14-ama-with-sunil-rao.md --jobs 2

    With --shard K/N, N machines (e.g. a GitHub Actions matrix) each render
    their share into shard-K/, with a manifest of what it holds; then
    `amacast publish --audio-from shard-1 ... --audio-from shard-N` puts it
    all together without rendering again.  --output DIR may not be a
    build's output folder.

    Exit codes: 0 rendered, 1 errors in the input or a failed render, 2 usage
    (or --output a build's output), 3 a build or render already running.
    """
    # Start-up: loaded when this command runs (see the note on the imports).
    from amacast.build.output import BuildInterrupted, OutputError, OutputRefused
    from amacast.build.rendered import RenderRefused, render_project
    from amacast.mp3 import EncodeError
    from amacast.render import RenderError

    root = project_root()
    if output is None and shard:
        output = Path(f"shard-{shard[0]}")
    if output is not None:
        output = in_project(root, output)
    if cache_dir is not None:
        cache_dir = in_project(root, cache_dir)
    printer, show = render_progress(sys.stderr.isatty())
    try:
        result = render_project(
            root,
            episodes,
            output=output,
            engine=engine,
            jobs=jobs,
            cache_dir=cache_dir,
            drafts=drafts,
            progress=show,
            shard=shard,
        )
    except (RenderError, EncodeError) as error:
        printer.finish()
        raise click.ClickException(shown_text(str(error), root)) from error
    except (RenderRefused, OutputRefused) as error:
        click.echo(f"error: {shown_text(str(error), root)}", err=True)
        sys.exit(ExitCode.USAGE)
    except BuildInterrupted as error:
        printer.finish()
        click.echo(f"error: {error}; the rendered audio is as it was", err=True)
        sys.exit(ExitCode.TERMINATED)
    except OutputError as error:
        click.echo(f"error: {shown_text(str(error), root)}", err=True)
        sys.exit(ExitCode.ENVIRONMENT)
    printer.finish()
    diagnostics = [relative_diagnostic(d, root) for d in result.diagnostics]
    if drafts:
        diagnostics = drafts_included(diagnostics)
    for d in diagnostics:
        click.echo(format_diagnostic(d, "text"), err=True)
    for info in result.infos.values():
        click.echo(
            f"{escape_control(shown_path(result.folder / info.mp3_path, root))}: "
            f"{clock(info.duration)}, "
            f"{info.byte_length / 1e6:.1f} MB, {len(info.chapters)} chapters",
            err=True,
        )
    if result.drafts_skipped:
        click.echo(
            f"skipped {plural(len(result.drafts_skipped), 'draft')}: "
            f"{', '.join(result.drafts_skipped)} (render drafts with --drafts)",
            err=True,
        )
    if result.left_out:
        click.echo(f"left out (errors): {', '.join(result.left_out)}", err=True)
    if shard:
        click.echo(
            f"shard {shard[0]}/{shard[1]}: {plural(len(result.infos), 'episode')} rendered "
            f"into {shown_path(result.folder, root)}, {len(result.other_shards)} in other shards",
            err=True,
        )
    if result.infos and output is None:
        click.echo(
            f"rendered {plural(len(result.infos), 'episode')} into "
            f"{shown_path(result.folder, root)}: the next `amacast build` or `publish` "
            "puts them in output/",
            err=True,
        )
    if result.errors:
        sys.exit(ExitCode.INPUT)
    if not result.infos and not shard:
        if result.drafts_skipped:
            reason = "the episodes are drafts (render them with --drafts)"
        else:
            reason = "episodes/ holds no transcripts (write one with `amacast new TITLE`)"
        click.echo(f"error: nothing to render: {reason}", err=True)
        sys.exit(ExitCode.INPUT)
