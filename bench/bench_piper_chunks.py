#!/usr/bin/env python3
"""Piper on long sentences: peak memory, x-realtime and word error rate per split limit.

Each configuration runs in a fresh subprocess that, like a render worker,
loads the bundled voice once and synthesises one after the other the
paragraphs of the 3-hour generated episode (``../shared/tools/gen_corpus.py 1
DIR --words 30000``) that hold its longest sentences, each in the voice
render assigns it (the slowed-down, higher voices make the longest audio).
It prints the peak RSS of that process (``VmHWM``), the audio made and
x-realtime.  With ``--wer`` the same process also reads back, with
pocketsphinx, the longest sentences of the real transcripts in
``../shared/corpus`` (and ``../shared/seeds``) and prints the mean word error
rate (pocketsphinx is not a dependency of amacast; ``pip install pocketsphinx``).

    python bench/bench_piper_chunks.py          # limits 0 (whole sentences), 60, 80, 120
    python bench/bench_piper_chunks.py --limits 0,80 --wer
    python bench/bench_piper_chunks.py --limits 60 \
        --session engine,mem-pattern,no-arena,same-as-requested

``--session`` names onnxruntime settings tried together with each limit:
``engine`` (the engine's own, ``SESSION_OPTIONS``: no memory patterns);
``mem-pattern`` (onnxruntime's default, ``enable_mem_pattern = True``);
``no-arena`` (also ``enable_cpu_mem_arena = False``); ``same-as-requested``
(also a shared CPU arena that grows by what is asked, ``kSameAsRequested``,
instead of doubling).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
GEN_CORPUS = SHARED / "tools" / "gen_corpus.py"
SESSIONS = ("engine", "mem-pattern", "no-arena", "same-as-requested")


def _maxrss_mib() -> float:
    """This program's peak RSS: ``VmHWM``, which starts afresh at ``exec``.

    ``getrusage`` keeps the peak from before the ``exec``, that is the RSS of
    the benchmark process that forked this one (it has loaded the model and
    ``amacast.audio.render`` to pick the paragraphs).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _configure_session(session: str) -> None:
    """Set the engine's onnxruntime options for ``session`` before the model loads."""
    from amacast.audio.engines import piper

    if session == "mem-pattern":
        piper.SESSION_OPTIONS["enable_mem_pattern"] = True
    if session == "no-arena":
        piper.SESSION_OPTIONS["enable_cpu_mem_arena"] = False
    if session == "same-as-requested":
        import onnxruntime

        info = onnxruntime.OrtMemoryInfo(
            "Cpu",
            onnxruntime.OrtAllocatorType.ORT_ARENA_ALLOCATOR,
            0,
            onnxruntime.OrtMemType.DEFAULT,
        )
        # max_mem 0 (no cap), strategy 1 = kSameAsRequested, defaults for the rest.
        onnxruntime.create_and_register_allocator(info, onnxruntime.OrtArenaCfg(0, 1, -1, -1))
        original = piper._load

        def load(path: Path, threads: int) -> object:
            # The shared allocator is used only by sessions that ask for it.
            import onnxruntime as ort

            real = ort.SessionOptions

            def options() -> object:
                made = real()
                made.add_session_config_entry("session.use_env_allocators", "1")
                return made

            ort.SessionOptions = options
            try:
                return original(path, threads)
            finally:
                ort.SessionOptions = real

        piper._load = load


def long_paragraphs(episode_path: Path, count: int) -> list[tuple[str, dict[str, object]]]:
    """The ``count`` paragraphs with the longest sentences (scaled by voice slowdown)."""
    from amacast.audio.engines.piper import _load, default_model_path
    from amacast.audio.plan import PodcastMeta, plan_segments
    from amacast.audio.render import RenderSettings
    from amacast.audio.voices import assign_voices
    from amacast.transcript.parse import parse_episode

    episode = parse_episode(episode_path)
    voices = assign_voices(episode, {})[0]
    segments = plan_segments(episode, voices, RenderSettings(), PodcastMeta("Bench", "amacast"))
    model = _load(default_model_path(), 0)
    ranked = []
    for segment in segments:
        longest = max((len(p) for p in model.phonemize(segment.text)), default=0)
        slowdown = segment.voice.pitch / segment.voice.tempo
        ranked.append((longest * slowdown, segment))
    ranked.sort(key=lambda item: -item[0])
    return [
        (
            segment.text,
            {"id": segment.voice.id, "pitch": segment.voice.pitch, "tempo": segment.voice.tempo},
        )
        for _, segment in ranked[:count]
    ]


def long_sentences(count: int) -> list[str]:
    """The ``count`` longest sentences (in words) of the real transcripts, as spoken text."""
    from amacast.audio.speech import speakable_block
    from amacast.transcript.parse import parse_episode

    sentences: set[str] = set()
    for folder in (SHARED / "corpus", SHARED / "seeds"):
        for path in sorted(folder.glob("*.md")) + sorted(folder.glob("*.txt")):
            episode = parse_episode(path)
            for turn in episode.turns:
                for block in turn.blocks:
                    text = speakable_block(block)
                    for sentence in re.split(r"(?<=[.!?])\s+", text):
                        words = re.findall(r"[A-Za-z']+", sentence)
                        # Only plain words: pocketsphinx's dictionary has no digits or URLs.
                        if len(words) >= 25 and not re.search(r"[0-9/@#_]", sentence):
                            sentences.add(sentence.strip())
    return sorted(sentences, key=lambda s: (-len(s.split()), s))[:count]


def child(config: dict[str, object]) -> None:
    """Measure one configuration in this (fresh) process; print JSON."""
    import numpy as np

    _configure_session(str(config["session"]))
    from amacast.audio.engines.base import Voice
    from amacast.audio.engines.piper import PiperEngine

    engine = PiperEngine(
        threads=int(str(config["threads"])), max_phonemes=int(str(config["limit"]))
    )
    engine.synthesize("Warm up.", Voice("joe", "piper"))
    loaded = _maxrss_mib()
    audio, elapsed = 0.0, 0.0
    for text, voice in config["paragraphs"]:  # type: ignore[attr-defined]
        started = time.perf_counter()
        pcm = engine.synthesize(
            text, Voice(voice["id"], "piper", pitch=voice["pitch"], tempo=voice["tempo"])
        )
        elapsed += time.perf_counter() - started
        audio += pcm.duration
    figures: dict[str, object] = {
        "loaded_mib": loaded,
        "peak_mib": _maxrss_mib(),
        "audio": audio,
        "wall": elapsed,
    }
    if config["sentences"]:
        sys.path.insert(0, str(HERE))
        from voices import recogniser, transcribe, word_error_rate

        decoder = recogniser()
        errors, gaps = [], []
        for sentence in config["sentences"]:  # type: ignore[attr-defined]
            pcm = engine.synthesize(sentence, Voice("joe", "piper"))
            errors.append(word_error_rate(sentence, transcribe(decoder, pcm)))
            gaps.append(_longest_silence(pcm.samples, pcm.sample_rate))
        figures["wer"] = float(np.mean(errors))
        figures["longest_gap"] = float(max(gaps))
    print(json.dumps(figures))


def _longest_silence(samples: object, rate: int) -> float:
    """Seconds of the longest run of 10 ms frames quieter than 1% of the peak."""
    import numpy as np

    data = np.asarray(samples)
    frame = rate // 100
    frames = data[: len(data) // frame * frame].reshape(-1, frame)
    quiet = np.max(np.abs(frames), axis=1) < 0.01 * float(np.max(np.abs(data)))
    longest = run = 0
    for flag in quiet:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest / 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limits", default="0,60,80,120", help="max phonemes per call; 0: none")
    parser.add_argument("--session", default="engine", help=f"comma-separated of {SESSIONS}")
    parser.add_argument("--paragraphs", type=int, default=40)
    parser.add_argument(
        "--threads", type=int, default=1, help="onnxruntime threads (render workers use 1)"
    )
    parser.add_argument("--wer", action="store_true", help="also read back long real sentences")
    parser.add_argument("--sentences", type=int, default=30)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(Path(args.child).read_text(encoding="utf-8")))
        return
    with tempfile.TemporaryDirectory(prefix="amacast-chunks-") as scratch:
        work = Path(scratch)
        subprocess.run(
            [sys.executable, str(GEN_CORPUS), "1", str(work / "ep"), "--words", "30000"],
            check=True,
            capture_output=True,
        )
        paragraphs = long_paragraphs(work / "ep" / "ama-00000.md", args.paragraphs)
        sentences = long_sentences(args.sentences) if args.wer else []
        words = sum(len(text.split()) for text, _ in paragraphs)
        print(
            f"{len(paragraphs)} paragraphs ({words} words) with the longest sentences of the "
            f"3-hour episode"
            + (f"; {len(sentences)} long real sentences for WER" if sentences else "")
        )
        print(
            f"{'limit':>6} {'session':<24}{'loaded':>8}{'peak':>8}{'audio s':>9}{'x-rt':>7}"
            + (f"{'WER':>7}{'gap s':>7}" if sentences else "")
        )
        for session in args.session.split(","):
            if session not in SESSIONS:
                raise SystemExit(f"unknown session setting {session!r}; one of {SESSIONS}")
            for limit in (int(value) for value in args.limits.split(",")):
                config = work / "config.json"
                config.write_text(
                    json.dumps(
                        {
                            "limit": limit,
                            "session": session,
                            "threads": args.threads,
                            "paragraphs": paragraphs,
                            "sentences": sentences,
                        }
                    ),
                    encoding="utf-8",
                )
                result = subprocess.run(
                    [sys.executable, str(Path(__file__).resolve()), "--child", str(config)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode != 0:
                    sys.stderr.write(result.stderr)
                    raise SystemExit(f"limit {limit}, {session}: failed")
                f = json.loads(result.stdout.strip().splitlines()[-1])
                line = (
                    f"{limit:>6} {session:<24}{f['loaded_mib']:>7.0f}M{f['peak_mib']:>7.0f}M"
                    f"{f['audio']:>9.0f}{f['audio'] / f['wall']:>7.1f}"
                )
                if "wer" in f:
                    line += f"{f['wer']:>7.3f}{f['longest_gap']:>7.2f}"
                print(line, flush=True)


if __name__ == "__main__":
    main()
