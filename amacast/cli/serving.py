"""``amacast serve``: the output on a local server, rebuilt and reloaded with ``--watch``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from amacast.cli.common import (
    Failure,
    format_diagnostic,
    in_project,
    plural,
    project_root,
    relative_diagnostic,
)
from amacast.cli.project import escape_control, shown_path, shown_text
from amacast.errors import ExitCode


@click.command()
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

    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.cli.preview import LiveReload, make_server, server_url

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
        # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
        from amacast.cli.watch import watch_project

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
        # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
        from amacast.build.fs import OutputError
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
