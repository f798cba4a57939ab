"""Narrate an episode into ``audio/<slug>.mp3`` with its transcripts and chapters.

The episode becomes a plan of segments (optional intro, each turn's paragraphs
in its speaker's voice, optional outro), then two streaming passes:

1. every segment comes from the segment cache or the engine; its length (after
   resampling to the output rate) is noted and its samples go through a
   streaming BS.1770 loudness meter;
2. every segment is read back from the cache, given the gain that brings the
   episode to the target loudness, peak-limited on a 4× oversampled estimate
   and piped as 16-bit PCM into ffmpeg, while the result is measured again
   (a miss of more than half a LU re-runs this pass with the gain corrected).

Nothing holds more than one segment in memory, so a three-hour episode takes
as little memory as a short one.  Cue and chapter times come from exact sample
offsets.  The MP3, its ID3 tags and the sidecars are written to temp names in
their destination folders and renamed into place only when all succeeded: a
failure or an interrupt leaves the previous files as they were, and the
segments synthesised so far stay in the cache for the next run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from amacast.audio.engines.base import Engine, EngineError, Voice
from amacast.audio.loudness import LoudnessMeter
from amacast.audio.mastering import (
    MasteringError,
    Placed,
    SegmentProgress,
    at_rate,
    normalise_and_encode,
)
from amacast.audio.mp3 import EncodeError, write_tags
from amacast.audio.plan import (
    INTRO_CHAPTER,
    PodcastMeta,
    RenderError,
    Segment,
    chapter_title,
    plan_segments,
)
from amacast.audio.segments import SegmentCache, segment_key
from amacast.audio.sidecars import audio_info_path, mp3_path, sidecar_paths, sidecar_texts
from amacast.config import RenderSettings
from amacast.model import AudioInfo, Chapter, Cue, Episode


def engine_version(engine: Engine, voice: Voice) -> str:
    """The version string that keys a voice's segments (a voice's own model file counts)."""
    per_voice = getattr(engine, "voice_version", None)
    return str(per_voice(voice)) if callable(per_voice) else engine.version()


def segment_cache_key(engine: Engine, segment: Segment) -> str:
    """The cache key of a planned segment."""
    return segment_key(
        engine.name, engine_version(engine, segment.voice), segment.voice, segment.text
    )


def segment_location(episode: Episode, segment: Segment) -> str:
    """Where a segment comes from, for messages: ``slug: turn 3 (S), line 20``."""
    if segment.turn_index is None:
        return f"{episode.slug}: the {'intro' if segment.group < 0 else 'outro'}"
    return f"{episode.slug}: turn {segment.turn_index + 1} ({segment.speaker}), line {segment.line}"


def _synthesise_and_measure(
    episode: Episode,
    segments: Sequence[Segment],
    engine_for: Callable[[Voice], Engine],
    settings: RenderSettings,
    cache: SegmentCache,
    progress: SegmentProgress | None,
) -> tuple[list[Placed], int, float]:
    """Pass 1: every segment into the cache; offsets, total length and loudness."""
    rate = settings.sample_rate
    meter = LoudnessMeter(rate)
    placed: list[Placed] = []
    position = 0
    for number, segment in enumerate(segments, start=1):
        engine = engine_for(segment.voice)
        key = segment_cache_key(engine, segment)
        try:
            pcm = cache.fetch(key, partial(engine.synthesize, segment.text, segment.voice))
        except EngineError as error:
            raise RenderError(f"{segment_location(episode, segment)}: {error}") from error
        samples = at_rate(pcm, rate)
        if samples.size:
            if placed:
                same_turn = placed[-1].segment.group == segment.group
                pause = settings.pause_paragraph if same_turn else settings.pause_turn
                silence = int(round(pause * rate))
                meter.add_silence(silence)
                position += silence
            meter.add(samples)
            placed.append(Placed(segment, key, position, samples.size))
            position += samples.size
        if progress is not None:
            progress("synthesis", number, len(segments))
    return placed, position, meter.integrated()


def _chapters(placed: Sequence[Placed], rate: int, total: int) -> tuple[Chapter, ...]:
    starts: list[tuple[float, str, int | None]] = []
    for item in placed:
        if item.segment.chapter:
            starts.append((item.start / rate, item.segment.chapter, item.segment.turn_index))
    if not starts:
        return ()
    if starts[0][0] > 0:
        starts.insert(0, (0.0, INTRO_CHAPTER, None))
    duration = total / rate
    chapters = []
    for number, (start, title, turn_index) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else duration
        chapters.append(Chapter(title=title, start=start, end=end, turn_index=turn_index))
    return tuple(chapters)


def _cues(placed: Sequence[Placed], rate: int) -> tuple[Cue, ...]:
    return tuple(
        Cue(
            start=item.start / rate,
            end=(item.start + item.length) / rate,
            speaker=item.segment.speaker,
            speaker_name=item.segment.speaker_name,
            text=item.segment.text,
            turn_index=item.segment.turn_index,
        )
        for item in placed
    )


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def _remove_stale_temps(targets: Sequence[Path]) -> None:
    """Temp files a killed earlier run of this episode left behind."""
    for target in targets:
        if target.parent.is_dir():
            for stale in target.parent.glob(f".{target.name}.*.tmp"):
                stale.unlink(missing_ok=True)


def render_episode(
    episode: Episode,
    voices: Mapping[str, Voice],
    engine_for: Callable[[Voice], Engine],
    settings: RenderSettings,
    out_dir: Path,
    cache: SegmentCache | None = None,
    *,
    podcast: PodcastMeta | None = None,
    progress: SegmentProgress | None = None,
) -> AudioInfo:
    """Render ``episode`` into ``out_dir``: MP3 with ID3 tags and chapters, and its sidecars.

    ``voices`` maps speaker codes (and ``"narrator"`` for intro and outro) to
    voices; ``engine_for`` gives the engine of a voice.  Raises RenderError
    (engine failure, naming the episode and turn) or EncodeError (ffmpeg); on
    any failure or interrupt the files already in ``out_dir`` stay as they were.
    """
    if cache is None:
        with tempfile.TemporaryDirectory(prefix="amacast-segments-") as scratch:
            return render_episode(
                episode,
                voices,
                engine_for,
                settings,
                out_dir,
                SegmentCache(scratch),
                podcast=podcast,
                progress=progress,
            )
    podcast = podcast or PodcastMeta()
    segments = plan_segments(episode, voices, settings, podcast)
    paths = {
        "mp3": mp3_path(episode.slug),
        **sidecar_paths(episode.slug),
        "info": audio_info_path(episode.slug),
    }
    targets = {kind: Path(out_dir) / relative for kind, relative in paths.items()}
    for target in targets.values():
        target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(list(targets.values()))
    temps = {kind: _temp_name(target) for kind, target in targets.items()}
    try:
        placed, total, loudness = _synthesise_and_measure(
            episode, segments, engine_for, settings, cache, progress
        )
        if not placed:
            raise RenderError(f"{episode.slug}: nothing to say (no speakable text, no intro)")
        try:
            normalise_and_encode(placed, cache, settings, loudness, temps["mp3"], progress)
        except MasteringError as error:
            raise RenderError(f"{episode.slug}: {error}") from error
        info = _tagged(episode, podcast, placed, total, settings.sample_rate, temps["mp3"])
        for kind, text in sidecar_texts(info, title=episode.title, podcast=podcast.title).items():
            temps[kind].write_text(text, encoding="utf-8")
        # The AudioInfo file last: it is what says "this episode is complete".
        for kind in (*sidecar_paths(episode.slug), "mp3", "info"):
            os.replace(temps[kind], targets[kind])
    except BaseException:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise
    return info


def _tagged(
    episode: Episode,
    podcast: PodcastMeta,
    placed: Sequence[Placed],
    total: int,
    rate: int,
    mp3: Path,
) -> AudioInfo:
    """Write the ID3 tags and chapters into the encoded ``mp3``; what the episode's audio is."""
    chapters = _chapters(placed, rate, total)
    write_tags(
        mp3,
        title=episode.title,
        artist=podcast.author,
        album=podcast.title,
        date=episode.date.date().isoformat() if episode.date else "",
        chapters=chapters,
        cover=podcast.image,
        comment=episode.description,
    )
    return AudioInfo(
        slug=episode.slug,
        mp3_path=mp3_path(episode.slug),
        byte_length=mp3.stat().st_size,
        duration=total / rate,
        chapters=chapters,
        cues=_cues(placed, rate),
        sidecars=sidecar_paths(episode.slug),
    )


__all__ = [
    "EncodeError",
    "SegmentProgress",
    "PodcastMeta",
    "RenderError",
    "RenderSettings",
    "Segment",
    "chapter_title",
    "plan_segments",
    "render_episode",
]
