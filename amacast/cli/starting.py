"""``amacast init`` and ``amacast new``: a project, and an episode in it."""

from __future__ import annotations

import sys
import zoneinfo
from pathlib import Path

import click

from amacast.cli.common import format_diagnostic, plural, project_root, relative_diagnostic
from amacast.cli.project import escape_control, shown_path, shown_text
from amacast.errors import ExitCode


@click.command()
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

    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.cli.scaffold import EpisodeExistsError, new_episode
    from amacast.transcript.front_matter import parse_date

    root = project_root()
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
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


@click.command()
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
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.cli.starter import ProjectExistsError, start_project

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
