"""Feed items with audio → ``podcast.xml`` for podcast apps.

feedgen's ``podcast`` (itunes) extension, :mod:`amacast.feeds.itunes_explicit` for the
tags Apple documents differently, and the Podcasting 2.0 extension
(:mod:`amacast.feeds.podcast_namespace`): transcripts, chapters, soundbites and
people.

People: each Legend speaker with a named role becomes a ``podcast:person`` in
the ``cast`` group of the Podcast Taxonomy (host → ``host``, guest →
``guest``, narrator → ``narrator``), with the full name, link and picture
the front matter's ``people`` gives (else the Legend's name and link).
Numbered participants (``P(n)``) are audience members without names and are
left out.  The show's regular hosts (``hosts`` in amacast.toml) are people
of the channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml.etree import CDATA

from amacast.config import Settings
from amacast.feeds import itunes_explicit, podcast_namespace
from amacast.feeds.items import GENERATOR, MP3_TYPE, Item, positive_int
from amacast.feeds.metadata import (
    description_html,
    episode_image,
    episode_people,
    license_of,
    soundbites,
)
from amacast.markup import xml_text
from amacast.model import AudioInfo, Episode

#: Sidecar kind → MIME type of its ``podcast:transcript``, in the order they are listed:
#: WebVTT first (Apple Podcasts ingests it), then the HTML transcript.
TRANSCRIPT_TYPES: Mapping[str, str] = {
    "vtt": "text/vtt",
    "html": "text/html",
    "srt": "application/x-subrip",
    "json": "application/json",
}


def podcast_feed(items: Sequence[Item], settings: Settings, updated: dt.datetime) -> bytes:
    """``podcast.xml`` holding ``items`` (whole episodes, each with audio), in the order given."""
    fg = FeedGenerator()
    fg.load_extension("podcast")
    itunes_explicit.register(fg)
    podcast_namespace.register(fg)
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
    getattr(fg, itunes_explicit.EXTENSION_NAME).explicit(settings.explicit)
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
    p20 = getattr(fg, podcast_namespace.EXTENSION_NAME)
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


def _podcast_item(entry: FeedEntry, item: Item, audio: AudioInfo, settings: Settings) -> None:
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
    season = positive_int(episode.meta.get("season"))
    if season:
        itunes.itunes_season(season)
    image = episode_image(episode)
    if image:
        itunes.itunes_image(image)
    explicit = episode.meta.get("explicit")
    if isinstance(explicit, bool):
        getattr(entry, itunes_explicit.EXTENSION_NAME).explicit(explicit)
    episode_type = episode.meta.get("episode_type")
    if episode_type in ("full", "trailer", "bonus"):
        itunes.itunes_episode_type(episode_type)

    p20 = getattr(entry, podcast_namespace.EXTENSION_NAME)
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


def item_notes(items: Sequence[Item]) -> list[str]:
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
