"""Where each key of ``amacast.toml`` is: one scanner for every table.

:mod:`tomllib` gives values but no positions, so this reads the text once
more and records the line and column of every key and table header, by its
full dotted path (``("voices", "custom", "alan", "pitch")``).  It also notices
keys and tables given twice, which tomllib refuses with a message that names
neither.  It never raises: on text it does not understand it skips to the
next line, and a lookup falls back to the nearest enclosing key.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

Path = tuple[str, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[^,\]}\s#]*")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    """One escape of a TOML basic string, as tomllib reads it."""
    code = match.group(1) or match.group(2)
    if code:
        try:
            return chr(int(code, 16))
        except (ValueError, OverflowError):
            return match.group()
    return _ESCAPES.get(match.group(3), match.group())


@dataclass(frozen=True)
class Duplicate:
    """A key or table defined a second time."""

    path: Path
    line: int
    column: int
    first_line: int
    is_table: bool = False


@dataclass(frozen=True)
class KeyLines:
    """The line and column of every key and table of a TOML document."""

    places: Mapping[Path, tuple[int, int]] = field(default_factory=dict)
    duplicates: tuple[Duplicate, ...] = ()

    def place_of(self, *path: str) -> tuple[int, int]:
        """Line and column of ``path``, else of its nearest enclosing key; (0, 0) if none."""
        for end in range(len(path), 0, -1):
            place = self.places.get(tuple(path[:end]))
            if place is not None:
                return place
        return 0, 0

    def line_of(self, *path: str) -> int:
        """The line of ``path`` (or of the nearest enclosing key), 0 when unknown."""
        return self.place_of(*path)[0]


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.places: dict[Path, tuple[int, int]] = {}
        self.defined: set[Path] = set()
        self.duplicates: list[Duplicate] = []

    # -- positions
    def place(self, pos: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, pos) - 1
        return index + 1, pos - self.starts[index] + 1

    def peek(self, count: int = 1) -> str:
        return self.text[self.pos : self.pos + count]

    def skip_blanks(self, newlines: bool = False) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            elif char == "#" and newlines:
                self.skip_line()
            else:
                return

    def skip_line(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end + 1

    # -- records
    def record(self, path: Path, start: int, *, explicit: bool, table: bool = False) -> None:
        for end in range(1, len(path)):
            self.places.setdefault(path[:end], self.place(start))
        line, column = self.place(start)
        if explicit and path in self.defined:
            first = self.places.get(path, (line, column))[0]
            self.duplicates.append(Duplicate(path, line, column, first, table))
        if explicit:
            self.defined.add(path)
        self.places.setdefault(path, (line, column))

    # -- grammar
    def key(self) -> Path | None:
        parts: list[str] = []
        while True:
            self.skip_blanks()
            part = self.simple_key()
            if part is None:
                return None
            parts.append(part)
            self.skip_blanks()
            if self.peek() != ".":
                return tuple(parts)
            self.pos += 1

    def simple_key(self) -> str | None:
        char = self.peek()
        if char == '"' or char == "'":
            return self.string()
        match = _BARE.match(self.text, self.pos)
        if not match:
            return None
        self.pos = match.end()
        return match.group()

    def string(self) -> str | None:
        """A string at pos (any of the four kinds); its text roughly, or None if unclosed."""
        for quote in ('"""', "'''"):
            if self.text.startswith(quote, self.pos):
                end = self.text.find(quote, self.pos + 3)
                while quote == '"""' and end > 0 and _escaped(self.text, end):
                    end = self.text.find(quote, end + 1)
                if end < 0:
                    self.pos = len(self.text)
                    return None
                while self.text.startswith(quote[0], end + 3):  # up to two quotes may close it
                    end += 1
                value = self.text[self.pos + 3 : end]
                self.pos = end + 3
                return value
        quote = self.peek()
        start = self.pos + 1
        end = start
        while True:
            end = self.text.find(quote, end)
            newline = self.text.find("\n", start)
            if end < 0 or (0 <= newline < end):
                self.pos = len(self.text) if newline < 0 else newline
                return None
            if quote == '"' and _escaped(self.text, end):
                end += 1
                continue
            break
        self.pos = end + 1
        raw = self.text[start:end]
        return _ESCAPE.sub(_unescape, raw) if quote == '"' else raw

    def value(self, path: Path) -> None:
        self.skip_blanks()
        char = self.peek()
        if char in ('"', "'"):
            self.string()
        elif char == "[":
            self.pos += 1
            while self.pos < len(self.text):
                self.skip_blanks(newlines=True)
                if self.peek() == "]":
                    self.pos += 1
                    return
                if self.peek() == ",":
                    self.pos += 1
                    continue
                before = self.pos
                self.value(path)
                if self.pos == before:
                    self.pos += 1
        elif char == "{":
            self.pos += 1
            while self.pos < len(self.text):
                self.skip_blanks()
                if self.peek() in ("}", "\n", ""):
                    self.pos += self.peek() == "}"
                    return
                if self.peek() == ",":
                    self.pos += 1
                    continue
                if not self.key_value(path):
                    return
        else:
            match = _SCALAR.match(self.text, self.pos)
            self.pos = match.end() if match else self.pos + 1

    def key_value(self, table: Path) -> bool:
        start = self.pos
        key = self.key()
        if key is None or self.peek() != "=":
            return False
        self.pos += 1
        self.record(table + key, start, explicit=True)
        self.value(table + key)
        return True

    def header(self) -> Path | None:
        array = self.text.startswith("[[", self.pos)
        start = self.pos
        self.pos += 2 if array else 1
        key = self.key()
        if key is None:
            return None
        self.skip_blanks()
        closing = "]]" if array else "]"
        if not self.text.startswith(closing, self.pos):
            return None
        self.pos += len(closing)
        if array:  # each element of an array of tables starts afresh
            self.defined = {p for p in self.defined if p[: len(key)] != key}
        self.record(key, start, explicit=not array, table=True)
        return key

    def scan(self) -> KeyLines:
        table: Path = ()
        while True:
            self.skip_blanks(newlines=True)
            if self.pos >= len(self.text):
                break
            if self.peek() == "[":
                found = self.header()
                if found is not None:
                    table = found
            elif not self.key_value(table):
                self.skip_line()  # not a key: an error tomllib reports
                continue
            # whatever follows on the line is a comment or an error tomllib reports
            if self.pos < len(self.text) and self.text[self.pos - 1] != "\n":
                self.skip_line()
        return KeyLines(dict(self.places), tuple(self.duplicates))


def _escaped(text: str, index: int) -> bool:
    """Whether the character at ``index`` is preceded by an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def scan_keys(text: str) -> KeyLines:
    """The place of every key and table header in TOML ``text`` (see :class:`KeyLines`)."""
    return _Scanner(text).scan()
