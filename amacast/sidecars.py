"""Files that travel with an episode's MP3, written from the real timings of its audio.

- WebVTT and SRT transcripts: one cue per spoken paragraph, the speaker named
  (VTT ``<v Name>``, SRT ``Name: …``);
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

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from amacast.model import AudioInfo, Chapter, Cue

TRANSCRIPT_VERSION = "1.0.0"
CHAPTERS_VERSION = "1.2.0"
AUDIO_INFO_VERSION = 1

#: Media types to announce the sidecars with (podcast:transcript / podcast:chapters ``type``).
MEDIA_TYPES: Mapping[str, str] = {
    "vtt": "text/vtt",
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
    """The sidecars of an episode by kind (``vtt``, ``srt``, ``json``, ``chapters``)."""
    return {
        "vtt": f"transcripts/{slug}.vtt",
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
    """A WebVTT file: a cue per paragraph, the speaker in a ``<v Name>`` span."""
    parts = ["WEBVTT", ""]
    for number, cue in enumerate(cues, start=1):
        name = _vtt_escape(_one_line(cue.speaker_name or cue.speaker))
        parts += [
            str(number),
            f"{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}",
            f"<v {name}>{_vtt_escape(_one_line(cue.text))}",
            "",
        ]
    return "\n".join(parts)


def srt_text(cues: Iterable[Cue]) -> str:
    """An SRT file: a numbered card per paragraph, ``Name: text``."""
    parts: list[str] = []
    for number, cue in enumerate(cues, start=1):
        name = _one_line(cue.speaker_name or cue.speaker)
        parts += [
            str(number),
            f"{_clock(cue.start, ',')} --> {_clock(cue.end, ',')}",
            f"{name}: {_one_line(cue.text)}",
            "",
        ]
    return "\n".join(parts)


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


def sidecar_texts(info: AudioInfo, *, title: str = "", podcast: str = "") -> dict[str, str]:
    """Every sidecar's text by kind, plus ``info`` (the AudioInfo JSON)."""
    return {
        "vtt": vtt_text(info.cues),
        "srt": srt_text(info.cues),
        "json": transcript_json(info.cues),
        "chapters": chapters_json(
            info.chapters, title=title, podcast=podcast, file_name=Path(info.mp3_path).name
        ),
        "info": audio_info_json(info),
    }
