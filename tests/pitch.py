"""Fundamental frequency of speech: a small YIN pitch tracker in numpy.

Used to check that the voices given to different speakers are apart (bench
and tests), not on the rendering path.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from amacast.audio.engines.base import PCM

_CHUNK_FRAMES = 256


def pitch_track(
    pcm: PCM,
    fmin: float = 60.0,
    fmax: float = 500.0,
    hop: float = 0.01,
    threshold: float = 0.15,
) -> npt.NDArray[np.float64]:
    """F0 in Hz per frame (every ``hop`` seconds) of the voiced frames only.

    YIN (de Cheveigné & Kawahara 2002): cumulative mean normalised difference,
    the first dip under ``threshold`` refined by parabolic interpolation.
    Frames quieter than 1/30 of the loudest frame's RMS count as unvoiced.
    """
    x = np.asarray(pcm.samples, dtype=np.float64)
    sr = pcm.sample_rate
    tau_min = max(2, int(sr / fmax))
    tau_max = int(np.ceil(sr / fmin))
    window = tau_max
    frame_len = window + tau_max + 1
    hop_samples = max(1, int(round(hop * sr)))
    if len(x) < frame_len:
        return np.zeros(0)
    frames_all = np.lib.stride_tricks.sliding_window_view(x, frame_len)[::hop_samples]
    rms = np.sqrt(np.mean(frames_all[:, :window] ** 2, axis=1))
    loud = rms > (rms.max() / 30.0 if rms.size else 0.0)
    nfft = 1 << int(np.ceil(np.log2(frame_len + window)))
    taus = np.arange(tau_max + 1)
    found: list[float] = []
    for start in range(0, len(frames_all), _CHUNK_FRAMES):
        frames = frames_all[start : start + _CHUNK_FRAMES]
        keep = loud[start : start + _CHUNK_FRAMES]
        if not keep.any():
            continue
        frames = frames[keep]
        spectrum_all = np.fft.rfft(frames, nfft)
        spectrum_head = np.fft.rfft(frames[:, :window], nfft)
        acf = np.fft.irfft(spectrum_all * np.conj(spectrum_head), nfft)[:, : tau_max + 1]
        csum = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
        energy_lagged = csum[:, taus + window] - csum[:, taus]
        diff = energy_lagged[:, :1] + energy_lagged - 2.0 * acf
        diff[:, 0] = 0.0
        cumulative = np.cumsum(diff[:, 1:], axis=1)
        cmnd = np.ones_like(diff)
        with np.errstate(divide="ignore", invalid="ignore"):
            cmnd[:, 1:] = np.where(
                cumulative > 0, diff[:, 1:] * taus[1:] / np.maximum(cumulative, 1e-12), 1.0
            )
        for row in cmnd:
            f0 = _pick_period(row, tau_min, tau_max, threshold)
            if f0 > 0:
                found.append(sr / f0)
    return np.asarray(found, dtype=np.float64)


def _pick_period(
    cmnd: npt.NDArray[np.float64], tau_min: int, tau_max: int, threshold: float
) -> float:
    """The period (in samples, fractional) of one frame, or 0.0 when unvoiced."""
    below = np.nonzero(cmnd[tau_min:tau_max] < threshold)[0]
    if below.size == 0:
        return 0.0
    tau = int(below[0]) + tau_min
    while tau + 1 < tau_max and cmnd[tau + 1] < cmnd[tau]:
        tau += 1
    if 1 <= tau < len(cmnd) - 1:
        a, b, c = cmnd[tau - 1], cmnd[tau], cmnd[tau + 1]
        denom = a - 2 * b + c
        if denom > 0:
            return float(tau + 0.5 * (a - c) / denom)
    return float(tau)


def median_pitch(pcm: PCM) -> float:
    """Median F0 in Hz over the voiced frames of ``pcm``; 0.0 when nothing is voiced."""
    track = pitch_track(pcm)
    return float(np.median(track)) if track.size else 0.0
