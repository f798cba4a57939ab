"""Benchmark building ``atom.xml`` and ``podcast.xml`` for generated transcripts.

Generates N transcripts (default 1000) with ``gen_corpus.py`` into a temporary
project, gives every episode hand-made audio (so podcast.xml has N items with
enclosures, transcripts and people), then measures in process:

1. parsing every file and validating them all (for context);
2. ``build_feeds`` alone: wall time, and the peak of Python allocations during
   the call (tracemalloc, in a second, separate run so tracing does not slow
   the timed one);
3. ``build_all(audio=False)`` end to end as ``amacast build`` runs it
   (settings, parse, validate, feeds, site, the output changed in place);

and prints the feed sizes and this process's peak RSS (which includes the
interpreter, amacast's imports and the parsed episodes).

Usage::

    python bench/bench_feeds.py [--count 1000] [--words 1500] [--seed 1]
                                [--generator PATH] [--keep DIR] [--no-audio]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from amacast.build.pipeline import build_all  # noqa: E402
from amacast.config import load_settings  # noqa: E402
from amacast.feeds import build_feeds  # noqa: E402
from amacast.model import AudioInfo, Episode  # noqa: E402
from amacast.transcript.files import project_episodes  # noqa: E402
from amacast.transcript.parse import parse_episode  # noqa: E402
from amacast.transcript.validate import validate_episodes  # noqa: E402

DEFAULT_GENERATOR = REPO.parent / "shared" / "tools" / "gen_corpus.py"

SETTINGS = """\
title = "Benchmark podcast"
description = "Generated transcripts."
author = "Bench"
owner_email = "bench@example.org"
base_url = "https://example.github.io/amacast/"
category = "Technology"
"""


def maxrss_mib() -> float:
    """Peak RSS of this process in MiB (Linux reports KiB, macOS bytes)."""
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value / (1024 * 1024) if sys.platform == "darwin" else value / 1024


def fake_audio(episodes: list[Episode]) -> dict[str, AudioInfo]:
    """Audio for every episode, as rendering would describe it."""
    return {
        e.slug: AudioInfo(
            slug=e.slug,
            mp3_path=f"audio/{e.slug}.mp3",
            byte_length=30_000_000,
            duration=3600.0,
            sidecars={
                "vtt": f"transcripts/{e.slug}.vtt",
                "srt": f"transcripts/{e.slug}.srt",
                "json": f"transcripts/{e.slug}.json",
                "chapters": f"transcripts/{e.slug}.chapters.json",
            },
        )
        for e in episodes
    }


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--words", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--generator",
        type=Path,
        default=Path(os.environ.get("AMACAST_GEN_CORPUS", DEFAULT_GENERATOR)),
    )
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--no-audio", action="store_true", help="build with no audio at all")
    args = parser.parse_args()
    if not args.generator.is_file():
        print(f"generator not found: {args.generator}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="amacast-bench-feeds-") as temp:
        root = args.keep or Path(temp)
        episodes_dir = root / "episodes"
        episodes_dir.mkdir(parents=True, exist_ok=True)
        (root / "amacast.toml").write_text(SETTINGS, encoding="utf-8")
        command = [sys.executable, str(args.generator), str(args.count), str(episodes_dir)]
        command += ["--seed", str(args.seed), "--words", str(args.words)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        files = project_episodes(root)
        corpus_mib = sum(f.stat().st_size for f in files) / 2**20
        print(f"{len(files)} transcripts, {corpus_mib:.1f} MiB, {args.words} words each")

        settings, _ = load_settings(root)
        start = time.perf_counter()
        episodes = [parse_episode(f) for f in files]
        parsed = time.perf_counter()
        diagnostics = validate_episodes(episodes, settings.timezone)
        validated = time.perf_counter()
        errors = sum(1 for d in diagnostics if d.severity == "error")
        print(f"parse:        {parsed - start:7.2f} s")
        print(f"validate:     {validated - parsed:7.2f} s  ({errors} errors)")

        audio = {} if args.no_audio else fake_audio(episodes)
        start = time.perf_counter()
        feeds = build_feeds(episodes, settings, audio)
        elapsed = time.perf_counter() - start
        print(
            f"build_feeds:  {elapsed:7.2f} s  "
            f"({len(episodes) / elapsed:.0f} episodes/s; "
            f"atom.xml {len(feeds.atom) / 2**20:.1f} MiB, "
            f"podcast.xml {len(feeds.podcast or b'') / 2**20:.2f} MiB, "
            f"{feeds.atom_entries} entries, {feeds.podcast_items} items)"
        )

        tracemalloc.start()
        build_feeds(episodes, settings, audio)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        # libxml2's own buffers are not traced: this is the Python side only.
        print(f"build_feeds peak Python allocations (tracemalloc): {peak / 2**20:.1f} MiB")

        output = root / "output"
        start = time.perf_counter()
        result = build_all(root, output, audio=False)
        elapsed = time.perf_counter() - start
        print(
            f"amacast build end to end (settings, parse, validate, feeds, site, commit): "
            f"{elapsed:.2f} s, ok={result.ok}"
        )
        print(f"peak RSS of this process: {maxrss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
