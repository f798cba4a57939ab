"""What earlier versions of amacast left in and beside ``output/``, found and removed."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from amacast.build.fs import MANIFEST, _remove

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
