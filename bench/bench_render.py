#!/usr/bin/env python3
"""End-to-end narration benchmark: x-realtime cold and warm, and peak memory.

Generates one long synthetic AMA (``../shared/tools/gen_corpus.py 1 DIR --words
30000``, about three hours of speech), then renders it twice in a fresh
subprocess each time: *cold* with an empty segment cache (every paragraph
synthesised by Piper) and *warm* with the cache that run filled (assembly,
loudness and MP3 encoding only).  Prints, per run, wall time, x-realtime
(audio seconds per wall second) and peak RSS: of the render process itself,
and of the largest child (the worker processes that synthesise and assemble,
and the MP3 encoder), read from ``getrusage`` (a child counts from its fork,
so the encoder's figure can be that of the process that started it); the CPU
time of all processes, which other load on the machine changes less than the
wall time.  A thread here also reads ``/proc``
every 0.2 s and reports the peak of the *sum* over the whole process tree
(render process, workers, the encoder): of RSS, which counts shared library pages
once per process, and of PSS, which shares them out; and each process's own
sampled peak.

Targets on a 2-core machine with the default cast: cold >= 60x, warm >= 300x, <= 300 MiB
per process.

Usage: bench_render.py [--words 30000] [--jobs N] [--cache DIR] [--skip-cold]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN_CORPUS = HERE.parent.parent / "shared" / "tools" / "gen_corpus.py"


def child(episode_path: str, out: str, cache: str, jobs: int) -> None:
    """Render one episode (in the benchmark's subprocess) and print figures as JSON."""
    from amacast.audio.jobs import render_episodes
    from amacast.audio.plan import PodcastMeta
    from amacast.audio.render import RenderSettings
    from amacast.audio.voices import assign_voices
    from amacast.transcript.parse import parse_episode

    episode = parse_episode(episode_path)
    voices = {episode.slug: assign_voices(episode, {})[0]}
    started = time.perf_counter()
    infos = render_episodes(
        [episode],
        voices,
        RenderSettings(),
        Path(out),
        Path(cache),
        podcast=PodcastMeta("Benchmark podcast", "amacast"),
        jobs=jobs,
    )
    wall = time.perf_counter() - started
    info = infos[episode.slug]
    print(
        json.dumps(
            {
                "duration": info.duration,
                "bytes": info.byte_length,
                "segments": len(info.cues),
                "wall": wall,
                "self_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "children_maxrss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                / 1024,
            }
        )
    )


PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1 << 20


def _parents() -> dict[int, tuple[int, str]]:
    """Every process's parent and command name, from ``/proc/PID/stat``."""
    found: dict[int, tuple[int, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        head, _, tail = stat.rpartition(")")
        found[int(entry.name)] = (int(tail.split()[1]), head.partition("(")[2])
    return found


def _rss(pid: int) -> int:
    """Resident bytes of a process (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    """Proportional set size in bytes (shared pages divided among their users), or 0."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the memory of a process and all its descendants until stopped."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_rss_sum = 0
        self.peak_pss_sum = 0
        self.peaks: dict[int, tuple[str, int]] = {}
        self.samples = 0
        self._stop_event = threading.Event()

    def sample(self) -> None:
        table = _parents()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _name) in table.items():
            children.setdefault(ppid, []).append(pid)
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        rss_sum = pss_sum = 0
        for pid in tree:
            rss = _rss(pid)
            rss_sum += rss
            pss_sum += _pss(pid)
            name = table.get(pid, (0, "?"))[1]
            if rss > self.peaks.get(pid, (name, 0))[1]:
                self.peaks[pid] = (name, rss)
        self.peak_rss_sum = max(self.peak_rss_sum, rss_sum)
        self.peak_pss_sum = max(self.peak_pss_sum, pss_sum)
        self.samples += 1

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run(label: str, episode: Path, out: Path, cache: Path, jobs: int) -> dict[str, float]:
    """Render in a fresh subprocess; returns its figures plus the subprocess's own peak."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            str(episode),
            str(out),
            str(cache),
            str(jobs),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = TreeSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.stop()
    total = time.perf_counter() - started
    if process.returncode != 0:
        sys.stderr.write(stderr)
        raise SystemExit(f"{label} run failed")
    figures: dict[str, float] = json.loads(stdout.strip().splitlines()[-1])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = usage.ru_maxrss
    figures["process_total_wall"] = total
    figures["cpu"] = usage.ru_utime + usage.ru_stime - cpu_before
    figures["any_process_maxrss_mib"] = max(after, before) / 1024
    figures["tree_rss_sum_mib"] = sampler.peak_rss_sum / MIB
    figures["tree_pss_sum_mib"] = sampler.peak_pss_sum / MIB
    peaks = sorted(sampler.peaks.items(), key=lambda item: -item[1][1])
    audio = figures["duration"]
    print(
        f"{label:>5}: {audio / 3600:.2f} h of audio ({int(figures['segments'])} segments, "
        f"{figures['bytes'] / 1e6:.0f} MB MP3) in {figures['wall']:.1f} s "
        f"= {audio / figures['wall']:.0f}x realtime "
        f"({audio / total:.0f}x counting interpreter start-up)"
    )
    print(
        f"       CPU time of all processes {figures['cpu']:.0f} s "
        f"({audio / figures['cpu']:.1f}x realtime per CPU second)"
    )
    print(
        f"       peak RSS: render process {figures['self_maxrss_mib']:.0f} MiB, "
        f"largest worker/child {figures['children_maxrss_mib']:.0f} MiB"
    )
    print(
        f"       whole process tree (sampled every {sampler.interval} s, {sampler.samples} "
        f"samples): peak sum of RSS {figures['tree_rss_sum_mib']:.0f} MiB, "
        f"of PSS {figures['tree_pss_sum_mib']:.0f} MiB"
    )
    shown = ", ".join(
        f"{name} {'(render) ' if pid == process.pid else ''}{rss / MIB:.0f}"
        for pid, (name, rss) in peaks[:8]
    )
    print(f"       sampled peak RSS per process (MiB): {shown}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=30000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="segment cache to use (kept); default: a fresh temp folder",
    )
    parser.add_argument(
        "--skip-cold", action="store_true", help="only the warm run (the cache must be full)"
    )
    parser.add_argument(
        "--child", nargs=4, metavar=("EPISODE", "OUT", "CACHE", "JOBS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        episode, out, cache, jobs = args.child
        child(episode, out, cache, int(jobs))
        return
    with tempfile.TemporaryDirectory(prefix="amacast-bench-") as scratch:
        work = Path(scratch)
        subprocess.run(
            [
                sys.executable,
                str(GEN_CORPUS),
                "1",
                str(work / "episodes"),
                "--words",
                str(args.words),
            ],
            check=True,
        )
        episode = work / "episodes" / "ama-00000.md"
        words = len(episode.read_text(encoding="utf-8").split())
        cache = args.cache or work / "cache"
        print(
            f"episode: {episode.name}, {words} words; jobs={args.jobs}, "
            f"cores={os.cpu_count()}, cache={cache}"
        )
        results = {}
        if not args.skip_cold:
            results["cold"] = run("cold", episode, work / "out-cold", cache, args.jobs)
        results["warm"] = run("warm", episode, work / "out-warm", cache, args.jobs)
        peak = max(r["any_process_maxrss_mib"] for r in results.values())
        tree = max(r["tree_rss_sum_mib"] for r in results.values())
        print(f"largest process of all runs: {peak:.0f} MiB peak RSS")
        print(f"largest process tree of all runs: {tree:.0f} MiB peak sum of RSS")
        print("targets: cold >= 60x, warm >= 300x, <= 300 MiB per process")


if __name__ == "__main__":
    main()
