"""Speaker → voice: the built-in palette, the ``[voices]`` table and front matter.

The ``[voices]`` table of ``amacast.toml``::

    [voices]
    narrator = "joe"                       # intro and outro
    guest = "joe-higher"                   # every guest without a mapping of its own
    host = "joe"                           # every host …
    participants = ["joe-high", "joe-higher"]   # participants rotate over these
    S = "joe-high"                         # a speaker code of an episode
    "P(n)" = "joe-higher"                  # a Legend pattern: all its participants
    "Sayak Paul" = "gtts-in"               # a speaker name: the same person in every episode

    [voices.custom.alan]                   # a voice of your own, usable by name above
    engine = "piper"
    model = "~/voices/en_GB-alan-medium.onnx"   # any Piper voice file (+ its .onnx.json)
    pitch = 1.0
    tempo = 1.0

Front matter may override per episode with the same keys (all but
``custom``) under ``voices:``.  Precedence: front matter, then the table;
within each, code before pattern before name; then the role defaults; then
the default cast of the ``[audio] engine`` (:data:`DEFAULT_CAST`): with the
offline default, guests speak in hibari's heart and the questioners in
Piper's joe (hosts and the narrator ``joe``, participants rotating over
``joe-high`` and ``joe-higher``), so the guest never sounds like the people
asking.  :func:`cast_episode` says, per speaker, which rule gave the voice.
A hibari custom voice names a voice bundled with hibari-tts as its ``model``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amacast.audio.engines.base import PCM, Voice
from amacast.audio.speech import speakable_block
from amacast.config import Settings
from amacast.config.voices import (
    DEFAULT_ORDER,
    PALETTE,
    RESERVED_KEYS,
    Source,
    custom_voices,
    lookup,
    role_defaults,
)
from amacast.model import Diagnostic, Episode, Speaker


@dataclass(frozen=True)
class Cast:
    """The built-in default of one ``[audio] engine``: voices per role.

    Guests take ``guests`` in turn, hosts ``hosts`` and participants rotate over
    ``participants``; the narrator speaks the intro and outro.
    """

    guests: tuple[str, ...]
    hosts: tuple[str, ...]
    participants: tuple[str, ...]
    narrator: str


# The default cast, chosen by measurement (bench/voices.py, bench/cast.py; see
# the README's "Voices and audio"): with the offline engine the guest, who
# speaks most of an episode, gets hibari's heart (female, 189 Hz, WER 0.09,
# about 9 times Piper's speed), the questioners Piper's joe (male, 86-108 Hz),
# so the guest never sounds like the people asking; the narrator is joe, the
# host's voice, never the guest's.
DEFAULT_CAST: dict[str, Cast] = {
    "piper": Cast(
        guests=("heart", "heart-low"),
        hosts=("joe",),
        participants=("joe-high", "joe-higher"),
        narrator="joe",
    ),
    "hibari": Cast(
        guests=("heart",),
        hosts=("heart-low",),
        participants=("heart-low",),
        narrator="heart-low",
    ),
    "gtts": Cast(
        guests=("gtts-us", "gtts-uk"),
        hosts=("gtts-au", "gtts-in"),
        participants=("gtts-in", "gtts-ie", "gtts-za", "gtts-ca"),
        narrator="gtts-au",
    ),
}
NARRATOR: dict[str, str] = {engine: cast.narrator for engine, cast in DEFAULT_CAST.items()}


def palette(engine: str) -> list[Voice]:
    """The built-in voices of one engine, in default order."""
    order = DEFAULT_ORDER.get(engine, ())
    return [PALETTE[name] for name in order]


def voice_named(name: str, table: Mapping[str, Any] | None = None) -> Voice | None:
    """The palette or custom voice called ``name`` (custom voices first), or None."""
    if table:
        custom, _ = custom_voices(table, Source("amacast.toml", 1, "voices"))
        if name in custom:
            return custom[name]
    return PALETTE.get(name)


def nearest_voice(name: str, names: Iterable[str]) -> str | None:
    """The known voice name closest to a mistyped ``name``, or None when none is close."""
    import difflib

    close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
    return close[0] if close else None


def _norm_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _speaker_keys(
    mapping: Mapping[str, Any],
    speakers: tuple[Speaker, ...],
    source: Source,
    custom: Mapping[str, Voice],
    problems: list[Diagnostic],
    warn_unmatched: bool,
) -> dict[str, tuple[Voice, str]]:
    """Voices for the speakers a mapping names (by code, then pattern, then name), with the key."""
    by_code: dict[str, tuple[Voice, str]] = {}
    by_pattern: dict[str, tuple[Voice, str]] = {}
    by_name: dict[str, tuple[Voice, str]] = {}
    codes = {s.code for s in speakers}
    patterns = {s.pattern for s in speakers if s.pattern}
    names = {_norm_name(s.name) for s in speakers}
    for raw_key, value in mapping.items():
        key = str(raw_key)
        if key in RESERVED_KEYS:
            continue
        voice = lookup(value, key, source, custom, problems)
        if voice is None:
            continue
        if key in codes:
            by_code[key] = (voice, key)
        elif key in patterns:
            by_pattern[key] = (voice, key)
        elif _norm_name(key) in names:
            by_name[_norm_name(key)] = (voice, key)
        elif warn_unmatched:
            problems.append(
                source.problem(
                    "voices-unknown-speaker",
                    "warning",
                    key,
                    "names no speaker code, pattern or name of this episode",
                    "use a code from the Legend (S, P(n)) or a speaker's name",
                )
            )
    result: dict[str, tuple[Voice, str]] = {}
    for speaker in speakers:
        found = (
            by_code.get(speaker.code)
            or by_pattern.get(speaker.pattern)
            or by_name.get(_norm_name(speaker.name))
        )
        if found is not None:
            result[speaker.code] = found
    return result


@dataclass(frozen=True)
class Casting:
    """The voice one speaker gets and why (``amacast voices EPISODE`` prints both)."""

    voice: Voice
    reason: str


_FRONT = "front matter voices"
_TABLE = "amacast.toml [voices]"


def assign_voices(
    episode: Episode,
    table: Mapping[str, Any],
    engine: str = "piper",
    *,
    config_path: str = "amacast.toml",
    config_line: int = 1,
) -> tuple[dict[str, Voice], list[Diagnostic]]:
    """A voice for every speaker code of ``episode``, plus the problems found.

    ``table`` is the raw ``[voices]`` table; ``episode.meta["voices"]`` may
    override it.  The narrator (intro/outro) is under the key ``"narrator"``
    unless a speaker has that code, see :func:`narrator_voice`.  Never raises:
    bad entries are skipped and reported.  :func:`cast_episode` says why.
    """
    cast, problems = cast_episode(
        episode, table, engine, config_path=config_path, config_line=config_line
    )
    return {code: casting.voice for code, casting in cast.items()}, problems


def cast_episode(
    episode: Episode,
    table: Mapping[str, Any],
    engine: str = "piper",
    *,
    config_path: str = "amacast.toml",
    config_line: int = 1,
) -> tuple[dict[str, Casting], list[Diagnostic]]:
    """:func:`assign_voices` with the reason for each voice (front matter, table, default)."""
    problems: list[Diagnostic] = []
    toml = Source(config_path, config_line, "voices")
    lines = episode.meta_lines
    front = Source(
        episode.path,
        lines.get("voices", 1),
        "voices",
        lambda parts: lines.get(f"voices.{parts[0]}", 0) if parts else 0,
    )
    if engine not in DEFAULT_CAST:
        problems.append(
            toml.problem(
                "voices-unknown-engine",
                "error",
                "",
                f"unknown engine {engine!r}",
                f"use one of: {', '.join(DEFAULT_CAST)}",
            )
        )
        engine = "piper"
    if not isinstance(table, Mapping):
        problems.append(toml.problem("voices-bad-value", "error", "", "must be a table"))
        table = {}
    override = _front_matter_voices(episode, front, problems)
    custom, found = custom_voices(table, toml)
    problems.extend(found)

    speakers = episode.speakers
    from_front = _speaker_keys(override, speakers, front, custom, problems, warn_unmatched=True)
    from_table = _speaker_keys(table, speakers, toml, custom, problems, warn_unmatched=False)
    table_roles, table_rotation = role_defaults(table, toml, custom, problems)
    front_roles, front_rotation = role_defaults(override, front, custom, problems)
    roles = {role: Casting(voice, f"{_TABLE} {role}") for role, voice in table_roles.items()}
    roles.update({role: Casting(voice, f"{_FRONT}.{role}") for role, voice in front_roles.items()})
    rotation, rotation_source = (
        (front_rotation, f"{_FRONT}.participants")
        if front_rotation
        else (table_rotation, f"{_TABLE} participants")
    )

    cast: dict[str, Casting] = {}
    narrator = _narrator(table, override, engine, toml, front, custom, problems)
    unmapped: list[Speaker] = []
    rotated = 0
    for speaker in speakers:
        casting: Casting | None = None
        if speaker.code in from_front:
            voice, key = from_front[speaker.code]
            casting = Casting(voice, f"{_FRONT}.{key}")
        elif speaker.code in from_table:
            voice, key = from_table[speaker.code]
            casting = Casting(voice, f"{_TABLE} {key}")
        elif speaker.role in roles or speaker.role == "narrator":
            casting = roles.get(speaker.role, narrator)
        elif speaker.role == "participant" and rotation:
            casting = Casting(rotation[rotated % len(rotation)], rotation_source)
            rotated += 1
        if casting is None:
            unmapped.append(speaker)
        else:
            cast[speaker.code] = casting
    taken = {casting.voice.id for casting in cast.values()}
    cast.update(_default_voices(unmapped, engine, taken))
    # In the Legend's order, the narrator last.
    ordered = {s.code: cast[s.code] for s in speakers if s.code in cast}
    ordered.setdefault("narrator", narrator)
    return ordered, problems


def _front_matter_voices(
    episode: Episode, front: Source, problems: list[Diagnostic]
) -> Mapping[str, Any]:
    """The episode's ``voices:`` mapping ({} when absent or not a mapping, which is a problem)."""
    override = episode.meta.get("voices")
    if override is None:
        return {}
    if not isinstance(override, Mapping):
        problems.append(
            front.problem(
                "voices-bad-value",
                "error",
                "",
                "front matter voices must be a mapping of speaker to voice name",
                "e.g. voices: {S: joe-high}",
            )
        )
        return {}
    if "custom" in override:
        problems.append(
            front.problem(
                "voices-unknown-key",
                "warning",
                "custom",
                "custom voices belong in amacast.toml, not in front matter",
            )
        )
    return override


def _narrator(
    table: Mapping[str, Any],
    override: Mapping[str, Any],
    engine: str,
    toml: Source,
    front: Source,
    custom: Mapping[str, Voice],
    problems: list[Diagnostic],
) -> Casting:
    for mapping, source, where in ((override, front, _FRONT + "."), (table, toml, _TABLE + " ")):
        if "narrator" in mapping:
            voice = lookup(mapping["narrator"], "narrator", source, custom, problems)
            if voice is not None:
                return Casting(voice, f"{where}narrator")
    return Casting(PALETTE[NARRATOR[engine]], f"default cast of {engine}: narrator")


def _default_voices(speakers: list[Speaker], engine: str, taken: set[str]) -> dict[str, Casting]:
    """The default cast: guests, hosts and participants each from their own voices.

    Guests take the cast's guest voices in turn, hosts its host voices, and
    participants rotate over its participant voices; a voice already given to
    a mapped speaker is avoided while the role has another.
    """
    cast = DEFAULT_CAST[engine]
    pools = {"guest": cast.guests, "host": cast.hosts, "participant": cast.participants}
    used = dict.fromkeys(pools, 0)
    result: dict[str, Casting] = {}
    for speaker in speakers:
        role = speaker.role if speaker.role in pools else "host"
        names = [name for name in pools[role] if name not in taken] or list(pools[role])
        voice = PALETTE[names[used[role] % len(names)]]
        used[role] += 1
        result[speaker.code] = Casting(voice, f"default cast of {engine}: {speaker.role}")
    return result


def narrator_voice(voices: Mapping[str, Voice], engine: str = "piper") -> Voice:
    """The intro/outro voice out of :func:`assign_voices`' result."""
    return voices.get("narrator") or PALETTE[NARRATOR.get(engine, NARRATOR["piper"])]


def describe(voice: Voice) -> str:
    """A short human description of a voice's settings."""
    parts = []
    if voice.engine == "hibari":
        parts.append(f"hibari voice {voice.model or 'heart'}")
    elif voice.model:
        parts.append(f"model {voice.model}")
    if voice.engine == "gtts":
        parts.append(f"lang {voice.lang}, tld {voice.tld}")
    if voice.pitch != 1.0 or voice.engine in ("piper", "hibari"):
        parts.append(f"pitch {voice.pitch:.2f}")
    if voice.tempo != 1.0:
        parts.append(f"tempo {voice.tempo:.2f}")
    parts.extend(f"{key} {value}" for key, value in voice.options)
    return ", ".join(parts)


def write_sample(pcm: PCM, path: Path) -> None:
    """Write ``pcm`` as a 16-bit WAV, or as an MP3 when ``path`` ends in ``.mp3``."""
    import wave

    import numpy as np

    data = (np.clip(pcm.samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    if path.suffix.lower() == ".mp3":
        import warnings

        import imageio_ffmpeg

        with warnings.catch_warnings():  # pydub warns when no ffmpeg is on PATH
            warnings.simplefilter("ignore", RuntimeWarning)
            from pydub import AudioSegment

        AudioSegment.converter = imageio_ffmpeg.get_ffmpeg_exe()
        segment = AudioSegment(data=data, sample_width=2, frame_rate=pcm.sample_rate, channels=1)
        segment.export(str(path), format="mp3", bitrate="64k")
        return
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(pcm.sample_rate)
        handle.writeframes(data)


SAMPLE_WORDS = 16


def speaker_sample(episode: Episode, code: str, words: int = SAMPLE_WORDS) -> str:
    """A short sample of what ``code`` says in ``episode``: the first words of their first turn.

    Cut after the first sentence that reaches ``words // 2`` words, or at
    ``words`` words; a speaker with nothing to say introduces themselves.
    """
    for turn in episode.turns:
        if turn.speaker != code:
            continue
        for block in turn.blocks:
            text = speakable_block(block)
            if not text:
                continue
            taken: list[str] = []
            for word in text.split():
                taken.append(word)
                if len(taken) >= words or (
                    len(taken) >= words // 2 and word.endswith((".", "?", "!"))
                ):
                    break
            sample = " ".join(taken)
            return sample if sample.endswith((".", "?", "!")) else sample.rstrip(",;:") + "."
    speaker = episode.speaker(code)
    name = speaker.name if speaker is not None else code
    return f"Hello, this is {name}."


def episode_voices(
    settings: Settings, episode: Episode, engine: str | None = None
) -> tuple[dict[str, Voice], list[Diagnostic]]:
    """The voices of one episode and the problems of its front matter ``voices:``.

    ``engine`` replaces ``[audio] engine`` (``amacast render --engine``).  The
    ``[voices]`` table's own problems are left out: they are
    :func:`amacast.config.load_settings`', reported once for every episode.
    """
    voices, problems = assign_voices(episode, settings.voices, engine or settings.render.engine)
    return voices, [problem for problem in problems if problem.path == episode.path]


def check_episode_voices(settings: Settings, episodes: Iterable[Episode]) -> list[Diagnostic]:
    """Problems of the episodes' front matter ``voices:`` (against each Legend)."""
    return [problem for episode in episodes for problem in episode_voices(settings, episode)[1]]
