"""Benchmark ``amacast build`` against Hugo on the same generated transcripts.

Generates N transcripts (default 1000, about 16 MB) with ``gen_corpus.py``,
puts them into a minimal Hugo site (``content/posts/``, Hugo's built-in RSS
template, a tiny ``single.html`` and ``list.html``) and into an amacast
project (an ``amacast.toml`` with a ``base_url``), then runs, each as a
separate process:

1. cold builds, alternating Hugo and amacast (fresh output folder, and for
   amacast no ``.amacast-cache/``), ``--runs`` of each;
2. ``amacast build`` again with nothing changed;
3. ``amacast build`` after one episode changed (a different one each run);
4. ``amacast build`` into a new output folder with the cache kept (what a CI
   job that restores ``.amacast-cache`` does; no target).

It prints the median wall time and peak memory of each and the ratios against
the targets of issue 6: cold <= 1.5x Hugo's cold wall time, no-change rebuild
<= 0.25x, one-changed rebuild <= 0.3x, peak memory <= Hugo's.

amacast runs from its compiled bytecode, as an installed copy does (``pip
install`` writes it): the script compiles the package first and clears
``PYTHONDONTWRITEBYTECODE`` for the builds it times.

Peak memory is measured two ways: ``ru_maxrss`` of the child from
``os.wait4`` (the largest single process: Hugo is one process with threads),
and the largest sum of the proportional set sizes (PSS) of the child and all
its descendants, sampled from ``/proc`` every few milliseconds (what a pool of
forked worker processes really holds at once: pages they share with their
parent count once), in one extra run of each kind (sampling takes CPU from
the build, so timed runs do not sample).  The comparison uses the larger.

Usage::

    python bench/vs_hugo.py [--count 1000] [--runs 5] [--keep DIR]
                            [--hugo hugo] [--generator PATH]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_GENERATOR = REPO.parent / "shared" / "tools" / "gen_corpus.py"

AMACAST_TOML = """\
title = "Benchmark podcast"
description = "Generated transcripts."
author = "Bench"
owner_email = "bench@example.org"
base_url = "https://example.github.io/amacast/"
category = "Technology"
"""

HUGO_CONFIG = """\
baseURL = "https://example.github.io/hugo/"
title = "Benchmark podcast"
languageCode = "en"
"""

HUGO_SINGLE = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><h1>{{ .Title }}</h1><time>{{ .Date.Format "2 January 2006" }}</time>
{{ .Content }}</main></body></html>
"""

HUGO_LIST = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>
{{ with .OutputFormats.Get "rss" }}
<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">
{{ end }}
</head><body><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ul></body></html>
"""

# What `amacast build` runs, without the CLI around it.
AMACAST_BUILD = """\
import sys
from pathlib import Path
from amacast.build.pipeline import build_all
result = build_all(Path.cwd(), Path("output"), audio=False)
sys.exit(0 if result.ok else 1)
"""

#: The builds run as an installed amacast does: from its compiled bytecode
#: (``pip install`` writes it), even where the environment asks Python not to.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

TARGETS = {"cold": 1.5, "no-change": 0.25, "one-changed": 0.3, "memory": 1.0}


@dataclass(frozen=True)
class Run:
    """One timed child process."""

    wall: float
    cpu: float
    maxrss_mib: float
    tree_mib: float  # 0 when not sampled


def _tree_pss(root_pid: int) -> int:
    """Proportional set size of ``root_pid`` and every descendant, read from ``/proc``.

    PSS counts a page shared by k processes as 1/k in each, so the sum is
    the memory the tree really holds: forked workers share most of their
    parent's pages, which a sum of resident sizes would count again for each.
    """
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            with open(f"/proc/{pid}/stat", "rb") as stream:
                stat = stream.read()
        except OSError:
            continue
        parents[pid] = int(stat[stat.rfind(b")") + 2 :].split()[1])
    total = 0
    for pid in parents:
        at, seen = pid, 0
        while at and seen < 64 and at != root_pid:
            at = parents.get(at, 0)
            seen += 1
        if at == root_pid:
            total += _pss(pid)
    return total


def _pss(pid: int) -> int:
    """The PSS of one process in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as stream:
            for line in stream:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def timed(command: Sequence[str], cwd: Path, sample: bool = False) -> Run:
    """Run ``command`` in ``cwd``; wall time, ``ru_maxrss`` and, with ``sample``, the tree peak.

    Sampling reads every process's ``smaps_rollup`` every few milliseconds,
    which takes CPU from the build on a small machine: timed runs do not
    sample, and each kind of build gets one extra sampled run for its memory.
    """
    start = time.perf_counter()
    child = subprocess.Popen(
        list(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=CHILD_ENV
    )
    peak = [0]
    done = threading.Event()

    def sampling() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_pss(child.pid))
            done.wait(0.005)

    sampler = threading.Thread(target=sampling, daemon=True)
    if sample:
        sampler.start()
    assert child.stderr is not None
    errors = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    if sample:
        sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({child.returncode}):\n{errors.decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, peak[0] / (1 << 20))


class Trash:
    """Where the outputs of earlier runs go between runs, deleted after the last.

    On ext4, a file or folder made within a minute of many deletions costs
    time in proportion to those deletions (the inode allocator steps over
    every recently freed inode), so deleting a thousand pages just before a
    build makes that build's thousand pages several times slower to create,
    for Hugo and amacast alike.  A build on a fresh CI machine meets no such
    state; moving old outputs aside (a rename frees nothing) keeps the runs
    as clean.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def discard(self, path: Path) -> None:
        """Move ``path`` (if it exists) into the trash."""
        if path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            self.count += 1
            path.rename(self.folder / f"{self.count}-{path.name}")

    def empty(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def make_projects(workdir: Path, count: int, generator: Path) -> tuple[Path, Path]:
    """A Hugo site and an amacast project holding the same ``count`` transcripts."""
    corpus = workdir / "corpus"
    if not corpus.is_dir() or len(list(corpus.glob("*.md"))) != count:
        shutil.rmtree(corpus, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(generator), str(count), str(corpus)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    hugo = workdir / "hugo"
    amacast = workdir / "amacast"
    for folder in (hugo, amacast):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(corpus, hugo / "content" / "posts")
    (hugo / "layouts" / "_default").mkdir(parents=True)
    (hugo / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (hugo / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (hugo / "layouts" / "_default" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    shutil.copytree(corpus, amacast / "episodes")
    (amacast / "amacast.toml").write_text(AMACAST_TOML, encoding="utf-8")
    return hugo, amacast


def change_one(project: Path, round_number: int) -> None:
    """Edit one transcript's text (a different one, differently, each round)."""
    files = sorted((project / "episodes").glob("*.md"))
    target = files[(round_number * 7919) % len(files)]
    text = target.read_text(encoding="utf-8")
    target.write_text(text.rstrip("\n") + f"\n\nEdited in round {round_number}.\n", "utf-8")


def median(runs: Sequence[Run], attribute: str) -> float:
    """The median of one attribute over runs."""
    return float(statistics.median(float(getattr(run, attribute)) for run in runs))


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, build both ways, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hugo", default="hugo")
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    if shutil.which(args.hugo) is None:
        print(f"hugo not found: {args.hugo}", file=sys.stderr)
        return 2
    version = subprocess.run([args.hugo, "version"], capture_output=True, text=True).stdout
    load_before = f"{os.getloadavg()[0]:.2f}"
    import amacast as package

    compileall.compile_dir(Path(package.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory(prefix="vs-hugo-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        hugo, project = make_projects(workdir, args.count, args.generator)
        trash = Trash(workdir / "trash")
        amacast = [sys.executable, "-c", AMACAST_BUILD]
        hugo_runs: list[Run] = []
        cold_runs: list[Run] = []
        for _ in range(args.runs):
            trash.discard(workdir / "hugo-out")
            trash.discard(hugo / "resources")
            hugo_command = [args.hugo, "--quiet", "-s", str(hugo), "-d", str(workdir / "hugo-out")]
            hugo_runs.append(timed(hugo_command, hugo))
            trash.discard(project / "output")
            trash.discard(project / ".amacast-cache")
            cold_runs.append(timed(amacast, project))
        same_runs = [timed(amacast, project) for _ in range(args.runs)]
        changed_runs: list[Run] = []
        for round_number in range(args.runs):
            change_one(project, round_number)
            changed_runs.append(timed(amacast, project))
        # As in CI: the cache restored, the output folder new.
        ci_runs: list[Run] = []
        for _ in range(args.runs):
            trash.discard(project / "output")
            ci_runs.append(timed(amacast, project))
        # One more run of each kind, sampling the memory of the process tree.
        trash.discard(workdir / "hugo-out")
        trash.discard(hugo / "resources")
        memory = {"hugo, cold": timed(hugo_command, hugo, sample=True)}
        trash.discard(project / "output")
        trash.discard(project / ".amacast-cache")
        memory["amacast, cold"] = timed(amacast, project, sample=True)
        memory["amacast, nothing changed"] = timed(amacast, project, sample=True)
        change_one(project, args.runs)
        memory["amacast, one changed"] = timed(amacast, project, sample=True)
        trash.discard(project / "output")
        memory["amacast, no output, cache"] = timed(amacast, project, sample=True)
        hugo_pages = sum(1 for _ in (workdir / "hugo-out").rglob("*.html"))
        amacast_pages = sum(1 for _ in (project / "output").rglob("*.html"))
        trash.empty()

    hugo_wall = median(hugo_runs, "wall")
    hugo_memory = max(median(hugo_runs, "maxrss_mib"), memory["hugo, cold"].tree_mib)
    print(f"{args.count} transcripts; {version.strip()}; {os.cpu_count()} cores")
    print(f"load average before/after: {load_before} / {os.getloadavg()[0]:.2f}")
    print(f"pages: hugo {hugo_pages} html, amacast {amacast_pages} html")
    print()
    header = (
        f"{'build':<28}{'wall s':>8}{'cpu s':>8}{'maxrss MiB':>12}{'tree PSS':>10}"
        f"{'ratio':>8}{'target':>8}"
    )
    print(header)
    print("-" * len(header))
    rows = [
        ("hugo, cold", hugo_runs, None),
        ("amacast, cold", cold_runs, "cold"),
        ("amacast, nothing changed", same_runs, "no-change"),
        ("amacast, one changed", changed_runs, "one-changed"),
        ("amacast, no output, cache", ci_runs, None),
    ]
    verdicts: list[str] = []
    for label, runs, target in rows:
        wall = median(runs, "wall")
        ratio = f"{wall / hugo_wall:.2f}x" if runs is not hugo_runs else ""
        goal = f"{TARGETS[target]:.2f}x" if target else ""
        print(
            f"{label:<28}{wall:>8.3f}{median(runs, 'cpu'):>8.2f}{median(runs, 'maxrss_mib'):>12.0f}"
            f"{memory[label].tree_mib:>10.0f}{ratio:>8}{goal:>8}"
        )
        if target:
            holds = wall / hugo_wall <= TARGETS[target]
            cpu_ratio = median(runs, "cpu") / median(hugo_runs, "cpu")
            verdicts.append(
                f"{target}: {wall / hugo_wall:.2f}x Hugo's cold wall "
                f"(target <= {TARGETS[target]}x) {'holds' if holds else 'MISSED'}; "
                f"CPU time {cpu_ratio:.2f}x Hugo's"
            )
    peak = max(
        max(median(runs, "maxrss_mib"), memory[label].tree_mib) for label, runs, _ in rows[1:]
    )
    verdicts.append(
        f"memory: peak {peak:.0f} MiB vs Hugo's {hugo_memory:.0f} MiB "
        f"({peak / hugo_memory:.2f}x, target <= 1x) "
        f"{'holds' if peak <= hugo_memory else 'MISSED'}"
    )
    print()
    for verdict in verdicts:
        print(verdict)
    print()
    print("all walls (s):")
    for label, runs, _target in rows:
        print(f"  {label:<26}" + " ".join(f"{run.wall:.3f}" for run in runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
