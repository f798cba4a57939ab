"""Loudness and peaks of long audio, measured in chunks.

``pyloudnorm.Meter.integrated_loudness`` wants the whole signal at once (and
copies it as float64): for a three-hour episode that is gigabytes.  The
:class:`LoudnessMeter` here runs pyloudnorm's own K-weighting filters chunk by
chunk (filter state carried over), keeps one mean square per 100 ms and gates
them as ITU-R BS.1770-4 does (400 ms blocks, 75 % overlap, −70 LUFS absolute and
−10 LU relative gates): the same figure, with memory of a few floats a second.

True peak is estimated by 4× oversampling (BS.1770 annex 2); :func:`limit_peaks`
is a look-ahead brick-wall limiter on that estimate.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyloudnorm
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import lfilter

FloatArray = npt.NDArray[np.floating]

ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
OVERSAMPLING = 4
# The limiter holds its gain down this long around a peak (half-width, seconds)
# and smooths it over a box of this half-width (no longer than the hold, so the
# smoothed gain still never exceeds the needed one): gentler than a 1 ms brick wall.
LIMITER_HOLD = 0.005
LIMITER_SMOOTH = 0.0025
# Samples this far under the ceiling (on both sides) cannot have a true peak above it.
_HEADROOM_FOR_OVERSHOOT = 10 ** (-6.0 / 20)


def db_to_gain(db: float) -> float:
    """A level change in dB as a linear factor."""
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    """A linear factor as dB (−inf for 0)."""
    return 20.0 * math.log10(gain) if gain > 0 else -math.inf


class LoudnessMeter:
    """Integrated loudness (LUFS) of mono audio fed in any number of chunks."""

    def __init__(self, rate: int) -> None:
        if rate % 10:
            raise ValueError(f"sample rate {rate} is not a multiple of 10 Hz")
        self.rate = rate
        self._hop = rate // 10
        meter = pyloudnorm.Meter(rate)
        # pyloudnorm's K-weighting stages (shelf, high-pass) as one filter: one
        # pass over the samples instead of one per stage.
        b = np.ones(1)
        a = np.ones(1)
        for stage in meter._filters.values():
            b = np.convolve(b, np.asarray(stage.b, dtype=np.float64) * stage.passband_gain)
            a = np.convolve(a, np.asarray(stage.a, dtype=np.float64))
        self._b, self._a = b, a
        self._state = np.zeros(max(len(a), len(b)) - 1)
        self._partial = 0.0
        self._partial_count = 0
        self._hops: list[float] = []

    def add(self, samples: FloatArray) -> None:
        """Feed the next chunk of the signal."""
        x = np.asarray(samples, dtype=np.float64)
        if x.size == 0:
            return
        x, self._state = lfilter(self._b, self._a, x, zi=self._state)
        squares = x * x
        position = 0
        if self._partial_count:
            take = min(self._hop - self._partial_count, squares.size)
            self._partial += float(squares[:take].sum())
            self._partial_count += take
            position = take
            if self._partial_count == self._hop:
                self._hops.append(self._partial)
                self._partial, self._partial_count = 0.0, 0
        whole = (squares.size - position) // self._hop
        if whole:
            end = position + whole * self._hop
            self._hops.extend(squares[position:end].reshape(whole, self._hop).sum(axis=1).tolist())
            position = end
        if position < squares.size:
            self._partial += float(squares[position:].sum())
            self._partial_count += squares.size - position

    def add_silence(self, count: int) -> None:
        """Feed ``count`` zero samples (the filters still ring out through them)."""
        chunk = 1 << 16
        while count > 0:
            step = min(chunk, count)
            self.add(np.zeros(step))
            count -= step

    @property
    def duration(self) -> float:
        """Seconds fed so far."""
        return (len(self._hops) * self._hop + self._partial_count) / self.rate

    def integrated(self) -> float:
        """The gated integrated loudness in LUFS (−inf for silence or < 400 ms)."""
        total = len(self._hops) * self._hop + self._partial_count
        seconds = total / self.rate
        if seconds < 0.4:
            return -math.inf
        # As pyloudnorm counts them: the last block may run past the end and
        # then sums what there is over a full block's length.
        blocks = int(round((seconds - 0.4) / 0.1)) + 1
        hops = np.zeros(blocks + 3, dtype=np.float64)
        known = self._hops[: blocks + 3]
        hops[: len(known)] = known
        if self._partial_count and len(self._hops) < blocks + 3:
            hops[len(self._hops)] = self._partial
        window = np.convolve(hops, np.ones(4), mode="valid")[:blocks]
        mean_squares = window / (4 * self._hop)
        with np.errstate(divide="ignore"):
            levels = -0.691 + 10.0 * np.log10(mean_squares)
        above = mean_squares[levels >= ABSOLUTE_GATE]
        if above.size == 0:
            return -math.inf
        relative = -0.691 + 10.0 * math.log10(float(above.mean())) + RELATIVE_GATE
        gated = mean_squares[(levels > relative) & (levels > ABSOLUTE_GATE)]
        if gated.size == 0:
            return -math.inf
        return -0.691 + 10.0 * math.log10(float(gated.mean()))


def _interpolator() -> FloatArray:
    """Windowed-sinc taps for the values at n + 1/4, n + 1/2, n + 3/4 (rows)."""
    half = _TAPS // 2
    offsets = np.arange(-half + 1, half + 1)  # x[n + offset]
    rows = []
    for phase in range(1, OVERSAMPLING):
        t = phase / OVERSAMPLING - offsets
        window = np.kaiser(_TAPS, 8.0)
        taps = np.sinc(t * _CUTOFF) * _CUTOFF * window
        rows.append(taps / taps.sum())
    return np.asarray(rows)


_TAPS = 24
_CUTOFF = 0.95
_PHASES = _interpolator()


def true_peak_envelope(
    samples: FloatArray, floor: float = 0.0, within: npt.NDArray[np.bool_] | None = None
) -> FloatArray:
    """Per sample ``n``, the largest magnitude of the signal over ``[n, n + 1)``,
    4× oversampled (windowed-sinc interpolation).

    Only samples next to one louder than ``floor`` are interpolated (the
    others keep their own magnitude), which makes this cheap on speech when
    ``floor`` is a few dB under the level of interest; ``within``, when given,
    further limits the interpolation to the samples it marks.
    """
    x = np.asarray(samples, dtype=np.float64)
    envelope = np.abs(x)
    if x.size == 0:
        return envelope
    hot = envelope > floor
    hot[:-1] |= hot[1:]
    if within is not None:
        hot &= within
    index = np.nonzero(hot)[0]
    if index.size == 0:
        return envelope
    half = _TAPS // 2
    padded = np.concatenate([np.zeros(half - 1), x, np.zeros(half)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, _TAPS)
    gathered = windows[index]
    # One product per phase (faster than a small matmul here), by einsum rather
    # than BLAS: BLAS would start threads that spin on the cores the MP3
    # encoder needs, for no gain on products this small.
    between = np.abs(np.einsum("ij,j->i", gathered, _PHASES[0]))
    for phase in _PHASES[1:]:
        np.maximum(between, np.abs(np.einsum("ij,j->i", gathered, phase)), out=between)
    envelope[index] = np.maximum(envelope[index], between)
    return envelope


def true_peak(samples: FloatArray, floor: float = 0.0) -> float:
    """The true peak (4× oversampled) as a linear magnitude; see :func:`true_peak_envelope`."""
    envelope = true_peak_envelope(samples, floor)
    return float(envelope.max()) if envelope.size else 0.0


def limit_peaks(samples: FloatArray, ceiling: float, rate: int) -> FloatArray:
    """``samples`` with a gain ride that keeps the true peak at or under ``ceiling``.

    Only regions whose samples come near the ceiling are oversampled.  The
    gain is the minimum needed over a short window, then smoothed by a box of
    the same width (the smoothed gain never exceeds the needed one), so peaks
    are caught before they happen; a final check scales the whole chunk down
    if the gain ride itself left a true peak above the ceiling.
    """
    x = np.asarray(samples, dtype=np.float64)
    floor = ceiling * _HEADROOM_FOR_OVERSHOOT
    if x.size == 0 or float(np.max(np.abs(x))) < floor:
        return x
    envelope = true_peak_envelope(x, floor)
    over = np.nonzero(envelope > ceiling)[0]
    if over.size == 0:
        return x
    hold = max(1, int(LIMITER_HOLD * rate))
    smooth = max(1, int(LIMITER_SMOOTH * rate))
    # Work only on the samples within reach of a peak: there the gain may dip.
    # Each stretch keeps a margin of needed gain 1 as wide as the filters
    # reach, so the stretches can be filtered end to end as one array.
    reach = hold + smooth
    starts = np.maximum(over - reach, 0)
    ends = np.minimum(over + reach + 1, x.size)
    depth = np.cumsum(
        np.bincount(starts, minlength=x.size + 1) - np.bincount(ends, minlength=x.size + 1)
    )[: x.size]
    region = np.nonzero(depth > 0)[0]
    needed = np.ones(region.size)
    needed[np.searchsorted(region, over)] = ceiling / envelope[over]
    gain = uniform_filter1d(
        minimum_filter1d(needed, size=2 * hold + 1, mode="nearest"),
        size=2 * smooth + 1,
        mode="nearest",
    )
    limited: FloatArray = x.copy()
    limited[region] *= np.minimum(gain, needed)
    # Only the samples whose interpolation window reaches a changed one can
    # have a new true peak; elsewhere the envelope stands, under the ceiling.
    reach += _TAPS
    starts = np.maximum(over - reach, 0)
    ends = np.minimum(over + reach + 1, x.size)
    near = (
        np.cumsum(
            np.bincount(starts, minlength=x.size + 1) - np.bincount(ends, minlength=x.size + 1)
        )[: x.size]
        > 0
    )
    envelope = true_peak_envelope(limited, floor, near)
    peak = float(envelope[near].max())
    if peak > ceiling:
        limited *= ceiling / peak
    return limited
