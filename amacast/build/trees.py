"""The two trees of :mod:`amacast.build.output`: what the live and spare trees hold.

:class:`Trees` reads the live tree and the recorded state of both trees (only
the folders that moved, differ or are written), and at commit makes the spare
the new generation folder by folder, by hard links from the live tree.
:class:`~amacast.build.output.Generation` adds opening, writing and the exchange.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amacast.build.fs import (
    DIRTY,
    MANIFEST,
    RACY_NS,
    STATE,
    Listing,
    OutputError,
    Record,
    _ancestors,
    _depth,
    _is_relative,
    _is_sha,
    _join,
    _list,
    _load_state,
    _lstat,
    _observe,
    _parent,
    _record,
    _remove,
    _same,
    fs_time,
    read_manifest,
)


class Trees:
    """The live and spare trees of one build, as far as it has read them."""

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
        self._flushing: threading.Thread | None = None  # see Generation.flush_early
        # Folders with an mtime from this time on are not trusted (fs.fs_time): set when
        # the build starts reading the trees.
        self._since = 0
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
        # Spare folders moved in whole (Generation.put_tree) and not changed since: their
        # entries as listed then, which the commit need not list again.
        self._whole: dict[str, Listing] = {}
        self.previous = {}
        self.manifest = {}

    def _at_live(self, relative: str) -> str:
        return f"{self._live_root}/{relative}" if relative else self._live_root

    def _at_spare(self, relative: str) -> str:
        return f"{self._spare_root}/{relative}" if relative else self._spare_root

    # --- reading ---------------------------------------------------------------------------

    def _read(self, manifest: Mapping[str, Any] | None = None) -> None:
        self._since = self._clock()
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

    def _clock(self) -> int:
        """The file system's time now (:func:`fs_time`), read in the cache on the output's disk."""
        if self.spare.parent == self.cache:
            return fs_time(self.cache)
        return time.time_ns() - RACY_NS  # no file of amacast's own beside the output to touch

    def _look_at_live(self, trusted: bool) -> None:
        """Stat the recorded live folders; list those that changed and any new below them."""
        if not trusted or "" not in self._live_record:
            self._scan_live("")
            return
        changed = []
        for folder, (mtime, inode) in self._live_record.items():
            seen = _observe(self._at_live(folder), self._since)
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
            seen = _observe(self._at_live(folder), self._since)
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

    def _recheck_live(self) -> None:
        """Look at the live folders again: files may have arrived while the build ran."""
        for folder, seen in list(self._live_seen.items()):
            if folder in self._live_seen and (
                seen[0] is None or _observe(self._at_live(folder), self._since) != seen
            ):
                self._scan_live(folder)

    def _touch(self, folder: str) -> None:
        """Note that this build changes the spare folder ``folder``."""
        self._touched.add(folder)
        self._whole.pop(folder, None)

    def _live_listing(self, folder: str) -> Listing | None:
        if folder not in self._live:
            above = self._live.get(_parent(folder)) if folder else None
            if above is not None and not above.get(folder.rpartition("/")[2], (False, 0))[0]:
                return None  # not a folder in the live listing of its parent
            listing = _list(self._at_live(folder)) if not self._fresh else None
            if listing is None:
                return None
            self._live[folder] = listing
        return self._live[folder]

    # --- making the spare the new generation ---------------------------------------------

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
        actual = self._whole[folder] if folder in self._whole else _list(path)
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
            seen = _observe(self._at_spare(folder), self._since)
            if seen is not None:
                record[folder] = seen
        return record

    def _make_folder(self, folder: str) -> None:
        """Make the spare folder ``folder``, replacing any file in the way."""
        if os.path.isdir(self._at_spare(folder)):
            return
        for step in [*reversed(list(_ancestors(folder))), folder][1:]:
            path = self._at_spare(step)
            if os.path.isdir(path) and not os.path.islink(path):
                continue
            self._touch(_parent(step))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            os.mkdir(path)
