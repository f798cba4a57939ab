"""Tone engines for worker-process tests; the probe notes where each synthesis ran.

Kept out of the test modules: a worker imports the module of its engine
factory, and this one imports nothing of the mastering side, so what a
synthesis sees in ``sys.modules`` is what the worker itself imported.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from amacast.audio.engines.base import PCM, Engine, Voice

# Each synthesis appends a JSON line to the file this variable names.
LOG_VARIABLE = "AMACAST_TEST_SYNTHESIS_LOG"
WATCHED = ("scipy", "pyloudnorm", "amacast.audio.render", "amacast.audio.mastering")


def tone_factory(name: str) -> Engine:
    """A module-level engine factory (picklable for worker processes)."""
    return ToneEngine()


def probe_factory(name: str) -> Engine:
    """A module-level engine factory (picklable for worker processes)."""
    return ProbeEngine(name)


class ToneEngine:
    """A fast stand-in engine: a short tone per text, higher for a higher voice."""

    name = "piper"

    def version(self) -> str:
        return "tone 1"

    def synthesize(self, text: str, voice: Voice) -> PCM:
        rate = 22050
        t = np.arange(int(rate * (0.3 + 0.02 * len(text)))) / rate
        tone = 0.4 * np.sin(2 * np.pi * 120.0 * voice.pitch * t) * np.hanning(t.size)
        return PCM(tone.astype(np.float32), rate)


class ProbeEngine(ToneEngine):
    """The tone engine, logging the process and the heavy modules it has loaded."""

    def __init__(self, name: str = "piper") -> None:
        self.name = name

    def version(self) -> str:
        return "probe 1"

    def synthesize(self, text: str, voice: Voice) -> PCM:
        log = os.environ.get(LOG_VARIABLE)
        if log:
            loaded = [name for name in WATCHED if name in sys.modules]
            with Path(log).open("a", encoding="utf-8") as handle:
                record = {"pid": os.getpid(), "text": text, "loaded": loaded}
                handle.write(json.dumps({**record, "engine": self.name, "voice": voice.engine}))
                handle.write("\n")
        return super().synthesize(text, voice)
