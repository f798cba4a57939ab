"""The file-system steps of :mod:`amacast.build.output`: names, listings, links, the exchange.

Plain functions on paths: what a folder holds (from ``readdir`` alone), a
folder's trusted mtime, a file written through a temporary name, two folders
swapped with one ``renameat2(RENAME_EXCHANGE)``, and the state file's records.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from amacast.errors import AmacastError

#: The manifest of a generation, at the top of the output.
MANIFEST = ".amacast-manifest.json"
#: In the cache: the spare tree, the state of both trees, the dirty marker.
SPARE = "output-spare"
STATE = "output-state.json"
DIRTY = "output-spare.dirty"
SCRATCH = "output-scratch-"
STATE_VERSION = 1
#: In the cache: a file touched when a build starts, to read the file system's clock.
CLOCK = "output-clock"
#: Where the file system's clock cannot be read: a folder whose mtime is this close
#: to the moment it was read (by this machine's clock) is rescanned next time.
RACY_NS = 2_000_000_000

#: Try ``renameat2(RENAME_EXCHANGE)`` first (tests set it False to force the fallback).
use_rename_exchange = True

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
#: ``SYS_renameat2`` by machine, for a libc without the wrapper.
_SYS_RENAMEAT2 = {"x86_64": 316, "aarch64": 276, "i686": 353, "armv7l": 382, "riscv64": 276}

Listing = dict[str, tuple[bool, int]]  # name -> (is a folder, inode)
Record = dict[str, tuple[int | None, int]]  # folder -> (trusted mtime_ns or None, inode)


class OutputError(AmacastError):
    """The output folder cannot be built: unwritable, refused, busy, interrupted."""


# --- files -----------------------------------------------------------------------------------


def read_manifest(output: Path) -> dict[str, Any]:
    """The manifest of the generation in ``output``; ``{}`` when missing or corrupt."""
    try:
        data = orjson.loads((output / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_atomic(path: Path, content: bytes, *, durable: bool = False) -> int:
    """Put ``content`` at ``path`` through a temporary name and a rename; returns its inode.

    ``durable`` flushes the file to disk before the rename.
    """
    # Not mkstemp: its files are private (0600); a site's files are as readable as the umask says.
    temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(handle, view) :]
            if durable:
                os.fsync(handle)
            inode = os.fstat(handle).st_ino
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return inode


def _is_relative(path: object) -> bool:
    """True for a plain relative path: ``a/b.html``, no ``..``, ``.``, empty part or NUL."""
    if not isinstance(path, str) or not path or "\0" in path or "\\" in path:
        return False
    framed = f"/{path}/"
    return "//" not in framed and "/./" not in framed and "/../" not in framed


def _parent(relative: str) -> str:
    return relative.rpartition("/")[0]


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _ancestors(relative: str) -> Iterator[str]:
    """The folders above ``relative``, nearest first, the top (``""``) last."""
    while relative:
        relative = _parent(relative)
        yield relative


def _list(path: str | Path) -> Listing | None:
    """A folder's entries, from ``readdir`` alone; None when it is not a folder."""
    try:
        with os.scandir(path) as entries:
            return {e.name: (e.is_dir(follow_symlinks=False), e.inode()) for e in entries}
    except (FileNotFoundError, NotADirectoryError):
        return None


def fs_time(folder: Path) -> int:
    """The file system's clock now (ns): the mtime of :data:`CLOCK` in ``folder``, touched now.

    A folder whose mtime is not before this time, taken before the folder is
    looked at, may change again within the same tick of that clock and keep
    its mtime: it is not trusted, and the next build lists it again (as git
    treats a racily clean file).  Read from the file system itself, the rule
    needs no margin for its granularity (two seconds on FAT, a tick of the
    kernel's coarse clock on ext4) nor for a file server's clock: a folder
    changed before the build started is trusted at once.  Where the file
    cannot be touched, this machine's clock less :data:`RACY_NS`.
    """
    path = folder / CLOCK
    try:
        try:
            os.utime(path)
        except FileNotFoundError:
            path.touch()
        return os.stat(path).st_mtime_ns
    except OSError:
        return time.time_ns() - RACY_NS


def _observe(path: str | Path, since: int) -> tuple[int | None, int] | None:
    """A folder's (mtime_ns, inode), mtime None if not before ``since`` (:func:`fs_time`).

    None when there is no folder.
    """
    try:
        status = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISDIR(status.st_mode):
        return None
    mtime: int | None = status.st_mtime_ns
    if status.st_mtime_ns >= since:
        mtime = None
    return mtime, status.st_ino


def _remove(path: str | Path) -> None:
    """Remove a file, link or folder tree; nothing if there is none."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


# --- the exchange ----------------------------------------------------------------------------


def _renameat2() -> Any:
    """A callable ``(olddirfd, old, newdirfd, new, flags) -> int``, or None."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    with contextlib.suppress(AttributeError):
        return libc.renameat2
    number = _SYS_RENAMEAT2.get(os.uname().machine)
    if number is None:
        return None
    return lambda *arguments: libc.syscall(number, *arguments)


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders' names in one step; False when the system cannot (nothing changed).

    Raises OSError for any other failure.
    """
    function = _renameat2() if use_rename_exchange else None
    if function is None:
        return False
    result = function(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _syncfs(path: Path) -> None:
    """Flush the file system holding ``path`` to disk."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        function = None
        if sys.platform.startswith("linux"):
            function = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
        if function is None or function(descriptor) != 0:
            os.sync()
    finally:
        os.close(descriptor)


# --- helpers ---------------------------------------------------------------------------------


def _check_path(relative: str) -> None:
    if not _is_relative(relative) or relative == MANIFEST:
        raise ValueError(f"{relative!r} is not a path amacast can write in the output")


def _depth(folder: str) -> int:
    return folder.count("/") + 1 if folder else 0


def _lstat(path: str | Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _holds(path: Path, content: bytes) -> bool:
    """True when ``path`` is a regular file holding exactly ``content``."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as stream:
            return stream.read(len(content) + 1) == content
    except OSError:
        return False


def _is_sha(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64


def _same(status: os.stat_result | None, mtime: int, inode: int) -> bool:
    return (
        status is not None
        and stat.S_ISDIR(status.st_mode)
        and status.st_mtime_ns == mtime
        and status.st_ino == inode
    )


def _load_state(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return {}
    return data


def _record(data: object) -> Record:
    """A folder record from the state file's JSON; invalid entries are dropped (rescanned)."""
    record: Record = {}
    if isinstance(data, dict):
        for folder, value in data.items():
            valid = folder == "" or _is_relative(folder)
            if valid and isinstance(value, list) and len(value) == 2:
                mtime, inode = value
                if (mtime is None or isinstance(mtime, int)) and isinstance(inode, int):
                    record[folder] = (mtime, inode)
    return record


def _describe(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


def _tree(path: str, relative: str) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """The files below folder ``path`` as (inode, size) by ``relative``'s path, and its folders."""
    files: dict[str, tuple[int, int]] = {}
    folders: list[str] = []
    pending = [(path, relative)]
    while pending:
        path, relative = pending.pop()
        folders.append(relative)
        with os.scandir(path) as listing:
            for entry in listing:
                child = _join(relative, entry.name)
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, child))
                else:
                    files[child] = (entry.inode(), entry.stat(follow_symlinks=False).st_size)
    return files, folders
