"""Episodes → ``atom.xml`` (feed readers) and ``podcast.xml`` (podcast apps).

Both feeds are built with feedgen, as bytes; the package knows nothing of
audio rendering, the site or the output folder.  Output is a pure function of
the episodes, the settings and the audio (:class:`~amacast.model.AudioInfo`
values the caller hands in): dates come from the episodes (never "now"), so
rebuilding unchanged input gives byte-identical feeds.

Its modules, in the order a feed is made:

- :mod:`~amacast.feeds.items`: episodes as items (dates, GUIDs, numbers);
- :mod:`~amacast.feeds.atom`: ``atom.xml``;
- :mod:`~amacast.feeds.podcast`: ``podcast.xml``, with
  :mod:`~amacast.feeds.metadata` (people, show notes, artwork, soundbites,
  licence), :mod:`~amacast.feeds.itunes_explicit` and
  :mod:`~amacast.feeds.podcast_namespace` (feedgen extensions);
- :mod:`~amacast.feeds.splice`: entries kept between builds.

URL layout, relative to ``base_url``: ``episodes/<slug>/`` (episode page),
``audio/<slug>.mp3``, sidecars as ``AudioInfo.sidecars`` gives them,
``atom.xml``, ``podcast.xml`` and ``cover.<ext>``.

No podcast feed without items: when no episode has audio,
:attr:`Feeds.podcast` is None and a note says why (Apple rejects an empty
feed, and a deployed one publishes an empty show).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from amacast.config import Settings
from amacast.feeds.atom import atom_feed
from amacast.feeds.items import atom_id, episode_guid, feed_items
from amacast.feeds.podcast import item_notes, podcast_feed
from amacast.feeds.splice import FragmentKey, fragment_key, spliced
from amacast.model import AudioInfo, Episode, Listing, first_of

__all__ = ["EMPTY_FEED_DATE", "Feeds", "FragmentKey", "atom_id", "build_feeds", "episode_guid"]

#: The date feeds carry when there is no episode at all (keeps output deterministic).
EMPTY_FEED_DATE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


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
    items, undated = feed_items(episodes, settings, audio)
    newest = max((item.updated for item in items), default=EMPTY_FEED_DATE)
    notes: list[str] = []
    if undated:
        notes.append(
            f"{_count(len(undated), 'episode')} without a date left out of both feeds: "
            + first_of(sorted(e.slug for e in undated))
        )
    silent = [item for item in items if item.audio is None]
    if silent:
        notes.append(
            f"{_count(len(silent), 'episode')} {'has' if len(silent) == 1 else 'have'} "
            "no audio yet: left out of podcast.xml ("
            + first_of([item.episode.slug for item in silent])
            + ")"
        )
    newest_first = list(reversed(items))
    with_audio = [item for item in newest_first if item.audio is not None]
    in_atom = newest_first[: settings.atom_entries] if settings.atom_entries else newest_first
    kept = kept or {}
    made: dict[FragmentKey, bytes] = {}
    atom = spliced(
        [(fragment_key("atom", item), item) for item in in_atom],
        lambda todo: atom_feed(todo, settings, newest),
        (b"entry", b"feed"),
        kept,
        full,
        made,
    )
    podcast: bytes | None = None
    if with_audio:
        podcast = spliced(
            [(fragment_key("podcast", item), item) for item in with_audio],
            lambda todo: podcast_feed(todo, settings, newest),
            (b"item", b"channel"),
            kept,
            full,
            made,
        )
        notes += item_notes(with_audio)
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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
