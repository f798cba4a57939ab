"""The Podcasting 2.0 namespace as a feedgen extension.

Registered the way feedgen's own extensions are, through
``FeedGenerator.register_extension``: :class:`PodcastNamespaceExtension` adds
channel tags (``podcast:guid``, ``podcast:locked``, ``podcast:license``,
``podcast:funding``, ``podcast:medium``, ``podcast:person``),
:class:`PodcastNamespaceEntryExtension` adds item tags
(``podcast:transcript``, ``podcast:chapters``, ``podcast:soundbite``,
``podcast:person``).  Only RSS output carries them; Atom feeds are left alone.

Specification: https://podcastindex.org/namespace/1.0
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

PODCAST_NS = "https://podcastindex.org/namespace/1.0"

#: The attribute name the extension gets on a FeedGenerator and its entries
#: (``fg.podcastindex``, ``fe.podcastindex``); ``podcast`` is feedgen's itunes one.
EXTENSION_NAME = "podcastindex"

CHAPTERS_TYPE = "application/json+chapters"

#: Transcript types that podcast apps show as captions.
CAPTION_TYPES = frozenset({"text/vtt", "application/x-subrip", "application/srt"})


def _tag(name: str) -> str:
    return f"{{{PODCAST_NS}}}{name}"


def _person(parent: Any, person: dict[str, str]) -> None:
    attributes = {k: v for k, v in person.items() if k != "name"}
    element = xml_elem(_tag("person"), parent, **attributes)
    element.text = person["name"]


def _new_person(
    name: str, role: str | None, group: str | None, img: str | None, href: str | None
) -> dict[str, str]:
    if not name.strip():
        raise ValueError("a person needs a name")
    person = {"name": name.strip()}
    for key, value in (("role", role), ("group", group), ("img", img), ("href", href)):
        if value:
            person[key] = value
    return person


class _People:
    """``podcast:person`` tags, the same in the channel (the show's hosts) and in an item."""

    _persons: list[dict[str, str]]

    def podcast_person(
        self,
        name: str,
        role: str | None = None,
        group: str | None = None,
        img: str | None = None,
        href: str | None = None,
    ) -> list[dict[str, str]]:
        """Add a ``podcast:person``; role and group come from the Podcast Taxonomy."""
        self._persons.append(_new_person(name, role, group, img, href))
        return list(self._persons)


class PodcastNamespaceExtension(_People, BaseExtension):  # type: ignore[misc]
    """Channel-level Podcasting 2.0 tags."""

    def __init__(self) -> None:
        self.__guid: str | None = None
        self.__locked: bool | None = None
        self.__locked_owner: str | None = None
        self.__license: dict[str, str] | None = None
        self.__funding: list[dict[str, str]] = []
        self.__medium: str | None = None
        self._persons: list[dict[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        """The ``podcast`` prefix for the feed's namespace map."""
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        """Add the channel tags to an RSS root element."""
        channel = rss_feed[0]
        if self.__guid:
            guid = xml_elem(_tag("guid"), channel)
            guid.text = self.__guid
        if self.__locked is not None:
            locked = xml_elem(_tag("locked"), channel)
            locked.text = "yes" if self.__locked else "no"
            if self.__locked_owner:
                locked.attrib["owner"] = self.__locked_owner
        if self.__license:
            attributes = {k: v for k, v in self.__license.items() if k != "name"}
            xml_elem(_tag("license"), channel, **attributes).text = self.__license["name"]
        for funding in self.__funding:
            xml_elem(_tag("funding"), channel, url=funding["url"]).text = funding["text"]
        if self.__medium:
            xml_elem(_tag("medium"), channel).text = self.__medium
        for person in self._persons:
            _person(channel, person)
        return rss_feed

    def extend_atom(self, atom_feed: Any) -> Any:
        """Atom feeds carry none of these tags."""
        return atom_feed

    def podcast_guid(self, guid: str | None = None) -> str | None:
        """Get or set the ``podcast:guid`` (a UUIDv5, see ``config.podcast_guid_for_url``)."""
        if guid is not None:
            self.__guid = guid
        return self.__guid

    def podcast_locked(
        self, locked: bool | None = None, owner: str | None = None
    ) -> tuple[bool | None, str | None]:
        """Get or set ``podcast:locked`` (``yes`` forbids importing the feed elsewhere)."""
        if locked is not None:
            self.__locked = locked
            self.__locked_owner = owner or None
        return self.__locked, self.__locked_owner

    def podcast_license(self, name: str, url: str | None = None) -> dict[str, str]:
        """Set ``podcast:license``: a lower-case SPDX id, or a custom name with its URL."""
        if not name.strip():
            raise ValueError("a license needs a name")
        self.__license = {"name": name.strip()}
        if url:
            self.__license["url"] = url
        return dict(self.__license)

    def podcast_funding(self, url: str, text: str) -> list[dict[str, str]]:
        """Add a ``podcast:funding`` link with its text (128 characters at most)."""
        if not url:
            raise ValueError("a funding link needs a url")
        self.__funding.append({"url": url, "text": text})
        return list(self.__funding)

    def podcast_medium(self, medium: str | None = None) -> str | None:
        """Get or set ``podcast:medium`` (``podcast``, ``music``, ``audiobook`` …)."""
        if medium is not None:
            self.__medium = medium
        return self.__medium


class PodcastNamespaceEntryExtension(_People, BaseEntryExtension):  # type: ignore[misc]
    """Item-level Podcasting 2.0 tags."""

    def __init__(self) -> None:
        self.__transcripts: list[dict[str, str]] = []
        self.__chapters: dict[str, str] | None = None
        self.__soundbites: list[dict[str, str]] = []
        self._persons: list[dict[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        """The ``podcast`` prefix for the feed's namespace map."""
        return {"podcast": PODCAST_NS}

    def extend_rss(self, item: Any) -> Any:
        """Add the item tags to an RSS ``<item>``."""
        for transcript in self.__transcripts:
            xml_elem(_tag("transcript"), item, **transcript)
        if self.__chapters:
            xml_elem(_tag("chapters"), item, **self.__chapters)
        for soundbite in self.__soundbites:
            attributes = {k: v for k, v in soundbite.items() if k != "title"}
            element = xml_elem(_tag("soundbite"), item, **attributes)
            if soundbite.get("title"):
                element.text = soundbite["title"]
        for person in self._persons:
            _person(item, person)
        return item

    def extend_atom(self, entry: Any) -> Any:
        """Atom entries carry none of these tags."""
        return entry

    def podcast_transcript(
        self,
        url: str,
        type: str,
        language: str | None = None,
        rel: str | None = None,
    ) -> list[dict[str, str]]:
        """Add a ``podcast:transcript``; ``rel="captions"`` is implied for VTT and SRT."""
        if not url or not type:
            raise ValueError("a transcript needs a url and a type")
        transcript = {"url": url, "type": type}
        if language:
            transcript["language"] = language
        if rel is None and type in CAPTION_TYPES:
            rel = "captions"
        if rel:
            transcript["rel"] = rel
        self.__transcripts.append(transcript)
        return list(self.__transcripts)

    def podcast_chapters(
        self, url: str | None = None, type: str = CHAPTERS_TYPE
    ) -> dict[str, str] | None:
        """Get or set the ``podcast:chapters`` link (JSON chapters file)."""
        if url is not None:
            self.__chapters = {"url": url, "type": type}
        return self.__chapters

    def podcast_soundbite(
        self, start: float, duration: float, title: str = ""
    ) -> list[dict[str, str]]:
        """Add a ``podcast:soundbite``: seconds into the enclosure, and how long."""
        if start < 0 or duration <= 0:
            raise ValueError("a soundbite starts at 0 or later and lasts a while")
        soundbite = {"startTime": str(round(start, 3)), "duration": str(round(duration, 3))}
        if title:
            soundbite["title"] = title
        self.__soundbites.append(soundbite)
        return list(self.__soundbites)


def register(fg: FeedGenerator) -> None:
    """Register the extension on a FeedGenerator as ``fg.podcastindex`` (RSS only)."""
    fg.register_extension(
        EXTENSION_NAME,
        PodcastNamespaceExtension,
        PodcastNamespaceEntryExtension,
        atom=False,
        rss=True,
    )
