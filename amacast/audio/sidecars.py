"""Files that travel with an episode's MP3, written from the real timings of its audio.

- WebVTT and SRT captions: each spoken paragraph cut into cards that respect
  the Podcast Index limits (:mod:`amacast.audio.captions`: SRT 32 characters a line,
  VTT 65, 2 lines a card), the speaker named on a paragraph's first card
  (VTT ``<v Name>``, SRT ``Name: …``);
- the HTML transcript of the Podcasting 2.0 format: a bare document of
  ``<cite>`` (speaker), ``<time>`` (start) and ``<p>`` (each paragraph);
- the Podcasting 2.0 JSON transcript (``{"version": "1.0.0", "segments": […]}``);
- Podcasting 2.0 JSON chapters (``{"version": "1.2.0", "chapters": […]}``);
- ``audio/<slug>.json``: the :class:`~amacast.model.AudioInfo` itself, so a later
  build knows durations and byte lengths without decoding the MP3
  (:func:`load_audio_info`).

Paths are relative to the output folder and shared with the feeds and the site
(:func:`sidecar_paths`).  Formats: Podcast Index ``transcripts/transcripts.md``
and ``chapters/jsonChapters.md``.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from amacast.audio.captions import MAX_LINES, SRT_LINE, VTT_LINE, timed_cards
from amacast.model import AudioInfo, Chapter, Cue

TRANSCRIPT_VERSION = "1.0.0"
CHAPTERS_VERSION = "1.2.0"
AUDIO_INFO_VERSION = 1

#: Media types to announce the sidecars with (podcast:transcript / podcast:chapters ``type``).
MEDIA_TYPES: Mapping[str, str] = {
    "vtt": "text/vtt",
    "html": "text/html",
    "srt": "application/x-subrip",
    "json": "application/json",
    "chapters": "application/json+chapters",
}


def mp3_path(slug: str) -> str:
    """Where an episode's MP3 goes, relative to the output folder."""
    return f"audio/{slug}.mp3"


def audio_info_path(slug: str) -> str:
    """Where an episode's :class:`AudioInfo` JSON goes, relative to the output folder."""
    return f"audio/{slug}.json"


def sidecar_paths(slug: str) -> dict[str, str]:
    """The sidecars of an episode by kind (``vtt``, ``html``, ``srt``, ``json``, ``chapters``)."""
    return {
        "vtt": f"transcripts/{slug}.vtt",
        "html": f"transcripts/{slug}.html",
        "srt": f"transcripts/{slug}.srt",
        "json": f"transcripts/{slug}.json",
        "chapters": f"chapters/{slug}.json",
    }


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, int(round(seconds * 1000)))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_text(cues: Iterable[Cue]) -> str:
    """A WebVTT file: each paragraph in cues of at most 2 lines of 65 characters.

    The first cue of a paragraph names its speaker in a ``<v Name>`` span.
    """
    parts = ["WEBVTT", ""]
    number = 0
    for cue in cues:
        name = _vtt_escape(_one_line(cue.speaker_name or cue.speaker))
        for card in timed_cards(_one_line(cue.text), cue.start, cue.end, VTT_LINE):
            number += 1
            text = "\n".join(_vtt_escape(line) for line in card.lines)
            parts += [
                str(number),
                f"{_clock(card.start, '.')} --> {_clock(card.end, '.')}",
                f"<v {name}>{text}" if card.first else text,
                "",
            ]
    return "\n".join(parts)


def srt_text(cues: Iterable[Cue]) -> str:
    """An SRT file: each paragraph in cards of at most 2 lines of 32 characters.

    The first card of a paragraph starts with ``Name:``.
    """
    parts: list[str] = []
    number = 0
    for cue in cues:
        prefix = _one_line(cue.speaker_name or cue.speaker) + ": "
        cards = timed_cards(
            _one_line(cue.text), cue.start, cue.end, SRT_LINE, max_lines=MAX_LINES, prefix=prefix
        )
        for card in cards:
            number += 1
            parts += [
                str(number),
                f"{_clock(card.start, ',')} --> {_clock(card.end, ',')}",
                *card.lines,
                "",
            ]
    return "\n".join(parts)


def _html_escape(text: str) -> str:
    """Text for an HTML element (quotes stay as they are; attributes are escaped apart)."""
    return html.escape(text, quote=False)


def _spoken_at(seconds: float) -> tuple[str, str]:
    """A start time as shown (``1:05``, ``1:02:03``) and as ``<time datetime>`` wants it."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    shown = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return shown, f"PT{hours}H{minutes}M{secs}S" if hours else f"PT{minutes}M{secs}S"


def transcript_html(cues: Iterable[Cue], *, title: str = "", language: str = "") -> str:
    """The Podcasting 2.0 HTML transcript: ``<cite>``, ``<time>`` and ``<p>``, nothing else.

    A turn (consecutive paragraphs of one speaker in one turn) gets one
    ``<cite>Name:</cite>`` and one ``<time>`` of its start, then a ``<p>``
    per paragraph.  The document is bare: a doctype, the character set and
    a title, so that a browser shows it as UTF-8.
    """
    lang = f' lang="{html.escape(language, quote=True)}"' if language else ""
    parts = [
        "<!DOCTYPE html>",
        f"<html{lang}>",
        '<meta charset="utf-8">',
        f"<title>{_html_escape(title or 'Transcript')}</title>",
    ]
    previous: tuple[str, int | None] | None = None
    for cue in cues:
        who = (cue.speaker, cue.turn_index)
        if who != previous or cue.turn_index is None:
            shown, machine = _spoken_at(cue.start)
            name = _one_line(cue.speaker_name or cue.speaker)
            parts += [
                f"<cite>{_html_escape(name)}:</cite>",
                f'<time datetime="{machine}">{shown}</time>',
            ]
            previous = who
        parts.append(f"<p>{_html_escape(_one_line(cue.text))}</p>")
    parts.append("</html>")
    return "\n".join(parts) + "\n"


def _seconds(value: float) -> float:
    return round(value, 3)


def transcript_json(cues: Iterable[Cue]) -> str:
    """The Podcasting 2.0 JSON transcript: a segment per paragraph."""
    segments = [
        {
            "speaker": cue.speaker_name or cue.speaker,
            "startTime": _seconds(cue.start),
            "endTime": _seconds(cue.end),
            "body": _one_line(cue.text),
        }
        for cue in cues
    ]
    return (
        json.dumps(
            {"version": TRANSCRIPT_VERSION, "segments": segments}, ensure_ascii=False, indent=1
        )
        + "\n"
    )


def chapters_json(
    chapters: Iterable[Chapter], *, title: str = "", podcast: str = "", file_name: str = ""
) -> str:
    """Podcasting 2.0 JSON chapters (with ``title``/``podcastName``/``fileName`` when given)."""
    document: dict[str, Any] = {"version": CHAPTERS_VERSION}
    if title:
        document["title"] = title
    if podcast:
        document["podcastName"] = podcast
    if file_name:
        document["fileName"] = file_name
    document["chapters"] = [
        {"startTime": _seconds(chapter.start), "title": chapter.title} for chapter in chapters
    ]
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def audio_info_json(info: AudioInfo) -> str:
    """An :class:`AudioInfo` as JSON (read back by :func:`audio_info_from_json`)."""
    document = {
        "version": AUDIO_INFO_VERSION,
        "slug": info.slug,
        "mp3_path": info.mp3_path,
        "byte_length": info.byte_length,
        "duration": info.duration,
        "chapters": [
            {"title": c.title, "start": c.start, "end": c.end, "turn_index": c.turn_index}
            for c in info.chapters
        ],
        "cues": [
            {
                "start": c.start,
                "end": c.end,
                "speaker": c.speaker,
                "speaker_name": c.speaker_name,
                "text": c.text,
                "turn_index": c.turn_index,
            }
            for c in info.cues
        ],
        "sidecars": dict(info.sidecars),
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an integer: {value!r}")
    return value


def audio_info_from_json(text: str) -> AudioInfo:
    """The :class:`AudioInfo` in a JSON text; ValueError when it is not one."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("version") != AUDIO_INFO_VERSION:
        raise ValueError("not an amacast audio info file of a known version")
    try:
        chapters = tuple(
            Chapter(
                str(c["title"]),
                _number(c["start"]),
                _number(c["end"]),
                _optional_int(c.get("turn_index")),
            )
            for c in data["chapters"]
        )
        cues = tuple(
            Cue(
                _number(c["start"]),
                _number(c["end"]),
                str(c["speaker"]),
                str(c["speaker_name"]),
                str(c["text"]),
                _optional_int(c.get("turn_index")),
            )
            for c in data["cues"]
        )
        byte_length = data["byte_length"]
        if isinstance(byte_length, bool) or not isinstance(byte_length, int):
            raise ValueError("byte_length is not an integer")
        sidecars = data["sidecars"]
        if not isinstance(sidecars, dict):
            raise ValueError("sidecars is not a mapping")
        return AudioInfo(
            slug=str(data["slug"]),
            mp3_path=str(data["mp3_path"]),
            byte_length=byte_length,
            duration=_number(data["duration"]),
            chapters=chapters,
            cues=cues,
            sidecars={str(k): str(v) for k, v in sidecars.items()},
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"incomplete audio info: {error}") from error


def load_audio_info(output_dir: Path | str, slug: str) -> AudioInfo | None:
    """The AudioInfo of a rendered episode in ``output_dir``, or None.

    None also when the file is unreadable or its MP3 is missing or has a
    different size than recorded (then the episode needs rendering again).
    """
    folder = Path(output_dir)
    try:
        info = audio_info_from_json((folder / audio_info_path(slug)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        size = (folder / info.mp3_path).stat().st_size
    except OSError:
        return None
    if info.slug != slug or size != info.byte_length:
        return None
    return info


def sidecar_texts(
    info: AudioInfo, *, title: str = "", podcast: str = "", language: str = ""
) -> dict[str, str]:
    """Every sidecar's text by kind, plus ``info`` (the AudioInfo JSON)."""
    return {
        "vtt": vtt_text(info.cues),
        "html": transcript_html(info.cues, title=title, language=language),
        "srt": srt_text(info.cues),
        "json": transcript_json(info.cues),
        "chapters": chapters_json(
            info.chapters, title=title, podcast=podcast, file_name=Path(info.mp3_path).name
        ),
        "info": audio_info_json(info),
    }
