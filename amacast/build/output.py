"""``output/`` replaced in one step, one build at a time.

**Double buffering.**  Beside the live ``output/`` a *spare* tree
(``<cache>/output-spare/``) holds the generation before the live one.  A build
brings the spare up to the new generation in place: it writes the files that
changed (:meth:`Generation.put`), moves in those made elsewhere
(:meth:`Generation.put_file`; :meth:`Generation.put_tree` a folder the spare
lacks in one rename, a first build's ``episodes/`` whole), hard-links from
the live tree each file the spare lacks or holds differently, removes what the
new generation no longer has, writes the manifest, then exchanges the two
folders with one ``renameat2(spare, output, RENAME_EXCHANGE)`` system call.
Readers see the whole old tree or the whole new one, never a mix, and
``output/`` is never absent.  The old live tree becomes the spare, kept for
the next build.  The work is in proportion to what changed, not to the site:

- ``<cache>/output-state.json`` records, for both trees, each folder's
  ``st_mtime_ns`` and inode, and the folders where the two trees differ.  A
  build stats the folders of both trees (not the files) and rescans only those
  that moved, those that differ, and those where it writes or removes files.
  Every other folder holds the same names in both trees, and for files the
  same inodes.  A folder whose mtime is not before the file system's own
  clock as read just before the folder was looked at (``<cache>/output-clock``
  touched: :func:`~amacast.build.fs.fs_time`, when the build starts and again
  when it commits) is not trusted (a second change in the same clock tick
  would leave the mtime alone), as git treats racily clean index entries; the
  next build lists it again.
- Before the build first changes the spare it writes a marker,
  ``<cache>/output-spare.dirty``.  A spare that is marked, missing, or whose
  state does not name the live manifest's generation is compared with the live
  tree folder by folder and mended by hard links: the slow path, in proportion
  to the site.  A build killed while preparing the spare costs the next build
  time, never correctness.  A build that fails and is discarded leaves its
  changes in the spare with the folders it touched noted for the next build.
- The first build (no ``output/`` yet) renames its tree to ``output``; the
  second makes the spare.

**Foreign files.**  Files in ``output/`` that amacast did not write (``CNAME``,
``.nojekyll``, ``.gitkeep``, anything a user put there, and everything when
the manifest is missing or corrupt) are carried into each new generation by
hard link; nothing removes or moves them.  amacast's own files are exactly
those the live manifest lists.  amacast's output paths are its own: a foreign
file at a path amacast writes (``atom.xml``, ``episodes/<slug>/index.html``,
...) is replaced in the new generation.  Nothing is ever deleted from the live
tree: removals happen in the spare, before it goes live.

**Without RENAME_EXCHANGE** (not Linux, or a file system that answers EINVAL
or ENOSYS) the exchange is two renames: ``output`` to ``.output.amacast-old``
beside it, then the spare to ``output``.  At no instant is ``output/`` a mix,
but between the two renames it is absent; a build killed there leaves the old
tree under the hidden name and the next build puts it back.

**Where things are.**  The spare must be on the output's file system (hard
links and renames do not cross file systems): when the cache is elsewhere it is
``<output parent>/.<output name>.amacast-spare``, and so is the scratch folder.
``output`` given as a symbolic link is followed: the folder it points to is
exchanged.  The lock is ``<cache>/build.lock``: one build per cache, since the
cache holds the spare.

**Limits.**  A file written into ``output/`` while a build runs is carried if
it is there when the commit starts (the commit looks again); one written in the
few milliseconds of the commit itself lands in the old tree, which becomes the
spare, and is lost.  So does anything written by a process whose working folder
is inside ``output/``: after the exchange that folder is in the spare.
Editing a file of ``output/`` in place (same inode) changes both trees, as with
any hard link.  Durability after a power cut: the new generation's data is
flushed (``syncfs``) before the exchange when ``durable`` is set; most of it
already in the background while the build goes on (:meth:`Generation.flush_early`).

What this module must not know: what the files are (pages, feeds, audio).  The
pipeline decides what is new and hands bytes or finished files here.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from amacast.build.fs import (
    DIRTY,
    MANIFEST,
    SPARE,
    STATE,
    STATE_VERSION,
    Listing,
    OutputError,
    Record,
    _ancestors,
    _check_path,
    _describe,
    _holds,
    _join,
    _load_state,
    _lstat,
    _parent,
    _remove,
    _syncfs,
    _tree,
    exchange,
    write_atomic,
)
from amacast.build.lock import _holds_lock
from amacast.build.places import _places, _refuse
from amacast.build.signals import _critical
from amacast.build.trees import Trees

# --- the generation --------------------------------------------------------------------------


class Generation(Trees):
    """One build's new generation of ``output/``: see the module's documentation.

    Open it under :func:`lock_output`; end it with :meth:`commit` or :meth:`discard`.
    """

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        output: Path,
        cache: Path,
        project: Path,
        *,
        durable: bool = True,
        manifest: Mapping[str, Any] | None = None,
    ) -> Generation:
        """Refuse a bad output, clean what killed builds left, read the live generation.

        ``durable``: flush the new generation to disk before it goes live.
        ``manifest``: the live manifest, when the caller read it (under the
        lock, after :meth:`recover`) and it is not to be read again.
        """
        output = Path(os.path.realpath(output))
        cache = Path(os.path.realpath(cache))
        _refuse(output, Path(os.path.realpath(project)), cache)
        if not _holds_lock(cache):
            raise RuntimeError("Generation.open needs the build lock: call it in lock_output()")
        try:
            generation = cls(output, cache, *_places(output, cache))
            generation.durable = durable
            generation._recover()
            generation._read(manifest)
        except OSError as error:
            raise OutputError(_describe(error)) from error
        return generation

    @classmethod
    def recover(cls, output: Path, cache: Path) -> None:
        """Only clean what killed builds left (a build with nothing to write calls it)."""
        output = Path(os.path.realpath(output))
        cache = Path(os.path.realpath(cache))
        if not _holds_lock(cache):
            raise RuntimeError("Generation.recover needs the build lock: call it in lock_output()")
        try:
            cls(output, cache, *_places(output, cache))._recover()
        except OSError as error:
            raise OutputError(_describe(error)) from error

    def _old(self) -> Path:
        """Where the fallback exchange parks the old tree for a moment."""
        return self.output.parent / f".{self.output.name}.amacast-old"

    def _recover(self) -> None:
        """Undo what a killed build left: a parked old tree, scratch folders, an old spare."""
        old = self._old()
        if os.path.lexists(old):
            (self.cache / DIRTY).touch()
            if not os.path.lexists(self.output):
                os.rename(old, self.output)  # killed between the fallback's renames
            elif not os.path.lexists(self.spare):
                os.rename(old, self.spare)
            else:
                _remove(old)
        prefix = self._scratch_prefix
        with os.scandir(prefix.parent) as entries:
            leftovers = [e.path for e in entries if e.name.startswith(prefix.name)]
        with os.scandir(self.cache) as entries:  # a state file half written
            leftovers += [e.path for e in entries if e.name.startswith(f".{STATE}.")]
        for path in leftovers:
            _remove(Path(path))
        fallback = self.output.parent / f".{self.output.name}.amacast-spare"
        for spare in (self.cache / SPARE, fallback):
            if spare != self.spare and os.path.lexists(spare):
                _remove(spare)  # the cache moved to or from the output's file system

    # --- building ---------------------------------------------------------------------------

    @property
    def scratch(self) -> Path:
        """An empty private folder on the output's file system, for files made elsewhere."""
        if self._scratch is None:
            prefix = self._scratch_prefix
            self._scratch = Path(tempfile.mkdtemp(prefix=prefix.name, dir=prefix.parent))
        return self._scratch

    def put(self, files: Mapping[str, bytes]) -> None:
        """Write new or changed files into the new generation.

        A file whose bytes equal the live one's is kept by link, not written.
        """
        self._check_open()
        for relative, content in files.items():
            _check_path(relative)
            digest = self.previous.get(relative)
            if (
                digest is not None
                and hashlib.sha256(content).hexdigest() == digest
                and _holds(self.output / relative, content)  # not edited in place since
            ):
                self._put.pop(relative, None)  # the live file is the new one: linked at commit
                continue
            try:
                self._write(relative, content)
            except OSError as error:
                raise OutputError(_describe(error)) from error

    def put_file(self, relative: str, path: Path) -> None:
        """Move the finished file ``path`` (best in :attr:`scratch`) into the new generation."""
        self._check_open()
        _check_path(relative)
        try:
            place = self._prepare(relative)
            try:
                os.replace(path, place)
            except OSError as error:
                if error.errno != errno.EXDEV:
                    raise
                write_atomic(place, Path(path).read_bytes())
                os.unlink(path)
            self._put[relative] = os.lstat(place).st_ino
        except OSError as error:
            raise OutputError(_describe(error)) from error

    def put_tree(self, folder: Path) -> dict[str, tuple[str, int]]:
        """Move every file below ``folder`` (best :attr:`scratch`) into the new generation.

        Each goes where its path relative to ``folder`` says.  A folder the new
        generation does not have yet moves whole, in one rename (the first
        build's ``episodes/`` with every page in it); into one it has, files
        move one by one (:meth:`put_file`).  Returns, by output path, where
        each file now is (to read it) and its size.
        """
        self._check_open()
        moved: dict[str, tuple[str, int]] = {}
        try:
            self._move_folder("", os.fspath(folder), moved)
        except OSError as error:
            raise OutputError(_describe(error)) from error
        return moved

    def _move_folder(self, into: str, source: str, moved: dict[str, tuple[str, int]]) -> None:
        """Move the content of folder ``source`` into the spare folder ``into``."""
        with os.scandir(source) as listing:
            entries = list(listing)
        for entry in entries:
            relative = _join(into, entry.name)
            _check_path(relative)
            if not entry.is_dir(follow_symlinks=False):
                size = entry.stat(follow_symlinks=False).st_size
                self.put_file(relative, Path(entry.path))
                moved[relative] = (self._at_spare(relative), size)
                continue
            place = self._at_spare(relative)
            status = _lstat(place)
            if status is not None and stat.S_ISDIR(status.st_mode):
                self._move_folder(relative, entry.path, moved)
                continue
            files, folders = _tree(entry.path, relative)
            if not files:
                continue  # nothing to bring: an empty folder stays out
            for path in files:
                _check_path(path)
            self._mark_dirty()
            self._touch(into)
            self._make_folder(into)
            if status is not None:  # a file where the folder goes
                os.unlink(place)
            try:
                os.rename(entry.path, place)
            except OSError as error:
                if error.errno != errno.EXDEV:
                    raise
                self._move_folder(into, entry.path, moved)  # file by file, copied
                continue
            self._touched.update(folders)
            self._whole.update(_listings(folders, files))
            for path, (inode, size) in files.items():
                self._put[path] = inode
                moved[path] = (self._at_spare(path), size)

    def _write(self, relative: str, content: bytes) -> None:
        """Write a file of the spare: a new inode, never into one the live tree may share.

        No temporary name: the spare is not live, and a half-written file in a
        spare marked dirty is replaced by the next build.
        """
        self._put.pop(relative, None)
        place = self._prepare(relative)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(place)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        handle = os.open(place, flags, 0o666)
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(handle, view) :]
            self._put[relative] = os.fstat(handle).st_ino
        finally:
            os.close(handle)

    def _prepare(self, relative: str) -> Path:
        """Make way in the spare for a file at ``relative``; returns where it goes."""
        self._mark_dirty()
        folder = _parent(relative)
        self._touch(folder)
        self._make_folder(folder)
        place = Path(self._at_spare(relative))
        if os.path.isdir(place) and not os.path.islink(place):
            shutil.rmtree(place)
        return place

    def _mark_dirty(self) -> None:
        if self._dirty:
            return
        (self.cache / DIRTY).touch()
        self._dirty = True
        if not os.path.isdir(self.spare) or os.path.islink(self.spare):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.spare)
            os.mkdir(self.spare)
            self._full = True

    def _check_open(self) -> None:
        if self._ended:
            raise RuntimeError("this generation is already committed or discarded")

    # --- committing -------------------------------------------------------------------------

    def flush_early(self) -> None:
        """Start flushing what the build has written so far to disk, in the background.

        The flush before the exchange (``durable``) then has only what came
        after to write: a first build's thousand pages reach the disk while the
        pipeline makes the feeds and the index, not after.  ``syncfs`` waits on
        the disk, not the processor, and lets other threads run meanwhile.
        """
        if self.durable and self._flushing is None:
            self._flushing = threading.Thread(
                target=_flush_quietly, args=(self.spare.parent,), daemon=True
            )
            self._flushing.start()

    def _flushed_early(self) -> None:
        """Wait for :meth:`flush_early`'s flush, if one was started."""
        if self._flushing is not None:
            self._flushing.join()
            self._flushing = None

    def commit(self, files: Mapping[str, str], manifest: Mapping[str, Any]) -> None:
        """Make ``files`` the new generation's amacast files and put it live in one step.

        Each file was put in this build, or has the live file's hash and is kept.
        Files of :attr:`previous` not in ``files`` are left out; foreign files are
        carried.  ``manifest`` (JSON data) is written as ``.amacast-manifest.json``
        with ``"files"`` set to ``files`` and ``"generation"`` to a hash of it all.
        """
        self._check_open()
        try:
            self._check_files(files)
            data = {**manifest, "files": dict(sorted(files.items()))}
            # Named by its content, so the same build gives the same bytes anywhere.
            sorted_text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
            generation = hashlib.sha256(sorted_text).hexdigest()[:32]
            data["generation"] = generation
            self._write(MANIFEST, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
            # The clock read again: what this build wrote a tick ago or more is trusted.
            self._since = self._clock()
            self._recheck_live()
            live_record, differs = self._reconcile(set(files))
            if self.durable:
                self._flushed_early()
                _syncfs(self.spare)
            with _critical():
                self._swap()
                self._ended = True
                with contextlib.suppress(OSError):
                    self._save(generation, live_record, differs)
        except OSError as error:
            self.discard()
            raise OutputError(_describe(error)) from error
        except BaseException:
            self.discard()
            raise
        finally:
            self._drop_scratch()

    def _check_files(self, files: Mapping[str, str]) -> None:
        for relative, digest in files.items():
            _check_path(relative)
            if relative not in self._put and self.previous.get(relative) != digest:
                raise ValueError(
                    f"{relative}: neither put in this build nor unchanged in the live output"
                )
            for folder in _ancestors(relative):
                if folder in files:
                    raise ValueError(f"{folder} is a file and the folder of {relative}")
        stray = sorted(set(self._put) - set(files) - {MANIFEST})
        if stray:
            raise ValueError(f"{stray[0]}: put in this build but not among its files")

    def _swap(self) -> None:
        """Put the spare live; the old live tree becomes the spare."""
        if self._fresh and not os.path.lexists(self.output):
            os.rename(self.spare, self.output)
            return
        if exchange(self.spare, self.output):
            return
        old = self._old()
        os.rename(self.output, old)
        os.rename(self.spare, self.output)  # output/ is absent between these two renames
        os.rename(old, self.spare)

    def _save(self, generation: str, live_record: Record, differs: set[str]) -> None:
        """Record both trees after the exchange, then clear the dirty mark."""
        spare: dict[str, Any] | None = None
        if os.path.isdir(self.spare):
            spare = {
                "path": str(self.spare),
                "folders": {f: list(v) for f, v in sorted(self._live_seen.items())},
                "differs": sorted(differs),
            }
        state = {
            "version": STATE_VERSION,
            "output": str(self.output),
            "generation": generation,
            "live": {f: list(v) for f, v in sorted(live_record.items())},
            "spare": spare,
        }
        write_atomic(self.cache / STATE, orjson.dumps(state))
        (self.cache / DIRTY).unlink(missing_ok=True)

    def discard(self) -> None:
        """A failed build: none of it goes live, nothing of it is left; output is untouched.

        The spare keeps what the build wrote, marked so the next build redoes those folders.
        """
        if self._ended:
            return
        self._ended = True
        self._drop_scratch()
        if not self._dirty or self._full:
            return
        with contextlib.suppress(OSError):
            state = _load_state(self.cache / STATE)
            spare = state.get("spare")
            if isinstance(spare, dict) and isinstance(spare.get("differs"), list):
                spare["differs"] = sorted(set(spare["differs"]) | self._touched)
                folders = spare.get("folders")
                if isinstance(folders, dict):
                    for folder in self._touched:
                        folders.pop(folder, None)
                write_atomic(self.cache / STATE, orjson.dumps(state))
                (self.cache / DIRTY).unlink(missing_ok=True)

    def _drop_scratch(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def _flush_quietly(path: Path) -> None:
    """:func:`_syncfs` for :meth:`Generation.flush_early`; an error is left to the later flush."""
    with contextlib.suppress(OSError):
        _syncfs(path)


def _listings(folders: list[str], files: Mapping[str, tuple[int, int]]) -> dict[str, Listing]:
    """The entries of each of ``folders`` (from :func:`_tree`): name -> (is a folder, inode)."""
    listings: dict[str, Listing] = {folder: {} for folder in folders}
    for folder in folders[1:]:  # the first is the top, in its parent's listing already
        listings[_parent(folder)][folder.rpartition("/")[2]] = (True, 0)
    for path, (inode, _size) in files.items():
        folder, _, name = path.rpartition("/")
        listings[folder][name] = (False, inode)
    return listings
