#!/usr/bin/env python3
"""End-to-end narration benchmark: x-realtime cold and warm, and peak memory.

Generates one long synthetic AMA (``../shared/tools/gen_corpus.py 1 DIR --words
30000``, about three hours of speech), then renders it twice in a fresh
subprocess each time: *cold* with an empty segment cache (every paragraph
synthesised by Piper) and *warm* with the cache that run filled (assembly,
loudness and MP3 encoding only).  Prints, per run, wall time, x-realtime
(audio seconds per wall second) and peak RSS: of the render process itself,
and of the largest child (the worker processes that synthesise and assemble,
and ffmpeg), read from ``getrusage``.

Targets on a 2-core machine: cold >= 30x, warm >= 200x, <= 300 MiB.

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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN_CORPUS = HERE.parent.parent / "shared" / "tools" / "gen_corpus.py"


def child(episode_path: str, out: str, cache: str, jobs: int) -> None:
    """Render one episode (in the benchmark's subprocess) and print figures as JSON."""
    from amacast.parse import parse_episode
    from amacast.render import PodcastMeta, RenderSettings
    from amacast.render_jobs import render_episodes
    from amacast.voices import assign_voices

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


def run(label: str, episode: Path, out: Path, cache: Path, jobs: int) -> dict[str, float]:
    """Render in a fresh subprocess; returns its figures plus the subprocess's own peak."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            str(episode),
            str(out),
            str(cache),
            str(jobs),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    total = time.perf_counter() - started
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"{label} run failed")
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    figures["process_total_wall"] = total
    figures["any_process_maxrss_mib"] = max(after, before) / 1024
    audio = figures["duration"]
    print(
        f"{label:>5}: {audio / 3600:.2f} h of audio ({int(figures['segments'])} segments, "
        f"{figures['bytes'] / 1e6:.0f} MB MP3) in {figures['wall']:.1f} s "
        f"= {audio / figures['wall']:.0f}x realtime "
        f"({audio / total:.0f}x counting interpreter start-up)"
    )
    print(
        f"       peak RSS: render process {figures['self_maxrss_mib']:.0f} MiB, "
        f"largest worker/child {figures['children_maxrss_mib']:.0f} MiB"
    )
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
        print(f"largest process of all runs: {peak:.0f} MiB peak RSS")
        print("targets: cold >= 30x, warm >= 200x, <= 300 MiB")


if __name__ == "__main__":
    main()
