"""The contract every speech engine keeps.

An engine turns one piece of plain text into mono PCM.  Adding an engine is a
short module: a class with ``name``, ``version()`` and ``synthesize()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from amacast.errors import AmacastError
from amacast.model import Voice

#: What an engine is given and returns: Voice is a plain value of the model (the
#: settings make voices too), named here as part of the contract.
__all__ = ["PCM", "Engine", "EngineError", "Voice", "voice_version"]

if TYPE_CHECKING:  # numpy only types PCM here: `amacast validate` starts without it
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class PCM:
    """Mono audio: float32 samples in [-1, 1] at ``sample_rate`` Hz."""

    samples: npt.NDArray[np.float32]
    sample_rate: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate


class EngineError(AmacastError):
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
