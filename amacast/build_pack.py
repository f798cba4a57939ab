"""What one build keeps for the next: listings, diagnostics, feed entries and index entries.

A rebuild after one transcript changed needs little of the others: their
slugs and dates (:class:`~amacast.model.Listing`), their diagnostics, their
entries in the two feeds and on the index page.  Loading every parsed
episode whole to make those again is most of such a rebuild's work, so a
build keeps them, in one file (``<cache>/build.pickle``), for the next.
The file is a header and records: a build adds a record with what it made
that the file lacked, so a rebuild that changed one episode writes a few
kilobytes, not the whole; when most of the file is outdated, it is written
anew.

It also notes the size and time of each episode page it wrote, which
tells the next build that a page is still as written without reading it.

Everything in it is valid only for the same *pack key*: the build's site key
(amacast's code and templates, the project's templates, the settings, the
cover) and the versions of feedgen, lxml and Jinja2, which write the entries.
A build with another key starts from an empty pack.  Listings and
diagnostics are kept by the transcript's cache key
(:func:`amacast.episode_cache.cache_key`: its path and bytes, the parser),
feed entries and index entries by :func:`amacast.model.made_from`.

:class:`Episodes` is how a build sees its transcripts through the pack:
listings for all; each one that is new or changed loaded whole (parsed, or
from the parsed-episode cache) in the worker that also renders its page;
any other whole episode loaded from that cache when something needs it (a
page to render, audio).
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amacast.episode_cache import Source, load_episodes, map_episodes
from amacast.files import replace_file
from amacast.model import Diagnostic, Episode, Listing
from amacast.validate import validate_episode

PACK_FILE = "build.pickle"
#: The pack file: ``(PACK_FORMAT, key)`` pickled, then records (:meth:`BuildPack.record`).
PACK_FORMAT = "amacast-build-1"


@dataclass
class BuildPack:
    """What a build kept: see the module's documentation."""

    key: str
    #: By transcript cache key: its listing and its own diagnostics.
    listings: dict[str, tuple[Listing, tuple[Diagnostic, ...]]] = field(default_factory=dict)
    #: :attr:`amacast.feeds.Feeds.fragments`.
    fragments: dict[tuple[str, ...], bytes] = field(default_factory=dict)
    #: :attr:`amacast.site.SiteFiles.views`.
    views: dict[tuple[str, ...], Any] = field(default_factory=dict)
    #: The output folder the build wrote, and the size and modification time
    #: (ns) of each episode page it left there: a page that still has them is
    #: as that build wrote it.
    output: str = ""
    pages: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: How many entries the file holds (outdated ones too); -1 when it is damaged.
    stored: int = 0

    def add(
        self,
        listings: dict[str, tuple[Listing, tuple[Diagnostic, ...]]],
        fragments: dict[tuple[str, ...], bytes],
        views: dict[tuple[str, ...], Any],
        output: str,
        pages: dict[str, tuple[int, int]],
    ) -> None:
        """Take in one record of the file (see :meth:`record`)."""
        self.listings.update(listings)
        self.fragments.update(fragments)
        self.views.update(views)
        if output != self.output:
            self.output, self.pages = output, {}
        self.pages.update(pages)
        self.stored += len(listings) + len(fragments) + len(views) + len(pages)

    @property
    def size(self) -> int:
        """How many entries the pack holds."""
        return len(self.listings) + len(self.fragments) + len(self.views) + len(self.pages)

    def record(self, since: BuildPack | None = None) -> tuple[Any, ...]:
        """This pack as one record of the file; with ``since``, only what it adds to that."""

        def new(mapping: dict[Any, Any], old: dict[Any, Any]) -> dict[Any, Any]:
            return {key: value for key, value in mapping.items() if key not in old}

        if since is None:
            return (self.listings, self.fragments, self.views, self.output, self.pages)
        same_output = since.output == self.output
        return (
            new(self.listings, since.listings),
            new(self.fragments, since.fragments),
            new(self.views, since.views),
            self.output,
            {
                path: noted
                for path, noted in self.pages.items()
                if not same_output or since.pages.get(path) != noted
            },
        )


def pack_key(site_key: str) -> str:
    """The key a pack is valid for: the site key and the libraries that write the entries."""
    import feedgen.version
    import jinja2
    import lxml.etree

    return "\0".join(
        [site_key, feedgen.version.version_str, lxml.etree.__version__, jinja2.__version__]
    )


def load_pack(cache_dir: Path, key: str) -> BuildPack:
    """The pack kept for ``key``; an empty one when there is none, or it is unsound or stale.

    Records after a damaged one (a build killed while appending) are not
    read, and the pack says so (``stored`` -1): the next save writes it anew.
    """
    pack = BuildPack(key)
    with contextlib.suppress(OSError), open(cache_dir / PACK_FILE, "rb") as stream:
        try:
            if pickle.load(stream) != (PACK_FORMAT, key):
                return pack
            while True:
                try:
                    record = pickle.load(stream)
                except EOFError:
                    return pack
                pack.add(*record)
        except Exception:  # truncated, or not a pickle at all: nothing more kept
            pack.stored = -1
    return pack


def save_pack(cache_dir: Path, pack: BuildPack, kept: BuildPack) -> None:
    """Keep ``pack`` for the next build, which had ``kept`` (from :func:`load_pack`).

    When ``kept`` is sound, for the same key, and not mostly outdated, only
    what ``pack`` adds to it is appended to the file (one ``write`` to a file
    open for appending: never interleaved with another's); otherwise the file
    is written anew, atomically.  A cache that cannot be written only slows
    the next build.
    """
    outdated = kept.stored > 2 * pack.size + 64
    with contextlib.suppress(OSError):
        if kept.key == pack.key and kept.stored > 0 and not outdated:
            added = pickle.dumps(pack.record(since=kept), protocol=pickle.HIGHEST_PROTOCOL)
            descriptor = os.open(cache_dir / PACK_FILE, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(descriptor, added)
            finally:
                os.close(descriptor)
            return
        header = pickle.dumps((PACK_FORMAT, pack.key), protocol=pickle.HIGHEST_PROTOCOL)
        record = pickle.dumps(pack.record(), protocol=pickle.HIGHEST_PROTOCOL)
        replace_file(cache_dir / PACK_FILE, header + record)


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
    (:func:`amacast.validate.validate_episode` under ``timezone``), by path.
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
