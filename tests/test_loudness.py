"""Loudness in chunks against pyloudnorm on the whole; the true-peak limiter against its ceiling."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from amacast.audio.loudness import (
    LoudnessMeter,
    db_to_gain,
    gain_to_db,
    limit_peaks,
    true_peak,
    true_peak_envelope,
)

RATE = 22050


def _speechlike(seconds: float, seed: int) -> npt.NDArray[np.float64]:
    """Bursts of band-limited noise at varied levels with silences between: gating matters."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE))
    at = 0
    while at < out.size:
        length = int(rng.uniform(0.2, 2.5) * RATE)
        if rng.random() < 0.75:
            burst = resample_poly(rng.standard_normal(length // 2 + 1), 2, 1)[:length]
            out[at : at + length] = burst[: out.size - at] * rng.uniform(0.02, 0.4)
        at += length
    return out


def test_meter_fed_in_chunks_measures_what_pyloudnorm_measures_whole() -> None:
    signal = _speechlike(95.0, seed=3)
    meter = LoudnessMeter(RATE)
    rng = np.random.default_rng(1)
    at = 0
    while at < signal.size:
        step = int(rng.integers(1, 40000))
        meter.add(signal[at : at + step])
        at += step
    expected = pyloudnorm.Meter(RATE).integrated_loudness(signal)
    assert meter.integrated() == pytest.approx(expected, abs=0.01)


def test_meter_silence_is_minus_infinity() -> None:
    meter = LoudnessMeter(RATE)
    meter.add_silence(RATE * 3)
    assert meter.integrated() == -np.inf


def test_envelope_within_a_mask_equals_the_whole_envelope_there() -> None:
    signal = _speechlike(10.0, seed=5) * 2.5
    mask = np.zeros(signal.size, dtype=bool)
    mask[RATE : 4 * RATE] = True
    whole = true_peak_envelope(signal, 0.3)
    part = true_peak_envelope(signal, 0.3, mask)
    assert np.array_equal(part[mask], whole[mask])
    assert np.array_equal(part[~mask], np.abs(signal[~mask]))


@pytest.mark.parametrize("drive_db", [3.0, 9.0, 15.0])
def test_limiter_keeps_the_true_peak_under_the_ceiling(drive_db: float) -> None:
    ceiling = db_to_gain(-2.0)
    signal = _speechlike(30.0, seed=7) * db_to_gain(drive_db) * 3
    assert true_peak(signal) > ceiling
    limited = limit_peaks(signal, ceiling, RATE)
    # Every sample interpolated (no floor), and scipy's own 4x resampler as a second opinion.
    assert true_peak(limited) <= ceiling * (1 + 1e-9)
    assert gain_to_db(float(np.max(np.abs(resample_poly(limited, 4, 1))))) <= -2.0 + 0.1
    # Far from any peak the signal is untouched.
    quiet = np.abs(signal) < ceiling / 4
    quiet_far = np.convolve(~quiet, np.ones(1001), mode="same") == 0
    assert quiet_far.any()
    assert np.array_equal(limited[quiet_far], signal[quiet_far])


def test_limiter_leaves_quiet_audio_alone() -> None:
    signal = _speechlike(5.0, seed=9) * 0.5
    ceiling = db_to_gain(-1.0)
    assert true_peak(signal) < ceiling
    assert np.array_equal(limit_peaks(signal, ceiling, RATE), signal)
