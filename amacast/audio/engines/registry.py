"""Engines by name, and what each offers here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from amacast.audio.engines.base import Engine, EngineError, Voice
from amacast.config.voices import PALETTE


# Each engine's module is imported when the engine is first made: piper, hibari and gtts
# each cost 0.2 s or more at start-up (python -X importtime), and most runs use one.
def _piper(threads: int) -> Engine:
    from amacast.audio.engines.piper import PiperEngine  # start-up: see above

    return PiperEngine(threads=threads)


def _hibari(threads: int) -> Engine:
    from amacast.audio.engines.hibari import HibariEngine  # start-up: see above

    return HibariEngine(threads=threads)


def _gtts(threads: int) -> Engine:
    from amacast.audio.engines.gtts import GTTSEngine  # start-up: see above

    return GTTSEngine()


_FACTORIES: dict[str, tuple[Callable[[int], Engine], str, bool]] = {
    # name: (factory taking a thread cap, description, needs the network)
    "piper": (_piper, "offline neural voice (piper-tts, Joe en_US medium, CC0)", False),
    "hibari": (_hibari, "offline neural voice (hibari-tts, heart, Apache-2.0)", False),
    "gtts": (_gtts, "Google Translate voices (needs the network)", True),
}
_engines: dict[tuple[str, int], Engine] = {}


@dataclass(frozen=True)
class EngineInfo:
    """One engine as ``amacast voices`` lists it."""

    name: str
    description: str
    usable: bool
    online: bool
    voices: tuple[Voice, ...]
    note: str = ""
    reachable: bool | None = None
    """For an online engine: whether its server answered a short probe just now."""


def engine_names() -> tuple[str, ...]:
    """The names ``get_engine`` accepts."""
    return tuple(_FACTORIES)


def get_engine(name: str, threads: int = 0) -> Engine:
    """The engine called ``name``, made once per process; EngineError for an unknown name.

    ``threads`` caps the CPU threads a local engine uses (0: the library's
    default); give 1 when running one render process per core.
    """
    engine = _engines.get((name, threads))
    if engine is not None:
        return engine
    entry = _FACTORIES.get(name)
    if entry is None:
        known = ", ".join(sorted(_FACTORIES))
        raise EngineError(f"unknown speech engine {name!r} (known: {known})")
    engine = entry[0](threads)
    _engines[(name, threads)] = engine
    return engine


def available_engines(probe_timeout: float = 2.0) -> list[EngineInfo]:
    """Every engine with whether it can run here, whether it needs the network, its voices.

    An online engine with a ``reachable(timeout)`` method is probed now (at
    most about ``probe_timeout`` seconds) and says whether it answered.
    """
    infos: list[EngineInfo] = []
    for name, (factory, description, online) in _FACTORIES.items():
        note = ""
        reachable: bool | None = None
        try:
            engine = factory(0)
            check = getattr(engine, "available", None)
            usable = bool(check()) if callable(check) else True
        except Exception as error:  # an engine whose library is missing must not break listing
            usable, note = False, str(error)
        if usable and online:
            probe = getattr(engine, "reachable", None)
            if callable(probe):
                reachable, why = probe(probe_timeout)
                note = (
                    "reachable now (needs the network when rendering)"
                    if reachable
                    else f"unreachable now ({why}): rendering with it would fail"
                )
            else:
                note = "online: needs the network when rendering"
        voices = tuple(voice for voice in PALETTE.values() if voice.engine == name)
        infos.append(EngineInfo(name, description, usable, online, voices, note, reachable))
    return infos
