"""The YIN pitch tracker on tones of known frequency."""

from __future__ import annotations

import numpy as np
import pytest
from pitch import median_pitch, pitch_track

from amacast.audio.engines.base import PCM


def harmonic_tone(f0: float, rate: int = 22050, seconds: float = 1.0) -> PCM:
    t = np.arange(int(rate * seconds)) / rate
    wave = np.sum([np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3, 4)], axis=0)
    return PCM((0.4 * wave).astype(np.float32), rate)


@pytest.mark.parametrize("f0", [70.0, 98.0, 123.4, 220.0, 440.0])
def test_median_pitch_of_harmonic_tones(f0: float) -> None:
    assert median_pitch(harmonic_tone(f0)) == pytest.approx(f0, rel=0.005)


def test_other_sample_rates() -> None:
    assert median_pitch(harmonic_tone(150.0, rate=16000)) == pytest.approx(150.0, rel=0.005)
    assert median_pitch(harmonic_tone(150.0, rate=48000)) == pytest.approx(150.0, rel=0.005)


def test_silence_and_noise_are_unvoiced() -> None:
    assert median_pitch(PCM(np.zeros(22050, dtype=np.float32), 22050)) == 0.0
    rng = np.random.default_rng(1)
    noise = PCM(rng.normal(0, 0.3, 22050).astype(np.float32), 22050)
    assert pitch_track(noise).size < 10
    assert median_pitch(PCM(np.zeros(10, dtype=np.float32), 22050)) == 0.0


def test_quiet_frames_are_skipped() -> None:
    tone = harmonic_tone(200.0)
    padded = PCM(np.concatenate([np.zeros(22050, np.float32), tone.samples]), 22050)
    track = pitch_track(padded)
    assert 80 < track.size < 110  # one frame per 10 ms of the tone only
