"""The build lock: one build per cache (``<cache>/build.lock``), since the cache holds the spare."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from amacast.build.fs import OutputError

LOCK = "build.lock"


class BuildRunning(OutputError):
    """Another build holds the lock of this output."""

    def __init__(self, pid: int) -> None:
        super().__init__(f"another amacast build is running (pid {pid})")
        self.pid = pid


@contextmanager
def lock_output(output: Path, cache: Path) -> Iterator[None]:
    """Hold the build lock of ``output`` (``<cache>/build.lock``) for the block.

    An exclusive ``flock``; the file holds the holder's pid.  Raises
    :class:`BuildRunning` at once when another process holds it.  The kernel
    releases the lock when its holder dies, so a killed build's lock is free.
    """
    del output  # one lock per cache: the cache holds the spare of every output built from it
    try:
        cache.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(cache / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as error:
        raise OutputError(f"cannot take the build lock in {cache}: {error.strerror}") from error
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildRunning(_holder(descriptor)) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)


def _holds_lock(cache: Path) -> bool:
    """True when this process holds the build lock of ``cache``."""
    try:
        descriptor = os.open(cache / LOCK, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:  # held, through another open file: by this process?
        return os.pread(descriptor, 32, 0).strip() == str(os.getpid()).encode()
    else:
        return False  # nobody held it (closing lets go of it again)
    finally:
        os.close(descriptor)


def _holder(descriptor: int) -> int:
    """The pid in a lock file; waits a little for a holder that has not written it yet."""
    for _ in range(50):
        with contextlib.suppress(ValueError):
            return int(os.pread(descriptor, 32, 0).decode("ascii", "replace").strip())
        time.sleep(0.02)
    return 0
