"""Mastering: an episode's segments, gained, limited and encoded to loudness targets.

Works on segments already in the cache, laid out by sample offsets
(:class:`Placed`), and never holds more than one segment: a pass streams the
segments from the cache through gain and a true-peak limiter, measuring
loudness as it goes, and optionally into the MP3 encoder.  The gain is found
by passes without encoding over a sample of the episode (the limiter takes
loudness away the harder it works); the MP3 is then decoded and measured,
and encoded again should it miss the loudness or true-peak target.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

from amacast.audio.engines.base import PCM
from amacast.audio.loudness import LoudnessMeter, db_to_gain, gain_to_db, limit_peaks, true_peak
from amacast.audio.mp3 import Mp3Encoder, decode_chunks, encoder_gain_db
from amacast.audio.plan import Segment
from amacast.audio.segments import SegmentCache, quantize
from amacast.config import RenderSettings
from amacast.errors import AmacastError

# The limiter aims this far under the true-peak ceiling: MP3 encoding adds
# overshoot (measured on hours of Piper speech at 64 kbit/s: up to 1.3 dB).
ENCODER_HEADROOM_DB = 1.5
# A measured loudness further than this from the target re-runs the encoding pass.
LOUDNESS_TOLERANCE = 0.5
# Passes without encoding to find the gain, how close they must get (LU), and
# how many seconds of a long episode they listen to.
GAIN_SEARCH_STEPS = 4
GAIN_SEARCH_TOLERANCE = 0.15
GAIN_SEARCH_SECONDS = 600
# Encodings before giving up on the targets (each one is checked on the MP3).
ENCODE_ATTEMPTS = 3
_WRITE_CHUNK = 1 << 16

SegmentProgress = Callable[[str, int, int], None]
"""Called as ``(phase, done, total)``; phase is ``"synthesis"`` or ``"encoding"``."""


class MasteringError(AmacastError):
    """The loudness targets could not be met, or a segment went missing."""


def at_rate(pcm: PCM, rate: int) -> npt.NDArray[np.float64]:
    """The samples as float64 at ``rate`` (polyphase resampling when needed)."""
    samples = np.asarray(pcm.samples, dtype=np.float64)
    if pcm.sample_rate == rate or samples.size == 0:
        return samples
    from scipy.signal import resample_poly

    ratio = Fraction(rate, pcm.sample_rate)
    return np.asarray(resample_poly(samples, ratio.numerator, ratio.denominator))


@dataclass(frozen=True)
class Placed:
    """A segment in the episode: its cache key, first sample and length in samples."""

    segment: Segment
    key: str
    start: int
    length: int


def _stream(
    placed: Sequence[Placed],
    cache: SegmentCache,
    rate: int,
    gain: float,
    ceiling: float,
    encoder: Mp3Encoder | None = None,
    progress: SegmentProgress | None = None,
) -> float:
    """Gain and limit every segment; encode when given an encoder, else return the loudness.

    An encoding pass measures nothing: the MP3 is measured afterwards.
    """
    meter = LoudnessMeter(rate) if encoder is None else None
    position = 0
    for number, item in enumerate(placed, start=1):
        silence = item.start - position
        if meter is not None:
            meter.add_silence(silence)
        while encoder is not None and silence > 0:
            step = min(silence, _WRITE_CHUNK)
            encoder.write(np.zeros(step, dtype=np.int16))
            silence -= step
        pcm = cache.get(item.key)
        if pcm is None:
            raise MasteringError(
                f"segment {item.key[:12]} vanished from the cache {cache.root} while rendering"
            )
        ints = quantize(limit_peaks(at_rate(pcm, rate) * gain, ceiling, rate))
        if meter is not None:
            meter.add(ints.astype(np.float64) / 32767.0)
        elif encoder is not None:
            encoder.write(ints)
        position = item.start + item.length
        if progress is not None:
            progress("encoding", number, len(placed))
    return meter.integrated() if meter is not None else math.nan


def _encode(
    placed: Sequence[Placed],
    cache: SegmentCache,
    settings: RenderSettings,
    gain: float,
    ceiling: float,
    target: Path,
    progress: SegmentProgress | None,
) -> None:
    """Gain, limit and encode into ``target``."""
    encoder = Mp3Encoder(target, settings.sample_rate, settings.bitrate)
    try:
        _stream(placed, cache, settings.sample_rate, gain, ceiling, encoder, progress)
        encoder.close()
    except BaseException:
        encoder.abort()
        raise


def normalise_and_encode(
    placed: Sequence[Placed],
    cache: SegmentCache,
    settings: RenderSettings,
    raw_loudness: float,
    target: Path,
    progress: SegmentProgress | None,
) -> None:
    """Encode at the gain that meets the loudness target, checked on the MP3 itself.

    The limiter takes some loudness away, so one pass without encoding
    measures what it leaves and corrects the gain; after encoding, the MP3 is
    decoded and measured (loudness and true peak), and a miss is encoded again.
    """
    rate = settings.sample_rate
    if not math.isfinite(raw_loudness):
        _encode(placed, cache, settings, 1.0, 1.0, target, progress)
        return
    # Aim the PCM so that the MP3, after the encoder's own level change, lands on target.
    encoder_db = encoder_gain_db(rate, settings.bitrate)
    aim = settings.loudness - encoder_db
    headroom = ENCODER_HEADROOM_DB
    ceiling = db_to_gain(settings.true_peak - headroom - encoder_db)
    # The limiter's loss is found on a sample of the episode (all of a short one):
    # loudness there, shifted by how the whole differs from the sample unlimited.
    sample = _sample(placed, rate)
    sample_raw = (
        _stream(sample, cache, rate, 1.0, math.inf) if sample is not placed else (raw_loudness)
    )
    offset = raw_loudness - sample_raw if math.isfinite(sample_raw) else 0.0
    gain_db = _search_gain(sample, cache, rate, aim - offset, aim - raw_loudness, ceiling)
    for attempt in range(1, ENCODE_ATTEMPTS + 1):
        _encode(placed, cache, settings, db_to_gain(gain_db), ceiling, target, progress)
        loudness, peak = measure_mp3(target, rate, db_to_gain(settings.true_peak - 6.0))
        miss = settings.loudness - loudness
        peak_db = gain_to_db(peak)
        peak_ok = peak_db <= settings.true_peak
        if peak_ok and (
            abs(miss) <= LOUDNESS_TOLERANCE or (attempt == ENCODE_ATTEMPTS and abs(miss) <= 1.0)
        ):
            return
        if not peak_ok:
            headroom += peak_db - settings.true_peak + 0.2
            ceiling = db_to_gain(settings.true_peak - headroom - encoder_db)
        if math.isfinite(loudness):
            gain_db += miss
    raise MasteringError(
        f"{target.name}: could not reach {settings.loudness:g} LUFS with peaks under "
        f"{settings.true_peak:g} dBTP (got {loudness:.1f} LUFS, {peak_db:.1f} dBTP)"
    )


def _sample(placed: Sequence[Placed], rate: int) -> Sequence[Placed]:
    """Every n-th segment, about GAIN_SEARCH_SECONDS of them, laid end to end (or all)."""
    total = sum(item.length for item in placed)
    wanted = int(GAIN_SEARCH_SECONDS * rate)
    if total <= 2 * wanted:
        return placed
    step = math.ceil(total / wanted)
    pause = rate // 2
    sample: list[Placed] = []
    position = 0
    for item in placed[::step]:
        sample.append(Placed(item.segment, item.key, position, item.length))
        position += item.length + pause
    return sample


def _search_gain(
    placed: Sequence[Placed],
    cache: SegmentCache,
    rate: int,
    aim: float,
    gain_db: float,
    ceiling: float,
) -> float:
    """The gain (dB) at which the limited audio measures ``aim`` LUFS (secant steps).

    The limiter takes more loudness the harder it is driven, so loudness grows
    slower than gain; a few passes without encoding find the gain.
    """
    tried: list[tuple[float, float]] = []
    for _step in range(GAIN_SEARCH_STEPS):
        loudness = _stream(placed, cache, rate, db_to_gain(gain_db), ceiling)
        if not math.isfinite(loudness):
            return gain_db
        miss = aim - loudness
        if abs(miss) <= GAIN_SEARCH_TOLERANCE:
            return gain_db
        slope = 1.0
        if tried:
            (previous_gain, previous_loudness) = tried[-1]
            if gain_db != previous_gain:
                slope = (loudness - previous_loudness) / (gain_db - previous_gain)
        tried.append((gain_db, loudness))
        gain_db += miss / min(1.0, max(0.2, slope))
    return gain_db


def measure_mp3(path: Path, rate: int, floor: float = 0.0) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (linear) of an audio file, decoded in chunks.

    Peaks under ``floor`` are not looked at closely (see ``true_peak``).
    """
    meter = LoudnessMeter(rate)
    peak = 0.0
    for chunk in decode_chunks(path, rate):
        meter.add(chunk)
        peak = max(peak, true_peak(chunk, max(floor, peak / 2)))
    return meter.integrated(), peak
