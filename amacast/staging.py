"""Changing ``output/`` in place, all at once at the end of a build.

A rebuild changes few files of a large site: one episode's page, the index,
the feeds.  Building a whole new folder beside the output and swapping it in
would cost a file operation for each of the thousands of files that did not
change.  So a build changes the output where it is, in two steps:

1. while it builds, each new or changed file is written next to its place
   under a *pending* name (``episodes/a/.index.html.amacast-new``); a file
   whose bytes equal the one already there is not written at all.  Files
   made elsewhere (rendered audio, in a scratch folder beside the output)
   wait there.
2. :meth:`Update.commit` renames every pending file over its place and
   removes the files the build no longer makes, the manifest last.  Each
   rename is atomic, so a reader never sees half a file.  If a rename fails,
   every one done before it is undone: the replaced files were hard-linked
   aside first.

A build that fails before the commit calls :meth:`Update.discard`, which
removes the pending files and the folders made for them: the output is byte
for byte what it was.  A first build (no output yet) writes the files
straight into a new folder and removes it all when it fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from amacast.files import write_file

T = TypeVar("T")

#: Appended to a file's name for the new version waiting beside it.
PENDING_SUFFIX = ".amacast-new"

#: Threads that create files at once: each waits on the file system, not on
#: Python, and on some file systems (ext4 with ``discard``, network and virtual
#: disks) one creation at a time is what a build mostly waits for.
FILE_THREADS = 8


@dataclass(frozen=True)
class Target:
    """Where a build writes: the output folder, and whether straight into place.

    ``direct`` is True for an output the build made itself (nothing there to
    keep): files go to their own names.  Otherwise they go to their pending
    names (:func:`pending_name`) until :meth:`Update.commit`.
    """

    output: Path
    direct: bool = False

    def path(self, relative: str) -> Path:
        """Where the new version of ``relative`` is written."""
        return self.output / (relative if self.direct else pending_name(relative))


def pending_name(relative: str) -> str:
    """The name the new version of ``relative`` waits under: ``dir/.name.amacast-new``."""
    folder, _, name = relative.rpartition("/")
    return f"{folder}/.{name}{PENDING_SUFFIX}" if folder else f".{name}{PENDING_SUFFIX}"


def write_files(target: Target, files: Mapping[str, bytes]) -> dict[str, str | None]:
    """Write ``files`` (relative path -> bytes) for ``target``.

    Returns each path's SHA-256, or None for a file left unwritten because
    the output already holds exactly these bytes there.
    """

    def write(relative: str) -> str | None:
        content = files[relative]
        if not target.direct and _holds(target.output / relative, content):
            return None
        write_file(target.path(relative), content)
        return hashlib.sha256(content).hexdigest()

    return dict(zip(files, _each(write, list(files)), strict=True))


def _holds(path: Path, content: bytes) -> bool:
    """True when ``path`` is a regular file holding exactly ``content``."""
    try:
        if path.is_symlink() or path.stat().st_size != len(content):
            return False
        return path.read_bytes() == content
    except OSError:
        return False


def _each(function: Callable[[str], T], names: Sequence[str]) -> list[T]:
    """``function`` of each name, in order; over :data:`FILE_THREADS` threads when many."""
    if len(names) < 2 * FILE_THREADS:
        return [function(name) for name in names]
    from concurrent.futures import ThreadPoolExecutor  # only for many files: slow to import

    size = -(-len(names) // (4 * FILE_THREADS))  # a few batches a thread: few futures

    def batch(start: int) -> list[T]:
        return [function(name) for name in names[start : start + size]]

    with ThreadPoolExecutor(FILE_THREADS) as pool:
        return [result for part in pool.map(batch, range(0, len(names), size)) for result in part]


class Update:
    """The changes one build makes to ``output``: see the module's documentation."""

    def __init__(self, output: Path) -> None:
        self.output = output
        made = not (output.exists() or output.is_symlink())
        output.mkdir(parents=True, exist_ok=True)
        self.target = Target(output, direct=made)
        self._incoming: dict[str, Path] = {}
        self._removing: list[str] = []
        self._scratch: Path | None = None
        self._ended = False
        self._marker = _marker(output)
        if self._marker.exists() and not made:
            _remove_pending(output)
        self._marker.touch()

    @property
    def scratch(self) -> Path:
        """A folder beside the output for files made elsewhere (see :meth:`bring`)."""
        if self._scratch is None:
            parent = self.output.parent
            self._scratch = Path(tempfile.mkdtemp(prefix=f".{self.output.name}.tmp-", dir=parent))
        return self._scratch

    def write(self, files: Mapping[str, bytes]) -> dict[str, str]:
        """Write ``files`` (:func:`write_files`) and take them in; their SHA-256s, all of them."""
        return self.took(write_files(self.target, files), files)

    def took(
        self, written: Mapping[str, str | None], files: Mapping[str, bytes] | None = None
    ) -> dict[str, str]:
        """Take in what :func:`write_files` wrote (in this process or another).

        Returns the SHA-256 of each file, those left unwritten included (from
        ``files`` when given, else by reading the output's file).
        """
        hashes = {}
        for relative, digest in written.items():
            if digest is None:
                content = files[relative] if files is not None else self.current(relative)
                digest = hashlib.sha256(content).hexdigest()
            elif not self.target.direct:
                self._incoming[relative] = self.target.path(relative)
            hashes[relative] = digest
        return hashes

    def current(self, relative: str) -> bytes:
        """The bytes the output holds at ``relative`` now."""
        return (self.output / relative).read_bytes()

    def drop(self, written: Mapping[str, str | None]) -> None:
        """Remove what :func:`write_files` wrote for the output that is not to be taken in."""
        for relative, digest in written.items():
            if digest is not None:
                self._incoming.pop(relative, None)
                with contextlib.suppress(OSError):
                    self.target.path(relative).unlink()

    def bring(self, relative: str, source: Path) -> None:
        """Move ``source`` (in :attr:`scratch`) to ``relative`` in the output at the commit."""
        if self.target.direct:
            path = self.output / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, path)
        else:
            self._incoming[relative] = source

    def bring_scratch(self) -> dict[str, Path]:
        """:meth:`bring` every file in :attr:`scratch`; returns them by relative path."""
        if self._scratch is None:
            return {}
        found = {}
        for folder, _subfolders, names in os.walk(self._scratch):
            for name in names:
                path = Path(folder, name)
                found[path.relative_to(self._scratch).as_posix()] = path
        for relative, path in sorted(found.items()):
            self.bring(relative, path)
        return {relative: self.new_path(relative) for relative in sorted(found)}

    def new_path(self, relative: str) -> Path:
        """Where the file ``relative`` is now: its new version if it has one, else the output's."""
        return self._incoming.get(relative, self.output / relative)

    def remove(self, relatives: Iterable[str]) -> None:
        """Remove these files of the output at the commit (those that are there)."""
        self._removing.extend(relatives)

    def commit(self, last: str | None = None) -> None:
        """Put every new file in place and remove the others, or, on failure, none of it.

        The new version of ``last`` (the manifest) is put in place after all else.
        """
        if last in self._incoming:
            self._incoming[last] = self._incoming.pop(last)
        removing = [relative for relative in self._removing if relative != last]
        backup = Path(tempfile.mkdtemp(prefix=f".{self.output.name}.old-", dir=self.output.parent))
        undo: list[tuple[Path, Path | None]] = []  # (place, its previous file aside, or None)
        try:
            for number, relative in enumerate(removing):
                place = self.output / relative
                removed = backup / f"removed-{number}"
                with contextlib.suppress(FileNotFoundError):
                    os.replace(place, removed)
                    undo.append((place, removed))
            for number, (relative, source) in enumerate(self._incoming.items()):
                place = self.output / relative
                aside: Path | None = backup / str(number)
                try:
                    os.link(place, backup / str(number), follow_symlinks=False)
                except FileNotFoundError:  # a new file: undone by removing it
                    aside = None
                place.parent.mkdir(parents=True, exist_ok=True)
                undo.append((place, aside))
                os.replace(source, place)
        except BaseException:
            for place, aside in reversed(undo):
                with contextlib.suppress(OSError):
                    if aside is None:
                        place.unlink()
                    else:
                        os.replace(aside, place)
            self.discard()
            raise
        finally:
            shutil.rmtree(backup, ignore_errors=True)
        _prune(self.output, removing)
        self._incoming.clear()
        self._end()

    def discard(self) -> None:
        """Undo the build: remove what it wrote; a folder it made itself goes whole.

        Nothing to do once the update is committed or discarded.
        """
        if self._ended:
            return
        if self.target.direct:
            shutil.rmtree(self.output, ignore_errors=True)
        else:
            _remove_pending(self.output)
        self._incoming.clear()
        self._end()

    def _end(self) -> None:
        self._ended = True
        self._drop_scratch()
        self._marker.unlink(missing_ok=True)

    def _drop_scratch(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def interrupted(output: Path) -> bool:
    """True when a build of ``output`` was stopped before its end (pending files may be left)."""
    return _marker(output).exists()


def _marker(output: Path) -> Path:
    """Marks a build under way: a build that finds it knows the last one was killed."""
    return output.parent / f".{output.name}.amacast-building"


def _prune(top: Path, relatives: Iterable[str]) -> None:
    """Remove the folders of these files, and their parents, that are left empty."""
    folders = {Path(relative).parent for relative in relatives}
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        while folder.parts:
            try:
                (top / folder).rmdir()
            except OSError:  # not empty, or gone
                break
            folder = folder.parent


def _remove_pending(output: Path) -> None:
    """Remove every pending file under ``output``, and the folders made only for them."""
    found: list[str] = []
    for folder, _subfolders, names in os.walk(output):
        found.extend(os.path.join(folder, n) for n in names if n.endswith(PENDING_SUFFIX))
    for path in found:
        with contextlib.suppress(OSError):
            os.unlink(path)
    _prune(output, [os.path.relpath(path, output) for path in found])
