"""The index page's entries, and the pages rendered early, in the parse workers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from amacast.build import keys as key
from amacast.build.manifest import current_audio
from amacast.build.output import Generation
from amacast.build.pack import Episodes, frame_keys
from amacast.build.pages import drop, render_page
from amacast.build.result import Run, has_errors
from amacast.model import AudioInfo, Diagnostic, Episode, Listing, made_from, whole


class EarlyPages:
    """Pages rendered where their episodes are loaded (in the parse workers), as bytes on disk.

    An episode loaded whole because it is new or changed gets its page right
    there, unless its audio is still to be rendered: the page is written into
    the build's scratch folder, and used if its key still holds once every
    episode is known (:meth:`used`); otherwise the file is dropped.
    """

    def __init__(
        self,
        pages: Any,
        previous: Mapping[str, Any],
        run: Run,
        keyer: Callable[[str], str],
        site: str,
        generation: Generation,
    ) -> None:
        self.pages = pages
        self.previous = previous
        self.run = run
        self.keyer = keyer
        self.site = site
        self.folder = generation.scratch  # made before the workers fork: they share it

    def make(self, episode: Episode, own: Sequence[Diagnostic]) -> Any:
        """In a worker: the page key, index entry and written page of one loaded episode."""
        if (episode.draft and not self.run.drafts) or has_errors(own):
            return None
        still = current_audio(
            self.previous, self.run.output, episode.slug, self.keyer(episode.source_hash)
        )
        if still is None and self.run.with_audio:
            return None
        info = still[0] if still is not None else None
        written = render_page(self.pages, episode, info, self.folder)
        view = self.pages.index_item(episode, info) if self.pages.lean else None
        page = key.page_key(pages_site_key(self.site, self.pages), episode, info)
        return page, (made_from(episode, info), view), written

    def used(
        self,
        episodes: Episodes,
        selected: Sequence[Listing],
        good: Sequence[Listing],
        page_keys: Mapping[str, str],
    ) -> dict[str, tuple[tuple[str, ...], Any, dict[str, str]]]:
        """The pages rendered early that hold, by slug; the files of the others dropped.

        Each with its index key and entry, and the page written.

        A page holds when its episode is published, under the slug and with
        the key it was rendered for, and no other episode has its slug.
        """
        slugs = Counter(e.slug for e in good)
        published = {e.path: e.slug for e in good}  # the slug each is published under
        used: dict[str, tuple[tuple[str, ...], Any, dict[str, str]]] = {}
        for episode in selected:
            made = episodes.made.get(episode.path)
            if made is None:
                continue
            page, (index_key, view), written = made
            slug = published.get(episode.path, "")
            if slug == episode.slug and page_keys[slug] == page and slugs[slug] == 1:
                used[slug] = (index_key, view, written)
            else:
                drop(self.folder, list(written))
        return used


def index_entries(
    pages: Any,
    episodes: Sequence[Episode | Listing],
    audio: Mapping[str, AudioInfo],
    kept: Mapping[tuple[str, ...], str],
    full: Callable[[Listing], Episode],
) -> dict[tuple[str, ...], Any]:
    """The index's entries, newest first, by what each is made from.

    On a lean index (:attr:`amacast.site.pages.Pages.lean`) each is its HTML,
    kept ones reused; else each is the episode as the index's template sees it.
    """
    from amacast.site.pages import (
        newest_first,  # as Pages: a build that writes nothing never loads it
    )

    entries: dict[tuple[str, ...], Any] = {}
    for episode in newest_first(episodes):
        info = audio.get(episode.slug)
        made = made_from(episode, info)
        if not pages.lean:
            entries[made] = pages.index_entry(whole(episode, full), info)
            continue
        entry = kept.get(made)
        entries[made] = entry if entry is not None else pages.index_item(whole(episode, full), info)
    return entries


def index_page(pages: Any, entries: dict[tuple[str, ...], Any], kept: Mapping[Any, str]) -> bytes:
    """The index page; a lean one from its entries' HTML and the parts around them.

    Those parts, kept in ``kept`` from an earlier build (or made now), are
    added to ``entries`` under their keys, for the next build.
    """
    if not pages.lean:
        return bytes(pages.index(list(entries.values())))
    head, tail = frame_keys(pages.has_podcast_feed)
    frame = (kept[head], kept[tail]) if head in kept and tail in kept else pages.index_frame()
    items = list(entries.values())
    if frame is not None:
        entries[head], entries[tail] = frame
    return bytes(pages.index_of(items, frame))


def pages_site_key(site: str, pages: Any) -> str:
    """The site key of the pages: whether they link a podcast feed is part of it."""
    return f"{site}\0podcast" if pages.has_podcast_feed else site
