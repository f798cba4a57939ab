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
  same inodes.  A folder whose mtime was read within :data:`RACY_NS` of its
  last change is not trusted (a second change in the same clock tick would
  leave the mtime alone), as git treats racily clean index entries.
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
flushed (``syncfs``) before the exchange when ``durable`` is set.

What this module must not know: what the files are (pages, feeds, audio).  The
pipeline decides what is new and hands bytes or finished files here.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import os
import platform
import re
import secrets
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from amacast.errors import AmacastError, ExitCode

#: The manifest of a generation, at the top of the output.
MANIFEST = ".amacast-manifest.json"
#: In the cache: the lock, the spare tree, the state of both trees, the dirty marker.
LOCK = "build.lock"
SPARE = "output-spare"
STATE = "output-state.json"
DIRTY = "output-spare.dirty"
SCRATCH = "output-scratch-"
STATE_VERSION = 1
#: A folder whose mtime is this close to the moment it was read is rescanned next time.
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


class OutputRefused(OutputError):
    """The output folder is, or holds, the project: building there would replace sources."""

    exit_code = ExitCode.USAGE


class BuildRunning(OutputError):
    """Another build holds the lock of this output."""

    def __init__(self, pid: int) -> None:
        super().__init__(f"another amacast build is running (pid {pid})")
        self.pid = pid


class BuildInterrupted(OutputError):
    """SIGTERM arrived during a build (see :func:`terminate_as_exception`)."""

    exit_code = ExitCode.TERMINATED


# --- the lock --------------------------------------------------------------------------------


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


# --- what earlier versions left ------------------------------------------------------------

#: Earlier versions changed ``output/`` in place: new files waited under pending
#: names (``episodes/a/.index.html.amacast-new``), replaced ones were set aside in
#: ``.output.old-XXXXXXXX/`` beside it (as ``N`` and ``removed-N``), files made
#: elsewhere waited in ``.output.tmp-XXXXXXXX/``, and ``.output.amacast-building``
#: marked a build under way.  A build killed at the wrong moment left them behind.
_PENDING = re.compile(r"\.[^/]+\.amacast-new")
_ASIDE = re.compile(r"(removed-)?[0-9]+")
_TEMPORARY = "abcdefghijklmnopqrstuvwxyz0123456789_"  # tempfile's names: 8 of these


def remove_leftovers(output: Path, *, dry_run: bool = False) -> list[str]:
    """Remove what earlier versions of amacast left in and beside ``output``; what it removed.

    Only those names, in the shapes those versions wrote them: a folder
    ``.<output>.old-XXXXXXXX`` is removed only when everything in it is named
    as they named it.  Pending files inside ``output`` are looked for only
    when the live manifest was not written by this version (no
    ``generation``): every build since removes them.  Call it under the build
    lock.  ``dry_run`` only lists them.
    """
    output = Path(os.path.realpath(output))
    found: list[Path] = []
    prefix = f".{output.name}."
    with contextlib.suppress(OSError), os.scandir(output.parent) as entries:
        for entry in entries:
            if not entry.name.startswith(prefix):
                continue
            rest = entry.name[len(prefix) :]
            if entry.is_dir(follow_symlinks=False) and _is_temporary(rest, ("old-", "tmp-")):
                if rest.startswith("tmp-") or all(
                    _ASIDE.fullmatch(name) for name in os.listdir(entry.path)
                ):
                    found.append(Path(entry.path))
            elif rest == "amacast-building" and entry.is_file(follow_symlinks=False):
                found.append(Path(entry.path))
    if os.path.isdir(output) and not _has_generation(output):
        for place, _subfolders, names in os.walk(output):
            found += [
                Path(place, name)
                for name in names
                if _PENDING.fullmatch(name) and os.path.isfile(Path(place, name))
            ]
    found.sort()
    shown = [f"{path}/" if path.is_dir() else str(path) for path in found]
    if not dry_run:
        emptied: set[Path] = set()
        for path in found:
            _remove(path)
            if path.parent != output.parent:
                emptied.add(path.parent)
        for folder in sorted(emptied, key=lambda f: -len(f.parts)):
            while folder != output and folder.is_relative_to(output):
                try:
                    folder.rmdir()  # made only for pending files
                except OSError:
                    break
                folder = folder.parent
    return shown


def _has_generation(output: Path) -> bool:
    """True when this version wrote the live manifest: ``generation`` is its last key.

    Read from the file's end, not parsed: a large site's manifest is megabytes.
    """
    try:
        with open(output / MANIFEST, "rb") as stream:
            stream.seek(max(0, os.fstat(stream.fileno()).st_size - 256))
            return b'"generation": "' in stream.read()
    except OSError:
        return False


def _is_temporary(rest: str, kinds: tuple[str, ...]) -> bool:
    """True for ``old-XXXXXXXX`` (a kind, then 8 characters of a tempfile name)."""
    for kind in kinds:
        tail = rest[len(kind) :]
        if rest.startswith(kind) and len(tail) == 8 and all(c in _TEMPORARY for c in tail):
            return True
    return False


# --- SIGTERM ---------------------------------------------------------------------------------


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


def _observe(path: str | Path) -> tuple[int | None, int] | None:
    """A folder's (mtime_ns, inode), mtime None when too recent to trust; None if no folder."""
    try:
        status = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISDIR(status.st_mode):
        return None
    mtime: int | None = status.st_mtime_ns
    if status.st_mtime_ns >= time.time_ns() - RACY_NS:
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
    if platform.system() != "Linux":
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    with contextlib.suppress(AttributeError):
        return libc.renameat2
    number = _SYS_RENAMEAT2.get(platform.machine())
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
        if platform.system() == "Linux":
            function = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
        if function is None or function(descriptor) != 0:
            os.sync()
    finally:
        os.close(descriptor)


# --- the generation --------------------------------------------------------------------------


class Generation:
    """One build's new generation of ``output/``: see the module's documentation.

    Open it under :func:`lock_output`; end it with :meth:`commit` or :meth:`discard`.
    """

    previous: Mapping[str, str]
    """The live generation's amacast files that are there: relative path -> sha256."""
    manifest: Mapping[str, Any]
    """The live manifest's JSON (empty when missing or corrupt)."""

    def __init__(self, output: Path, cache: Path, spare: Path, scratch_prefix: Path) -> None:
        """Use :meth:`open`."""
        self.output = output
        self.cache = cache
        self.spare = spare
        self.durable = True
        self._live_root = os.fspath(output)
        self._spare_root = os.fspath(spare)
        self._scratch_prefix = scratch_prefix
        self._scratch: Path | None = None
        self._ended = False
        self._dirty = False  # the spare marker is written
        self._fresh = False  # no output folder yet
        self._full = True  # the spare is not trusted: reconcile every folder
        self._generation = ""
        self._old_files: dict[str, str] = {}
        self._live: dict[str, Listing] = {}  # listings of the live folders read so far
        self._live_seen: Record = {}  # every live folder as last observed
        self._live_trusted: set[str] = set()  # live folders unchanged since the last commit
        self._live_record: Record = {}
        self._spare_record: Record = {}
        self._spare_trusted: set[str] = set()
        self._differs: set[str] = set()
        self._put: dict[str, int] = {}  # relative -> inode written in the spare
        self._touched: set[str] = set()  # spare folders this build changed
        self.previous = {}
        self.manifest = {}

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

    def _at_live(self, relative: str) -> str:
        return f"{self._live_root}/{relative}" if relative else self._live_root

    def _at_spare(self, relative: str) -> str:
        return f"{self._spare_root}/{relative}" if relative else self._spare_root

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

    def _read(self, manifest: Mapping[str, Any] | None = None) -> None:
        manifest = read_manifest(self.output) if manifest is None else manifest
        self.manifest = manifest
        files = manifest.get("files")
        if isinstance(files, dict):
            self._old_files = {
                p: h for p, h in files.items() if _is_relative(p) and p != MANIFEST and _is_sha(h)
            }
        live_exists = os.path.isdir(self.output)
        self._fresh = not live_exists
        generation = manifest.get("generation")
        state = _load_state(self.cache / STATE)
        trusted = (
            live_exists
            and isinstance(generation, str)
            and state.get("output") == str(self.output)
            and state.get("generation") == generation
        )
        if trusted:
            self._live_record = _record(state.get("live"))
            spare = state.get("spare")
            if (
                isinstance(spare, dict)
                and spare.get("path") == str(self.spare)
                and not os.path.lexists(self.cache / DIRTY)
                and os.path.isdir(self.spare)
            ):
                self._spare_record = _record(spare.get("folders"))
                differs = spare.get("differs")
                if isinstance(differs, list):
                    self._differs = {d for d in differs if isinstance(d, str)}
                    self._full = False
        if live_exists:
            self._look_at_live(trusted)
        if not self._full:
            for folder, (mtime, inode) in self._spare_record.items():
                if mtime is not None and _same(_lstat(self._at_spare(folder)), mtime, inode):
                    self._spare_trusted.add(folder)
        self.previous = {p: h for p, h in self._old_files.items() if self._is_live(p)}

    def _look_at_live(self, trusted: bool) -> None:
        """Stat the recorded live folders; list those that changed and any new below them."""
        if not trusted or "" not in self._live_record:
            self._scan_live("")
            return
        changed = []
        for folder, (mtime, inode) in self._live_record.items():
            seen = _observe(self._at_live(folder))
            if seen is None:
                continue  # gone: its parent changed too
            if mtime is not None and seen == (mtime, inode):
                self._live_trusted.add(folder)
                self._live_seen[folder] = seen
            else:
                changed.append(folder)
        for folder in changed:
            self._scan_live(folder)

    def _scan_live(self, folder: str) -> None:
        """List a live folder, and every folder below it that is not trusted."""
        pending = [folder]
        while pending:
            folder = pending.pop()
            self._live_trusted.discard(folder)
            seen = _observe(self._at_live(folder))
            listing = _list(self._at_live(folder))
            if seen is None or listing is None:
                self._live.pop(folder, None)
                self._live_seen.pop(folder, None)
                continue
            self._live[folder] = listing
            self._live_seen[folder] = seen
            for name, (is_folder, _inode) in listing.items():
                child = _join(folder, name)
                if is_folder and child not in self._live_trusted and child not in self._live:
                    pending.append(child)

    def _is_live(self, relative: str) -> bool:
        """True when the live tree holds ``relative`` as a file, as far as is known."""
        folder, _, name = relative.rpartition("/")
        listing = self._live.get(folder)
        if listing is not None:
            entry = listing.get(name)
            return entry is not None and not entry[0]
        return folder in self._live_trusted

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
            self._touched.add(into)
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
        self._touched.add(folder)
        self._make_folder(folder)
        place = Path(self._at_spare(relative))
        if os.path.isdir(place) and not os.path.islink(place):
            shutil.rmtree(place)
        return place

    def _make_folder(self, folder: str) -> None:
        """Make the spare folder ``folder``, replacing any file in the way."""
        if os.path.isdir(self._at_spare(folder)):
            return
        for step in [*reversed(list(_ancestors(folder))), folder][1:]:
            path = self._at_spare(step)
            if os.path.isdir(path) and not os.path.islink(path):
                continue
            self._touched.add(_parent(step))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            os.mkdir(path)

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
            self._recheck_live()
            live_record, differs = self._reconcile(set(files))
            if self.durable:
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

    def _recheck_live(self) -> None:
        """Look at the live folders again: files may have arrived while the build ran."""
        for folder, seen in list(self._live_seen.items()):
            if folder in self._live_seen and (
                seen[0] is None or _observe(self._at_live(folder)) != seen
            ):
                self._scan_live(folder)

    def _live_listing(self, folder: str) -> Listing | None:
        if folder not in self._live:
            listing = _list(self._at_live(folder)) if not self._fresh else None
            if listing is None:
                return None
            self._live[folder] = listing
        return self._live[folder]

    def _reconcile(self, files: set[str]) -> tuple[Record, set[str]]:
        """Make the spare the new generation; returns its record and where it differs."""
        removed = set(self._old_files) - files
        puts = set(self._put)
        needed: dict[str, set[str]] = {}  # folder -> subfolders the put files need
        for relative in puts:
            for folder in _ancestors(relative):
                if folder:
                    needed.setdefault(_parent(folder), set()).add(folder.rpartition("/")[2])
        put_names: dict[str, set[str]] = {}
        for relative in puts:
            folder, _, name = relative.rpartition("/")
            put_names.setdefault(folder, set()).add(name)

        live_folders = set(self._live_seen)
        if self._full:
            visit = live_folders | {""}
        else:
            trusted = (self._live_trusted & self._spare_trusted) - self._differs
            visit = ((live_folders | set(self._spare_record)) - trusted) | self._differs
        visit |= {_parent(p) for p in puts | removed} | self._touched
        for folder in list(visit):
            visit.update(_ancestors(folder))
        for folder in needed:
            visit.add(folder)

        # Bottom up: what each visited folder holds in the new generation.
        want: dict[str, Listing] = {}
        differs: set[str] = set()
        for folder in sorted(visit, key=lambda f: (-_depth(f), f)):
            live = self._live_listing(folder) or {}
            entries: Listing = {}
            for name, (is_folder, inode) in live.items():
                relative = _join(folder, name)
                if relative in puts or relative in removed:
                    continue
                if is_folder and relative in files:
                    continue  # a foreign folder where amacast writes a file
                if not is_folder and name in needed.get(folder, ()):
                    continue  # a foreign file where amacast needs a folder
                entries[name] = (is_folder, 0 if is_folder else inode)
            for name in put_names.get(folder, ()):
                entries[name] = (False, self._put[_join(folder, name)])
            for name in needed.get(folder, ()):
                entries[name] = (True, 0)
            for name, (is_folder, _inode) in list(entries.items()):
                child = _join(folder, name)
                emptied = is_folder and child in want and not want[child]
                if emptied and (self._live.get(child) or child not in live_folders):
                    del entries[name]  # emptied by this build: it goes
            want[folder] = entries
            if {n: (d, 0 if d else i) for n, (d, i) in live.items()} != entries:
                differs.add(folder)

        # Top down: make the spare so.
        present: set[str] = {""}
        made: set[str] = set()
        for folder in sorted(visit, key=lambda f: (_depth(f), f)):
            if folder not in present:
                continue
            made.update(self._apply(folder, want[folder], visit, files, present))
        return self._new_record(visit, present, made), differs

    def _apply(
        self, folder: str, entries: Listing, visit: set[str], files: set[str], present: set[str]
    ) -> set[str]:
        """Make the spare folder ``folder`` hold ``entries``; returns folders filled anew."""
        path = self._at_spare(folder)
        actual = _list(path)
        if actual is None:
            self._make_folder(folder)
            actual = {}
        made: set[str] = set()
        for name, (is_folder, _inode) in actual.items():
            wanted = entries.get(name)
            if wanted is None or wanted[0] != is_folder:
                self._touched.add(folder)
                _remove(f"{path}/{name}")
        for name, (is_folder, inode) in entries.items():
            child = _join(folder, name)
            have = actual.get(name)
            if is_folder:
                present.add(child)
                if have is not None and have[0]:
                    continue
                self._touched.add(folder)
                os.mkdir(f"{path}/{name}")
                if child not in visit:
                    made |= self._fill(child)
                continue
            if have == (False, inode):
                continue
            if child in self._put:
                raise OutputError(f"{self._at_spare(child)} changed while the build wrote it")
            self._touched.add(folder)
            if have is not None and not have[0]:
                os.unlink(f"{path}/{name}")
            try:
                os.link(self._at_live(child), f"{path}/{name}", follow_symlinks=False)
            except FileNotFoundError:
                if child in files:
                    gone = self._at_live(child)
                    raise OutputError(f"{gone} went away during the build") from None
        return made

    def _fill(self, folder: str) -> set[str]:
        """Fill the new, empty spare folder ``folder`` with links to the live one's content."""
        made = {folder}
        pending = [folder]
        while pending:
            folder = pending.pop()
            for name, (is_folder, _inode) in (_list(self._at_live(folder)) or {}).items():
                child = _join(folder, name)
                if is_folder:
                    os.mkdir(self._at_spare(child))
                    made.add(child)
                    pending.append(child)
                else:
                    os.link(self._at_live(child), self._at_spare(child), follow_symlinks=False)
        return made

    def _new_record(self, visit: set[str], present: set[str], made: set[str]) -> Record:
        """The folders of the spare, about to go live, as they are now."""
        record: Record = {}

        def is_kept(folder: str) -> bool:
            while folder:
                if _parent(folder) in visit:
                    return folder in present
                folder = _parent(folder)
            return True

        if not self._full:
            for folder in self._spare_trusted - visit:
                if is_kept(folder):
                    record[folder] = self._spare_record[folder]
        for folder in (visit & present) | made:
            seen = _observe(self._at_spare(folder))
            if seen is not None:
                record[folder] = seen
        return record

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


# --- helpers ---------------------------------------------------------------------------------


def _places(output: Path, cache: Path) -> tuple[Path, Path]:
    """The spare tree and the scratch folders' prefix: in the cache, if on the output's disk."""
    output.parent.mkdir(parents=True, exist_ok=True)
    if os.stat(cache).st_dev == os.stat(output.parent).st_dev:
        return cache / SPARE, cache / SCRATCH
    return (
        output.parent / f".{output.name}.amacast-spare",
        output.parent / f".{output.name}.amacast-scratch-",
    )


def refuse_output(output: Path, project: Path, cache: Path) -> None:
    """Raise :class:`OutputRefused` for an output that is, holds or is held by the project.

    What :meth:`Generation.open` checks, for a build to call before it reads or locks anything.
    """
    _refuse(
        Path(os.path.realpath(output)),
        Path(os.path.realpath(project)),
        Path(os.path.realpath(cache)),
    )


def _refuse(output: Path, project: Path, cache: Path) -> None:
    """Raise OutputRefused for an output that is, holds or is held by the project's own files."""
    if output == project or project.is_relative_to(output):
        raise OutputRefused(
            f"the output folder {output} holds the project {project}: "
            "a build would replace it; choose a folder of its own, such as output/"
        )
    if os.path.lexists(output) and not os.path.isdir(output):
        raise OutputRefused(f"the output {output} is not a folder")
    if output.is_relative_to(project / "episodes"):
        raise OutputRefused(
            f"the output folder {output} is inside the project's episodes/: "
            "choose a folder of its own, such as output/"
        )
    if cache == output or cache.is_relative_to(output):
        raise OutputRefused(f"the output folder {output} holds the build cache {cache}")
    if os.path.lexists(output / "amacast.toml"):
        raise OutputRefused(
            f"the output folder {output} holds amacast.toml: it is a project, not a site"
        )
    with contextlib.suppress(OSError), os.scandir(output / "episodes") as entries:
        if any(e.name.endswith(".md") and e.is_file() for e in entries):
            raise OutputRefused(
                f"the output folder {output} holds transcripts (episodes/*.md): "
                "it is a project, not a site"
            )


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
