"""Episodes as feed items: dates, GUIDs and numbers, worked out once for both feeds.

Identity: the podcast GUID is ``settings.guid`` or the UUIDv5 the Podcasting
2.0 specification derives from the feed URL; each episode's GUID is its front
matter ``guid`` or ``uuid5(podcast GUID, slug)``, so editing an episode's body
never changes it.  Moving the podcast to another ``base_url`` would change
derived GUIDs: pin ``guid`` in amacast.toml before moving.

Dates come from the episodes (never "now"): ``updated`` is the front matter's
``lastmod`` when it is later than the publication date.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from amacast.config import Settings
from amacast.model import AudioInfo, Episode, Listing

MP3_TYPE = "audio/mpeg"
GENERATOR = "amacast"


@dataclass(frozen=True)
class Item:
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


def positive_int(value: object) -> int | None:
    """``value`` when it is an integer above 0 (not a boolean), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def feed_items(
    episodes: Sequence[Episode | Listing], settings: Settings, audio: Mapping[str, AudioInfo]
) -> tuple[list[Item], list[Episode | Listing]]:
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
            Item(
                episode=episode,
                published=published,
                updated=_updated(episode, published, tz),
                guid=episode_guid(episode, settings),
                number=positive_int(episode.meta.get("episode")) or position,
                audio=audio.get(episode.slug),
            )
        )
    return items, undated
