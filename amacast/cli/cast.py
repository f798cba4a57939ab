"""``amacast voices``: the engines, the cast of an episode, and samples of their voices."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amacast.cli.common import Failure, format_diagnostic, project_root
from amacast.errors import ExitCode
from amacast.transcript.validate import validate_episodes

if TYPE_CHECKING:
    from amacast.audio.engines.base import Voice


SAMPLES_FOLDER = "amacast-samples"


def _default_samples_folder() -> Path:
    """Where samples go without --out: a folder of the system's temp dir, never the cwd."""
    import tempfile

    return Path(tempfile.gettempdir()) / SAMPLES_FOLDER


@click.command()
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
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.audio.voices import voice_named

    table: dict[str, object] = {}
    engine = "piper"
    root = project_root()
    if (root / "amacast.toml").is_file():
        # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
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
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.audio.voices import nearest_voice
    from amacast.config.voices import PALETTE

    custom = table.get("custom")
    names = set(PALETTE) | (set(map(str, custom)) if isinstance(custom, dict) else set())
    guess = nearest_voice(name, names)
    mean = f"; did you mean {guess!r}?" if guess else ""
    return f"unknown voice {name!r}{mean} (`amacast voices` lists them)"


def _write_sample(text: str, voice: Voice, target: Path, who: str = "") -> None:
    """Speak ``text`` in ``voice`` into ``target`` and say so on stderr."""
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.audio.engines.base import EngineError
    from amacast.audio.engines.registry import get_engine
    from amacast.audio.speech import speakable_text
    from amacast.audio.voices import write_sample

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
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.audio.engines.registry import available_engines
    from amacast.audio.voices import describe

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
    # Start-up: loaded when this command runs (see the note in amacast/cli/__init__.py).
    from amacast.audio.voices import cast_episode, speaker_sample
    from amacast.transcript.parse import parse_episode

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
