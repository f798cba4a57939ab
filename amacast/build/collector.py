"""The cyclic garbage collector spared its walks over a build's objects."""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def collector_spared(function: Callable[P, R]) -> Callable[P, R]:
    """Undo, when ``function`` returns, the ``gc.freeze()`` made while it ran.

    And once per process, spare the collector its walk at exit
    (:func:`_frozen_at_exit`).
    """

    @functools.wraps(function)
    def spared(*args: P.args, **kwargs: P.kwargs) -> R:
        _frozen_at_exit()
        frozen_before = gc.get_freeze_count()
        try:
            return function(*args, **kwargs)
        finally:
            if not frozen_before and gc.get_freeze_count():
                gc.unfreeze()

    return spared


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off meanwhile: for decoding, which makes many objects and no garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@functools.cache
def _frozen_at_exit() -> None:
    """Have the cyclic collector skip, when the interpreter exits, every object left.

    After clearing its modules Python collects once more, walking every
    object the process still holds (some 40 ms of CPU time after a rebuild
    that changed one episode), though nothing it frees matters once the
    process ends; objects are still freed as their last reference goes.  Registered
    with :mod:`atexit`, so a process that builds many times (``amacast serve
    --watch``, tests) collects as usual while it runs.
    """
    atexit.register(gc.freeze)
