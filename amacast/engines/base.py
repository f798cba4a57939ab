"""The contract every speech engine keeps.

An engine turns one piece of plain text into mono PCM.  Adding an engine is a
short module: a class with ``name``, ``version()`` and ``synthesize()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # numpy only types PCM here: `amacast validate` starts without it
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class Voice:
    """A voice: an engine's base voice plus settings that make it distinct.

    ``pitch`` is a frequency factor (1.0 = the model's own pitch) applied with
    compensated tempo, so speech keeps its speed; ``tempo`` is a speed factor
    (1.0 = natural).  ``tld`` and ``lang`` are gTTS's accent and language.
    ``options`` carries engine-specific extras (a Piper voice file, noise).
    """

    id: str
    engine: str
    model: str = ""
    pitch: float = 1.0
    tempo: float = 1.0
    lang: str = "en"
    tld: str = "com"
    options: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class PCM:
    """Mono audio: float32 samples in [-1, 1] at ``sample_rate`` Hz."""

    samples: npt.NDArray[np.float32]
    sample_rate: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate


class EngineError(Exception):
    """An engine could not synthesise a text (network, model, bad voice)."""


class Engine(Protocol):
    """What render needs of a speech engine."""

    name: str

    def version(self) -> str:
        """A string that changes whenever the same input may sound different."""
        ...

    def synthesize(self, text: str, voice: Voice) -> PCM:
        """Speak ``text`` in ``voice``; raise EngineError on failure."""
        ...


def voice_version(engine: Engine, voice: Voice) -> str:
    """The engine's version for one voice: ``engine.voice_version(voice)`` when it has one.

    Piper includes the hash of a user's own voice file here, so replacing the
    file at the same path invalidates cached segments.
    """
    specific = getattr(engine, "voice_version", None)
    if callable(specific):
        return str(specific(voice))
    return engine.version()
