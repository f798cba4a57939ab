"""The ``[voices]`` table: the voice names settings may use, and the checks of a voice mapping.

A voice mapping (``[voices]`` in ``amacast.toml``, or ``voices:`` in an
episode's front matter) maps speakers and roles to voice names; names are the
built-in :data:`PALETTE` or ``[voices.custom.NAME]`` tables, which are checked
key by key with the validators of :data:`amacast.config.schema.CUSTOM_VOICE`.
Every problem is a Diagnostic at its key's line.  Which speaker ends up with
which voice is :mod:`amacast.audio.voices`' job; this module only says what is valid.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from amacast.config.schema import (
    CUSTOM_VOICE,
    VOICES,
    Context,
    brief,
    check_table,
)
from amacast.model import Diagnostic, Severity, Voice

# Pitch factors chosen by measurement (bench/voices.py, 8 sentences, pocketsphinx
# reading back): F0 86 / 96 / 108 Hz, word error rate 0.18 / 0.16 / 0.18.  Lower
# factors ruin it (0.94: 0.28, 0.9: 0.54, 0.8: 0.93) and so do higher ones
# (1.33: 0.28, 1.4: 0.36), so Joe gives three voices, about 11% apart.
# hibari's heart (female) keeps its words lower down (0.8: WER 0.09, 0.85: 0.10,
# 1.0: 0.09) but not higher (1.12: 0.27): heart-low is heart at 0.85 (159 Hz
# against 189 Hz).
PALETTE: Mapping[str, Voice] = {
    voice.id: voice
    for voice in (
        Voice("joe", "piper"),
        Voice("joe-high", "piper", pitch=1.12),
        Voice("joe-higher", "piper", pitch=1.25),
        Voice("heart", "hibari"),
        Voice("heart-low", "hibari", pitch=0.85),
        Voice("gtts-us", "gtts", tld="com"),
        Voice("gtts-uk", "gtts", tld="co.uk"),
        Voice("gtts-au", "gtts", tld="com.au"),
        Voice("gtts-in", "gtts", tld="co.in"),
        Voice("gtts-ca", "gtts", tld="ca"),
        Voice("gtts-ie", "gtts", tld="ie"),
        Voice("gtts-za", "gtts", tld="co.za"),
    )
}

# The voices of each engine, in the order `amacast voices` lists them.
DEFAULT_ORDER: Mapping[str, tuple[str, ...]] = {
    "piper": ("joe", "joe-higher", "joe-high"),
    "hibari": ("heart", "heart-low"),
    "gtts": ("gtts-us", "gtts-uk", "gtts-au", "gtts-in", "gtts-ie", "gtts-za", "gtts-ca"),
}
NARRATOR: Mapping[str, str] = {"piper": "joe", "hibari": "heart", "gtts": "gtts-us"}

ROLE_KEYS = ("guest", "host")
#: Keys of a voice mapping with a meaning of their own; any other key names a speaker.
RESERVED_KEYS = tuple(key for key in VOICES if key != "<speaker>")
CUSTOM_KEYS = tuple(CUSTOM_VOICE)

#: The line of a key inside a voice mapping, by its path (``("custom", "alan", "pitch")``).
KeyLine = Callable[[tuple[str, ...]], int]

_CODES = {"engine": "voices-unknown-engine", "base": "voices-unknown-voice"}


@dataclass(frozen=True)
class Source:
    """Where a voice mapping comes from, for diagnostics: a file, and the line of each key.

    ``line`` is used for keys ``key_line`` does not place (0: no line).
    """

    path: str
    line: int
    prefix: str = "voices"
    key_line: KeyLine | None = None

    def line_of(self, parts: tuple[str, ...]) -> int:
        """The line of the key at ``parts``."""
        if self.key_line is None:
            return self.line
        return self.key_line(parts) or self.line

    def problem(
        self,
        code: str,
        severity: Severity,
        key: str,
        message: str,
        hint: str = "",
        parts: tuple[str, ...] | None = None,
    ) -> Diagnostic:
        """A problem at ``key`` (``parts``: its path in the mapping, when not ``key`` itself)."""
        where = f"{self.prefix}.{key}" if key else self.prefix
        line = self.line_of(parts if parts is not None else ((key,) if key else ()))
        return Diagnostic(self.path, line, 1, code, severity, f"{where}: {message}", hint)


def bundled_hibari_voices() -> tuple[str, ...]:
    """The hibari voices inside the installed hibari-tts wheel (``("heart",)``), from its registry.

    Read from hibari-tts's own ``hibari.voices.VOICES``, not through
    :mod:`amacast.audio.engines.hibari`: settings know no engine module (the
    engine's :func:`~amacast.audio.engines.hibari.bundled_voices` reads the same
    registry, and a test keeps the two equal).
    """
    try:
        # Here, not at the top: hibari loads numpy and scipy (0.33 s measured with
        # `python -X importtime`), needed only when a custom hibari voice names a model.
        from hibari.voices import VOICES
    except ImportError:
        return ()
    return tuple(str(name) for name, entry in VOICES.items() if entry.get("bundled"))


def known_hint(extra: Iterable[str] = (), near: str = "") -> str:
    """A hint naming the nearest known voice to ``near``, else listing them all."""
    names = sorted(set(PALETTE) | set(extra))
    close = difflib.get_close_matches(near, names, n=1, cutoff=0.6) if near else []
    if close:
        return f"did you mean {close[0]!r}? (`amacast voices` lists them all)"
    return f"known voices: {', '.join(names)} (see `amacast voices`)"


def custom_voices(
    table: Mapping[str, Any], source: Source, root: Path = Path(".")
) -> tuple[dict[str, Voice], list[Diagnostic]]:
    """The ``custom`` sub-table of a voice mapping as voices, with a diagnostic per bad entry."""
    raw = table.get("custom")
    voices: dict[str, Voice] = {}
    problems: list[Diagnostic] = []
    if raw is None:
        return voices, problems
    if not isinstance(raw, Mapping):
        problems.append(
            source.problem(
                "voices-bad-value",
                "error",
                "custom",
                "must be a table of voices",
                "write [voices.custom.NAME] tables",
            )
        )
        return voices, problems
    for name, spec in raw.items():
        if not isinstance(spec, Mapping):
            problems.append(
                source.problem(
                    "voices-bad-value",
                    "error",
                    f"custom.{name}",
                    f"must be a table ({', '.join(CUSTOM_KEYS)})",
                    parts=("custom", str(name)),
                )
            )
            continue
        voice, found = _custom_voice(str(name), spec, source, root)
        problems.extend(found)
        if voice is not None:
            voices[str(name)] = voice
    return voices, problems


def _custom_voice(
    name: str, spec: Mapping[str, Any], source: Source, root: Path
) -> tuple[Voice | None, list[Diagnostic]]:
    """One ``[voices.custom.NAME]`` table, checked by the schema's validators."""
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    context = Context(root=root)

    def report(field: str, code: str, severity: Severity, message: str, hint: str = "") -> None:
        problems.append(
            source.problem(
                code, severity, f"custom.{name}.{field}", message, hint, ("custom", name, field)
            )
        )

    values.update(
        check_table(
            spec,
            CUSTOM_VOICE,
            context,
            report,
            unknown="voices-unknown-key",
            bad=lambda field: _CODES.get(field, "voices-bad-value"),
        )
    )
    base: Voice | None = None
    if "base" in values:
        base = PALETTE.get(values["base"])
        if base is None:
            report(
                "base",
                "voices-unknown-voice",
                "error",
                f"no built-in voice {brief(values['base'])}",
                known_hint(near=values["base"]),
            )
    engine = values.pop("engine", base.engine if base else "piper")
    values.pop("base", None)
    if "model" in values and engine == "hibari":
        bundled = bundled_hibari_voices()
        if values["model"] not in bundled:
            report(
                "model",
                "voices-missing-model",
                "error",
                f"hibari voice {brief(values['model'])} is not bundled with hibari-tts "
                "(amacast never downloads voices)",
                f"bundled hibari voices: {', '.join(bundled) or 'none'}",
            )
    elif "model" in values:
        model = Path(values["model"]).expanduser()
        values["model"] = str(model)
        if engine != "piper":
            report(
                "model",
                "voices-bad-value",
                "error",
                "only piper (a voice file) and hibari (a bundled voice) take a model",
            )
        elif not model.is_file() or not Path(f"{model}.json").is_file():
            report(
                "model",
                "voices-missing-model",
                "error",
                f"Piper voice file {brief(str(model))} (with its .json) not found",
                "give the path of an .onnx voice with its .onnx.json beside it",
            )
    if "options" in values:
        values["options"] = tuple(sorted((str(k), str(v)) for k, v in values["options"].items()))
    if any(p.severity == "error" for p in problems):
        return None, problems
    voice = (
        replace(base, id=name)
        if base is not None and base.engine == engine
        else Voice(name, engine)
    )
    return replace(voice, **values), problems


def lookup(
    value: Any,
    key: str,
    source: Source,
    custom: Mapping[str, Voice],
    problems: list[Diagnostic],
    parts: tuple[str, ...] | None = None,
) -> Voice | None:
    """The voice a mapping value names, or None with a diagnostic."""
    if not isinstance(value, str):
        problems.append(
            source.problem(
                "voices-bad-value",
                "error",
                key,
                f"must be a voice name (a string), not {brief(value)}",
                known_hint(custom),
                parts,
            )
        )
        return None
    voice = custom.get(value) or PALETTE.get(value)
    if voice is None:
        problems.append(
            source.problem(
                "voices-unknown-voice",
                "error",
                key,
                f"unknown voice {brief(value)}",
                known_hint(custom, near=value),
                parts,
            )
        )
    return voice


def role_defaults(
    table: Mapping[str, Any],
    source: Source,
    custom: Mapping[str, Voice],
    problems: list[Diagnostic],
) -> tuple[dict[str, Voice], list[Voice]]:
    """The ``guest``/``host`` voices and the ``participants`` rotation of a mapping."""
    roles: dict[str, Voice] = {}
    for role in ROLE_KEYS:
        if role in table:
            voice = lookup(table[role], role, source, custom, problems)
            if voice is not None:
                roles[role] = voice
    rotation: list[Voice] = []
    if "participants" in table:
        raw = table["participants"]
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items:
            problems.append(
                source.problem(
                    "voices-bad-value",
                    "error",
                    "participants",
                    "must be a voice name or a non-empty list of voice names",
                    'e.g. participants = ["joe-high", "joe-higher"]',
                )
            )
        else:
            for index, item in enumerate(items):
                voice = lookup(
                    item, f"participants[{index}]", source, custom, problems, ("participants",)
                )
                if voice is not None:
                    rotation.append(voice)
    return roles, rotation


def check_voices_table(
    table: Mapping[str, Any],
    *,
    path: str = "amacast.toml",
    key_line: KeyLine | None = None,
    root: Path = Path("."),
) -> list[Diagnostic]:
    """Problems of the ``[voices]`` table itself, each at its key's line (no episode needed).

    Every value must name a built-in or custom voice, ``participants`` a
    non-empty list of them, and every ``[voices.custom.NAME]`` table must
    make a voice.
    """
    source = Source(path, 0, "voices", key_line)
    problems: list[Diagnostic] = []
    custom, found = custom_voices(table, source, root)
    problems.extend(found)
    for raw_key, value in table.items():
        key = str(raw_key)
        if key not in RESERVED_KEYS or key == "narrator":
            lookup(value, key, source, custom, problems)
    role_defaults(table, source, custom, problems)
    return problems
