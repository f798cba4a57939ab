"""Benchmark ``amacast validate`` over generated transcripts.

Generates N transcripts (default 1000) with ``gen_corpus.py`` into a temporary
folder, then measures:

1. in process: ``parse_episode`` on every file, then ``validate_episodes``
   over all of them (wall time of each step, files/s, peak RSS of this
   process, which includes the interpreter and amacast's imports);
2. end to end: ``python -m amacast validate DIR --format json`` as a child
   process (wall time, files/s, the child's own peak RSS from ``wait4``).

Usage::

    python bench/bench_validate.py [--count 1000] [--words 1500] [--seed 1]
                                   [--generator PATH] [--keep DIR]

The generator defaults to ``../shared/tools/gen_corpus.py`` next to the
repository (override with ``--generator`` or ``AMACAST_GEN_CORPUS``).
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
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_GENERATOR = REPO.parent / "shared" / "tools" / "gen_corpus.py"


@dataclass(frozen=True)
class ChildRun:
    """What one finished child process did."""

    returncode: int
    wall: float
    cpu: float
    max_rss_kib: int
    stdout: bytes
    stderr: bytes


def maxrss_kib(value: int) -> int:
    """``ru_maxrss`` in KiB: Linux reports KiB, macOS reports bytes."""
    return value // 1024 if sys.platform == "darwin" else value


def run_child(argv: list[str], cwd: Path | None = None) -> ChildRun:
    """Run ``argv`` to completion and return its exit code, wall time and own peak RSS.

    ``os.wait4`` gives the resource usage of exactly this child, unlike
    ``RUSAGE_CHILDREN``, which is the maximum over every child ever waited for.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return ChildRun(
            proc.returncode, wall, cpu, maxrss_kib(usage.ru_maxrss), out.read(), err.read()
        )


def generate(generator: Path, count: int, words: int, seed: int, folder: Path) -> float:
    """Write ``count`` transcripts into ``folder``; return the seconds it took."""
    if not generator.is_file():
        raise SystemExit(
            f"generator not found: {generator} (pass --generator or set AMACAST_GEN_CORPUS)"
        )
    run = run_child(
        [
            sys.executable,
            str(generator),
            str(count),
            str(folder),
            "--seed",
            str(seed),
            "--words",
            str(words),
        ]
    )
    if run.returncode != 0:
        raise SystemExit(
            f"generator failed ({run.returncode}):\n{run.stderr.decode(errors='replace')}"
        )
    return run.wall


def bench_in_process(files: list[Path]) -> dict[str, float]:
    """Parse and validate ``files`` in this process; return timings and counts."""
    from amacast.transcript.parse import parse_episode
    from amacast.transcript.validate import validate_episodes

    cpu_start = time.process_time()
    start = time.perf_counter()
    episodes = [parse_episode(path) for path in files]
    parsed = time.perf_counter()
    diagnostics = validate_episodes(episodes)
    done = time.perf_counter()
    cpu = time.process_time() - cpu_start
    errors = sum(1 for d in diagnostics if d.severity == "error")
    return {
        "parse": parsed - start,
        "validate": done - parsed,
        "total": done - start,
        "cpu": cpu,
        "turns": float(sum(len(e.turns) for e in episodes)),
        "diagnostics": float(len(diagnostics)),
        "errors": float(errors),
        "max_rss_kib": float(maxrss_kib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)),
    }


def bench_cli(folder: Path) -> tuple[ChildRun, list[dict[str, object]]]:
    """Run the CLI over ``folder`` with JSON output; return the run and its diagnostics."""
    run = run_child(
        [sys.executable, "-m", "amacast", "validate", str(folder), "--format", "json"], cwd=REPO
    )
    if run.returncode not in (0, 1):
        raise SystemExit(
            f"amacast validate exited {run.returncode}:\n{run.stderr.decode(errors='replace')}"
        )
    try:
        items = json.loads(run.stdout or b"[]")
    except json.JSONDecodeError as exc:
        raise SystemExit(f"amacast validate did not print JSON: {exc}") from exc
    return run, items


def main() -> None:
    """Generate the corpus, run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="transcripts to generate")
    parser.add_argument("--words", type=int, default=1500, help="words per transcript")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument(
        "--generator",
        type=Path,
        default=Path(os.environ.get("AMACAST_GEN_CORPUS", DEFAULT_GENERATOR)),
        help="path to gen_corpus.py",
    )
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="amacast-bench-") as tmp:
        folder = args.keep or Path(tmp) / "episodes"
        gen_time = generate(args.generator, args.count, args.words, args.seed, folder)
        files = sorted(folder.glob("*.md"))
        size_mib = sum(f.stat().st_size for f in files) / 2**20
        print(
            f"corpus: {len(files)} files, {size_mib:.1f} MiB, ~{args.words} words each "
            f"(generated in {gen_time:.1f} s)"
        )

        stats = bench_in_process(files)
        print(
            f"in process: parse {stats['parse']:.2f} s + validate {stats['validate']:.3f} s "
            f"= {stats['total']:.2f} s wall ({stats['cpu']:.2f} s CPU), "
            f"{len(files) / stats['total']:.0f} files/s, "
            f"{stats['turns']:.0f} turns, {stats['diagnostics']:.0f} diagnostics "
            f"({stats['errors']:.0f} errors), peak RSS {stats['max_rss_kib'] / 1024:.0f} MiB"
        )

        run, items = bench_cli(folder)
        errors = sum(1 for item in items if item.get("severity") == "error")
        print(
            f"CLI end to end: {run.wall:.2f} s wall ({run.cpu:.2f} s CPU), "
            f"{len(files) / run.wall:.0f} files/s, "
            f"exit {run.returncode}, {len(items)} diagnostics ({errors} errors), "
            f"peak RSS {run.max_rss_kib / 1024:.0f} MiB"
        )


if __name__ == "__main__":
    main()
