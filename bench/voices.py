"""Measure the Piper palette: median F0, duration and word error rate per voice.

    python bench/voices.py                     # the palette's piper voices
    python bench/voices.py --factors 0.8,1,1.4 # any pitch factors
    python bench/voices.py --calibrate         # Piper's length_scale -> duration curve
    python bench/voices.py --noise             # Piper's own noise scales vs none
    python bench/voices.py --threads 1         # x-realtime on one core

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

from amacast.engines.base import PCM, Voice  # noqa: E402
from amacast.engines.piper import PiperEngine, _load, default_model_path  # noqa: E402
from amacast.pitch import median_pitch  # noqa: E402
from amacast.voices import palette  # noqa: E402

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


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words divided by the reference's word count."""
    ref = re.findall(r"[a-z']+", reference.lower())
    hyp = re.findall(r"[a-z']+", hypothesis.lower())
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, start=1):
        previous, row[0] = row[0], i
        for j, other in enumerate(hyp, start=1):
            current = min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
            previous, row[j] = row[j], current
    return row[len(hyp)] / max(1, len(ref))


def recogniser() -> object | None:
    """A pocketsphinx decoder at 16 kHz, or None when pocketsphinx is not installed."""
    try:
        from pocketsphinx import Decoder
    except ImportError:
        return None
    return Decoder(samprate=16000, loglevel="FATAL")


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


def measure(engine: PiperEngine, voices: list[Voice]) -> None:
    """Print one row per voice: F0, duration, WER, x-realtime."""
    decoder = recogniser()
    print(f"{'voice':<14}{'pitch':>7}{'F0 Hz':>8}{'dur s':>8}{'WER':>7}{'x-rt':>7}")
    for voice in voices:
        pitches, total, errors, elapsed = [], 0.0, [], 0.0
        for sentence in SENTENCES:
            start = time.perf_counter()
            pcm = engine.synthesize(sentence, voice)
            elapsed += time.perf_counter() - start
            total += pcm.duration
            pitches.append(median_pitch(pcm))
            if decoder is not None:
                errors.append(word_error_rate(sentence, transcribe(decoder, pcm)))
        wer = f"{np.mean(errors):.3f}" if errors else "n/a"
        print(
            f"{voice.id:<14}{voice.pitch:>7.2f}{np.median(pitches):>8.1f}{total:>8.2f}"
            f"{wer:>7}{total / elapsed:>7.1f}",
            flush=True,
        )


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
    parser.add_argument("--factors", help="comma-separated pitch factors instead of the palette")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument(
        "--threads", type=int, default=0, help="onnxruntime threads (0: its default, all cores)"
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
    engine = PiperEngine(threads=args.threads)
    if args.factors:
        voices = [Voice(f"pitch-{f}", "piper", pitch=float(f)) for f in args.factors.split(",")]
    else:
        voices = palette("piper")
        voices.sort(key=lambda v: v.pitch)
    if args.noise:
        noisy = (("noise_scale", "0.667"), ("noise_w_scale", "0.8"))
        voices += [Voice(f"{v.id}+noise", "piper", pitch=v.pitch, options=noisy) for v in voices]
    engine.synthesize("Warm up.", Voice("joe", "piper"))
    measure(engine, voices)


if __name__ == "__main__":
    main()
