"""The small validators of ``amacast.toml``: one :class:`Option` class per kind of value.

Each option checks the TOML type, then the value, and raises
:class:`OptionError` (a code, a message and a hint) for anything it refuses;
:mod:`amacast.config.schema` gives each key of each table its option.  The
options of the show's own vocabularies (Apple's categories, artwork, people,
funding) are in :mod:`amacast.config.show_options`, those of ``[audio]`` and
``[voices]`` (MP3 rates, spoken templates, voice names) in
:mod:`amacast.config.audio_options`.

Messages never quote a value at length: :func:`brief` bounds every excerpt.
"""

from __future__ import annotations

import difflib
import re
import reprlib
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")


_BRIEF = reprlib.Repr()
_BRIEF.maxstring = 60
_BRIEF.maxother = 60
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxdict = _BRIEF.maxset = 4
_BRIEF.maxlevel = 2


def brief(value: object) -> str:
    """``repr(value)`` cut to a few dozen characters, however large or nested the value."""
    return _BRIEF.repr(value)


def closest(text: str, choices: Collection[str]) -> str | None:
    """The choice nearest to ``text`` when one is near enough, else None."""
    close = difflib.get_close_matches(text, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(text: str, choices: Collection[str], otherwise: str = "") -> str:
    """A hint naming the nearest choice (``did you mean 'title'?``), else ``otherwise``."""
    near = closest(text, choices)
    return f"did you mean {near!r}?" if near else otherwise


class OptionError(Exception):
    """A value a validator refuses; becomes one Diagnostic."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Context:
    """What a validator may need besides the value: the project root."""

    root: Path


class Option(Generic[T]):
    """One setting: its expected TOML type and its check."""

    type_name = "a string"

    def check_type(self, value: object) -> T:
        """Return the value if its TOML type fits, else raise ``config-wrong-type``."""
        raise NotImplementedError

    def validate(self, value: object, context: Context) -> T:
        """The checked value, or raise OptionError."""
        return self.check_type(value)

    def from_string(self, text: str) -> object:
        """Turn a string from the environment or the command line into a TOML-like value."""
        return text

    def describe(self) -> str:
        """The accepted values, for the settings table in the docs."""
        return self.type_name.removeprefix("a ").removeprefix("an ")

    def _wrong_type(self, value: object) -> OptionError:
        return OptionError(
            "config-wrong-type",
            f"expected {self.type_name}, got {_toml_type_name(value)}",
            "",
        )


def _toml_type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"


class Text(Option[str]):
    """A string, surrounding whitespace removed; may be empty unless ``non_empty``."""

    def __init__(self, non_empty: bool = False) -> None:
        self.non_empty = non_empty

    def check_type(self, value: object) -> str:
        if not isinstance(value, str):
            raise self._wrong_type(value)
        return value.strip()

    def validate(self, value: object, context: Context) -> str:
        text = self.check_type(value)
        if self.non_empty and not text:
            raise OptionError("config-invalid-value", "must not be empty")
        return text


class Flag(Option[bool]):
    """A TOML boolean (``true``/``false``)."""

    type_name = "a boolean (true or false)"

    def check_type(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise self._wrong_type(value)
        return value

    def from_string(self, text: str) -> object:
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        return text


class Count(Option[int]):
    """A whole number, 0 or more."""

    type_name = "a whole number"

    def check_type(self, value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._wrong_type(value)
        return value

    def validate(self, value: object, context: Context) -> int:
        number = self.check_type(value)
        if number < 0:
            raise OptionError("config-invalid-value", f"must be 0 or more, got {number}")
        return number

    def from_string(self, text: str) -> object:
        try:
            return int(text.strip())
        except ValueError:
            return text


class Url(Text):
    """An absolute http(s) URL of a folder; normalised to end with ``/``."""

    def validate(self, value: object, context: Context) -> str:
        text = self.check_type(value)
        if not text:
            return ""
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OptionError(
                "config-invalid-value",
                f"{brief(text)} is not an absolute http(s) URL",
                "write the full address, e.g. https://user.github.io/project/",
            )
        if parts.query or parts.fragment:
            raise OptionError(
                "config-invalid-value",
                f"{brief(text)} has a query or fragment",
                "give the folder where output/ is served, without ? or #",
            )
        return text if text.endswith("/") else text + "/"


class Choice(Text):
    """One of a fixed set of strings."""

    def __init__(self, choices: Collection[str]) -> None:
        super().__init__()
        self.choices = tuple(choices)

    def validate(self, value: object, context: Context) -> str:
        text = self.check_type(value)
        if text not in self.choices:
            raise OptionError(
                "config-invalid-value",
                f"{brief(text)} is not one of {', '.join(self.choices)}",
                did_you_mean(text, self.choices),
            )
        return text

    def describe(self) -> str:
        return " or ".join(f"`{choice}`" for choice in self.choices)


class Pattern(Text):
    """A string matching a regular expression (empty allowed)."""

    def __init__(self, pattern: str, what: str, hint: str) -> None:
        super().__init__()
        self.pattern = re.compile(pattern)
        self.what = what
        self.hint = hint

    def validate(self, value: object, context: Context) -> str:
        text = self.check_type(value)
        if text and not self.pattern.fullmatch(text):
            raise OptionError(
                "config-invalid-value", f"{brief(text)} is not {self.what}", self.hint
            )
        return text


class TimeZone(Text):
    """An IANA timezone name known to zoneinfo."""

    def validate(self, value: object, context: Context) -> str:
        text = self.check_type(value)
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise OptionError(
                "config-invalid-value",
                f"{brief(text)} is not a known IANA timezone",
                "use a name such as UTC, Europe/Berlin or Asia/Kolkata",
            ) from None
        return text


class Guid(Text):
    """An explicit podcast GUID: a UUID, written in canonical lower-case form."""

    def validate(self, value: object, context: Context) -> str:
        text = self.check_type(value)
        if not text:
            return ""
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise OptionError(
                "config-invalid-value",
                f"{brief(text)} is not a UUID",
                "leave guid out to derive it from the feed URL, or copy the podcast:guid "
                "of the feed you are moving from",
            ) from None


def array_items(value: object, type_name: str) -> list[object]:
    """A TOML array, or one value taken as an array of one."""
    if isinstance(value, list):
        return value
    return [value]


class Urls(Option[tuple[str, ...]]):
    """Absolute http(s) URLs of folders (each normalised to end with ``/``); one string is one."""

    type_name = "an array of URLs"

    def check_type(self, value: object) -> tuple[str, ...]:
        items = array_items(value, self.type_name)
        if not all(isinstance(item, str) for item in items):
            raise self._wrong_type(value)
        return tuple(str(item).strip() for item in items if str(item).strip())

    def validate(self, value: object, context: Context) -> tuple[str, ...]:
        return tuple(Url().validate(url, context) for url in self.check_type(value))


class Table(Option[Mapping[str, Any]]):
    """A TOML table (read-only); its keys are checked by their own schema."""

    type_name = "a table"

    def check_type(self, value: object) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self._wrong_type(value)
        return MappingProxyType(value)


class Number(Option[float]):
    """A number (integer or float) from ``low`` to ``high``."""

    def __init__(self, low: float, high: float, hint: str = "") -> None:
        self.low = low
        self.high = high
        self.hint = hint
        self.type_name = f"a number from {low:g} to {high:g}"

    def check_type(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise OptionError(
                "config-wrong-type", f"must be {self.type_name}, not {brief(value)}", self.hint
            )
        return float(value)

    def validate(self, value: object, context: Context) -> float:
        number = self.check_type(value)
        if not self.low <= number <= self.high:
            raise OptionError(
                "config-invalid-value", f"must be {self.type_name}, not {brief(value)}", self.hint
            )
        return number

    def from_string(self, text: str) -> object:
        try:
            return float(text.strip())
        except ValueError:
            return text
