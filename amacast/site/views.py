"""Episodes as the templates see them: plain views with the transcript as safe HTML."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from markupsafe import Markup

from amacast.config import Settings
from amacast.markup import clean_html
from amacast.model import AudioInfo, Block, Chapter, Episode, Speaker, Turn
from amacast.site.links import base_url, episode_page_path

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


def episode_view(
    episode: Episode, settings: Settings, info: AudioInfo | None, content: bool = True
) -> EpisodeView:
    """The episode as templates see it; without ``content``, no transcript HTML (for the index)."""
    base = base_url(settings)
    page_path = episode_page_path(episode.slug)
    published = episode.published(_timezone(settings))
    date_iso = published.isoformat() if published is not None else ""
    date_label = f"{published:%d %B %Y}".lstrip("0") if published is not None else ""
    turns = _turn_views(episode, info) if content else ()
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


def _turn_views(episode: Episode, info: AudioInfo | None) -> tuple[TurnView, ...]:
    starts = _turn_starts(info)
    speakers: dict[str, Speaker] = {}
    for speaker in reversed(episode.speakers):  # the first of a code wins, as in Episode.speaker
        speakers[speaker.code] = speaker
    return tuple(
        _turn_view(turn, speakers.get(turn.speaker), starts.get(turn.index))
        for turn in episode.turns
    )


def _turn_view(turn: Turn, speaker: Speaker | None, start: float | None) -> TurnView:
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
    cleaned = "\n".join([block.html for block in blocks if block.html])
    if _HEADING_TAG.search(cleaned) is None:  # most turns: no heading tag to move
        return Markup(cleaned)
    return Markup(_shift_headings(cleaned, top - _highest_heading(cleaned)))


def sanitize_html(html: str, top: int = 4) -> Markup:
    """Transcript HTML made safe for a page: nh3-cleaned, its headings moved down.

    The highest heading in ``html`` becomes ``h<top>`` and the others keep
    their distance to it, so transcript headings sit below the page's own.
    """
    cleaned = clean_html(html)
    return Markup(_shift_headings(cleaned, top - _highest_heading(cleaned)))


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
