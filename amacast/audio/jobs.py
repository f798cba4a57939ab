"""Render many episodes over the cores, with progress.

Work is split in two kinds of tasks for worker processes (each makes its own
engines; the tasks are in :mod:`amacast.audio.workers`): *synthesis* tasks
fill the segment cache with the segments that are missing, a few at a time, so
even one long episode keeps every core busy; as soon as every segment an
episode needs is in the cache, an *assembly* task renders it
(:func:`amacast.audio.render.render_episode`, which then finds everything cached).

The two kinds run in separate process pools, so that no process holds both a
speech model (a synthesis worker: the model and onnxruntime, about 250 MiB at
its peak) and the mastering side (an assembly worker: scipy, pyloudnorm,
ffmpeg's pipe and a segment at a time, about 190 MiB).  A cast may mix
engines (the guest in hibari's voice, the questioners in Piper's): each
engine gets a synthesis pool of its own, so a worker never holds two models,
and the missing segments are synthesised one engine after the other, so
that one engine's workers are shut down before the next engine's start.  At
most ``jobs`` tasks run at once over all pools (an episode ready to assemble
goes first), and each synthesis pool is shut down as soon as nothing is left
for its engine.  With ``jobs=1`` that holds too: one task at a time, a
synthesis worker and then an assembly worker.  Only when nothing is left to
synthesise, with ``jobs=1`` or a single episode, does the assembly run in this
process, which then never loads a model.

Progress goes to a callback as :class:`RenderProgress` (episodes and segments
done, with an estimate of the time left); the library never prints.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amacast.audio.engines.base import Engine, Voice
from amacast.audio.engines.registry import get_engine
from amacast.audio.plan import PodcastMeta, Segment, plan_segments
from amacast.audio.render import RenderSettings, render_episode, segment_cache_key, segment_location
from amacast.audio.segments import SegmentCache
from amacast.audio.workers import (
    EngineFactory,
    Pending,
    assemble_task,
    engine_maker,
    init_worker,
    synthesise_task,
)
from amacast.model import AudioInfo, Episode

# Work estimate: assembling a segment costs about this much of synthesising it.
ASSEMBLY_WEIGHT = 0.08
# A synthesis task takes segments until it holds this many characters.
TASK_CHARACTERS = 1200
# Threads an engine may use (e.g. onnxruntime's intra-op threads for piper).
# Its float results depend on the thread count, so it is fixed rather than a
# share of the cores: the same transcript then gives the same MP3 bytes for
# any --jobs and core count, and the audio of shards rendered on several
# machines equals that of one machine.  Parallelism comes from processes.
SYNTHESIS_THREADS = 1


@dataclass(frozen=True)
class RenderProgress:
    """Where a multi-episode render stands."""

    episodes_done: int
    episodes_total: int
    segments_done: int
    segments_total: int
    elapsed: float
    fraction: float
    current: str = ""

    @property
    def eta(self) -> float | None:
        """Seconds left, estimated from the work done so far (None before any)."""
        if self.fraction <= 0.0 or self.elapsed <= 0.0:
            return None
        return max(0.0, self.elapsed * (1.0 - self.fraction) / self.fraction)


ProgressCallback = Callable[[RenderProgress], None]


@dataclass
class _Tracker:
    """Counts work as it completes and turns it into RenderProgress."""

    episodes_total: int
    segments_total: int
    work_total: float
    callback: ProgressCallback | None
    started: float = field(default_factory=time.monotonic)
    episodes_done: int = 0
    segments_done: int = 0
    work_done: float = 0.0
    current: str = ""

    def add(
        self, segments: int = 0, work: float = 0.0, episodes: int = 0, current: str | None = None
    ) -> None:
        self.segments_done += segments
        self.work_done += work
        self.episodes_done += episodes
        if current is not None:
            self.current = current
        if self.callback is not None:
            fraction = self.work_done / self.work_total if self.work_total > 0 else 1.0
            if self.episodes_done == self.episodes_total:
                fraction = 1.0
            self.callback(
                RenderProgress(
                    self.episodes_done,
                    self.episodes_total,
                    self.segments_done,
                    self.segments_total,
                    time.monotonic() - self.started,
                    min(1.0, fraction),
                    self.current,
                )
            )


# --------------------------------------------------------------------------
# Main side


def _by_engine(items: Sequence[Pending]) -> list[Pending]:
    """The items grouped by engine (in order of first use), each group in its own order."""
    order: dict[str, int] = {}
    for item in items:
        order.setdefault(item.voice.engine, len(order))
    return sorted(items, key=lambda item: order[item.voice.engine])


def _batches(items: Sequence[Pending]) -> Iterator[list[Pending]]:
    """Synthesis tasks: runs of one episode's segments in one engine, up to TASK_CHARACTERS."""
    batch: list[Pending] = []
    size = 0
    for item in items:
        if batch and (
            size + len(item.text) > TASK_CHARACTERS
            or item.slug != batch[-1].slug
            or item.voice.engine != batch[-1].voice.engine
        ):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += len(item.text)
    if batch:
        yield batch


def render_episodes(
    episodes: Sequence[Episode],
    voices: Mapping[str, Mapping[str, Voice]],
    settings: RenderSettings,
    out_dir: Path,
    cache_dir: Path,
    *,
    podcast: PodcastMeta | None = None,
    jobs: int | None = None,
    engine_factory: EngineFactory = get_engine,
    progress: ProgressCallback | None = None,
) -> dict[str, AudioInfo]:
    """Render every episode into ``out_dir``; returns the AudioInfo of each by slug.

    ``voices`` maps each slug to its speaker → voice table (see
    :func:`amacast.audio.voices.assign_voices`).  Up to ``jobs`` tasks (default:
    the number of cores) synthesise and assemble in parallel, in worker
    processes that make their engines with ``engine_factory`` (synthesis and
    assembly in separate processes).  The first failure stops the
    run (RenderError naming the episode and turn); episodes finished before it
    are complete, the failed one keeps its previous files.
    """
    podcast = podcast or PodcastMeta()
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    cache = SegmentCache(cache_dir)
    engine_for = engine_maker(engine_factory, SYNTHESIS_THREADS)
    plans: dict[str, list[Segment]] = {}
    pending: list[Pending] = []
    seen: set[str] = set()
    # The missing segments each episode needs, its own and those another episode
    # synthesises (the same text in the same voice).
    waiting: dict[str, set[str]] = {}
    for episode in episodes:
        segments = plan_segments(episode, voices[episode.slug], settings, podcast)
        plans[episode.slug] = segments
        needed = waiting.setdefault(episode.slug, set())
        for segment in segments:
            key = segment_cache_key(engine_for(segment.voice), segment)
            if key not in seen and key not in cache:
                seen.add(key)
                pending.append(
                    Pending(
                        key,
                        segment.text,
                        segment.voice,
                        episode.slug,
                        segment_location(episode, segment),
                    )
                )
            if key in seen:
                needed.add(key)
    segments_total = sum(len(plan) for plan in plans.values())
    characters = {slug: sum(len(s.text) for s in plan) for slug, plan in plans.items()}
    work_total = sum(len(item.text) for item in pending) + ASSEMBLY_WEIGHT * sum(
        characters.values()
    )
    tracker = _Tracker(len(episodes), segments_total, work_total, progress)
    tracker.add()
    if not pending and (jobs == 1 or len(episodes) <= 1):
        return _assemble_here(
            episodes, voices, settings, out_dir, cache, podcast, engine_for, plans, tracker
        )
    return _render_pool(
        episodes,
        voices,
        settings,
        out_dir,
        cache_dir,
        podcast,
        engine_factory,
        plans,
        pending,
        waiting,
        tracker,
        jobs,
    )


def _assemble_here(
    episodes: Sequence[Episode],
    voices: Mapping[str, Mapping[str, Voice]],
    settings: RenderSettings,
    out_dir: Path,
    cache: SegmentCache,
    podcast: PodcastMeta,
    engine_for: Callable[[Voice], Engine],
    plans: Mapping[str, list[Segment]],
    tracker: _Tracker,
) -> dict[str, AudioInfo]:
    """Assemble, in this process, episodes whose segments are all in the cache."""
    results: dict[str, AudioInfo] = {}
    for episode in episodes:
        plan = plans[episode.slug]
        counted = {"synthesis": 0, "encoding": 0}

        def report(
            phase: str,
            done: int,
            total: int,
            plan: list[Segment] = plan,
            counted: dict[str, int] = counted,
            slug: str = episode.slug,
        ) -> None:
            # An encoding pass that is re-run starts again from 0: count only progress.
            step = max(0, done - counted[phase])
            counted[phase] = max(done, counted[phase])
            if phase == "synthesis":
                tracker.add(segments=step, current=slug)  # read from the cache
            else:
                chars = sum(len(s.text) for s in plan) / max(1, total)
                tracker.add(work=ASSEMBLY_WEIGHT * chars * step, current=slug)

        results[episode.slug] = render_episode(
            episode,
            voices[episode.slug],
            engine_for,
            settings,
            out_dir,
            cache,
            podcast=podcast,
            progress=report,
        )
        tracker.add(episodes=1)
    return results


def _render_pool(
    episodes: Sequence[Episode],
    voices: Mapping[str, Mapping[str, Voice]],
    settings: RenderSettings,
    out_dir: Path,
    cache_dir: Path,
    podcast: PodcastMeta,
    engine_factory: EngineFactory,
    plans: Mapping[str, list[Segment]],
    pending: Sequence[Pending],
    waiting: Mapping[str, set[str]],
    tracker: _Tracker,
    jobs: int,
) -> dict[str, AudioInfo]:
    context = multiprocessing.get_context("spawn")
    events = context.Queue()
    by_slug = {episode.slug: episode for episode in episodes}
    # Segments already cached count as done at once.
    for slug, plan in plans.items():
        tracker.add(segments=len(plan) - sum(1 for p in pending if p.slug == slug))
    per_segment = {
        slug: sum(len(s.text) for s in plan) / max(1, len(plan)) for slug, plan in plans.items()
    }
    needs = {slug: set(keys) for slug, keys in waiting.items()}
    waiters: dict[str, list[str]] = {}
    for slug, keys in needs.items():
        for key in keys:
            waiters.setdefault(key, []).append(slug)
    encoded: dict[str, int] = {}
    results: dict[str, AudioInfo] = {}
    to_synthesise = deque(_batches(_by_engine(pending)))
    to_assemble = deque(slug for slug in by_slug if not needs.get(slug))

    def pool(workers: int) -> ProcessPoolExecutor:
        # Workers are started on demand, up to ``workers``.
        return ProcessPoolExecutor(
            max_workers=max(1, workers),
            mp_context=context,
            initializer=init_worker,
            initargs=(engine_factory, str(cache_dir), events, SYNTHESIS_THREADS),
        )

    # One synthesis pool per engine, started when its first task is submitted.
    synthesis: dict[str, ProcessPoolExecutor] = {}
    synthesis_over: set[str] = set()
    assembly = pool(min(jobs, len(by_slug)))
    futures: dict[Future[Any], tuple[str, Any]] = {}

    def synthesis_pool(engine: str) -> ProcessPoolExecutor:
        if engine not in synthesis:
            batches = sum(1 for batch in to_synthesise if batch[0].voice.engine == engine)
            synthesis[engine] = pool(min(jobs, batches + 1))
        return synthesis[engine]

    def submit() -> None:
        """Start tasks until ``jobs`` run; an episode ready to assemble goes first."""
        while len(futures) < jobs and (to_assemble or to_synthesise):
            if to_assemble:
                slug = to_assemble.popleft()
                future = assembly.submit(
                    assemble_task, by_slug[slug], voices[slug], settings, str(out_dir), podcast
                )
                futures[future] = ("assemble", slug)
            else:
                batch = to_synthesise.popleft()
                engine = batch[0].voice.engine
                futures[synthesis_pool(engine).submit(synthesise_task, batch)] = (
                    "synthesise",
                    batch,
                )

    def retire_synthesis() -> None:
        """Shut down the pool of each engine with nothing left to synthesise: its models go."""
        for engine, executor in synthesis.items():
            if engine in synthesis_over:
                continue
            queued = any(batch[0].voice.engine == engine for batch in to_synthesise)
            running = any(
                kind == "synthesise" and what[0].voice.engine == engine
                for kind, what in futures.values()
            )
            if not queued and not running:
                executor.shutdown(wait=False)
                synthesis_over.add(engine)

    def drain() -> None:
        while True:
            try:
                slug, done = events.get_nowait()
            except queue.Empty:
                return
            step = max(0, done - encoded.get(slug, 0))
            encoded[slug] = max(done, encoded.get(slug, 0))
            tracker.add(work=ASSEMBLY_WEIGHT * per_segment[slug] * step, current=slug)

    try:
        submit()
        while futures:
            finished, _ = wait(list(futures), timeout=0.5, return_when=FIRST_COMPLETED)
            drain()
            for future in finished:
                kind, what = futures.pop(future)
                if kind == "synthesise":
                    for item_slug, chars, count in future.result():
                        tracker.add(segments=count, work=chars, current=item_slug)
                    for item in what:
                        for slug in waiters.get(item.key, ()):
                            needs[slug].discard(item.key)
                            if not needs[slug]:
                                to_assemble.append(slug)
                else:
                    results[what] = future.result()
                    tracker.add(episodes=1, current=what)
            retire_synthesis()
            submit()
        drain()
    except BaseException:
        for executor in synthesis.values():
            executor.shutdown(wait=True, cancel_futures=True)
        assembly.shutdown(wait=True, cancel_futures=True)
        raise
    for executor in synthesis.values():
        executor.shutdown(wait=True)
    assembly.shutdown(wait=True)
    return {episode.slug: results[episode.slug] for episode in episodes}


def cache_folder(root: Path, settings: RenderSettings, override: Path | None = None) -> Path:
    """The segment cache folder: ``override``, else ``[audio] cache_dir`` under ``root``."""
    if override is not None:
        return override
    path = Path(settings.cache_dir).expanduser()
    return path if path.is_absolute() else root / path
