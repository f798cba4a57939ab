"""SIGTERM during a build: an exception, held back while the output is being exchanged."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from amacast.build.fs import OutputError
from amacast.errors import ExitCode


class BuildInterrupted(OutputError):
    """SIGTERM arrived during a build (see :func:`terminate_as_exception`)."""

    exit_code = ExitCode.TERMINATED


class _Critical:
    """Where SIGTERM waits instead of raising: the exchange and its bookkeeping."""

    depth = 0
    pending = False


@contextmanager
def terminate_as_exception() -> Iterator[None]:
    """Turn SIGTERM into :class:`BuildInterrupted` for the block, then restore the old handler.

    The first SIGTERM raises (so the build stops and cleans up); later ones
    are ignored until the block ends, so the clean-up finishes.  One arriving
    during the exchange raises just after it.  Outside the main thread this
    does nothing (Python delivers signals there only).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal raised
        if raised:
            return
        if _Critical.depth:
            _Critical.pending = True
            return
        raised = True
        raise BuildInterrupted("the build was stopped (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _critical() -> Iterator[None]:
    _Critical.depth += 1
    try:
        yield
    finally:
        _Critical.depth -= 1
    if not _Critical.depth and _Critical.pending:
        _Critical.pending = False
        raise BuildInterrupted("the build was stopped (SIGTERM) after its output went live")
