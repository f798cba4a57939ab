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
import html
import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from amacast.config import Settings
from amacast.markup import clean_html
from amacast.model import (
    AudioInfo,
    Block,
    Chapter,
    Episode,
    Listing,
    Speaker,
    Turn,
)

T = TypeVar("T", Episode, Listing, Episode | Listing)

STATIC_FILES: tuple[str, ...] = ("style.css", "player.js", "favicon.svg")
"""Files copied as they are to the root of the site (a user's copy in the
project's ``templates/`` folder wins)."""

_SIDECAR_LABELS: dict[str, str] = {
    "vtt": "Transcript (WebVTT)",
    "html": "Transcript (HTML)",
    "srt": "Transcript (SubRip)",
    "json": "Transcript (JSON)",
    "chapters": "Chapters (JSON)",
}
_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)


@dataclass(frozen=True)
class SpeakerView:
    """A speaker as the episode page lists it."""

    name: str
    role: str
    count: int = 1


@dataclass(frozen=True)
class TurnView:
    """One turn of the transcript, ready for a template."""

    anchor: str
    speaker_code: str
    speaker_name: str
    role: str
    html: Markup
    start: float | None
    start_label: str


@dataclass(frozen=True)
class ChapterView:
    """One chapter link that seeks the player."""

    title: str
    start: float
    start_label: str
    href: str
    turn_anchor: str


@dataclass(frozen=True)
class DownloadView:
    """One download link."""

    label: str
    href: str
    type: str


@dataclass(frozen=True)
class EpisodeView:
    """Everything the episode template and the index need about one episode."""

    slug: str
    title: str
    description: str
    date_iso: str
    date_label: str
    url: str
    page_path: str
    speakers: tuple[SpeakerView, ...]
    preamble_html: Markup
    epilogue_html: Markup
    turns: tuple[TurnView, ...]
    chapters: tuple[ChapterView, ...]
    downloads: tuple[DownloadView, ...]
    audio_src: str
    audio_type: str
    duration: float | None
    duration_label: str


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


def static_files(template_dir: Path | None) -> dict[str, bytes]:
    """The files copied as they are to the root of the site (a project's own copy wins)."""
    return {name: _static_file(name, template_dir) for name in STATIC_FILES}


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

    def show_podcast_feed(self, shown: bool) -> None:
        """Link the podcast feed from every page, or not (there is none without audio)."""
        if shown != self.has_podcast_feed:
            self.has_podcast_feed = shown
            self.site = _site_context(self.settings, podcast=shown)

    def render(self, episode: Episode, info: AudioInfo | None) -> tuple[str, bytes]:
        """The episode's page: its path in the output, and its bytes."""
        view = _episode_view(episode, self.settings, info)
        html = self.page.render(site=self.site, episode=view, root="../../", page_url=view.url)
        return view.page_path, _encode(html)

    def index_entry(self, episode: Episode, info: AudioInfo | None) -> EpisodeView:
        """The episode as the index shows it (without its transcript on a lean index)."""
        return _episode_view(episode, self.settings, info, content=not self.lean)

    def index_item(self, episode: Episode | EpisodeView, info: AudioInfo | None) -> Markup:
        """The HTML of the episode's entry on the index (``index_entry.html``)."""
        view = episode if isinstance(episode, EpisodeView) else self.index_entry(episode, info)
        return Markup(self.entry.render(episode=view, root=""))

    def index(self, entries: Sequence[EpisodeView]) -> bytes:
        """The index page listing ``entries`` (newest first, as given)."""
        views = list(entries)
        return _encode(self._index(views, [self.index_item(view, None) for view in views]))

    def index_of(self, items: Sequence[str], frame: tuple[str, str] | None) -> bytes:
        """The index of a lean site from its entries' HTML (:meth:`index_item`), newest first.

        ``frame`` is :meth:`index_frame`'s, kept from an earlier build (None:
        the template renders the page); the result is the same bytes.
        """
        if frame is not None and items:
            return spliced_index(frame, items)
        return _encode(self._index([], [Markup(item) for item in items]))

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
    return _encode("".join([head, *(f"{item}\n" for item in items), tail]))


def make_environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment: the user's templates first, then the packaged ones.

    Templates are compiled anew by every build: Jinja2's bytecode cache would
    load code from a folder (the project's cache, restored by CI from
    elsewhere) that nothing vouches for.
    """
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None and template_dir.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.PackageLoader("amacast", "templates"))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        auto_reload=False,  # a build's templates do not change under it: no stat per page
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def sanitize_html(html: str, top: int = 4) -> Markup:
    """Transcript HTML made safe for a page: nh3-cleaned, its headings moved down.

    The highest heading in ``html`` becomes ``h<top>`` and the others keep
    their distance to it, so transcript headings sit below the page's own.
    """
    cleaned = clean_html(html)
    return Markup(_shift_headings(cleaned, top - _highest_heading(cleaned)))


def episode_page_path(slug: str) -> str:
    """The episode page's path relative to the output folder."""
    return f"episodes/{slug}/index.html"


def redirect_page(target: str, canonical: str, language: str = "en") -> bytes:
    """The bytes of a page that sends its readers on to ``target`` at once.

    A meta refresh for browsers, a canonical link for search engines (at the
    absolute URL ``canonical``) and a plain link for everyone else; marked
    ``noindex``.  What Hugo writes for a page's ``aliases``.
    """
    href, url = html.escape(target, quote=True), html.escape(canonical, quote=True)
    lang = html.escape(language or "en", quote=True)
    return _encode(
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>Moved to {url}</title>\n"
        f'<link rel="canonical" href="{url}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<meta http-equiv="refresh" content="0; url={href}">\n'
        "</head>\n"
        "<body>\n"
        f'<p>This page has moved to <a href="{href}">{url}</a>.</p>\n'
        "</body>\n"
        "</html>\n"
    )


def redirect_pages(moves: Mapping[str, str], settings: Settings) -> dict[str, bytes]:
    """A redirect page at each old episode URL: old slug → new slug in, path → bytes out.

    The refresh and the link are relative (``../new-slug/``), as every link of
    the site is; the canonical link is the new page's absolute URL.
    """
    return {
        episode_page_path(old): redirect_page(
            f"../{quote(new)}/", settings.episode_url(new), settings.language
        )
        for old, new in sorted(moves.items())
        if old != new
    }


def format_duration(seconds: float) -> str:
    """``75.4`` -> ``1:15``; an hour or more -> ``1:02:03``."""
    total = max(0, int(round(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def _highest_heading(html: str) -> int:
    levels = [int(m.group(2)) for m in _HEADING_TAG.finditer(html) if not m.group(1)]
    return min(levels, default=1)


def _shift_headings(html: str, shift: int) -> str:
    def replace(match: re.Match[str]) -> str:
        level = max(1, min(6, int(match.group(2)) + shift))
        return f"<{match.group(1)}h{level}"

    return _HEADING_TAG.sub(replace, html)


def _encode(text: str) -> bytes:
    return text.encode("utf-8")


#: The packaged static files, where the package is a folder (the usual install).
_STATIC = Path(__file__).resolve().parent / "static"


def _static_file(name: str, template_dir: Path | None) -> bytes:
    if template_dir is not None and (template_dir / name).is_file():
        return (template_dir / name).read_bytes()
    if (_STATIC / name).is_file():  # read as a file: importlib.resources costs start-up time
        return (_STATIC / name).read_bytes()
    from importlib import resources  # a package in an archive; here for start-up time

    return resources.files("amacast").joinpath("static").joinpath(name).read_bytes()


def _newest_first(episode: Episode | Listing) -> tuple[int, float, str]:
    if episode.date is None:
        return (1, 0.0, episode.slug)
    moment = episode.date
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (0, -moment.timestamp(), episode.slug)


def _base_url(settings: Settings) -> str:
    base = str(settings.base_url or "")
    return base if base.endswith("/") or not base else base + "/"


def _site_context(settings: Settings, podcast: bool = True) -> dict[str, Any]:
    """What every page knows of the site; ``podcast`` False hides the podcast feed's links."""
    base = _base_url(settings)
    cover = cover_path(settings.image)
    return {
        "title": settings.title,
        "description": settings.description,
        "author": settings.author,
        "language": settings.language or "en",
        "base_url": base,
        "cover": cover,
        "cover_url": _absolute(base, cover),
        "podcast_feed": "podcast.xml" if podcast else "",
        "atom_feed": "atom.xml",
    }


def cover_path(image: str) -> str:
    """Where the cover is: an absolute URL as given, else ``cover.<ext>`` in the output."""
    image = (image or "").strip()
    if not image:
        return ""
    if re.match(r"^[a-z][a-z0-9+.-]*://", image, re.IGNORECASE):
        return image
    suffix = PurePosixPath(image.replace("\\", "/")).suffix.lower()
    return f"cover{suffix}" if suffix else ""


def _absolute(base: str, path: str) -> str:
    if not path or "://" in path:
        return path
    return base + path if base else path


def _episode_view(
    episode: Episode, settings: Settings, info: AudioInfo | None, content: bool = True
) -> EpisodeView:
    """The episode as templates see it; without ``content``, no transcript HTML (for the index)."""
    base = _base_url(settings)
    page_path = episode_page_path(episode.slug)
    published = episode.published(_timezone(settings))
    date_iso = published.isoformat() if published is not None else ""
    date_label = f"{published:%d %B %Y}".lstrip("0") if published is not None else ""
    turn_starts = _turn_starts(info)
    turns = tuple(
        _turn_view(episode, turn, turn_starts.get(turn.index))
        for turn in (episode.turns if content else ())
    )
    chapters = tuple(_chapter_view(chapter) for chapter in info.chapters) if info else ()
    audio_src = _audio_src(settings, info, root="../../") if info else ""
    return EpisodeView(
        slug=episode.slug,
        title=episode.title,
        description=episode.description,
        date_iso=date_iso,
        date_label=date_label,
        url=base + f"episodes/{quote(episode.slug)}/",
        page_path=page_path,
        speakers=_speaker_views(episode.speakers),
        preamble_html=_blocks_html(episode.preamble if content else (), top=3),
        epilogue_html=_blocks_html(episode.epilogue if content else (), top=3),
        turns=turns,
        chapters=chapters,
        downloads=_downloads(settings, info, audio_src),
        audio_src=audio_src,
        audio_type="audio/mpeg",
        duration=info.duration if info else None,
        duration_label=format_duration(info.duration) if info else "",
    )


def _timezone(settings: Settings) -> dt.tzinfo:
    try:
        return settings.tz
    except Exception:  # an unknown zone was reported by the config check
        return dt.UTC


def _audio_src(settings: Settings, info: AudioInfo, root: str) -> str:
    external = settings.audio_base_url
    if external:
        if not external.endswith("/"):
            external += "/"
        return external + quote(PurePosixPath(info.mp3_path).name)
    return root + quote(info.mp3_path)


def _downloads(
    settings: Settings, info: AudioInfo | None, audio_src: str
) -> tuple[DownloadView, ...]:
    if info is None:
        return ()
    links = [DownloadView(label="Audio (MP3)", href=audio_src, type="audio/mpeg")]
    for kind, label in _SIDECAR_LABELS.items():
        path = info.sidecars.get(kind)
        if path:
            links.append(DownloadView(label=label, href="../../" + quote(path), type=_mime(path)))
    return tuple(links)


def _mime(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    return {
        ".vtt": "text/vtt",
        ".html": "text/html",
        ".srt": "application/x-subrip",
        ".json": "application/json",
        ".mp3": "audio/mpeg",
    }.get(suffix, "application/octet-stream")


def _speaker_views(speakers: Sequence[Speaker]) -> tuple[SpeakerView, ...]:
    """Speakers in Legend order; a ``P(n)`` pattern shows once, with how many spoke."""
    entries: list[tuple[Speaker, int]] = []
    groups: dict[str, int] = {}
    for speaker in speakers:
        if speaker.pattern and speaker.pattern in groups:
            at = groups[speaker.pattern]
            entries[at] = (entries[at][0], entries[at][1] + 1)
            continue
        if speaker.pattern:
            groups[speaker.pattern] = len(entries)
        entries.append((speaker, 1))
    views: list[SpeakerView] = []
    for speaker, count in entries:
        if not speaker.pattern or count == 1:
            views.append(SpeakerView(speaker.name, speaker.role))
        else:
            views.append(SpeakerView(_plural(_pattern_name(speaker)), speaker.role, count))
    return tuple(views)


def _plural(name: str) -> str:
    return name if name.endswith("s") else name + "s"


def _pattern_name(speaker: Speaker) -> str:
    return re.sub(r"\s*#?\d+$", "", speaker.name) or speaker.name


def _turn_starts(info: AudioInfo | None) -> dict[int, float]:
    starts: dict[int, float] = {}
    if info is None:
        return starts
    for cue in info.cues:
        if cue.turn_index is not None and cue.turn_index not in starts:
            starts[cue.turn_index] = cue.start
    for chapter in info.chapters:
        if chapter.turn_index is not None:
            starts.setdefault(chapter.turn_index, chapter.start)
    return starts


def _turn_view(episode: Episode, turn: Turn, start: float | None) -> TurnView:
    speaker = episode.speaker(turn.speaker)
    return TurnView(
        anchor=f"turn-{turn.index}",
        speaker_code=turn.speaker,
        speaker_name=speaker.name if speaker else turn.speaker,
        role=speaker.role if speaker else "",
        html=_blocks_html(turn.blocks, top=4),
        start=round(start, 3) if start is not None else None,
        start_label=format_duration(start) if start is not None else "",
    )


def _chapter_view(chapter: Chapter) -> ChapterView:
    start = round(chapter.start, 3)
    seconds = f"{start:.3f}".rstrip("0").rstrip(".")
    return ChapterView(
        title=chapter.title,
        start=start,
        start_label=format_duration(chapter.start),
        href=f"#t={seconds}",
        turn_anchor=f"turn-{chapter.turn_index}" if chapter.turn_index is not None else "",
    )


def _blocks_html(blocks: Sequence[Block], top: int) -> Markup:
    """The blocks' HTML (cleaned when parsed) with their highest heading at ``h<top>``."""
    cleaned = "\n".join(block.html for block in blocks if block.html)
    return Markup(_shift_headings(cleaned, top - _highest_heading(cleaned)))
