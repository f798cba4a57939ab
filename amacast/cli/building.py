"""``amacast build`` and ``amacast publish``: options, one call of
:func:`amacast.build.pipeline.build_all`, the summary.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amacast.cli.common import (
    format_diagnostic,
    in_project,
    plural,
    project_root,
    relative_diagnostic,
    render_progress,
)
from amacast.cli.project import shown_path, shown_text
from amacast.errors import ExitCode
from amacast.model import Diagnostic, first_of
from amacast.transcript.validate import drafts_included

if TYPE_CHECKING:
    from amacast.build.result import BuildResult


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
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.build.fs import OutputError
    from amacast.build.pipeline import BuildError, build_all
    from amacast.build.signals import BuildInterrupted

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
    except (BuildError, OutputError) as error:  # each names its exit code
        printer.finish()
        message = (
            str(error) if isinstance(error, BuildInterrupted) else shown_text(str(error), root)
        )
        click.echo(f"error: {message}", err=True)
        sys.exit(error.exit_code)
    printer.finish()
    report(result.diagnostics)
    for note in result.notes:
        click.echo(f"note: {shown_text(note, root)}", err=True)
    _summarise(result, shown_path(in_project(root, output), root), verb, bool(audio_from))
    if not result.ok:
        sys.exit(ExitCode.INPUT)


def _summarise(result: BuildResult, where: str, verb: str, from_shards: bool) -> None:
    """Print what a build did (or would do); exit with the dry run's code."""
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
            + (f"{len(result.adopted)} adopted, " if from_shards or result.adopted else "")
            + f"{len(result.files)} files, {result.total_bytes / 1e6:.1f} MB",
            err=True,
        )
    else:
        click.echo(
            f"stopped: {plural(len(result.errors), 'error')}; {where} left as it was", err=True
        )


@click.command()
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


@click.command()
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
