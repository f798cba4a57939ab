"""The tasks that :mod:`amacast.audio.jobs` runs in worker processes.

Kept apart from ``render_jobs`` because a worker process imports the module of
each task it runs: this one imports only the segment cache and the engines, so
a *synthesis* worker holds the speech model and nothing of the mastering side
(importing scipy.signal alone takes 60-80 MiB).  The *assembly* task imports
:mod:`amacast.audio.render` when it first runs; it runs in other processes, which
never load a speech model as long as every segment is in the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amacast.audio.engines.base import Engine, EngineError, Voice
from amacast.audio.segments import SegmentCache

if TYPE_CHECKING:
    from amacast.audio.plan import PodcastMeta
    from amacast.config import RenderSettings
    from amacast.model import AudioInfo, Episode

EngineFactory = Callable[[str], Engine]
"""Makes the engine of a name (``Voice.engine``); must be a module-level function."""


@dataclass(frozen=True)
class Pending:
    """A segment missing from the cache."""

    key: str
    text: str
    voice: Voice
    slug: str
    where: str


def engine_maker(factory: EngineFactory, threads: int) -> Callable[[Voice], Engine]:
    """Makes (once per name) the engine of a voice, with its thread count fixed."""
    engines: dict[str, Engine] = {}

    def engine_for(voice: Voice) -> Engine:
        engine = engines.get(voice.engine)
        if engine is None:
            engine = factory(voice.engine)
            if threads > 0 and isinstance(getattr(engine, "threads", None), int):
                engine.threads = threads  # type: ignore[attr-defined]
            engines[voice.engine] = engine
        return engine

    return engine_for


_worker: dict[str, Any] = {}


def init_worker(factory: EngineFactory, cache_dir: str, events: Any, threads: int) -> None:
    """Per worker process: remember the factory, cache and event queue."""
    _worker.update(
        engine_for=engine_maker(factory, threads), cache=SegmentCache(cache_dir), events=events
    )


def synthesise_task(items: Sequence[Pending]) -> list[tuple[str, int, int]]:
    """Synthesise segments into the cache; returns (slug, characters, 1) per segment."""
    cache: SegmentCache = _worker["cache"]
    done = []
    for item in items:
        if item.key not in cache:
            engine = _worker["engine_for"](item.voice)
            try:
                pcm = engine.synthesize(item.text, item.voice)
            except EngineError as error:
                # Memory: a synthesis worker never loads render (scipy: ~75 MiB a worker).
                from amacast.audio.plan import RenderError

                raise RenderError(f"{item.where}: {error}") from error
            cache.put(item.key, pcm)
        done.append((item.slug, len(item.text), 1))
    return done


def assemble_task(
    episode: Episode,
    voices: Mapping[str, Voice],
    settings: RenderSettings,
    out_dir: str,
    podcast: PodcastMeta,
) -> AudioInfo:
    """Render one episode whose segments are cached (its engines only make cache keys)."""
    # Memory: loaded by assembling workers only, never by synthesis ones (see above).
    from amacast.audio.render import render_episode

    events = _worker["events"]

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "encoding":
            events.put((episode.slug, done))

    return render_episode(
        episode,
        voices,
        _worker["engine_for"],
        settings,
        Path(out_dir),
        _worker["cache"],
        podcast=podcast,
        progress=progress,
    )
