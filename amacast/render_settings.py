"""The ``[audio]`` table of ``amacast.toml``, checked key by key.

Every bad value becomes a diagnostic naming the key (``audio.bitrate``) and
keeps its default, so the settings are always usable for reporting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from amacast.cache import DEFAULT_CACHE_DIR
from amacast.model import Diagnostic
from amacast.mp3 import MP3_BITRATES, MP3_RATES

#: Fields an intro or outro template may use.
TEMPLATE_FIELDS = ("podcast", "title", "author", "date")


@dataclass(frozen=True)
class RenderSettings:
    """The ``[audio]`` table of ``amacast.toml``, checked.

    ``intro``/``outro``: True for the default words, False for none, or a
    template using ``{podcast}``, ``{title}``, ``{author}``, ``{date}``.
    Pauses are seconds; ``bitrate`` is kbit/s (constant); ``loudness`` is the
    integrated target in LUFS and ``true_peak`` the ceiling in dBTP.
    """

    intro: bool | str = True
    outro: bool | str = True
    pause_turn: float = 0.9
    pause_paragraph: float = 0.45
    sample_rate: int = 22050
    bitrate: int = 64
    loudness: float = -16.0
    true_peak: float = -1.0
    cache_dir: str = DEFAULT_CACHE_DIR
    engine: str = "piper"
    enabled: bool = True

    @classmethod
    def from_table(
        cls,
        table: Mapping[str, Any] | None,
        *,
        path: str = "amacast.toml",
        lines: Mapping[str, int] | None = None,
    ) -> tuple[RenderSettings, tuple[Diagnostic, ...]]:
        """Settings from the raw ``[audio]`` table, with a diagnostic per bad key.

        Bad values keep their defaults (so the result is always usable);
        ``lines`` maps keys of the table to their line in ``path``.
        """
        return _settings_from_table(table or {}, path, lines or {})


_AUDIO_KEYS = (
    "intro",
    "outro",
    "pause_turn",
    "pause_paragraph",
    "sample_rate",
    "bitrate",
    "loudness",
    "true_peak",
    "cache_dir",
    "engine",
    "enabled",
)


def _settings_from_table(
    table: Mapping[str, Any], path: str, lines: Mapping[str, int]
) -> tuple[RenderSettings, tuple[Diagnostic, ...]]:
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}

    def bad(key: str, message: str, hint: str = "") -> None:
        line = lines.get(key, lines.get("audio", 1))
        problems.append(
            Diagnostic(path, line, 1, "audio-bad-value", "error", f"audio.{key}: {message}", hint)
        )

    def number(key: str, low: float, high: float, hint: str) -> None:
        if key not in table:
            return
        value = table[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (low <= value <= high)
        ):
            bad(key, f"must be a number from {low:g} to {high:g}, not {value!r}", hint)
        else:
            values[key] = float(value)

    for key in sorted(set(table) - set(_AUDIO_KEYS)):
        problems.append(
            Diagnostic(
                path,
                lines.get(key, lines.get("audio", 1)),
                1,
                "audio-unknown-key",
                "warning",
                f"audio.{key}: unknown setting",
                f"known: {', '.join(_AUDIO_KEYS)}",
            )
        )
    for key in ("intro", "outro"):
        if key not in table:
            continue
        value = table[key]
        if isinstance(value, bool):
            values[key] = value
        elif isinstance(value, str) and value.strip():
            try:
                value.format(**{name: "x" for name in TEMPLATE_FIELDS})
            except (KeyError, IndexError, ValueError) as error:
                bad(
                    key,
                    f"the template {value!r} does not work: {error}",
                    f"use the fields {{{'}, {'.join(TEMPLATE_FIELDS)}}}",
                )
            else:
                values[key] = value.strip()
        else:
            bad(key, f"must be true, false or the words to say, not {value!r}")
    number("pause_turn", 0.0, 10.0, "seconds of silence between turns, e.g. 0.9")
    number("pause_paragraph", 0.0, 10.0, "seconds of silence between paragraphs, e.g. 0.45")
    number("loudness", -40.0, -5.0, "integrated loudness in LUFS; podcasts use -16")
    number("true_peak", -10.0, 0.0, "the true-peak ceiling in dBTP; -1 is usual")
    if "sample_rate" in table:
        value = table["sample_rate"]
        if isinstance(value, bool) or value not in MP3_RATES:
            bad(
                "sample_rate",
                f"must be one of {', '.join(map(str, MP3_RATES))}, not {value!r}",
                "22050 is Piper's own rate",
            )
        else:
            values["sample_rate"] = int(value)
    if "bitrate" in table:
        kbps = _kbps(table["bitrate"])
        if kbps is None:
            bad(
                "bitrate",
                f"must be an MP3 bitrate in kbit/s, not {table['bitrate']!r}",
                f'one of {", ".join(map(str, MP3_BITRATES))} (e.g. 64 or "64k")',
            )
        else:
            values["bitrate"] = kbps
    rate = values.get("sample_rate", RenderSettings.sample_rate)
    if values.get("bitrate", RenderSettings.bitrate) > 160 and rate < 32000:
        bad("bitrate", f"at most 160 kbit/s at {rate} Hz", "raise sample_rate or lower bitrate")
        values.pop("bitrate", None)
    if "cache_dir" in table:
        value = table["cache_dir"]
        if not isinstance(value, str) or not value.strip():
            bad("cache_dir", f"must be a folder path, not {value!r}")
        else:
            values["cache_dir"] = value.strip()
    if "engine" in table:
        from amacast.engines.registry import engine_names

        value = table["engine"]
        if value not in engine_names():
            bad("engine", f"unknown engine {value!r}", f"use one of: {', '.join(engine_names())}")
        else:
            values["engine"] = value
    if "enabled" in table:
        if not isinstance(table["enabled"], bool):
            bad("enabled", f"must be true or false, not {table['enabled']!r}")
        else:
            values["enabled"] = table["enabled"]
    return RenderSettings(**values), tuple(problems)


def _kbps(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip().lower().removesuffix("k").removesuffix("kbps").strip()
        if not text.isdigit():
            return None
        value = int(text)
    if isinstance(value, int) and value in MP3_BITRATES:
        return value
    return None


def audio_table_lines(toml_text: str) -> dict[str, int]:
    """The line of each key of the ``[audio]`` table (and of ``audio`` itself) in TOML text."""
    lines: dict[str, int] = {}
    inside = False
    for number, raw in enumerate(toml_text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("["):
            inside = line.split("#", 1)[0].strip() == "[audio]"
            if inside:
                lines["audio"] = number
            continue
        if inside and "=" in line and not line.startswith("#"):
            key = line.split("=", 1)[0].strip().strip("\"'")
            lines.setdefault(key, number)
    return lines
