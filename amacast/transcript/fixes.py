"""``amacast validate --fix``: the repairs that fixable warnings name, made in the files.

A warning is fixable when the change it asks for is certain: ``mojibake``
(the run ftfy repairs, replaced by its repair), ``invisible-label-char``
(the invisible characters of that speaker label deleted) and ``bom`` (the
byte-order mark dropped).  :func:`fix_text` finds them by parsing the bytes
as ``validate`` does and changes nothing else: every other byte, line ends
included, stays as it was.  :func:`fix_files` writes each changed file
atomically (a temporary file beside it, then a rename) and leaves a file with
nothing to fix untouched, its modification time included.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from amacast.model import Diagnostic
from amacast.transcript.parse import parse_episode_bytes
from amacast.transcript.text_checks import label_repair, mojibake_repair

#: The warnings whose repair ``--fix`` makes.
FIXABLE: frozenset[str] = frozenset({"mojibake", "invisible-label-char", "bom"})

_BOM = "\ufeff"


@dataclass(frozen=True)
class Fix:
    """One change made to a transcript: where, for which warning, what was there and is now."""

    path: str
    line: int
    column: int
    code: str
    old: str
    new: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}:{self.column}: fixed[{self.code}] "
            f"{_shown(self.old)} → {_shown(self.new)}"
        )


@dataclass(frozen=True)
class _Edit:
    start: int  # index into the decoded text, byte-order mark included
    end: int
    new: str
    fix: Fix


def fix_text(data: bytes, path: str) -> tuple[bytes, list[Fix]]:
    """``data`` with the fixable warnings of the transcript repaired, and each repair made.

    Returns ``data`` itself (and no fixes) when there is nothing to repair or
    the bytes are not UTF-8 (``not-utf8`` is no warning ``--fix`` can act on).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data, []
    episode = parse_episode_bytes(data, path)
    edits = _edits(text, path, (d for d in episode.diagnostics if d.code in FIXABLE))
    if not edits:
        return data, []
    pieces: list[str] = []
    done = 0
    made: list[Fix] = []
    for edit in sorted(edits, key=lambda e: e.start):
        if edit.start < done:  # two warnings about the same characters: the first one wins
            continue
        pieces += [text[done : edit.start], edit.new]
        done = edit.end
        made.append(edit.fix)
    pieces.append(text[done:])
    return "".join(pieces).encode("utf-8"), made


def fix_files(paths: Iterable[Path]) -> list[Fix]:
    """Repair the fixable warnings of each file in place; every repair made, file by file.

    A file is replaced in one step (a temporary file in its folder, renamed
    over it, with its permissions), so an interrupted run leaves either the old
    or the new file; a file with nothing to repair is not written at all.
    Raises ``OSError`` when a file cannot be read or written.
    """
    made: list[Fix] = []
    for path in paths:
        data = path.read_bytes()
        fixed, fixes = fix_text(data, str(path))
        if fixes:
            _replace(path, fixed)
            made.extend(fixes)
    return made


def _edits(text: str, path: str, diagnostics: Iterable[Diagnostic]) -> list[_Edit]:
    """The change each diagnostic names, as an edit of ``text``."""
    offset = 1 if text.startswith(_BOM) else 0  # the parser counts lines after the BOM
    starts = _line_starts(text, offset)
    edits: list[_Edit] = []
    for d in diagnostics:
        if d.code == "bom":
            if offset:
                edits.append(_Edit(0, 1, "", Fix(path, d.line, d.column, d.code, _BOM, "")))
            continue
        if not 1 <= d.line <= len(starts):
            continue
        begin = starts[d.line - 1]
        end = starts[d.line] if d.line < len(starts) else len(text)
        line = text[begin:end].rstrip("\r\n")
        repair = mojibake_repair(line) if d.code == "mojibake" else label_repair(line)
        if repair is None:
            continue
        at, old, new = repair
        if d.code == "mojibake" and at != d.column - 1:
            continue  # not the run the warning names: leave it to the reader
        edits.append(
            _Edit(
                begin + at,
                begin + at + len(old),
                new,
                Fix(path, d.line, d.column, d.code, old, new),
            )
        )
    return edits


def _line_starts(text: str, offset: int) -> list[int]:
    """The index where each line starts, lines ending as the parser ends them (LF, CRLF, CR)."""
    starts = [offset]
    index = offset
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\r":
            index += 2 if text.startswith("\r\n", index) else 1
            starts.append(index)
        elif char == "\n":
            index += 1
            starts.append(index)
        else:
            index += 1
    return starts


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` in one step: a temporary file beside it, then a rename."""
    target = path.resolve()
    mode = target.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _shown(text: str) -> str:
    """``text`` as printed: invisible and control characters as ``<U+202C>``, nothing as ``""``."""
    if not text:
        return '""'
    return "".join(
        f"<U+{ord(char):04X}>" if unicodedata.category(char) in ("Cf", "Cc") else char
        for char in text
    )
