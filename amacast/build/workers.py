"""Work spread over processes forked from this one.

A build's per-episode work (parsing transcripts, rendering pages) is pure
Python, so threads do not help; processes do.  Forked workers inherit what
the parent holds (the parsed episodes, the compiled templates), so a task
names the items to work on rather than carrying them; only results travel
back.  Where ``fork`` is not available (Windows) or the work is too small to
pay for the processes, there is no pool and the caller works in-process.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Executor


def worker_count(tasks: int, jobs: int | None = None, *, minimum: int = 2) -> int:
    """How many workers are worth starting for ``tasks`` tasks (0 or 1: none).

    At most ``jobs`` (default: the machine's cores), and never more than one
    per ``minimum`` tasks: a process costs more than a few small tasks.
    """
    cores = jobs if jobs is not None else (os.cpu_count() or 1)
    return max(0, min(cores, tasks // max(1, minimum)))


@contextlib.contextmanager
def forked_pool(workers: int) -> Iterator[Executor | None]:
    """A pool of ``workers`` forked processes, or None for fewer than 2 or without fork.

    The processes start at the first submitted task: whatever the parent
    set up before that, the workers see.
    """
    if workers < 2:
        yield None
        return
    # Imported here: most rebuilds start no process, and these take a while to import.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    # Each worker first moves what it inherited out of the cyclic collector's reach
    # (gc.freeze, a constant-time splice): the collector then never walks, nor
    # writes into, the pages it shares with the parent.
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=gc.freeze
    ) as pool:
        yield pool
