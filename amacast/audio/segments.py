"""A content-addressed store of synthesised speech segments.

A segment's key is the SHA-256 of the engine's name, the engine's version, every
field of the voice and the text, so a rebuild with nothing changed synthesises
nothing and editing one paragraph re-synthesises that paragraph only.  Values
are 16-bit mono WAV files (half the size of float32, playable by any tool)
under ``<root>/<first two hex digits>/<key>.wav``; writes are atomic (a temp
file in the same folder, then ``os.replace``), so an interrupted build never
leaves a truncated segment behind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from amacast.audio.engines.base import PCM, Voice


def segment_key(engine_name: str, engine_version: str, voice: Voice, text: str) -> str:
    """The cache key of one segment: a hex SHA-256 over everything that shapes its sound."""
    payload = json.dumps(
        {
            "engine": engine_name,
            "version": engine_version,
            "voice": dataclasses.asdict(voice),
            "text": text,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def quantize(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Float samples in [-1, 1] as int16, clipped (the form the store keeps)."""
    scaled = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767.0
    ints: npt.NDArray[np.int16] = np.rint(scaled).astype(np.int16)
    return ints


@dataclass
class CacheStats:
    """How many segments a cache served from disk and how many it had synthesised."""

    hits: int = 0
    misses: int = 0


class SegmentCache:
    """Synthesised segments on disk, keyed by :func:`segment_key`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.stats = CacheStats()

    def path_for(self, key: str) -> Path:
        """Where the segment with this key lives (whether or not it exists)."""
        return self.root / key[:2] / f"{key}.wav"

    def __contains__(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def get(self, key: str) -> PCM | None:
        """The stored segment, or None when absent or unreadable."""
        path = self.path_for(key)
        try:
            with wave.open(str(path), "rb") as reader:
                if reader.getnchannels() != 1 or reader.getsampwidth() != 2:
                    return None
                rate = reader.getframerate()
                frames = reader.readframes(reader.getnframes())
        except (FileNotFoundError, wave.Error, EOFError, OSError):
            return None
        ints = np.frombuffer(frames, dtype="<i2")
        return PCM(samples=ints.astype(np.float32) / np.float32(32767.0), sample_rate=rate)

    def frames(self, key: str) -> int | None:
        """The stored segment's length in samples, read from its header only."""
        try:
            with wave.open(str(self.path_for(key)), "rb") as reader:
                return reader.getnframes()
        except (FileNotFoundError, wave.Error, EOFError, OSError):
            return None

    def put(self, key: str, pcm: PCM) -> None:
        """Store a segment atomically (temp file, then rename)."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{key[:12]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as writer:
                writer.setnchannels(1)
                writer.setsampwidth(2)
                writer.setframerate(pcm.sample_rate)
                writer.writeframes(quantize(pcm.samples).astype("<i2").tobytes())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def fetch(self, key: str, synthesize: Callable[[], PCM]) -> PCM:
        """The segment under ``key``: from disk, else ``synthesize()``d and stored.

        The result always has the stored (16-bit) resolution, so a cold and a
        warm build produce the same samples.
        """
        cached = self.get(key)
        if cached is not None:
            self.stats.hits += 1
            return cached
        pcm = synthesize()
        self.stats.misses += 1
        self.put(key, pcm)
        ints = quantize(pcm.samples)
        return PCM(
            samples=ints.astype(np.float32) / np.float32(32767.0), sample_rate=pcm.sample_rate
        )
