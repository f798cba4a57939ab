"""The folder a publish builds in, and swapping it in place of ``output/``.

A site of N episodes is N folders (``episodes/<slug>/index.html``).  Making
and removing folders is what costs on many file systems (``rmdir`` waits for
the journal: milliseconds each), far more than writing the small pages.  So
the previous output is not deleted after a swap: it is kept whole as a
*skeleton* under the project's cache.  The next build starts from that
skeleton instead of from nothing: it unlinks the files (cheap; walking the
tree once) and, when done, removes the folders nothing was written into
(:func:`finish`, walking the new tree once and listing its files).

Unchanged files are not written again either: a page whose bytes equal the
previous output's file is hard-linked from there (both outputs are on one file
system, since the new one is renamed into place).  The output stays all or
nothing: the staging folder is complete before the swap, and a failed swap
puts the previous output back.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def open_staging(output: Path, skeleton: Path | None = None) -> Path:
    """A new, file-free folder beside ``output`` to build into.

    When ``skeleton`` is a folder tree kept by :func:`swap` (on the same file
    system), it is moved there, emptied of any file, instead of starting from
    an empty folder.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{output.name}.tmp-", dir=output.parent))
    if skeleton is not None and skeleton.is_dir() and not skeleton.is_symlink():
        try:
            if os.stat(skeleton).st_dev == os.stat(staging).st_dev:
                staging.rmdir()
                os.replace(skeleton, staging)
                _remove_files(staging)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(exist_ok=True)
    staging.chmod(0o755)
    return staging


#: Threads that create files and folders at once: each waits on the file
#: system, not on Python, and on some file systems (ext4 with ``discard``, network
#: and virtual disks) one creation at a time is what a build mostly waits for.
FILE_THREADS = 8


def write_files(
    staging: Path, files: Mapping[str, bytes], previous_output: Path | None = None
) -> dict[str, str]:
    """Write ``files`` (relative path -> bytes) into ``staging``; return their SHA-256s.

    A file whose bytes equal the one at the same path in ``previous_output``
    is hard-linked from there rather than written (copied when linking fails).
    """

    def write(relative: str) -> str:
        content = files[relative]
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if previous_output is None or not _link_if_same(
            previous_output / relative, target, content
        ):
            target.write_bytes(content)
        return hashlib.sha256(content).hexdigest()

    return dict(zip(files, _each(write, list(files)), strict=True))


def link_unchanged(
    staging: Path, previous_output: Path, expected: Mapping[str, str]
) -> dict[str, str]:
    """Hard-link files of ``previous_output`` into ``staging`` that still hash as expected.

    ``expected`` maps a relative path to the SHA-256 the previous manifest
    gave it; a file that is missing or was edited since is left out.
    Returns the linked paths with their hashes.
    """

    def link(relative: str) -> bool:
        source = previous_output / relative
        target = staging / relative
        try:
            if source.is_symlink():
                return False
            if hashlib.sha256(source.read_bytes()).hexdigest() != expected[relative]:
                return False
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(source, target)
        except OSError:
            return False
        return True

    names = list(expected)
    return {
        name: expected[name] for name, done in zip(names, _each(link, names), strict=True) if done
    }


def _each(function: Callable[[str], T], names: Sequence[str]) -> list[T]:
    """``function`` of each name, in order; over :data:`FILE_THREADS` threads when many."""
    if len(names) < 2 * FILE_THREADS:
        return [function(name) for name in names]
    size = -(-len(names) // (4 * FILE_THREADS))  # a few batches a thread: few futures

    def batch(start: int) -> list[T]:
        return [function(name) for name in names[start : start + size]]

    with ThreadPoolExecutor(FILE_THREADS) as pool:
        return [result for part in pool.map(batch, range(0, len(names), size)) for result in part]


def finish(staging: Path) -> list[str]:
    """Remove the folders of ``staging`` that hold no file (left from the skeleton).

    Returns the files under ``staging``, relative POSIX paths in the order of
    ``sorted(staging.rglob("*"))``.
    """
    found: list[tuple[list[str], str]] = []
    top = str(staging)
    for folder, _subfolders, names in os.walk(top, topdown=False):
        files = [name for name in names if os.path.isfile(os.path.join(folder, name))]
        if not names and folder != top:
            with contextlib.suppress(OSError):  # not empty: a subfolder kept a file
                os.rmdir(folder)
        if files:
            parts = os.path.relpath(folder, top).split(os.sep) if folder != top else []
            found.extend(([*parts, name], "/".join([*parts, name])) for name in files)
    return [relative for _parts, relative in sorted(found)]


def swap(staging: Path, output: Path, skeleton: Path | None = None) -> None:
    """Put ``staging`` where ``output`` is; the previous output becomes ``skeleton``.

    The old output is renamed to a backup, the new one renamed into place (on
    failure the backup is renamed back).  The backup is then kept, files and
    all, as ``skeleton`` for the next build (:func:`open_staging` empties it),
    or removed when there is no skeleton path or it is on another file system.
    """
    backup: Path | None = None
    if output.exists() or output.is_symlink():
        backup = Path(tempfile.mkdtemp(prefix=f"{output.name}.old-", dir=output.parent))
        backup.rmdir()
        os.rename(output, backup)
    try:
        os.rename(staging, output)
    except BaseException:
        if backup is not None:
            with contextlib.suppress(OSError):
                os.rename(backup, output)
        raise
    if backup is not None:
        _keep_as_skeleton(backup, skeleton)


def _keep_as_skeleton(backup: Path, skeleton: Path | None) -> None:
    if skeleton is None or backup.is_symlink() or not backup.is_dir():
        _remove(backup)
        return
    try:
        skeleton.parent.mkdir(parents=True, exist_ok=True)
        if os.stat(skeleton.parent).st_dev != os.stat(backup).st_dev:
            raise OSError("the cache is on another file system")
        if skeleton.exists() or skeleton.is_symlink():
            _remove(skeleton)
        os.rename(backup, skeleton)
    except OSError:
        _remove(backup)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _remove_files(folder: Path) -> None:
    """Unlink every file and symlink under ``folder``, keeping the folders."""
    doomed: list[str] = []
    for parent, subfolders, names in os.walk(folder):
        doomed.extend(os.path.join(parent, name) for name in names)
        for name in list(subfolders):
            path = os.path.join(parent, name)
            if os.path.islink(path):
                doomed.append(path)
                subfolders.remove(name)
    _each(os.unlink, doomed)


def _link_if_same(source: Path, target: Path, content: bytes) -> bool:
    """Hard-link ``source`` to ``target`` when it holds exactly ``content``."""
    try:
        if source.is_symlink() or source.stat().st_size != len(content):
            return False
        if source.read_bytes() != content:
            return False
        os.link(source, target)
    except OSError:
        return False
    return True
