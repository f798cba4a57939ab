"""Reading and writing whole files with as few system calls as Python allows.

A build of a thousand episodes reads a thousand transcripts and writes
thousands of pages and cache entries.  ``open()`` costs three system calls
beyond the reading or writing itself (it checks the file's type, asks
whether it is a terminal, and finds its position); on a busy file system
those calls are a measurable share of a build.  These helpers go straight to
``os.open``, ``os.read`` and ``os.write``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: Read in pieces of this size: most transcripts fit in one.
_PIECE = 1 << 16


def read_file(path: str | Path) -> bytes:
    """The whole content of ``path``; raises OSError as ``open()`` would."""
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        pieces = []
        while piece := os.read(descriptor, _PIECE):
            pieces.append(piece)
        return b"".join(pieces)
    finally:
        os.close(descriptor)


def write_file(path: str | Path, content: bytes, mode: int = 0o666) -> None:
    """Write ``content`` to ``path`` (made, or emptied), making its folder if it has none."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags, mode)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        descriptor = os.open(path, flags, mode)
    try:
        write_all(descriptor, content)
    finally:
        os.close(descriptor)


def write_all(descriptor: int, content: bytes) -> None:
    """Write all of ``content`` to an open file descriptor."""
    view = memoryview(content)
    while view:
        view = view[os.write(descriptor, view) :]


def replace_file(path: Path, content: bytes) -> None:
    """Put ``content`` at ``path`` atomically: written beside it, then renamed over it.

    Readers see the old file or the new one, never half of either.  The
    folder is made if there is none; raises OSError as writing would.
    """
    try:
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        try:
            write_all(handle, content)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
