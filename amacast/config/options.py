"""The small validators of ``amacast.toml``: one :class:`Option` class per kind of value.

Each option checks the TOML type, then the value, and raises
:class:`OptionError` (a code, a message and a hint) for anything it refuses;
:mod:`amacast.config.schema` gives each key of each table its option.  Apple's
category list and the MP3 rates live here as data.

Messages never quote a value at length: :func:`brief` bounds every excerpt.
"""

from __future__ import annotations

import difflib
import re
import reprlib
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: An image given as a hosted URL rather than a file in the project.
REMOTE_URL = re.compile(r"^https?://", re.IGNORECASE)

IMAGE_MIN_PX = 1400
IMAGE_MAX_PX = 3000

#: Apple Podcasts categories and their subcategories.
# fmt: off
APPLE_CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Arts": (
            "Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts",
        ),
        "Business": (
            "Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit",
        ),
        "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
        "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
        "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
        "Government": (),
        "History": (),
        "Health & Fitness": (
            "Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition",
            "Sexuality",
        ),
        "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
        "Leisure": (
            "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
            "Home & Garden", "Video Games",
        ),
        "Music": ("Music Commentary", "Music History", "Music Interviews"),
        "News": (
            "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
            "Sports News", "Tech News",
        ),
        "Religion & Spirituality": (
            "Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality",
        ),
        "Science": (
            "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
            "Natural Sciences", "Nature", "Physics", "Social Sciences",
        ),
        "Society & Culture": (
            "Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships",
        ),
        "Sports": (
            "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey",
            "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness",
            "Wrestling",
        ),
        "Technology": (),
        "True Crime": (),
        "TV & Film": (
            "After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews",
        ),
    }
)
# fmt: on


T = TypeVar("T")

#: Constant bitrates an MP3 may have (kbit/s; under 32 kHz only up to 160) and its sample rates.
MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MP3_RATES = (16000, 22050, 24000, 32000, 44100, 48000)

#: Where speech segments are cached, relative to the project (``[audio] cache_dir``).
DEFAULT_CACHE_DIR = ".amacast-cache/segments"

#: Fields an intro or outro template may use.
TEMPLATE_FIELDS = ("podcast", "title", "author", "date")

#: Speech engines ``[audio] engine`` and ``[voices.custom.*] engine`` accept.
ENGINES = ("piper", "hibari", "gtts")

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


class Category(Text):
    """An Apple Podcasts category."""

    def validate(self, value: object, context: Context) -> str:
        text = self.check_type(value)
        if text and text not in APPLE_CATEGORIES:
            raise OptionError(
                "config-unknown-category",
                f"{brief(text)} is not an Apple Podcasts category",
                _closest_hint(text, APPLE_CATEGORIES),
            )
        return text


class Subcategory(Text):
    """An Apple Podcasts subcategory; checked against ``category`` afterwards."""


class Image(Text):
    """A square PNG or JPEG cover, 1400–3000 px a side, relative to the project root.

    An http(s) URL is accepted as it is (the size of a hosted cover is not checked).
    """

    def validate(self, value: object, context: Context) -> str:
        text = self.check_type(value)
        if not text:
            return ""
        if REMOTE_URL.match(text):
            # A hosted cover cannot be checked offline; it is used as given.
            return text
        if PurePosixPath(text.replace("\\", "/")).suffix.lower() not in (".png", ".jpg"):
            raise OptionError(
                "config-image-format",
                f"cover image {brief(text)} must be a .png or .jpg file",
                "Apple Podcasts wants the cover URL to end in .png or .jpg; rename .jpeg to .jpg",
            )
        path = context.root / text
        if not path.is_file():
            raise OptionError(
                "config-image-not-found",
                f"cover image {brief(text)} does not exist",
                "give a path relative to the folder of amacast.toml",
            )
        try:
            with path.open("rb") as stream:
                head = stream.read(256 * 1024)
        except OSError as error:
            raise OptionError(
                "config-image-unreadable", f"cannot read {brief(text)}: {error}"
            ) from None
        size = image_size(head)
        if size is None:
            raise OptionError(
                "config-image-format",
                f"{brief(text)} is not a PNG or JPEG image",
                "Apple Podcasts accepts PNG or JPEG covers",
            )
        width, height = size
        if width != height or not IMAGE_MIN_PX <= width <= IMAGE_MAX_PX:
            raise OptionError(
                "config-image-size",
                f"cover is {width}x{height} px; it must be square, "
                f"{IMAGE_MIN_PX} to {IMAGE_MAX_PX} px a side",
                "resize it, e.g. to 3000x3000",
            )
        return Path(text).as_posix()


#: ``podcast:medium`` values (the ``L`` list forms are for feeds of feeds, not used here).
MEDIUMS: tuple[str, ...] = (
    "podcast", "music", "video", "film", "audiobook", "newsletter", "blog",
)  # fmt: skip


def _https_url(text: str, what: str) -> str:
    """``text`` if it is an absolute http(s) URL, else OptionError naming ``what``."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OptionError(
            "config-invalid-value",
            f"{what} {text!r} is not an absolute http(s) URL",
            "write the full address, e.g. https://example.org/",
        )
    return text


@dataclass(frozen=True)
class PersonSetting:
    """A regular host of the show (``hosts`` in amacast.toml)."""

    name: str
    href: str = ""
    img: str = ""
    role: str = "host"


@dataclass(frozen=True)
class FundingSetting:
    """A link where listeners can support the show (``podcast:funding``)."""

    url: str
    text: str


def _items(value: object, type_name: str) -> list[object]:
    """A TOML array, or one value taken as an array of one."""
    if isinstance(value, list):
        return value
    return [value]


class People(Option[tuple[PersonSetting, ...]]):
    """The show's regular hosts: names, or tables with ``name`` and optional ``href``, ``img``.

    ``role`` defaults to ``host`` (a Podcast Taxonomy role of the ``cast`` group).
    """

    type_name = "an array of names or of tables with name, href and img"
    _keys = ("name", "href", "img", "role")

    def check_type(self, value: object) -> tuple[PersonSetting, ...]:
        people: list[PersonSetting] = []
        for item in _items(value, self.type_name):
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, dict) or not all(
                isinstance(item.get(key, ""), str) for key in self._keys
            ):
                raise self._wrong_type(item)
            unknown = sorted(set(item) - set(self._keys))
            if unknown:
                raise OptionError(
                    "config-invalid-value",
                    f"unknown key {unknown[0]!r} in a host",
                    "a host is a name, or a table with name, href, img and role",
                )
            name = str(item.get("name", "")).strip()
            if not name:
                raise OptionError(
                    "config-invalid-value",
                    "a host has no name",
                    'write e.g. hosts = [{ name = "Hema Iyer" }]',
                )
            href = str(item.get("href", "")).strip()
            img = str(item.get("img", "")).strip()
            people.append(
                PersonSetting(
                    name=name,
                    href=_https_url(href, "href") if href else "",
                    img=_https_url(img, "img") if img else "",
                    role=str(item.get("role", "")).strip().lower() or "host",
                )
            )
        return tuple(people)


class Funding(Option[tuple[FundingSetting, ...]]):
    """Funding links: a table ``{ url = "…", text = "…" }`` or an array of them."""

    type_name = "a table with url and text, or an array of them"

    def check_type(self, value: object) -> tuple[FundingSetting, ...]:
        links: list[FundingSetting] = []
        for item in _items(value, self.type_name):
            if not isinstance(item, dict) or not all(
                isinstance(item.get(key, ""), str) for key in ("url", "text")
            ):
                raise self._wrong_type(item)
            url = str(item.get("url", "")).strip()
            if not url:
                raise OptionError(
                    "config-invalid-value",
                    "a funding link has no url",
                    'write e.g. funding = { url = "https://…", text = "Support the show" }',
                )
            text = str(item.get("text", "")).strip() or "Support the show"
            if len(text) > 128:
                raise OptionError(
                    "config-invalid-value",
                    f"funding text is {len(text)} characters long",
                    "apps may cut it after 128 characters: shorten it",
                )
            links.append(FundingSetting(_https_url(url, "funding url"), text))
        return tuple(links)


class Urls(Option[tuple[str, ...]]):
    """Absolute http(s) URLs of folders (each normalised to end with ``/``); one string is one."""

    type_name = "an array of URLs"

    def check_type(self, value: object) -> tuple[str, ...]:
        items = _items(value, self.type_name)
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

    Checked against the known names by :func:`amacast.voices.check_voices_table`.
    """

    type_name = "a voice name"


class VoiceNames(Option[Any]):
    """A voice name or a non-empty list of them (checked like :class:`VoiceName`)."""

    type_name = "a voice name or a list of them"


def _closest_hint(text: str, choices: Collection[str]) -> str:
    return did_you_mean(
        text, choices, "see https://podcasters.apple.com/support/1691-apple-podcasts-categories"
    )


def image_size(head: bytes) -> tuple[int, int] | None:
    """Width and height from the first bytes of a PNG or JPEG file, else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR" and len(head) >= 24:
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(head):
            if head[index] != 0xFF:
                return None
            marker = head[index + 1]
            if marker == 0xFF:  # fill byte
                index += 1
                continue
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                index += 2
                continue
            length = int.from_bytes(head[index + 2 : index + 4], "big")
            # SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG), CC (DAC) do not.
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(head[index + 5 : index + 7], "big")
                width = int.from_bytes(head[index + 7 : index + 9], "big")
                return width, height
            index += 2 + length
    return None
