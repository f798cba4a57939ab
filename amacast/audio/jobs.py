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

import functools
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
    """Synthesise ``pending`` and assemble every episode on up to ``jobs`` processes."""
    # Segments already cached count as done at once.
    for slug, plan in plans.items():
        tracker.add(segments=len(plan) - sum(1 for p in pending if p.slug == slug))
    scheduler = _Scheduler(
        episodes,
        functools.partial(assemble_task, settings=settings, out_dir=str(out_dir), podcast=podcast),
        voices,
        (engine_factory, str(cache_dir)),
        plans,
        pending,
        waiting,
        tracker,
        jobs,
    )
    return scheduler.run()


class _Scheduler:
    """Runs synthesis batches (a pool per engine) and assemblies (one pool), assembly first.

    An episode is assembled as soon as every segment it waits for is in the
    cache; an engine's pool is shut down (its model freed) once nothing is
    left for it.  Progress comes from the workers through a queue.
    """

    def __init__(
        self,
        episodes: Sequence[Episode],
        assemble: Callable[..., AudioInfo],
        voices: Mapping[str, Mapping[str, Voice]],
        engine: tuple[EngineFactory, str],
        plans: Mapping[str, list[Segment]],
        pending: Sequence[Pending],
        waiting: Mapping[str, set[str]],
        tracker: _Tracker,
        jobs: int,
    ) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.events = self.context.Queue()
        self.order = [episode.slug for episode in episodes]
        self.by_slug = {episode.slug: episode for episode in episodes}
        self.assemble, self.voices, self.engine = assemble, voices, engine
        self.tracker, self.jobs = tracker, jobs
        self.per_segment = {
            slug: sum(len(s.text) for s in plan) / max(1, len(plan)) for slug, plan in plans.items()
        }
        self.needs = {slug: set(keys) for slug, keys in waiting.items()}
        self.waiters: dict[str, list[str]] = {}
        for slug, keys in self.needs.items():
            for key in keys:
                self.waiters.setdefault(key, []).append(slug)
        self.encoded: dict[str, int] = {}
        self.results: dict[str, AudioInfo] = {}
        self.to_synthesise = deque(_batches(_by_engine(pending)))
        self.to_assemble = deque(slug for slug in self.by_slug if not self.needs.get(slug))
        # One synthesis pool per engine, started when its first task is submitted.
        self.synthesis: dict[str, ProcessPoolExecutor] = {}
        self.synthesis_over: set[str] = set()
        self.assembly = self._pool(min(jobs, len(self.by_slug)))
        self.futures: dict[Future[Any], tuple[str, Any]] = {}

    def run(self) -> dict[str, AudioInfo]:
        """Everything done, each episode's audio by slug in the episodes' order."""
        try:
            self._submit()
            while self.futures:
                finished, _ = wait(list(self.futures), timeout=0.5, return_when=FIRST_COMPLETED)
                self._drain()
                for future in finished:
                    self._finished(future)
                self._retire_synthesis()
                self._submit()
            self._drain()
        except BaseException:
            self._shutdown(cancel=True)
            raise
        self._shutdown(cancel=False)
        return {slug: self.results[slug] for slug in self.order}

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        # Workers are started on demand, up to ``workers``.
        factory, cache_dir = self.engine
        return ProcessPoolExecutor(
            max_workers=max(1, workers),
            mp_context=self.context,
            initializer=init_worker,
            initargs=(factory, cache_dir, self.events, SYNTHESIS_THREADS),
        )

    def _synthesis_pool(self, engine: str) -> ProcessPoolExecutor:
        if engine not in self.synthesis:
            batches = sum(1 for batch in self.to_synthesise if batch[0].voice.engine == engine)
            self.synthesis[engine] = self._pool(min(self.jobs, batches + 1))
        return self.synthesis[engine]

    def _submit(self) -> None:
        """Start tasks until ``jobs`` run; an episode ready to assemble goes first."""
        while len(self.futures) < self.jobs and (self.to_assemble or self.to_synthesise):
            if self.to_assemble:
                slug = self.to_assemble.popleft()
                episode = self.by_slug[slug]
                future = self.assembly.submit(self.assemble, episode, self.voices[slug])
                self.futures[future] = ("assemble", slug)
            else:
                batch = self.to_synthesise.popleft()
                pool = self._synthesis_pool(batch[0].voice.engine)
                self.futures[pool.submit(synthesise_task, batch)] = ("synthesise", batch)

    def _finished(self, future: Future[Any]) -> None:
        kind, what = self.futures.pop(future)
        if kind == "assemble":
            self.results[what] = future.result()
            self.tracker.add(episodes=1, current=what)
            return
        for item_slug, chars, count in future.result():
            self.tracker.add(segments=count, work=chars, current=item_slug)
        for item in what:
            for slug in self.waiters.get(item.key, ()):
                self.needs[slug].discard(item.key)
                if not self.needs[slug]:
                    self.to_assemble.append(slug)

    def _retire_synthesis(self) -> None:
        """Shut down the pool of each engine with nothing left to synthesise: its models go."""
        for engine, executor in self.synthesis.items():
            if engine in self.synthesis_over:
                continue
            queued = any(batch[0].voice.engine == engine for batch in self.to_synthesise)
            running = any(
                kind == "synthesise" and what[0].voice.engine == engine
                for kind, what in self.futures.values()
            )
            if not queued and not running:
                executor.shutdown(wait=False)
                self.synthesis_over.add(engine)

    def _drain(self) -> None:
        while True:
            try:
                slug, done = self.events.get_nowait()
            except queue.Empty:
                return
            step = max(0, done - self.encoded.get(slug, 0))
            self.encoded[slug] = max(done, self.encoded.get(slug, 0))
            work = ASSEMBLY_WEIGHT * self.per_segment[slug] * step
            self.tracker.add(work=work, current=slug)

    def _shutdown(self, *, cancel: bool) -> None:
        for executor in self.synthesis.values():
            executor.shutdown(wait=True, cancel_futures=cancel)
        self.assembly.shutdown(wait=True, cancel_futures=cancel)


def cache_folder(root: Path, settings: RenderSettings, override: Path | None = None) -> Path:
    """The segment cache folder: ``override``, else ``[audio] cache_dir`` under ``root``."""
    if override is not None:
        return override
    path = Path(settings.cache_dir).expanduser()
    return path if path.is_absolute() else root / path
