"""The ``amacast`` command line: thin click wrappers over library calls.

Only this module prints.  Diagnostics and progress go to stderr, requested
data (``--format json``) to stdout.  Exit codes: 0 clean (warnings allowed),
1 errors in the input, 2 usage.
"""

from __future__ import annotations

import json
import sys
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amacast import __version__
from amacast.model import Diagnostic
from amacast.validate import count_by_severity, validate_episodes
from amacast.validate import strict as make_strict

if TYPE_CHECKING:
    from amacast.engines.base import Voice
    from amacast.render_jobs import RenderProgress


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amacast")
def main() -> None:
    """Publish AMA and interview transcripts as a podcast.

    Transcripts live in episodes/ as Markdown with YAML front matter and a
    Legend; `amacast validate` checks them, `amacast build` writes the feeds and the site,
    `amacast render` narrates them, `amacast publish` does everything into output/.
    """


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
        props = (
            f"file={_github_escape(d.path, prop=True)},line={d.line},col={d.column},"
            f"title={_github_escape(d.code, prop=True)}"
        )
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        return f"::{level} {props}::{_github_escape(message)}"
    line = f"{d.path}:{d.line}:{d.column}: {d.severity}[{d.code}] {d.message}"
    return line + (f"\n    hint: {d.hint}" if d.hint else "")


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
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the summary.")
def validate(
    paths: tuple[Path, ...], fmt: str, strict: bool, timezone: str | None, quiet: bool
) -> None:
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
    from amacast.parse import find_episode_files, parse_episode  # heavy: only where used

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
        help="Folder to publish into.",
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
    audio_from: tuple[Path, ...] = (),
) -> None:
    """Publish the project in the current folder and report; exit 1 on failure."""
    from amacast.publish import PublishError
    from amacast.publish import publish as publish_project

    overrides = {"base_url": base_url} if base_url else None

    def progress(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    try:
        result = publish_project(
            Path.cwd(),
            output,
            audio=audio,
            drafts=drafts,
            keep_going=keep_going,
            overrides=overrides,
            progress=progress,
            audio_from=audio_from,
        )
    except PublishError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for d in result.diagnostics:
        if not quiet or d.severity == "error":
            click.echo(format_diagnostic(d, "text"), err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if result.swapped:
        click.echo(
            f"published {len(result.published)} episode(s) to {output}: "
            f"{len(result.rendered)} rendered, {len(result.reused)} unchanged, "
            + (f"{len(result.adopted)} adopted, " if audio_from else "")
            + f"{len(result.files)} files, {result.total_bytes / 1e6:.1f} MB",
            err=True,
        )
    else:
        click.echo(f"stopped: {len(result.errors)} errors; {output} left as it was", err=True)
    if not result.ok:
        sys.exit(1)


@main.command()
@click.option("--audio", is_flag=True, help="Also render the MP3s of new or changed episodes.")
@_with_publish_options
def build(
    audio: bool, drafts: bool, keep_going: bool, base_url: str | None, output: Path, quiet: bool
) -> None:
    """Write the feeds and the site into output/, without rendering audio.

    Like `amacast publish`, all or nothing: new and changed files are written
    beside their places and put in place only when every step succeeded.  MP3s of episodes
    that did not change since the last publish are kept; with --audio the
    new and changed ones are rendered too.  Exit codes: 0 built, 1 errors in
    the input or a failed step, 2 usage.
    """
    _run_publish(
        audio=audio,
        drafts=drafts,
        keep_going=keep_going,
        base_url=base_url,
        output=output,
        quiet=quiet,
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
    quiet: bool,
    audio_from: tuple[Path, ...],
) -> None:
    """Validate, then write feeds, audio and the site into output/, all or nothing.

    New and changed files are written beside their places in output/ and put
    in place only when every step succeeded; a failed run leaves output/ as it was.  Episodes
    whose transcript and voice settings did not change keep their MP3s.

    With --audio-from DIR (once per shard), audio rendered by
    `amacast render --shard` jobs is taken from DIR instead of rendered;
    anything missing there is rendered here.
    Exit codes: 0 published, 1 errors in the input or a failed step, 2 usage.
    """
    _run_publish(
        audio=audio,
        drafts=drafts,
        keep_going=keep_going,
        base_url=base_url,
        output=output,
        quiet=quiet,
        audio_from=audio_from,
    )


@main.command()
@click.argument("title")
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD[THH:MM+HH:MM]",
    help="The episode's date (default: now, UTC).",
)
def new(title: str, date_text: str | None) -> None:
    """Write episodes/<date>-<slug>.md for TITLE: front matter, a Legend, turns to fill in.

    The new file is a draft (`draft: true`); an existing file is never overwritten.
    """
    from amacast.parse import parse_date
    from amacast.scaffold import EpisodeExistsError, new_episode

    when = None
    if date_text:
        try:
            when = parse_date(date_text)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--date") from error
    try:
        path = new_episode(Path.cwd(), title, when)
    except EpisodeExistsError as error:
        raise click.ClickException(f"{error}; choose another title or --date") from error
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="TITLE") from error
    click.echo(str(path))


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
    help="Folder to serve.",
)
def serve(port: int, output: Path) -> None:
    """Preview output/ at http://127.0.0.1:PORT/ (Ctrl-C stops).

    Run `amacast publish --base-url http://127.0.0.1:PORT/` first so that the
    feeds point at the preview; the pages' own links are relative and work anyway.
    """
    from amacast.preview import make_server, server_url

    if not (output / "index.html").is_file():
        raise click.ClickException(f"{output / 'index.html'} does not exist: run `amacast publish`")
    try:
        server = make_server(output, "127.0.0.1", port, quiet=False)
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on 127.0.0.1:{port}: {error.strerror}"
        ) from error
    click.echo(f"serving {output} at {server_url(server)} (Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


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
    from amacast.voices import voice_named

    table: dict[str, object] = {}
    engine = "piper"
    if Path("amacast.toml").is_file():
        from amacast.config import load_settings
        from amacast.render_settings import RenderSettings

        settings, _ = load_settings(Path.cwd(), required=())
        table = dict(getattr(settings, "voices", {}) or {})
        engine = RenderSettings.from_table(settings.audio)[0].engine
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
    from amacast.voices import PALETTE, nearest_voice

    custom = table.get("custom")
    names = set(PALETTE) | (set(map(str, custom)) if isinstance(custom, dict) else set())
    guess = nearest_voice(name, names)
    mean = f"; did you mean {guess!r}?" if guess else ""
    return f"unknown voice {name!r}{mean} (`amacast voices` lists them)"


def _write_sample(text: str, voice: Voice, target: Path, who: str = "") -> None:
    """Speak ``text`` in ``voice`` into ``target`` and say so on stderr."""
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
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"cannot write {target}: {error}") from error
    click.echo(f"wrote {target} ({pcm.duration:.2f} s, {who}voice {voice.id})", err=True)


def _list_engines(fmt: str) -> None:
    """Every engine, usable or not, reachable now or not, with its voices."""
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
    from amacast.parse import parse_episode
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
        sys.exit(1)
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


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _render_progress(tty: bool) -> Callable[[RenderProgress], None]:
    """A progress callback: a bar redrawn on a terminal, a line every 10 s otherwise."""
    import time

    last = [0.0]

    def show(state: RenderProgress) -> None:
        counts = (
            f"{state.episodes_done}/{state.episodes_total} episodes, "
            f"{state.segments_done}/{state.segments_total} segments"
        )
        if tty:
            filled = int(state.fraction * 30)
            bar = "#" * filled + "-" * (30 - filled)
            click.echo(
                f"\r[{bar}] {state.fraction:4.0%} {counts}, {_clock(state.eta)} left ",
                nl=False,
                err=True,
            )
            return
        now = time.monotonic()
        finished = state.episodes_done == state.episodes_total
        if now - last[0] >= 10.0 or finished:
            last[0] = now
            click.echo(
                f"render: {state.fraction:.0%} ({counts}), elapsed "
                f"{_clock(state.elapsed)}, about {_clock(state.eta)} left",
                err=True,
            )

    return show


def _check_shard(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    if value is None:
        return None
    from amacast.shard import parse_shard

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
    """Narrate episodes into OUTPUT/audio/<slug>.mp3 with transcripts and chapters.

    EPISODES are files, file names in episodes/ or slugs; the default is every
    non-draft episode.  Segments are cached, so a re-run only synthesises what
    changed.

    With --shard K/N, N machines (e.g. a GitHub Actions matrix) each render
    their share into shard-K/, with a manifest of what it holds; then
    `amacast publish --audio-from shard-1 ... --audio-from shard-N` puts it
    all together without rendering again.

    Exit codes: 0 rendered, 1 errors in the input or a failed render, 2 usage.
    """
    from amacast.mp3 import EncodeError
    from amacast.render import RenderError
    from amacast.render_jobs import render_project

    if output is None:
        output = Path(f"shard-{shard[0]}") if shard else Path("output")
    tty = sys.stderr.isatty()
    try:
        result = render_project(
            Path.cwd(),
            episodes,
            output=output,
            engine=engine,
            jobs=jobs,
            cache_dir=cache_dir,
            drafts=drafts,
            progress=_render_progress(tty),
            shard=shard,
        )
    except (RenderError, EncodeError) as error:
        if tty:
            click.echo("", err=True)
        raise click.ClickException(str(error)) from error
    if tty:
        click.echo("", err=True)
    for d in result.diagnostics:
        click.echo(format_diagnostic(d, "text"), err=True)
    for info in result.infos.values():
        click.echo(
            f"{output / info.mp3_path}: {_clock(info.duration)}, "
            f"{info.byte_length / 1e6:.1f} MB, {len(info.chapters)} chapters",
            err=True,
        )
    if result.left_out:
        click.echo(f"left out (errors): {', '.join(result.left_out)}", err=True)
    if shard:
        click.echo(
            f"shard {shard[0]}/{shard[1]}: {len(result.infos)} episode(s) rendered into "
            f"{output}, {len(result.other_shards)} in other shards",
            err=True,
        )
    if result.errors:
        sys.exit(1)
