"""What one build keeps for the next: listings, diagnostics, feed entries and index entries.

A rebuild after one transcript changed needs little of the others: their
slugs and dates (:class:`~amacast.model.Listing`), their diagnostics, their
entries in the two feeds and on the index page.  Loading every parsed
episode whole to make those again is most of such a rebuild's work, so a
build keeps them, in the build state (:mod:`amacast.build.state`: SQLite
rows of JSON, XML and HTML, never pickle), for the next: the feed and index
entries as the text they are in the output, spliced in without decoding.  A
build adds the rows it made that the state lacked, so a rebuild that
changed one episode writes a few kilobytes, and drops the rows no episode
uses any more.

It also notes the size and time of each episode page it wrote, which
tells the next build that a page is still as written without reading it.

Everything in it is valid only for the same *pack key*: the build's site key
(amacast's code and templates, the project's templates, the settings, the
cover) and the versions of feedgen, lxml and Jinja2, which write the entries.
A build with another key starts from an empty pack.  Listings and
diagnostics are kept by the transcript's cache key
(:func:`amacast.build.sources.cache_key`: its path and bytes, the parser),
feed entries and index entries by :func:`amacast.model.made_from`; the
parts of the index page around its entries by :func:`frame_keys`.

:class:`Episodes` is how a build sees its transcripts through the pack:
listings for all; each one that is new or changed loaded whole (parsed, or
from the parsed-episode cache) in the worker that also renders its page;
any other whole episode loaded from that cache when something needs it (a
page to render, audio).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amacast.build import state
from amacast.build.codec import DecodeError, dumps, loads
from amacast.build.collector import collector_paused
from amacast.build.sources import Source, load_episodes, map_episodes
from amacast.model import Diagnostic, Episode, Listing
from amacast.transcript.validate import validate_episode

#: A stored listing: the listing and the episode's own diagnostics.
Kept = tuple[Listing, tuple[Diagnostic, ...]]


@dataclass
class BuildPack:
    """What a build kept: see the module's documentation."""

    key: str
    #: By transcript cache key: its listing and its own diagnostics.
    listings: dict[str, tuple[Listing, tuple[Diagnostic, ...]]] = field(default_factory=dict)
    #: :attr:`amacast.feeds.Feeds.fragments`.
    fragments: dict[tuple[str, ...], bytes] = field(default_factory=dict)
    #: The index's entries as HTML (:meth:`amacast.site.pages.Pages.index_item`), by
    #: :func:`amacast.model.made_from`; and under :data:`FRAME` keys, the parts of the
    #: index page around them (:meth:`amacast.site.pages.Pages.index_frame`).
    views: dict[tuple[str, ...], str] = field(default_factory=dict)
    #: The output folder the build wrote, and the size and modification time
    #: (ns) of each episode page it left there: a page that still has them is
    #: as that build wrote it.
    output: str = ""
    pages: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: The names of the rows the state held, by table, when this pack was loaded.
    stored: dict[str, set[str]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """How many entries the pack holds."""
        return len(self.listings) + len(self.fragments) + len(self.views) + len(self.pages)


def pack_key(site_key: str) -> str:
    """The key a pack is valid for: the site key and the libraries that write the entries."""
    import feedgen.version
    import jinja2
    import lxml.etree

    return "\0".join(
        [site_key, feedgen.version.version_str, lxml.etree.__version__, jinja2.__version__]
    )


def load_pack(cache_dir: Path, key: str) -> BuildPack:
    """The pack kept for ``key``; an empty one when there is none, or it is for another key.

    A row that does not decode (a damaged or tampered state) is left out: a miss.
    """
    pack = BuildPack(key)
    rows = state.pack_rows(cache_dir, key)
    if rows is None:
        return pack
    pack.stored = {table: set(names) for table, names in rows.items()}
    with collector_paused():
        for name, data in rows["listings"].items():
            try:
                pack.listings[name] = loads(Kept, data)  # type: ignore[arg-type]
            except (TypeError, DecodeError):
                continue  # a row that does not decode: a miss
    pack.fragments = {_split(name): data for name, data in rows["fragments"].items()}
    for name, data in rows["views"].items():
        try:  # HTML as it was written: nothing to decode but UTF-8
            pack.views[_split(name)] = data.decode("utf-8")
        except (AttributeError, UnicodeDecodeError):
            continue  # not text: a miss
    pack.output, pack.pages = state.page_notes(cache_dir, key)
    return pack


def save_pack(cache_dir: Path, pack: BuildPack, kept: BuildPack) -> None:
    """Keep ``pack`` for the next build, which had ``kept`` (from :func:`load_pack`).

    Only the rows ``kept`` lacks are written; rows ``kept`` had that ``pack``
    no longer has are dropped, by name.  A state that cannot be written only
    slows the next build.
    """
    new_listings = {k: v for k, v in pack.listings.items() if kept.listings.get(k) != v}
    new_fragments = {k: v for k, v in pack.fragments.items() if kept.fragments.get(k) != v}
    rows: dict[str, dict[str, bytes]] = {"listings": {}, "fragments": {}, "views": {}}
    for name, value in new_listings.items():
        with _skipped():
            rows["listings"][_join(name)] = dumps(value)
    rows["fragments"] = {_join(name): data for name, data in new_fragments.items()}
    rows["views"] = {
        _join(name): html.encode("utf-8")
        for name, html in pack.views.items()
        if kept.views.get(name) != html
    }
    wanted = {
        "listings": set(pack.listings),
        "fragments": {_join(k) for k in pack.fragments},
        "views": {_join(k) for k in pack.views},
    }
    stale = {table: kept.stored.get(table, set()) - names for table, names in wanted.items()}
    noted_pages = kept.pages if kept.stored else None  # as the state holds them
    state.save_pack_rows(cache_dir, pack.key, rows, stale, pack.output, pack.pages, noted_pages)


def _join(key: str | tuple[str, ...]) -> str:
    return key if isinstance(key, str) else "\0".join(key)


def _split(name: str) -> tuple[str, ...]:
    return tuple(name.split("\0"))


def _skipped() -> contextlib.AbstractContextManager[None]:
    """A value that has no stored form, or a row that does not decode: left out."""
    return contextlib.suppress(TypeError, DecodeError)


def frame_keys(podcast_feed: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The :attr:`BuildPack.views` keys of the index's head and tail (no episode has them)."""
    shown = "podcast" if podcast_feed else "no podcast"
    return ("", "index", shown, "head"), ("", "index", shown, "tail")


#: What a build does with each episode it loads whole, in the process that loads it:
#: given the episode and its own diagnostics; what it returns is in :attr:`Episodes.made`.
Make = Callable[[Episode, tuple[Diagnostic, ...]], Any]


class Episodes:
    """A project's transcripts as a build sees them, through what the last build kept.

    :attr:`listed` has one :class:`~amacast.model.Listing` per transcript, in
    order.  Those the pack does not list (new, changed, or a pack made for
    other settings) are loaded whole, in worker processes when there are
    many, which validate them and, with ``make``, do more with them where
    they are (render their pages): what ``make`` returned is in
    :attr:`made`, by path.  :attr:`own` has each one's diagnostics
    (:func:`amacast.transcript.validate.validate_episode` under ``timezone``), by path.
    :meth:`full` gives any whole episode.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        cache_dir: Path | None,
        pack: BuildPack,
        timezone: str,
        make: Make | None = None,
    ) -> None:
        self._cache_dir = cache_dir
        self._sources = {str(source.path): source for source in sources}
        self.listed: list[Listing] = []
        self.own: dict[str, tuple[Diagnostic, ...]] = {}
        self.kept: dict[str, tuple[Listing, tuple[Diagnostic, ...]]] = {}
        self.made: dict[str, Any] = {}
        misses = [s for s in sources if not s.key or s.key not in pack.listings]
        digests = map_episodes(misses, cache_dir, functools.partial(_digest, timezone, make))
        fresh = {str(source.path): digest for source, digest in zip(misses, digests, strict=True)}
        for source in sources:
            path = str(source.path)
            if path in fresh:
                listing, own, self.made[path] = fresh[path]
            else:
                listing, own = pack.listings[source.key]
            self.listed.append(listing)
            if source.key:
                self.kept[source.key] = (listing, own)
            self.own[path] = own

    def full(self, listing: Listing) -> Episode:
        """The whole episode of ``listing``: parsed again, or from the parsed-episode cache."""
        source = self._sources[listing.path]
        return load_episodes([source.path], self._cache_dir, sources=[source])[0]


def _digest(
    timezone: str, make: Make | None, episode: Episode
) -> tuple[Listing, tuple[Diagnostic, ...], Any]:
    own = tuple(validate_episode(episode, timezone))
    return episode.listing(), own, make(episode, own) if make is not None else None
