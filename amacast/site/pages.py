"""The static site: an index page and one page per episode, from Jinja2 templates.

``render_site`` is pure: it returns every file as bytes keyed by its path
relative to the output folder, and the caller writes them.  Every link in the
pages is relative (``../../audio/x.mp3``) so the site works under any base
path (``https://user.github.io/repo/``) and from a local server; only the
canonical and social-card URLs are absolute, built from ``base_url``.  Nothing
in the output depends on the time of the build, so an unchanged episode gives
the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from markupsafe import Markup

from amacast.config import Settings
from amacast.model import (
    AudioInfo,
    Episode,
    Listing,
)
from amacast.site.links import absolute_url, base_url, cover_path
from amacast.site.precompiled import packaged_loader, site_environment, source_loader
from amacast.site.static import encode, static_files
from amacast.site.views import EpisodeView, episode_view

T = TypeVar("T", Episode, Listing, Episode | Listing)


def render_site(
    episodes: Sequence[Episode],
    settings: Settings,
    audio: Mapping[str, AudioInfo],
    template_dir: Path | None = None,
    *,
    pages: Container[str] | None = None,
) -> dict[str, bytes]:
    """Render the whole site: path relative to the output folder -> file content.

    ``episodes`` are shown as given (the caller leaves drafts out), newest
    first; ``audio`` maps a slug to what rendering produced for it and is
    empty when there is no audio.  Templates in ``template_dir`` (the
    project's ``templates/`` folder) win over the packaged ones of the same
    name.  ``pages`` limits the episode pages rendered to these slugs (the
    caller has the others from a previous build); the index lists every
    episode all the same.
    """
    maker = Pages(settings, template_dir)
    # No episode with audio, no podcast feed (amacast.feeds writes none): no link to it.
    maker.show_podcast_feed(bool(audio))
    ordered = newest_first(episodes)
    files = dict(
        maker.render(e, audio.get(e.slug)) for e in ordered if pages is None or e.slug in pages
    )
    files["index.html"] = maker.index([maker.index_entry(e, audio.get(e.slug)) for e in ordered])
    files.update(static_files(template_dir))
    return files


def newest_first(episodes: Sequence[T]) -> list[T]:
    """Episodes (or listings) newest first, undated last, ties by slug."""
    return sorted(episodes, key=_newest_first)


#: Templates that, overridden by a project, may show an episode's transcript on the index.
INDEX_TEMPLATES = ("index.html", "base.html", "index_entry.html")


class Pages:
    """Episode pages and the index, one at a time: the templates compiled once.

    Made before worker processes fork, which inherit it.  ``lean`` is True
    when the project overrides none of :data:`INDEX_TEMPLATES`: the packaged
    index shows no transcript, so each of its entries is HTML made from the
    episode's listing and audio alone (:meth:`index_item`), which a build may
    keep from one build to the next, and the index is those entries put
    between the parts of the page around them (:meth:`index_frame`,
    :func:`spliced_index`).
    """

    def __init__(self, settings: Settings, template_dir: Path | None = None) -> None:
        self.settings = settings
        self.env = make_environment(template_dir)
        # Compiled here, before worker processes fork and inherit them; index.html only
        # when a build renders the index page rather than splicing it (index_of).
        self.page = self.env.get_template("episode.html")
        self.entry = self.env.get_template("index_entry.html")
        self.site = _site_context(settings)
        self.has_podcast_feed = True
        self.lean = not any(
            template_dir is not None and (template_dir / name).is_file() for name in INDEX_TEMPLATES
        )
        # The episode, audio and view of the page rendered last: its index entry reuses the view.
        self._last: tuple[Episode, AudioInfo | None, EpisodeView] | None = None

    def show_podcast_feed(self, shown: bool) -> None:
        """Link the podcast feed from every page, or not (there is none without audio)."""
        if shown != self.has_podcast_feed:
            self.has_podcast_feed = shown
            self.site = _site_context(self.settings, podcast=shown)

    def render(self, episode: Episode, info: AudioInfo | None) -> tuple[str, bytes]:
        """The episode's page: its path in the output, and its bytes."""
        view = episode_view(episode, self.settings, info)
        self._last = (episode, info, view)
        html = self.page.render(site=self.site, episode=view, root="../../", page_url=view.url)
        return view.page_path, encode(html)

    def index_entry(self, episode: Episode, info: AudioInfo | None) -> EpisodeView:
        """The episode as the index shows it (without its transcript on a lean index).

        On a lean index, the view of the page just rendered for the same
        episode and audio serves: the packaged index templates show nothing
        that only the page's view has.
        """
        last = self._last
        if self.lean and last is not None and last[0] is episode and last[1] is info:
            return last[2]
        return episode_view(episode, self.settings, info, content=not self.lean)

    def index_item(self, episode: Episode | EpisodeView, info: AudioInfo | None) -> Markup:
        """The HTML of the episode's entry on the index (``index_entry.html``)."""
        view = episode if isinstance(episode, EpisodeView) else self.index_entry(episode, info)
        return Markup(self.entry.render(episode=view, root=""))

    def index(self, entries: Sequence[EpisodeView]) -> bytes:
        """The index page listing ``entries`` (newest first, as given)."""
        views = list(entries)
        return encode(self._index(views, [self.index_item(view, None) for view in views]))

    def index_of(self, items: Sequence[str], frame: tuple[str, str] | None) -> bytes:
        """The index of a lean site from its entries' HTML (:meth:`index_item`), newest first.

        ``frame`` is :meth:`index_frame`'s, kept from an earlier build (None:
        the template renders the page); the result is the same bytes.
        """
        if frame is not None and items:
            return spliced_index(frame, items)
        return encode(self._index([], [Markup(item) for item in items]))

    def index_frame(self) -> tuple[str, str] | None:
        """The index page's text before its first entry and after its last one.

        None when the template does not put each entry on its own line between
        the two (then only the template makes the page).
        """
        marks = [f"\0amacast-index-entry-{n}\0" for n in range(2)]
        html = self._index([], [Markup(mark) for mark in marks])
        head, first, rest = html.partition(marks[0])
        between, second, tail = rest.partition(marks[1])
        if not first or not second or between != "\n" or not tail.startswith("\n"):
            return None
        return head, tail[1:]

    def _index(self, views: list[EpisodeView], items: list[Markup]) -> str:
        return self.env.get_template("index.html").render(
            site=self.site, episodes=views, entries=items, root="", page_url=self.site["base_url"]
        )


def spliced_index(frame: tuple[str, str], items: Sequence[str]) -> bytes:
    """The index page from :meth:`Pages.index_frame` and its entries' HTML."""
    head, tail = frame
    return encode("".join([head, *(f"{item}\n" for item in items), tail]))


def make_environment(
    template_dir: Path | None = None, *, compiled: bool = True
) -> jinja2.Environment:
    """The Jinja2 environment: the user's templates first, then the packaged ones.

    The packaged templates come compiled with the package
    (:mod:`amacast.site.precompiled`; from their source when ``compiled`` is
    False); the user's are compiled anew by every build: Jinja2's bytecode
    cache would load code from a folder (the project's cache, restored by CI
    from elsewhere) that nothing vouches for.
    """
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None and template_dir.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(packaged_loader() if compiled else source_loader())
    return site_environment(jinja2.ChoiceLoader(loaders))


def _newest_first(episode: Episode | Listing) -> tuple[int, float, str]:
    if episode.date is None:
        return (1, 0.0, episode.slug)
    moment = episode.date
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (0, -moment.timestamp(), episode.slug)


class SiteContext(dict[str, Any]):
    """What every page knows of the site: a dict whose keys read as attributes too.

    Jinja looks ``site.title`` up as an attribute before it tries the key:
    found there, a page's dozen uses of ``site`` raise no AttributeError each.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.__dict__.update(values)


def _site_context(settings: Settings, podcast: bool = True) -> SiteContext:
    """What every page knows of the site; ``podcast`` False hides the podcast feed's links."""
    base = base_url(settings)
    cover = cover_path(settings.image)
    return SiteContext(
        {
            "title": settings.title,
            "description": settings.description,
            "author": settings.author,
            "language": settings.language or "en",
            "base_url": base,
            "cover": cover,
            "cover_url": absolute_url(base, cover),
            "podcast_feed": "podcast.xml" if podcast else "",
            "atom_feed": "atom.xml",
        }
    )
