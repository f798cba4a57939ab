#!/usr/bin/env python3
"""The default cast on a real post: who sounds like whom, and whether the words survive.

Renders one episode offline with the default cast (no ``[voices]`` table),
decodes the MP3 and cuts it at its WebVTT cues, then prints per speaker the
voice, the engine and the median pitch of everything they say, and checks the
targets of the default cast:

- each guest's median pitch is at least 25% away from every other speaker's
  (``|guest - other| / other``), the narrator's included;
- the narrator does not speak in a guest's voice;
- pocketsphinx's word error rate over the whole episode (every cue read back
  and compared with the cue's text: word edits over words) is at most 0.30.

Exits 1 when a target is missed.  Needs pocketsphinx (``pip install
pocketsphinx``; it ships an English model), not a dependency of amacast.

    python bench/cast.py                 # the Srijan AMA of ../shared/corpus
    python bench/cast.py EPISODE.md --jobs 2 --keep out/
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))  # the pitch tracker lives with the tests

from pitch import median_pitch  # noqa: E402
from voices import recogniser, transcribe, word_errors  # noqa: E402

from amacast.audio.engines.base import PCM  # noqa: E402
from amacast.audio.jobs import render_episodes  # noqa: E402
from amacast.audio.mp3 import decode_mp3  # noqa: E402
from amacast.audio.plan import PodcastMeta  # noqa: E402
from amacast.audio.render import RenderSettings  # noqa: E402
from amacast.audio.voices import assign_voices  # noqa: E402
from amacast.transcript.parse import parse_episode  # noqa: E402

SRIJAN = HERE.parent.parent / "shared" / "corpus" / "joinalahmed__fossassam__ama-srijan.md"
PITCH_APART = 0.25
MAX_WER = 0.30


def main() -> int:
    """Render, measure, print; 0 when every target is met."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("episode", nargs="?", type=Path, default=SRIJAN)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="render into this folder and keep it")
    args = parser.parse_args()
    if not args.episode.is_file():
        print(f"no episode at {args.episode} (../shared is absent?)", file=sys.stderr)
        return 2
    decoder = recogniser()
    if decoder is None:
        print("pocketsphinx is not installed: pip install pocketsphinx", file=sys.stderr)
        return 2
    episode = parse_episode(args.episode)
    voices, problems = assign_voices(episode, {})
    assert not problems, problems
    with tempfile.TemporaryDirectory(prefix="amacast-cast-") as scratch:
        out = args.keep or Path(scratch) / "out"
        started = time.perf_counter()
        info = render_episodes(
            [episode],
            {episode.slug: voices},
            RenderSettings(),
            out,
            Path(scratch) / "cache",
            podcast=PodcastMeta("FOSSASSAM AMAs", "FOSSASSAM"),
            jobs=args.jobs,
        )[episode.slug]
        wall = time.perf_counter() - started
        decoded = decode_mp3(out / info.mp3_path)
    rate = decoded.sample_rate
    print(f"{episode.slug}: {info.duration / 60:.1f} min of audio rendered in {wall:.0f} s")
    pieces: dict[str, list[np.ndarray]] = {}
    errors = words = 0
    per_speaker_errors: dict[str, list[int]] = {}
    for cue in info.cues:
        samples = decoded.samples[int(cue.start * rate) : int(cue.end * rate)]
        pieces.setdefault(cue.speaker, []).append(samples)
        wrong, count = word_errors(cue.text, transcribe(decoder, PCM(samples, rate)))
        errors, words = errors + wrong, words + count
        tally = per_speaker_errors.setdefault(cue.speaker, [0, 0])
        tally[0] += wrong
        tally[1] += count
    pitch = {code: median_pitch(PCM(np.concatenate(p), rate)) for code, p in pieces.items()}
    roles = {s.code: s.role for s in episode.speakers} | {"narrator": "narrator"}
    print(f"{'speaker':<10}{'role':<13}{'voice':<12}{'engine':<8}{'F0 Hz':>7}{'WER':>7}")
    for code in pitch:
        voice = voices.get(code) or voices["narrator"]
        wrong, count = per_speaker_errors[code]
        print(
            f"{code:<10}{roles.get(code, ''):<13}{voice.id:<12}{voice.engine:<8}"
            f"{pitch[code]:>7.0f}{wrong / max(1, count):>7.2f}"
        )
    ok = True
    guests = [code for code in pitch if roles.get(code) == "guest"]
    for guest in guests:
        nearest = min(
            (abs(pitch[guest] - pitch[other]) / pitch[other], other)
            for other in pitch
            if other != guest
        )
        met = nearest[0] >= PITCH_APART
        ok &= met
        print(
            f"guest {guest}: nearest other speaker {nearest[1]} is {nearest[0]:.0%} away "
            f"(target >= {PITCH_APART:.0%}) {'ok' if met else 'MISSED'}"
        )
        shared = voices["narrator"].id == voices[guest].id
        ok &= not shared
        print(
            f"narrator voice {voices['narrator'].id}, guest {guest} voice {voices[guest].id}: "
            f"{'MISSED (the same)' if shared else 'ok (different)'}"
        )
    wer = errors / max(1, words)
    ok &= wer <= MAX_WER
    print(
        f"word error rate, whole episode: {wer:.3f} ({errors} edits / {words} words; "
        f"target <= {MAX_WER}) {'ok' if wer <= MAX_WER else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
