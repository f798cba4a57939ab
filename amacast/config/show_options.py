"""Validators of what the show is in Apple's and Podcasting 2.0's terms.

Apple's category list (as data), the cover image (a square PNG or JPEG of
1400 to 3000 px, or an https URL), ``podcast:medium``, and the people and
funding links of the channel.  The generic validators are in
:mod:`amacast.config.options`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from urllib.parse import urlsplit

from amacast.config.options import (
    Context,
    Option,
    OptionError,
    Text,
    array_items,
    brief,
    did_you_mean,
)

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


class People(Option[tuple[PersonSetting, ...]]):
    """The show's regular hosts: names, or tables with ``name`` and optional ``href``, ``img``.

    ``role`` defaults to ``host`` (a Podcast Taxonomy role of the ``cast`` group).
    """

    type_name = "an array of names or of tables with name, href and img"
    _keys = ("name", "href", "img", "role")

    def check_type(self, value: object) -> tuple[PersonSetting, ...]:
        people: list[PersonSetting] = []
        for item in array_items(value, self.type_name):
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
        for item in array_items(value, self.type_name):
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
