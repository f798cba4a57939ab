"""``amacast render``: narrate episodes into the render folder (or a shard's) under the build
lock.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amacast.build.shards import parse_shard
from amacast.cli.common import (
    format_diagnostic,
    in_project,
    plural,
    project_root,
    relative_diagnostic,
    render_progress,
)
from amacast.cli.progress import clock
from amacast.cli.project import escape_control, shown_path, shown_text
from amacast.errors import ExitCode
from amacast.transcript.validate import drafts_included

if TYPE_CHECKING:
    from amacast.build.rendered import RenderRun


def _check_shard(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    if value is None:
        return None

    try:
        return parse_shard(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


@click.command()
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
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.audio.mp3 import EncodeError
    from amacast.audio.plan import RenderError
    from amacast.build.fs import OutputError
    from amacast.build.rendered import RenderRefused, render_project
    from amacast.build.signals import BuildInterrupted

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
    except (RenderRefused, OutputError) as error:  # each names its exit code
        printer.finish()
        note = "; the rendered audio is as it was" if isinstance(error, BuildInterrupted) else ""
        click.echo(f"error: {shown_text(str(error), root)}{note}", err=True)
        sys.exit(error.exit_code)
    printer.finish()
    _report(result, root, drafts=drafts, shard=shard, into_output=output is not None)


def _report(
    result: RenderRun, root: Path, *, drafts: bool, shard: tuple[int, int] | None, into_output: bool
) -> None:
    """Print what a render did and exit 1 when it found errors or had nothing to render."""
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
    if result.infos and not into_output:
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
