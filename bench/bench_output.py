"""Benchmark amacast.build.output: the cost of putting a generation live.

Builds a site of N pages (default 1,000, each in its own folder, as episode
pages are) plus an index and two feeds through :class:`Generation`, then
times, as medians of ``--runs`` builds:

- cold: the first build, into no output folder;
- spare: the second build, which makes the spare by a hard link per file;
- one changed: one page, the index and the feeds changed (the common rebuild);
- exchange only: nothing changed but the manifest (the floor of a build);
- one changed, durable: the same, flushing the file system before the exchange;
- one changed, state lost: without ``output-state.json``, every folder of both
  trees is listed and the spare rebuilt by links (the slow path).

Each timed rebuild first waits out RACY_NS, as rebuilds minutes apart do, so
folder mtimes are trusted (without the wait, folders changed in the last two
seconds are listed again: still a handful).  It then times the approach the
module replaced for comparison: a whole new tree of hard links beside the
output, one changed file written into it, the two exchanged, the old removed.

Usage: python bench/bench_output.py [--pages 1000] [--runs 5] [--dir /tmp]
Timings on a shared machine are noisy; compare medians from the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from amacast.build import fs
from amacast.build.fs import exchange
from amacast.build.lock import lock_output
from amacast.build.output import Generation


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def site(pages: int, version: int, changed: int | None = None) -> dict[str, bytes]:
    """N pages of about 8 KB; page ``changed`` (and the index and feeds) carry ``version``."""
    body = b"<p>" + b"x" * 8000 + b"</p>"
    files = {
        f"episodes/e{n}/index.html": f"<h1>{n} {version if n == changed else 0}</h1>".encode()
        + body
        for n in range(pages)
    }
    for name in ("index.html", "atom.xml", "podcast.xml"):
        files[name] = f"{name} {version}".encode() + body * 4
    return files


def build(project: Path, files: Mapping[str, bytes], durable: bool = False) -> dict[str, float]:
    """One build as the pipeline makes it; seconds spent in open, put and commit."""
    output, cache = project / "output", project / ".amacast-cache"
    hashes = {p: sha(c) for p, c in files.items()}  # the pipeline's work, not timed
    with lock_output(output, cache):
        start = time.perf_counter()
        generation = Generation.open(output, cache, project, durable=durable)
        opened = time.perf_counter()
        previous = generation.previous
        generation.put({p: c for p, c in files.items() if previous.get(p) != hashes[p]})
        put = time.perf_counter()
        generation.commit(hashes, {"version": 1})
        end = time.perf_counter()
    return {"open": opened - start, "put": put - opened, "commit": end - put, "total": end - start}


def link_tree(project: Path, changed: Mapping[str, bytes]) -> dict[str, float]:
    """The replaced approach: a whole tree of links beside the output, exchanged, old removed."""
    output, new = project / "output", project / ".output.new"
    start = time.perf_counter()
    for folder, _subfolders, names in os.walk(output):
        relative = os.path.relpath(folder, output)
        os.mkdir(new / relative) if relative != "." else os.mkdir(new)
        for name in names:
            os.link(os.path.join(folder, name), new / relative / name)
    linked = time.perf_counter()
    for relative, content in changed.items():
        target = new / relative
        target.unlink()
        target.write_bytes(content)
    written = time.perf_counter()
    if not exchange(new, output):
        raise SystemExit("renameat2(RENAME_EXCHANGE) is not available here")
    swapped = time.perf_counter()
    shutil.rmtree(new)
    end = time.perf_counter()
    return {
        "mkdir+link": linked - start,
        "write": written - linked,
        "exchange": swapped - written,
        "remove old": end - swapped,
        "total": end - start,
    }


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def show(label: str, times: Mapping[str, float]) -> None:
    parts = "  ".join(f"{key} {value * 1000:7.1f}" for key, value in times.items())
    print(f"{label:<26} {parts}  (ms)")


def repeat(runs: int, step: Callable[[int], dict[str, float]]) -> dict[str, float]:
    results = []
    for number in range(runs):
        time.sleep(fs.RACY_NS / 1e9 + 0.1)  # folder mtimes old enough to trust
        results.append(step(number))
    return median(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="where to build")
    arguments = parser.parse_args()
    pages, runs = arguments.pages, arguments.runs
    root = Path(tempfile.mkdtemp(prefix="bench-output-", dir=arguments.dir))
    print(f"{pages} pages in {pages} folders, {runs} runs each, median; in {root}")
    try:
        colds, spares = [], []
        for number in range(runs):
            project = root / f"cold-{number}"
            project.mkdir()
            colds.append(build(project, site(pages, 0)))
            spares.append(build(project, site(pages, 1, changed=1)))
        show("cold (no output yet)", median(colds))
        show("second (makes the spare)", median(spares))

        project = root / "cold-0"
        version = [10]

        def one_changed(number: int, durable: bool = False) -> dict[str, float]:
            version[0] += 1
            return build(project, site(pages, version[0], changed=number % pages), durable)

        build(project, site(pages, 2, changed=2))  # both trees recorded
        show("one changed", repeat(runs, one_changed))
        show("exchange only", repeat(runs, lambda n: build(project, site(pages, version[0], 0))))
        show("one changed, durable", repeat(runs, lambda n: one_changed(n, durable=True)))
        show("one changed, no wait", median([one_changed(n) for n in range(runs)]))

        def state_lost(number: int) -> dict[str, float]:
            (project / ".amacast-cache" / fs.STATE).unlink()
            return one_changed(number)

        show("one changed, state lost", repeat(runs, state_lost))
        build(project, site(pages, version[0], 0))  # both trees recorded again

        links = []
        for number in range(runs):
            page = f"episodes/e{number}/index.html"
            links.append(link_tree(project, {page: b"changed", "index.html": b"changed"}))
        show("link tree (replaced)", median(links))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
