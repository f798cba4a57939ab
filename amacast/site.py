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

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
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
    made_from,
    whole,
)
from amacast.staging import Target, write_files
from amacast.workers import forked_pool, worker_count

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
    jobs: int | None = None,
) -> dict[str, bytes]:
    """Render the whole site: path relative to the output folder -> file content.

    ``episodes`` are shown as given (the caller leaves drafts out), newest
    first; ``audio`` maps a slug to what rendering produced for it and is
    empty when there is no audio.  Templates in ``template_dir`` (the
    project's ``templates/`` folder) win over the packaged ones of the same
    name.  ``pages`` limits the episode pages rendered to these slugs (the
    caller has the others from a previous build); the index lists every
    episode all the same.  Many pages are rendered in ``jobs`` worker
    processes (default: the machine's cores).
    """
    with site_rendering(episodes, settings, audio, template_dir, pages=pages, jobs=jobs) as files:
        return files().files


@dataclass(frozen=True)
class SiteFiles:
    """What :func:`site_rendering` made: files as bytes, and those it wrote itself.

    ``written`` is what :func:`amacast.staging.write_files` returned for the
    episode pages written for the output (empty unless the rendering was given one).
    ``views`` are the index's entries, by :func:`amacast.model.made_from`
    (empty when the project's own templates may show more of each episode).
    """

    files: dict[str, bytes]
    written: dict[str, str | None]
    views: dict[tuple[str, ...], EpisodeView] = field(default_factory=dict)


#: Fewer pages than this per worker are rendered in this process.
PAGES_PER_WORKER = 48
#: Pages a worker renders per task.
PAGES_PER_TASK = 16
# What page workers read: set before they are forked, cleared after.
_forked: dict[str, Any] = {}


@contextlib.contextmanager
def site_rendering(
    episodes: Sequence[Episode | Listing],
    settings: Settings,
    audio: Mapping[str, AudioInfo],
    template_dir: Path | None = None,
    *,
    pages: Container[str] | None = None,
    jobs: int | None = None,
    compiled: Path | None = None,
    into: Target | None = None,
    kept_views: Mapping[tuple[str, ...], EpisodeView] | None = None,
    full: Callable[[Listing], Episode] | None = None,
    maker: Pages | None = None,
) -> Iterator[Callable[[], SiteFiles]]:
    """:func:`render_site` started: the pages render in workers while the caller works.

    Yields a function that returns the site's files once all are rendered
    (call it inside the ``with``).  ``compiled`` is a folder that keeps the
    compiled templates between builds.  With ``into``, the episode pages
    are written there by whoever renders them (:func:`amacast.staging.write_files`)
    rather than returned.
    ``kept_views`` are :attr:`SiteFiles.views` of a build with the same
    settings and templates; an episode whose page is not rendered and whose
    view is kept may be given as its Listing, ``full`` loads the others.
    ``maker`` is the :class:`Pages` of these settings and templates, when the
    caller has one already.
    """
    if maker is None:
        maker = Pages(settings, template_dir, compiled)  # compiled once, before workers fork
    # No episode with audio, no podcast feed (amacast.feeds writes none): no link to it.
    maker.show_podcast_feed(bool(audio))
    env, site, lean = maker.env, maker.site, maker.lean
    ordered = sorted(episodes, key=_newest_first)
    wanted = [whole(e, full) for e in ordered if pages is None or e.slug in pages]
    kept_views = kept_views if lean and kept_views is not None else {}
    _forked.update(pages=maker, audio=audio, into=into, episodes={e.slug: e for e in wanted})
    try:
        workers = worker_count(len(wanted), jobs, minimum=PAGES_PER_WORKER)
        with forked_pool(workers) as pool:
            slugs = [e.slug for e in wanted]
            chunks = [slugs[i : i + PAGES_PER_TASK] for i in range(0, len(slugs), PAGES_PER_TASK)]
            rendered = pool.map(_page_task, chunks) if pool is not None else None

            def files() -> SiteFiles:
                views: dict[tuple[str, ...], EpisodeView] = {}
                for episode in ordered:
                    info = audio.get(episode.slug)
                    key = made_from(episode, info)
                    view = kept_views.get(key)
                    if view is None:
                        view = _episode_view(whole(episode, full), settings, info, content=not lean)
                    views[key] = view
                result = {
                    "index.html": _encode(
                        env.get_template("index.html").render(
                            site=site,
                            episodes=list(views.values()),
                            root="",
                            page_url=site["base_url"],
                        )
                    )
                }
                written: dict[str, str | None] = {}
                for made, hashes in rendered if rendered is not None else map(_page_task, chunks):
                    result.update(made)
                    written.update(hashes)
                for name in STATIC_FILES:
                    result[name] = _static_file(name, template_dir)
                return SiteFiles(result, written, views if lean else {})

            yield files
    finally:
        _forked.clear()


def _page_task(slugs: Sequence[str]) -> tuple[dict[str, bytes], dict[str, str | None]]:
    """Episode pages by slug, from the episodes and templates :func:`site_rendering` set up.

    Returns the pages, or, when they are to be written, their hashes.
    """
    maker: Pages = _forked["pages"]
    rendered = dict(
        maker.render(_forked["episodes"][slug], _forked["audio"].get(slug)) for slug in slugs
    )
    if _forked["into"] is None:
        return rendered, {}
    return {}, write_files(_forked["into"], rendered)


class Pages:
    """Episode pages, one at a time, wherever the episode is: the templates compiled once.

    Made before worker processes fork, which inherit it.  ``lean`` is True
    when the project overrides neither ``index.html`` nor ``base.html``: the
    packaged index shows no transcript, so its entries (:meth:`index_view`)
    carry none.
    """

    def __init__(
        self, settings: Settings, template_dir: Path | None = None, compiled: Path | None = None
    ) -> None:
        self.settings = settings
        self.env = make_environment(template_dir, compiled)
        self.page = self.env.get_template("episode.html")
        self.site = _site_context(settings)
        self.has_podcast_feed = True
        self.lean = not any(
            template_dir is not None and (template_dir / name).is_file()
            for name in ("index.html", "base.html")
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

    def index_view(self, episode: Episode, info: AudioInfo | None) -> EpisodeView | None:
        """The episode's entry on a lean index (None when the index is not lean)."""
        return _episode_view(episode, self.settings, info, content=False) if self.lean else None


def make_environment(
    template_dir: Path | None = None, compiled: Path | None = None
) -> jinja2.Environment:
    """The Jinja2 environment: the user's templates first, then the packaged ones.

    With ``compiled``, templates compiled once are kept in that folder
    (Jinja2 checks each against its source) and not compiled again.
    """
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None and template_dir.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.PackageLoader("amacast", "templates"))
    bytecode = None
    if compiled is not None:
        with contextlib.suppress(OSError):  # without the folder, templates are compiled each time
            compiled.mkdir(parents=True, exist_ok=True)
            bytecode = jinja2.FileSystemBytecodeCache(str(compiled))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        bytecode_cache=bytecode,
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


def _static_file(name: str, template_dir: Path | None) -> bytes:
    if template_dir is not None and (template_dir / name).is_file():
        return (template_dir / name).read_bytes()
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
