"""Validators of the ``[audio]`` and ``[voices]`` tables: MP3 rates, spoken templates, voices.

The generic validators are in :mod:`amacast.config.options`.
"""

from __future__ import annotations

from typing import Any

from amacast.config.options import Option, OptionError, Text, brief

#: Constant bitrates an MP3 may have (kbit/s; under 32 kHz only up to 160) and its sample rates.
MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


MP3_RATES = (16000, 22050, 24000, 32000, 44100, 48000)


#: Where speech segments are cached, relative to the project (``[audio] cache_dir``).
DEFAULT_CACHE_DIR = ".amacast-cache/segments"


#: Fields an intro or outro template may use.
TEMPLATE_FIELDS = ("podcast", "title", "author", "date")


#: Speech engines ``[audio] engine`` and ``[voices.custom.*] engine`` accept.
ENGINES = ("piper", "hibari", "gtts")


class SampleRate(Option[int]):
    """One of the sample rates an MP3 may have."""

    type_name = f"one of {', '.join(map(str, MP3_RATES))}"

    def check_type(self, value: object) -> int:
        if isinstance(value, bool) or value not in MP3_RATES:
            raise OptionError(
                "config-invalid-value",
                f"must be {self.type_name}, not {brief(value)}",
                "22050 is Piper's own rate",
            )
        return int(value)


class Bitrate(Option[int]):
    """An MP3 bitrate in kbit/s, as a number or ``"64k"``."""

    type_name = "an MP3 bitrate in kbit/s"

    def check_type(self, value: object) -> int:
        kbps = _kbps(value)
        if kbps is None:
            raise OptionError(
                "config-invalid-value",
                f"must be an MP3 bitrate in kbit/s, not {brief(value)}",
                f'one of {", ".join(map(str, MP3_BITRATES))} (e.g. 64 or "64k")',
            )
        return kbps

    def describe(self) -> str:
        return 'MP3 bitrate in kbit/s (`64` or `"64k"`)'


def _kbps(value: object) -> int | None:
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


class Spoken(Option["bool | str"]):
    """``true`` for the default words, ``false`` for none, or a template of the words."""

    type_name = "true, false or the words to say"

    def check_type(self, value: object) -> bool | str:
        if isinstance(value, bool):
            return value
        if not isinstance(value, str) or not value.strip():
            raise OptionError(
                "config-wrong-type", f"must be true, false or the words to say, not {brief(value)}"
            )
        try:
            value.format(**{name: "x" for name in TEMPLATE_FIELDS})
        except (KeyError, IndexError, ValueError) as error:
            raise OptionError(
                "config-invalid-value",
                f"the template {brief(value)} does not work: {brief(error)}",
                f"use the fields {{{'}, {'.join(TEMPLATE_FIELDS)}}}",
            ) from None
        return value.strip()

    def describe(self) -> str:
        return "boolean or text (`{podcast}`, `{title}`, `{author}`, `{date}`)"


class VoiceName(Text):
    """The name of a voice: built in (``amacast voices``) or from ``[voices.custom]``.

    Checked against the known names by :func:`amacast.audio.voices.check_voices_table`.
    """

    type_name = "a voice name"


class VoiceNames(Option[Any]):
    """A voice name or a non-empty list of them (checked like :class:`VoiceName`)."""

    type_name = "a voice name or a list of them"
