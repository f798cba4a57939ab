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
the built-in default, which gives guests and hosts the first voices of the
engine's palette and rotates participants over the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from amacast.config import Settings
from amacast.config.schema import brief
from amacast.config.voices import (
    CUSTOM_KEYS,
    DEFAULT_ORDER,
    NARRATOR,
    PALETTE,
    RESERVED_KEYS,
    ROLE_KEYS,
    KeyLine,
    Source,
    check_voices_table,
    custom_voices,
    lookup,
    role_defaults,
)
from amacast.engines.base import PCM, Voice
from amacast.model import Diagnostic, Episode, Speaker

__all__ = [
    "CUSTOM_KEYS",
    "DEFAULT_ORDER",
    "NARRATOR",
    "PALETTE",
    "RESERVED_KEYS",
    "ROLE_KEYS",
    "assign_voices",
    "check_episode_voices",
    "check_voices_table",
    "describe",
    "episode_voices",
    "narrator_voice",
    "palette",
    "voice_named",
    "write_sample",
]


def palette(engine: str) -> list[Voice]:
    """The built-in voices of one engine, in default order."""
    order = DEFAULT_ORDER.get(engine, ())
    return [PALETTE[name] for name in order]


def voice_named(name: str, table: Mapping[str, Any] | None = None) -> Voice | None:
    """The palette or custom voice called ``name`` (custom voices first), or None."""
    if table:
        custom, _ = custom_voices(table, Source("amacast.toml", 0))
        if name in custom:
            return custom[name]
    return PALETTE.get(name)


def _norm_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _speaker_keys(
    mapping: Mapping[str, Any],
    speakers: tuple[Speaker, ...],
    source: Source,
    custom: Mapping[str, Voice],
    problems: list[Diagnostic],
    warn_unmatched: bool,
) -> dict[str, Voice]:
    """Voices for the speakers a mapping names (by code, then pattern, then name)."""
    by_code: dict[str, Voice] = {}
    by_pattern: dict[str, Voice] = {}
    by_name: dict[str, Voice] = {}
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
            by_code[key] = voice
        elif key in patterns:
            by_pattern[key] = voice
        elif _norm_name(key) in names:
            by_name[_norm_name(key)] = voice
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
    result: dict[str, Voice] = {}
    for speaker in speakers:
        voice = (
            by_code.get(speaker.code)
            or by_pattern.get(speaker.pattern)
            or by_name.get(_norm_name(speaker.name))
        )
        if voice is not None:
            result[speaker.code] = voice
    return result


def assign_voices(
    episode: Episode,
    table: Mapping[str, Any],
    engine: str = "piper",
    *,
    config_path: str = "amacast.toml",
    config_line: int = 1,
    key_line: KeyLine | None = None,
) -> tuple[dict[str, Voice], list[Diagnostic]]:
    """A voice for every speaker code of ``episode``, plus the problems found.

    ``table`` is the raw ``[voices]`` table; ``episode.meta["voices"]`` may
    override it.  The narrator (intro/outro) is under the key ``"narrator"``
    unless a speaker has that code, see :func:`narrator_voice`.  Problems of
    the table are placed at ``key_line`` of their key when given, else at
    ``config_line``.  Never raises: bad entries are skipped and reported.
    """
    problems: list[Diagnostic] = []
    toml = Source(config_path, config_line, "voices", key_line)
    lines = episode.meta_lines
    front = Source(
        episode.path,
        lines.get("voices", 1),
        "voices",
        lambda parts: lines.get(f"voices.{parts[0]}", 0) if parts else 0,
    )
    if engine not in DEFAULT_ORDER:
        problems.append(
            toml.problem(
                "voices-unknown-engine",
                "error",
                "",
                f"unknown engine {brief(engine)}",
                f"use one of: {', '.join(DEFAULT_ORDER)}",
            )
        )
        engine = "piper"
    if not isinstance(table, Mapping):
        problems.append(toml.problem("voices-bad-value", "error", "", "must be a table"))
        table = {}
    override = episode.meta.get("voices")
    if override is None:
        override = {}
    elif not isinstance(override, Mapping):
        problems.append(
            front.problem(
                "voices-bad-value",
                "error",
                "",
                "front matter voices must be a mapping of speaker to voice name",
                "e.g. voices: {S: joe-high}",
            )
        )
        override = {}
    if "custom" in override:
        problems.append(
            front.problem(
                "voices-unknown-key",
                "warning",
                "custom",
                "custom voices belong in amacast.toml, not in front matter",
            )
        )
    custom, found = custom_voices(table, toml)
    problems.extend(found)

    speakers = episode.speakers
    from_front = _speaker_keys(override, speakers, front, custom, problems, warn_unmatched=True)
    from_table = _speaker_keys(table, speakers, toml, custom, problems, warn_unmatched=False)
    roles, rotation = role_defaults(table, toml, custom, problems)
    front_roles, front_rotation = role_defaults(override, front, custom, problems)
    roles.update(front_roles)
    rotation = front_rotation or rotation

    voices: dict[str, Voice] = {}
    narrator = _narrator(table, override, engine, toml, front, custom, problems)
    unmapped: list[Speaker] = []
    rotated = 0
    for speaker in speakers:
        voice = from_front.get(speaker.code) or from_table.get(speaker.code)
        if voice is None and speaker.role in roles:
            voice = roles[speaker.role]
        if voice is None and speaker.role == "narrator":
            voice = narrator
        if voice is None and speaker.role == "participant" and rotation:
            voice = rotation[rotated % len(rotation)]
            rotated += 1
        if voice is None:
            unmapped.append(speaker)
        else:
            voices[speaker.code] = voice
    voices.update(_default_voices(unmapped, engine, set(v.id for v in voices.values())))
    if "narrator" not in voices:
        voices["narrator"] = narrator
    return voices, problems


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


def _narrator(
    table: Mapping[str, Any],
    override: Mapping[str, Any],
    engine: str,
    toml: Source,
    front: Source,
    custom: Mapping[str, Voice],
    problems: list[Diagnostic],
) -> Voice:
    for mapping, source in ((override, front), (table, toml)):
        if "narrator" in mapping:
            voice = lookup(mapping["narrator"], "narrator", source, custom, problems)
            if voice is not None:
                return voice
    return PALETTE[NARRATOR[engine]]


def _default_voices(speakers: list[Speaker], engine: str, taken: set[str]) -> dict[str, Voice]:
    """The built-in default: guests and hosts first voices, participants rotate over the rest.

    Voices already given to mapped speakers are avoided while others remain.
    """
    order = [PALETTE[name] for name in DEFAULT_ORDER[engine]]
    free = [voice for voice in order if voice.id not in taken] or order
    leads = [s for s in speakers if s.role != "participant"]
    participants = [s for s in speakers if s.role == "participant"]
    result: dict[str, Voice] = {}
    # Leave at least one voice (two when there are enough) for participants.
    keep = 0 if not participants else (2 if len(free) >= len(leads) + 2 else 1)
    lead_pool = free[: max(1, len(free) - keep)]
    for index, speaker in enumerate(leads):
        result[speaker.code] = lead_pool[index % len(lead_pool)]
    used = {voice.id for voice in result.values()}
    rest = [voice for voice in free if voice.id not in used] or free
    for index, speaker in enumerate(participants):
        result[speaker.code] = rest[index % len(rest)]
    return result


def narrator_voice(voices: Mapping[str, Voice], engine: str = "piper") -> Voice:
    """The intro/outro voice out of :func:`assign_voices`' result."""
    return voices.get("narrator") or PALETTE[NARRATOR.get(engine, "joe")]


def describe(voice: Voice) -> str:
    """A short human description of a voice's settings."""
    parts = []
    if voice.model:
        parts.append(f"model {voice.model}")
    if voice.engine == "gtts":
        parts.append(f"lang {voice.lang}, tld {voice.tld}")
    if voice.pitch != 1.0 or voice.engine == "piper":
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
