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

import difflib
import reprlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from amacast.engines.base import PCM, Voice
from amacast.model import Diagnostic, Episode, Severity, Speaker

# Pitch factors chosen by measurement (bench/voices.py, 8 sentences, pocketsphinx
# reading back): F0 86 / 96 / 108 Hz, word error rate 0.18 / 0.16 / 0.18.  Lower
# factors ruin it (0.94: 0.28, 0.9: 0.54, 0.8: 0.93) and so do higher ones
# (1.33: 0.28, 1.4: 0.36), so Joe gives three voices, about 11% apart.
PALETTE: dict[str, Voice] = {
    voice.id: voice
    for voice in (
        Voice("joe", "piper"),
        Voice("joe-high", "piper", pitch=1.12),
        Voice("joe-higher", "piper", pitch=1.25),
        Voice("gtts-us", "gtts", tld="com"),
        Voice("gtts-uk", "gtts", tld="co.uk"),
        Voice("gtts-au", "gtts", tld="com.au"),
        Voice("gtts-in", "gtts", tld="co.in"),
        Voice("gtts-ca", "gtts", tld="ca"),
        Voice("gtts-ie", "gtts", tld="ie"),
        Voice("gtts-za", "gtts", tld="co.za"),
    )
}

# Order of the built-in default per engine: guests and hosts take from the
# front, participants rotate over what is left.
DEFAULT_ORDER: dict[str, tuple[str, ...]] = {
    "piper": ("joe", "joe-higher", "joe-high"),
    "gtts": ("gtts-us", "gtts-uk", "gtts-au", "gtts-in", "gtts-ie", "gtts-za", "gtts-ca"),
}
NARRATOR: dict[str, str] = {"piper": "joe", "gtts": "gtts-us"}

ROLE_KEYS = ("guest", "host")
RESERVED_KEYS = ("narrator", "guest", "host", "participants", "custom")
CUSTOM_KEYS = ("engine", "base", "model", "pitch", "tempo", "lang", "tld", "options")
_FACTOR_RANGE = (0.5, 2.0)

#: The line of a key inside the ``[voices]`` table, by its path (``("custom", "alan", "pitch")``).
KeyLine = Callable[[tuple[str, ...]], int]

_BRIEF = reprlib.Repr()
_BRIEF.maxstring = _BRIEF.maxother = 60
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxdict = _BRIEF.maxset = 4
_BRIEF.maxlevel = 2


@dataclass(frozen=True)
class _Source:
    """Where a mapping comes from, for diagnostics: a file, and the line of each key."""

    path: str
    line: int
    prefix: str
    key_line: KeyLine | None = None

    def line_of(self, parts: tuple[str, ...]) -> int:
        if self.key_line is None:
            return self.line
        return self.key_line(parts) or self.line


def palette(engine: str) -> list[Voice]:
    """The built-in voices of one engine, in default order."""
    order = DEFAULT_ORDER.get(engine, ())
    return [PALETTE[name] for name in order]


def voice_named(name: str, table: Mapping[str, Any] | None = None) -> Voice | None:
    """The palette or custom voice called ``name`` (custom voices first), or None."""
    if table:
        custom, _ = _custom_voices(table, _Source("amacast.toml", 1, "voices"))
        if name in custom:
            return custom[name]
    return PALETTE.get(name)


def _diag(
    source: _Source,
    code: str,
    severity: Severity,
    key: str,
    message: str,
    hint: str = "",
    parts: tuple[str, ...] | None = None,
) -> Diagnostic:
    """A problem at ``key`` (``parts``: its path in the table, when not ``key`` itself)."""
    where = f"{source.prefix}.{key}" if key else source.prefix
    line = source.line_of(parts if parts is not None else ((key,) if key else ()))
    return Diagnostic(source.path, line, 1, code, severity, f"{where}: {message}", hint)


def _custom_voices(
    table: Mapping[str, Any], source: _Source
) -> tuple[dict[str, Voice], list[Diagnostic]]:
    """The ``custom`` sub-table as voices, with a diagnostic per bad entry."""
    raw = table.get("custom")
    voices: dict[str, Voice] = {}
    problems: list[Diagnostic] = []
    if raw is None:
        return voices, problems
    if not isinstance(raw, Mapping):
        problems.append(
            _diag(
                source,
                "voices-bad-value",
                "error",
                "custom",
                "must be a table of voices",
                "write [voices.custom.NAME] tables",
            )
        )
        return voices, problems
    for name, spec in raw.items():
        key = f"custom.{name}"
        if not isinstance(spec, Mapping):
            problems.append(
                _diag(
                    source,
                    "voices-bad-value",
                    "error",
                    key,
                    "must be a table (engine, model, pitch, tempo, lang, tld)",
                    parts=("custom", str(name)),
                )
            )
            continue
        voice, found = _custom_voice(str(name), spec, source, key)
        problems.extend(found)
        if voice is not None:
            voices[str(name)] = voice
    return voices, problems


def _custom_voice(
    name: str, spec: Mapping[str, Any], source: _Source, key: str
) -> tuple[Voice | None, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    here = ("custom", name)

    def at(field: str) -> tuple[str, ...]:
        return (*here, field)

    for unknown in sorted(set(spec) - set(CUSTOM_KEYS)):
        close = difflib.get_close_matches(unknown, CUSTOM_KEYS, n=1, cutoff=0.6)
        problems.append(
            _diag(
                source,
                "voices-unknown-key",
                "warning",
                f"{key}.{unknown}",
                "unknown setting",
                f"did you mean {close[0]!r}?" if close else f"known: {', '.join(CUSTOM_KEYS)}",
                parts=at(unknown),
            )
        )
    base_name = spec.get("base")
    base: Voice | None = None
    if base_name is not None:
        base = PALETTE.get(str(base_name))
        if base is None:
            problems.append(
                _diag(
                    source,
                    "voices-unknown-voice",
                    "error",
                    f"{key}.base",
                    f"no built-in voice {_BRIEF.repr(base_name)}",
                    _known_hint(near=str(base_name)),
                    parts=at("base"),
                )
            )
            return None, problems
    engine = spec.get("engine", base.engine if base else "piper")
    if engine not in DEFAULT_ORDER:
        problems.append(
            _diag(
                source,
                "voices-unknown-engine",
                "error",
                f"{key}.engine",
                f"unknown engine {_BRIEF.repr(engine)}",
                f"use one of: {', '.join(DEFAULT_ORDER)}",
                parts=at("engine"),
            )
        )
        return None, problems
    voice = (
        replace(base, id=name)
        if base is not None and base.engine == engine
        else Voice(name, engine)
    )
    changes: dict[str, Any] = {}
    for factor in ("pitch", "tempo"):
        if factor not in spec:
            continue
        value = spec[factor]
        low, high = _FACTOR_RANGE
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not low <= value <= high
        ):
            problems.append(
                _diag(
                    source,
                    "voices-bad-value",
                    "error",
                    f"{key}.{factor}",
                    f"must be a number from {low} to {high}, not {_BRIEF.repr(value)}",
                    "1.0 is the voice's own; measured good factors: 1.0 to 1.25",
                    parts=at(factor),
                )
            )
        else:
            changes[factor] = float(value)
    for text_key in ("model", "lang", "tld"):
        if text_key not in spec:
            continue
        value = spec[text_key]
        if not isinstance(value, str) or not value.strip():
            problems.append(
                _diag(
                    source,
                    "voices-bad-value",
                    "error",
                    f"{key}.{text_key}",
                    f"must be a non-empty string, not {_BRIEF.repr(value)}",
                    parts=at(text_key),
                )
            )
        else:
            changes[text_key] = value.strip()
    if "model" in changes:
        model = Path(changes["model"]).expanduser()
        changes["model"] = str(model)
        if engine != "piper":
            problems.append(
                _diag(
                    source,
                    "voices-bad-value",
                    "error",
                    f"{key}.model",
                    "only piper voices take a model file",
                    parts=at("model"),
                )
            )
        elif not model.is_file() or not Path(f"{model}.json").is_file():
            problems.append(
                _diag(
                    source,
                    "voices-missing-model",
                    "error",
                    f"{key}.model",
                    f"Piper voice file {model} (with {model.name}.json) not found",
                    "give the path of an .onnx voice with its .onnx.json beside it",
                    parts=at("model"),
                )
            )
    if "options" in spec:
        options = spec["options"]
        if not isinstance(options, Mapping):
            problems.append(
                _diag(
                    source,
                    "voices-bad-value",
                    "error",
                    f"{key}.options",
                    "must be a table of engine options",
                    parts=at("options"),
                )
            )
        else:
            changes["options"] = tuple(sorted((str(k), str(v)) for k, v in options.items()))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return replace(voice, **changes), problems


def _known_hint(extra: Iterable[str] = (), near: str = "") -> str:
    names = sorted(set(PALETTE) | set(extra))
    known = f"known voices: {', '.join(names)} (see `amacast voices`)"
    close = difflib.get_close_matches(near, names, n=1, cutoff=0.6) if near else []
    return f"did you mean {close[0]!r}? (`amacast voices` lists them all)" if close else known


def _lookup(
    value: Any,
    key: str,
    source: _Source,
    custom: Mapping[str, Voice],
    problems: list[Diagnostic],
    parts: tuple[str, ...] | None = None,
) -> Voice | None:
    """The voice a mapping value names, or None with a diagnostic."""
    if not isinstance(value, str):
        problems.append(
            _diag(
                source,
                "voices-bad-value",
                "error",
                key,
                f"must be a voice name (a string), not {_BRIEF.repr(value)}",
                _known_hint(custom),
                parts,
            )
        )
        return None
    voice = custom.get(value) or PALETTE.get(value)
    if voice is None:
        problems.append(
            _diag(
                source,
                "voices-unknown-voice",
                "error",
                key,
                f"unknown voice {_BRIEF.repr(value)}",
                _known_hint(custom, near=value),
                parts,
            )
        )
    return voice


def _norm_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _speaker_keys(
    mapping: Mapping[str, Any],
    speakers: tuple[Speaker, ...],
    source: _Source,
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
        voice = _lookup(value, key, source, custom, problems)
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
                _diag(
                    source,
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


def _role_defaults(
    table: Mapping[str, Any],
    source: _Source,
    custom: Mapping[str, Voice],
    problems: list[Diagnostic],
) -> tuple[dict[str, Voice], list[Voice]]:
    roles: dict[str, Voice] = {}
    for role in ROLE_KEYS:
        if role in table:
            voice = _lookup(table[role], role, source, custom, problems)
            if voice is not None:
                roles[role] = voice
    rotation: list[Voice] = []
    if "participants" in table:
        raw = table["participants"]
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items:
            problems.append(
                _diag(
                    source,
                    "voices-bad-value",
                    "error",
                    "participants",
                    "must be a voice name or a non-empty list of voice names",
                    'e.g. participants = ["joe-high", "joe-higher"]',
                )
            )
        else:
            for index, item in enumerate(items):
                voice = _lookup(
                    item, f"participants[{index}]", source, custom, problems, ("participants",)
                )
                if voice is not None:
                    rotation.append(voice)
    return roles, rotation


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
    toml = _Source(config_path, config_line, "voices", key_line)
    front = _Source(episode.path, episode.meta_lines.get("voices", 1), "voices")
    if engine not in DEFAULT_ORDER:
        problems.append(
            _diag(
                toml,
                "voices-unknown-engine",
                "error",
                "",
                f"unknown engine {_BRIEF.repr(engine)}",
                f"use one of: {', '.join(DEFAULT_ORDER)}",
            )
        )
        engine = "piper"
    if not isinstance(table, Mapping):
        problems.append(_diag(toml, "voices-bad-value", "error", "", "must be a table"))
        table = {}
    override = episode.meta.get("voices")
    if override is None:
        override = {}
    elif not isinstance(override, Mapping):
        problems.append(
            _diag(
                front,
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
            _diag(
                front,
                "voices-unknown-key",
                "warning",
                "custom",
                "custom voices belong in amacast.toml, not in front matter",
            )
        )
    custom, found = _custom_voices(table, toml)
    problems.extend(found)

    speakers = episode.speakers
    from_front = _speaker_keys(override, speakers, front, custom, problems, warn_unmatched=True)
    from_table = _speaker_keys(table, speakers, toml, custom, problems, warn_unmatched=False)
    roles, rotation = _role_defaults(table, toml, custom, problems)
    front_roles, front_rotation = _role_defaults(override, front, custom, problems)
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


def check_voices_table(
    table: Mapping[str, Any],
    engine: str = "piper",
    *,
    path: str = "amacast.toml",
    key_line: KeyLine | None = None,
) -> list[Diagnostic]:
    """Problems of the ``[voices]`` table itself, each at its key's line (no episode needed).

    Every value must name a built-in or custom voice, ``participants`` a
    non-empty list of them, and every ``[voices.custom.NAME]`` table must
    make a voice.  ``engine`` is the configured one (``[audio] engine``).
    """
    source = _Source(path, 0, "voices", key_line)
    problems: list[Diagnostic] = []
    custom, found = _custom_voices(table, source)
    problems.extend(found)
    for raw_key, value in table.items():
        key = str(raw_key)
        if key not in RESERVED_KEYS:
            _lookup(value, key, source, custom, problems)
    _role_defaults(table, source, custom, problems)
    _narrator(
        table, {}, engine if engine in NARRATOR else "piper", source, source, custom, problems
    )
    return problems


def _narrator(
    table: Mapping[str, Any],
    override: Mapping[str, Any],
    engine: str,
    toml: _Source,
    front: _Source,
    custom: Mapping[str, Voice],
    problems: list[Diagnostic],
) -> Voice:
    for mapping, source in ((override, front), (table, toml)):
        if "narrator" in mapping:
            voice = _lookup(mapping["narrator"], "narrator", source, custom, problems)
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
