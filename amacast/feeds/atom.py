"""Feed items → ``atom.xml`` for feed readers (feedgen), each entry with its whole transcript."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from amacast.config import Settings
from amacast.feeds.items import GENERATOR, MP3_TYPE, Item, atom_id
from amacast.markup import transcript_html, xml_text
from amacast.model import Episode


class _AtomLinksExtension(BaseExtension):  # type: ignore[misc]
    """Feed half of :class:`_AtomEntryLinks` (feedgen wants both)."""


class _AtomEntryLinks(BaseEntryExtension):  # type: ignore[misc]
    """Atom entry links with their rel, type and length.

    feedgen 1.0's ``FeedEntry.link`` drops every attribute but ``href`` on
    Atom entries, so the links are added through an extension instead.
    """

    def __init__(self) -> None:
        self.__links: list[dict[str, str]] = []

    def add(self, href: str, rel: str, type: str, length: int | None = None) -> None:
        """Add one ``<link>`` to the entry."""
        link = {"href": href, "rel": rel, "type": type}
        if length is not None:
            link["length"] = str(length)
        self.__links.append(link)

    def extend_atom(self, entry: Any) -> Any:
        """Append the links to an Atom ``<entry>`` (feedgen writes Atom names unprefixed)."""
        for link in self.__links:
            xml_elem("link", entry, **link)
        return entry


def atom_feed(items: Sequence[Item], settings: Settings, updated: dt.datetime) -> bytes:
    """``atom.xml`` holding ``items`` (whole episodes), in the order given."""
    fg = FeedGenerator()
    fg.register_extension("atomlinks", _AtomLinksExtension, _AtomEntryLinks, atom=True, rss=False)
    fg.id(uuid.UUID(settings.podcast_guid).urn)
    fg.title(xml_text(settings.title))
    if settings.description:
        fg.subtitle(xml_text(settings.description))
    fg.author(author(settings))
    fg.link(href=settings.base_url, rel="alternate", type="text/html")
    fg.link(href=settings.atom_url, rel="self", type="application/atom+xml")
    fg.language(settings.language)
    fg.generator(GENERATOR)
    fg.updated(updated)
    if settings.copyright:
        fg.rights(xml_text(settings.copyright))
    if settings.image:
        fg.logo(settings.image_url)
    for item in items:
        entry: FeedEntry = fg.add_entry(order="append")
        episode = item.episode
        assert isinstance(episode, Episode)
        entry.id(atom_id(item.guid))
        entry.title(xml_text(episode.title))
        entry.published(item.published)
        entry.updated(item.updated)
        entry.author(author(settings, episode))
        entry.summary(xml_text(episode.description))
        entry.content(transcript_html(episode), type="html")
        links = entry.atomlinks
        links.add(settings.episode_url(episode.slug), "alternate", "text/html")
        if item.audio is not None:
            links.add(
                settings.audio_url(item.audio.mp3_path),
                "enclosure",
                MP3_TYPE,
                item.audio.byte_length,
            )
    return bytes(fg.atom_str(pretty=True))


def author(settings: Settings, episode: Episode | None = None) -> dict[str, str]:
    """The feed's author (with the owner's email), or an entry's (its front matter ``author``)."""
    name = settings.author or settings.title
    if episode is not None and isinstance(episode.meta.get("author"), str):
        name = str(episode.meta["author"]).strip() or name
    author = {"name": xml_text(name)}
    if settings.owner_email and episode is None:
        author["email"] = settings.owner_email
    return author
