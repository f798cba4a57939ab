"""Episodes → ``atom.xml`` (feed readers) and ``podcast.xml`` (podcast apps).

Both feeds are built with feedgen; podcast.xml uses feedgen's ``podcast``
(itunes) extension and the Podcasting 2.0 extension from
:mod:`amacast.feeds_podcast_ns`.  Output is a pure function of the episodes,
the settings and the audio: dates come from the episodes (never "now"), so
rebuilding unchanged input gives byte-identical feeds.

URL layout, relative to ``base_url``: ``episodes/<slug>/`` (episode page),
``audio/<slug>.mp3``, sidecars as ``AudioInfo.sidecars`` gives them,
``atom.xml``, ``podcast.xml`` and ``cover.<ext>``.

Identity: the podcast GUID is ``settings.guid`` or the UUIDv5 the Podcasting
2.0 specification derives from the feed URL; each episode's GUID is its front
matter ``guid`` or ``uuid5(podcast GUID, slug)``, so editing an episode's body
never changes it.  Moving the podcast to another ``base_url`` would change
derived GUIDs: pin ``guid`` in amacast.toml before moving.

Entries kept between builds: each feed is serialised by feedgen, then cut
around its entries, and every entry's text is returned in
:attr:`Feeds.fragments` under a key of what it is made from (the episode's
path, source hash and slug, its audio, and for podcast.xml its number).  A
later build with the same settings hands them back as ``kept``: feedgen then
builds the feed with only the entries it lacks, and the kept ones are put
back in their places.  An entry's serialisation does not depend on the
other entries (every namespace is declared on the root), so the result is
byte for byte the feed built whole; a test holds it to that.

People: each Legend speaker with a named role becomes a ``podcast:person`` in
the ``cast`` group of the Podcast Taxonomy (host → ``host``, guest →
``guest``, narrator → ``narrator``), with the full name, link and picture
the front matter's ``people`` gives (else the Legend's name and link).
Numbered participants (``P(n)``) are audience members without names and are
left out.  The show's regular hosts (``hosts`` in amacast.toml) are people
of the channel.

No podcast feed without items: when no episode has audio,
:attr:`Feeds.podcast` is None and a note says why (Apple rejects an empty
feed, and a deployed one publishes an empty show).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml.etree import CDATA

from amacast import feeds_itunes, feeds_podcast_ns
from amacast.config import Settings
from amacast.feeds_metadata import (
    description_html,
    episode_image,
    episode_people,
    license_of,
    soundbites,
)
from amacast.model import AudioInfo, Episode, Listing, made_from, whole
from amacast.transcript.markup import xml_text

MP3_TYPE = "audio/mpeg"

#: Sidecar kind → MIME type of its ``podcast:transcript``, in the order they are listed:
#: WebVTT first (Apple Podcasts ingests it), then the HTML transcript.
TRANSCRIPT_TYPES: Mapping[str, str] = {
    "vtt": "text/vtt",
    "html": "text/html",
    "srt": "application/x-subrip",
    "json": "application/json",
}


GENERATOR = "amacast"

#: The date feeds carry when there is no episode at all (keeps output deterministic).
EMPTY_FEED_DATE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Characters XML 1.0 cannot carry, even escaped.


@dataclass(frozen=True)
class Feeds:
    """Both feeds as bytes, and notes for the person building them."""

    atom: bytes
    podcast: bytes | None
    """None when no episode has audio: a podcast feed without items is not made."""
    notes: list[str] = field(default_factory=list)
    atom_entries: int = 0
    podcast_items: int = 0
    fragments: dict[FragmentKey, bytes] = field(default_factory=dict)


#: What one feed entry is made from, besides the settings: the feed it is in
#: (``atom`` or ``podcast``), the episode's path, source hash and slug, a hash
#: of its audio (``""`` without), and in podcast.xml its number.
FragmentKey = tuple[str, ...]


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


@dataclass(frozen=True)
class _Item:
    """One episode with everything both feeds need, computed once."""

    episode: Episode | Listing
    published: dt.datetime
    updated: dt.datetime
    guid: str
    number: int
    audio: AudioInfo | None


def episode_guid(episode: Episode | Listing, settings: Settings) -> str:
    """The episode's stable GUID: front matter ``guid``, else uuid5(podcast GUID, slug)."""
    if episode.guid:
        return episode.guid
    return str(uuid.uuid5(_uuid(settings.podcast_guid), episode.slug))


@functools.lru_cache(maxsize=8)
def _uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text)


def atom_id(guid: str) -> str:
    """An Atom id (an IRI) for a GUID: ``urn:uuid:…`` for UUIDs, the GUID if it is a URI."""
    try:
        return uuid.UUID(guid).urn
    except ValueError:
        pass
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", guid):
        return guid
    return "urn:x-amacast-guid:" + re.sub(r"[^A-Za-z0-9._~-]", lambda m: _pct(m.group()), guid)


def _pct(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def _updated(episode: Episode | Listing, published: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    value = episode.meta.get("lastmod")
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return published
    else:
        return published
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=tz)
    return max(stamp, published)


def _positive_int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _items(
    episodes: Sequence[Episode | Listing], settings: Settings, audio: Mapping[str, AudioInfo]
) -> tuple[list[_Item], list[Episode | Listing]]:
    """Episodes with dates as items, oldest first; and those left out for want of a date."""
    tz = settings.tz
    dated: list[tuple[dt.datetime, Episode | Listing]] = []
    undated: list[Episode | Listing] = []
    for episode in episodes:
        published = episode.published(tz)
        if published is None:
            undated.append(episode)
        else:
            dated.append((published, episode))
    dated.sort(key=lambda pair: (pair[0], pair[1].slug))
    items = []
    for position, (published, episode) in enumerate(dated, start=1):
        items.append(
            _Item(
                episode=episode,
                published=published,
                updated=_updated(episode, published, tz),
                guid=episode_guid(episode, settings),
                number=_positive_int(episode.meta.get("episode")) or position,
                audio=audio.get(episode.slug),
            )
        )
    return items, undated


def build_feeds(
    episodes: Sequence[Episode | Listing],
    settings: Settings,
    audio: Mapping[str, AudioInfo],
    *,
    kept: Mapping[FragmentKey, bytes] | None = None,
    full: Callable[[Listing], Episode] | None = None,
) -> Feeds:
    """Build atom.xml and podcast.xml for these episodes (already validated, drafts removed).

    ``audio`` maps a slug to what rendering produced; episodes without audio
    are in the Atom feed but left out of podcast.xml (apps reject items
    without an enclosure), which a note reports.  The Atom feed holds the
    newest ``settings.atom_entries`` episodes (all for 0): feed readers fetch
    it again and again, and each entry carries a whole transcript.  Episodes without a date are
    left out of both, with a note.  ``settings.base_url`` must be set.

    ``kept`` are entries from :attr:`Feeds.fragments` of a build with the
    same settings (the caller makes sure of that).  An episode may be given
    as its :class:`~amacast.model.Listing` when ``kept`` has its entries;
    ``full`` gives the whole episode of any other.
    """
    if not settings.base_url:
        raise ValueError("settings.base_url is required to build feeds")
    items, undated = _items(episodes, settings, audio)
    newest = max((item.updated for item in items), default=EMPTY_FEED_DATE)
    notes: list[str] = []
    if undated:
        notes.append(
            f"{_count(len(undated), 'episode')} without a date left out of both feeds: "
            + ", ".join(sorted(e.slug for e in undated))
        )
    silent = [item for item in items if item.audio is None]
    if silent:
        notes.append(
            f"{_count(len(silent), 'episode')} {'has' if len(silent) == 1 else 'have'} "
            "no audio yet: left out of podcast.xml ("
            + ", ".join(item.episode.slug for item in silent)
            + ")"
        )
    newest_first = list(reversed(items))
    with_audio = [item for item in newest_first if item.audio is not None]
    in_atom = newest_first[: settings.atom_entries] if settings.atom_entries else newest_first
    kept = kept or {}
    made: dict[FragmentKey, bytes] = {}
    atom = _spliced(
        [(_fragment_key("atom", item), item) for item in in_atom],
        lambda todo: _atom_feed(todo, settings, newest),
        (b"entry", b"feed"),
        kept,
        full,
        made,
    )
    podcast: bytes | None = None
    if with_audio:
        podcast = _spliced(
            [(_fragment_key("podcast", item), item) for item in with_audio],
            lambda todo: _podcast_feed(todo, settings, newest),
            (b"item", b"channel"),
            kept,
            full,
            made,
        )
        notes += _item_notes(with_audio)
    else:
        notes.append(
            "no episode has audio: podcast.xml is not written (podcast apps reject a feed "
            "without episodes); build with --audio to make it"
        )
    return Feeds(
        atom=atom,
        podcast=podcast,
        notes=notes,
        atom_entries=len(in_atom),
        podcast_items=len(with_audio),
        fragments=made,
    )


def _fragment_key(feed: str, item: _Item) -> FragmentKey:
    key = (feed, *made_from(item.episode, item.audio))
    return (*key, str(item.number)) if feed == "podcast" else key


def _spliced(
    keyed: Sequence[tuple[FragmentKey, _Item]],
    build: Callable[[Sequence[_Item]], bytes],
    names: tuple[bytes, bytes],
    kept: Mapping[FragmentKey, bytes],
    full: Callable[[Listing], Episode] | None,
    made: dict[FragmentKey, bytes],
) -> bytes:
    """A feed whose entries ``keyed`` are taken from ``kept`` where it has them.

    ``build`` serialises the feed with the items given; ``names`` are the
    entry's and the enclosing element's tags.  Every entry of the result goes
    into ``made``, kept or new.
    """
    todo = [(key, _whole(item, full)) for key, item in keyed if key not in kept]
    xml = build([item for _key, item in todo])
    cut = _cut(xml, *names)
    if cut is None or len(cut[1]) != len(todo):  # not as expected: no entry is kept
        xml = build([_whole(item, full) for _key, item in keyed])
        cut = _cut(xml, *names)
        if cut is None:
            return xml
        todo = list(keyed)
    head, fresh, tail = cut
    made.update(zip((key for key, _item in todo), fresh, strict=True))
    made.update((key, kept[key]) for key, _item in keyed if key not in made)
    return head + b"".join(made[key] for key, _item in keyed) + tail


def _whole(item: _Item, full: Callable[[Listing], Episode] | None) -> _Item:
    """The item with its whole episode."""
    episode = whole(item.episode, full)
    return item if episode is item.episode else dataclasses.replace(item, episode=episode)


def _cut(xml: bytes, entry: bytes, parent: bytes) -> tuple[bytes, list[bytes], bytes] | None:
    """A pretty-printed feed cut into what precedes its entries, each entry, and the rest.

    Each entry is cut from the start of its line to the end of the line that
    closes it; the entries must follow one another.  With no entry, the cut
    is at the line that closes ``parent``.  None when the text is not like that.
    """
    start_tag, end_tag = b"<" + entry + b">", b"</" + entry + b">\n"
    fresh: list[bytes] = []
    at = xml.find(start_tag)
    if at < 0:
        close = xml.rfind(b"</" + parent + b">")
        if close < 0:
            return None
        cut = xml.rfind(b"\n", 0, close) + 1
        return xml[:cut], [], xml[cut:]
    first = previous_end = xml.rfind(b"\n", 0, at) + 1
    while at >= 0:
        begin = xml.rfind(b"\n", 0, at) + 1
        end = xml.find(end_tag, at)
        if begin != previous_end or end < 0:
            return None
        previous_end = end + len(end_tag)
        fresh.append(xml[begin:previous_end])
        at = xml.find(start_tag, previous_end)
    return xml[:first], fresh, xml[previous_end:]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _atom_feed(items: Sequence[_Item], settings: Settings, updated: dt.datetime) -> bytes:
    fg = FeedGenerator()
    fg.register_extension("atomlinks", _AtomLinksExtension, _AtomEntryLinks, atom=True, rss=False)
    fg.id(uuid.UUID(settings.podcast_guid).urn)
    fg.title(xml_text(settings.title))
    if settings.description:
        fg.subtitle(xml_text(settings.description))
    fg.author(_author(settings))
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
        entry.author(_author(settings, episode))
        entry.summary(xml_text(episode.description))
        entry.content(episode.transcript_html, type="html")
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


def _author(settings: Settings, episode: Episode | None = None) -> dict[str, str]:
    name = settings.author or settings.title
    if episode is not None and isinstance(episode.meta.get("author"), str):
        name = str(episode.meta["author"]).strip() or name
    author = {"name": xml_text(name)}
    if settings.owner_email and episode is None:
        author["email"] = settings.owner_email
    return author


def _podcast_feed(items: Sequence[_Item], settings: Settings, updated: dt.datetime) -> bytes:
    fg = FeedGenerator()
    fg.load_extension("podcast")
    feeds_itunes.register(fg)
    feeds_podcast_ns.register(fg)
    fg.title(xml_text(settings.title))
    # feedgen takes the RSS <link> from the last link given: the site, not the feed.
    fg.link(href=settings.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=settings.base_url, rel="alternate")
    fg.description(xml_text(settings.description or settings.title))
    fg.language(settings.language)
    fg.generator(GENERATOR)
    fg.lastBuildDate(updated)
    fg.pubDate(updated)
    if settings.copyright:
        fg.copyright(xml_text(settings.copyright))
    itunes = fg.podcast
    itunes.itunes_author(xml_text(settings.author or settings.title))
    if settings.image:
        fg.image(url=settings.image_url, title=xml_text(settings.title), link=settings.base_url)
        itunes.itunes_image(settings.image_url)
    if settings.category:
        category = {"cat": settings.category}
        if settings.subcategory:
            category["sub"] = settings.subcategory
        itunes.itunes_category(category)
    getattr(fg, feeds_itunes.EXTENSION_NAME).explicit(settings.explicit)
    if settings.owner_email:
        itunes.itunes_owner(
            name=xml_text(settings.owner_name or settings.author or settings.title),
            email=settings.owner_email,
        )
    itunes.itunes_type(settings.type)
    if settings.previous_base_urls:
        # Read through the old address's redirect, this tells Apple where the show is now.
        itunes.itunes_new_feed_url(settings.feed_url)
    if settings.complete:
        itunes.itunes_complete("yes")
    if settings.block:
        itunes.itunes_block(True)
    p20 = getattr(fg, feeds_podcast_ns.EXTENSION_NAME)
    p20.podcast_guid(settings.podcast_guid)
    p20.podcast_locked(settings.locked, owner=settings.owner_email)
    license_id = license_of(settings.copyright)
    if license_id:
        p20.podcast_license(license_id)
    for funding in settings.funding:
        p20.podcast_funding(funding.url, xml_text(funding.text))
    p20.podcast_medium(settings.medium)
    for host in settings.hosts:
        p20.podcast_person(
            xml_text(host.name), role=host.role, group="cast", img=host.img, href=host.href
        )

    for item in items:
        assert item.audio is not None
        _podcast_item(fg.add_entry(order="append"), item, item.audio, settings)
    return bytes(fg.rss_str(pretty=True))


def _podcast_item(entry: FeedEntry, item: _Item, audio: AudioInfo, settings: Settings) -> None:
    episode = item.episode
    assert isinstance(episode, Episode)
    entry.title(xml_text(episode.title))
    entry.link(href=settings.episode_url(episode.slug))
    entry.guid(item.guid, permalink=False)
    entry.published(item.published)
    entry.description(CDATA(description_html(episode).replace("]]>", "]]&gt;")))
    entry.enclosure(settings.audio_url(audio.mp3_path), str(audio.byte_length), MP3_TYPE)

    itunes = entry.podcast
    itunes.itunes_duration(_duration(audio.duration))
    itunes.itunes_episode(item.number)
    season = _positive_int(episode.meta.get("season"))
    if season:
        itunes.itunes_season(season)
    image = episode_image(episode)
    if image:
        itunes.itunes_image(image)
    explicit = episode.meta.get("explicit")
    if isinstance(explicit, bool):
        getattr(entry, feeds_itunes.EXTENSION_NAME).explicit(explicit)
    episode_type = episode.meta.get("episode_type")
    if episode_type in ("full", "trailer", "bonus"):
        itunes.itunes_episode_type(episode_type)

    p20 = getattr(entry, feeds_podcast_ns.EXTENSION_NAME)
    language = episode.meta.get("language")
    language = language if isinstance(language, str) and language else settings.language
    for kind, mime in TRANSCRIPT_TYPES.items():
        if audio.sidecars.get(kind):
            p20.podcast_transcript(settings.url(audio.sidecars[kind]), mime, language)
    if audio.sidecars.get("chapters"):
        p20.podcast_chapters(settings.url(audio.sidecars["chapters"]))
    for start, duration, title in soundbites(episode, audio.duration)[0]:
        p20.podcast_soundbite(start, duration, xml_text(title))
    for person in episode_people(episode):
        p20.podcast_person(
            xml_text(person.name),
            role=person.role,
            group="cast",
            img=person.img,
            href=person.href,
        )


def _item_notes(items: Sequence[_Item]) -> list[str]:
    """What the podcast feed left out of its items for want of audio to hold it."""
    notes: list[str] = []
    for item in items:
        episode = item.episode
        if isinstance(episode, Episode) and item.audio is not None:
            notes += soundbites(episode, item.audio.duration)[1]
    return notes


def _duration(seconds: float) -> str:
    """``H:MM:SS``, rounded to the nearest second."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
