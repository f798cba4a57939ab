"""The project's build state: one SQLite database of plain data, ``<cache>/state.sqlite3``.

What one build keeps for the next, all of it a shortcut that a cold build
can do without:

- ``sources``: each transcript's cache key by its size, times and inode, as
  git's index notes them, so an unchanged file is not read again;
- ``parsed``: parsed episodes by cache key (JSON through
  :mod:`amacast.build.codec`, LZ4-compressed: :func:`~amacast.build.codec.packed`),
  so an unchanged file is not parsed again;
- ``listings``, ``fragments``, ``views``, ``pages``: what the last build made
  of each episode (its listing and diagnostics, its two feed entries, its
  entry on the index, the size and time of the page it wrote), valid for one
  *pack key* (the site's inputs and the libraries that write them), kept in
  ``meta``;
- ``identities`` (in ``meta``): the GUID, number and slug each published
  episode has (:mod:`amacast.build.identity`), so a title edit changes none of them.

Nothing read from here can run code: rows are JSON decoded against the
type that is expected, or raw XML bytes spliced into a feed.  A row that does
not decode is a miss.  A database that SQLite cannot read (damaged, or not a
database at all) is set aside and started anew.  Transactions make every
build's changes whole: a build killed while saving leaves the previous
state.  Parse workers write their episodes through their own connections
(never one inherited across ``fork``); WAL lets them write while others read.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from amacast.build.codec import DecodeError, packed, unpacked

T = TypeVar("T")

STATE_FILE = "state.sqlite3"
#: Bumped whenever a table changes shape: an older database is started anew.
SCHEMA = 1

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER,
    key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parsed (key TEXT PRIMARY KEY, episode BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS listings (key TEXT PRIMARY KEY, listing BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS fragments (key TEXT PRIMARY KEY, xml BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS views (key TEXT PRIMARY KEY, view BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pages (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER);
"""
#: The tables whose rows hold only for one pack key.
PACK_TABLES = ("listings", "fragments", "views", "pages")

#: A source's note: (size, mtime_ns, ctime_ns, inode) and its cache key.
Note = tuple[tuple[int, int, int, int], str]

# One connection per process and database: a forked worker opens its own.
_connections: dict[tuple[int, str], sqlite3.Connection] = {}


def connect(cache_dir: Path) -> sqlite3.Connection:
    """This process's connection to the state in ``cache_dir``, the tables made."""
    path = cache_dir / STATE_FILE
    marker = (os.getpid(), str(path))
    connection = _connections.get(marker)
    if connection is None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        try:
            connection = _open(path)
        except sqlite3.DatabaseError:  # not a database, or damaged: start anew
            _set_aside(path)
            connection = _open(path)
        _connections[marker] = connection
    return connection


def _open(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        # Large pages for a new database (a no-op for one that exists): a parsed
        # episode (about ten kilobytes, compressed) lies in one page with a few
        # others instead of in a chain of small ones, as do the pack's rows.
        connection.execute("PRAGMA page_size=65536")
        connection.execute("PRAGMA journal_mode=WAL")
        # NORMAL, not OFF: a crash of the machine may lose the last writes, never
        # damage the file, which holds the published identities besides the caches
        # (OFF gained nothing measurable above the noise of a cold build).
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(_TABLES)
        row = connection.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if row is None:
            connection.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
        elif row[0] != str(SCHEMA):
            connection.close()
            _set_aside(path)
            return _open(path)
    except sqlite3.DatabaseError:
        connection.close()
        raise
    return connection


def _set_aside(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


#: A write-ahead log longer than this is folded into the database when a build ends
#: (:func:`fold_log`); a cold build of 1,000 episodes leaves about 30 MB, a rebuild adds ~1 MB.
LOG_LIMIT = 8 * 1024 * 1024


def fold_log(cache_dir: Path, current: Collection[str] = ()) -> None:
    """Fold a long write-ahead log into the database, and empty it.

    A process that opens the state first reads the whole log to index it
    (the processes before it never close the database: closing folds the log
    each time, at the cost of two flushes to disk).  Up to SQLite's own limit
    of a thousand pages that log is 64 MB, and opening it costs 6-17 ms; this
    keeps it under :data:`LOG_LIMIT`, a few rebuilds' worth.  A state that
    cannot be folded now is folded by a later build.

    Before folding, the parsed episodes of transcripts that are no longer
    there are dropped: those under keys not in ``current`` (the cache keys of
    the project's transcripts as they are now; nothing is dropped without any).
    Every edit of a transcript stores its episode anew, so the state would
    otherwise hold every version of every transcript.
    """
    try:
        if os.path.getsize(cache_dir / f"{STATE_FILE}-wal") <= LOG_LIMIT:
            return
        if current:
            with transaction(cache_dir) as connection:
                connection.execute("CREATE TEMP TABLE IF NOT EXISTS current (key TEXT PRIMARY KEY)")
                connection.execute("DELETE FROM temp.current")
                connection.executemany(
                    "INSERT OR IGNORE INTO temp.current VALUES (?)", [(key,) for key in current]
                )
                connection.execute("DELETE FROM parsed WHERE key NOT IN temp.current")
        connect(cache_dir).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except (OSError, sqlite3.Error):
        return


def close_all() -> None:
    """Close this process's connections (tests that remove a cache folder call it)."""
    for marker in [m for m in _connections if m[0] == os.getpid()]:
        _connections.pop(marker).close()


@contextlib.contextmanager
def transaction(cache_dir: Path) -> Iterator[sqlite3.Connection]:
    """One write transaction on the state; rolled back when the block raises."""
    connection = connect(cache_dir)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


# -- sources ------------------------------------------------------------------------------


def source_notes(cache_dir: Path, fingerprint: str) -> dict[str, Note]:
    """The noted sources, by path, when they were noted by this parser (else none)."""
    with contextlib.suppress(OSError, sqlite3.Error):
        connection = connect(cache_dir)
        if _meta(connection, "sources") != fingerprint:
            return {}
        return {
            path: ((size, mtime, ctime, inode), key)
            for path, size, mtime, ctime, inode, key in connection.execute(
                "SELECT path, size, mtime_ns, ctime_ns, inode, key FROM sources"
            )
        }
    return {}


def note_sources(
    cache_dir: Path,
    fingerprint: str,
    notes: Mapping[str, Note],
    noted: Mapping[str, Note] | None = None,
) -> None:
    """Replace the noted sources with ``notes``.

    ``noted`` is what :func:`source_notes` gave for ``fingerprint``: then only
    the rows that differ from it are written, and those of paths no longer
    noted dropped (a rebuild after one file changed writes one row, not a
    thousand).  Without it, or when the state holds another parser's notes,
    every row is written anew.
    """
    with contextlib.suppress(OSError, sqlite3.Error), transaction(cache_dir) as connection:
        if _meta(connection, "sources") != fingerprint:
            noted = None
        _replace_rows(
            connection,
            "sources",
            {path: (*signature, key) for path, (signature, key) in notes.items()},
            None if noted is None else {p: (*s, k) for p, (s, k) in noted.items()},
        )
        _set_meta(connection, "sources", fingerprint)


def _replace_rows(
    connection: sqlite3.Connection,
    table: str,
    rows: Mapping[str, tuple[object, ...]],
    noted: Mapping[str, tuple[object, ...]] | None,
) -> None:
    """Make ``table`` (a path, then values) hold ``rows``, writing only where ``noted`` differs.

    ``noted`` is what the table holds; None when unknown: then it is emptied
    and every row written.
    """
    if noted is None:
        connection.execute(f"DELETE FROM {table}")
        noted = {}
    gone = [(path,) for path in noted if path not in rows]
    connection.executemany(f"DELETE FROM {table} WHERE path = ?", gone)
    changed = [(path, *values) for path, values in rows.items() if noted.get(path) != values]
    if changed:
        marks = ", ".join("?" * len(changed[0]))
        connection.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", changed)


# -- parsed episodes ----------------------------------------------------------------------


def load_parsed(cache_dir: Path, key: str, kind: type[T]) -> T | None:
    """The parsed episode stored under ``key``, or None (absent, or not one)."""
    with contextlib.suppress(OSError, sqlite3.Error, DecodeError):
        row = (
            connect(cache_dir)
            .execute("SELECT episode FROM parsed WHERE key = ?", (key,))
            .fetchone()
        )
        return unpacked(kind, row[0]) if row is not None else None
    return None


def stored_parsed(cache_dir: Path, keys: Iterable[str]) -> frozenset[str]:
    """Those of ``keys`` under which a parsed episode is stored (none when unknown)."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    if wanted:
        with contextlib.suppress(OSError, sqlite3.Error):
            connection = connect(cache_dir)
            for at in range(0, len(wanted), _KEYS_PER_QUERY):
                batch = wanted[at : at + _KEYS_PER_QUERY]
                marks = ", ".join("?" * len(batch))
                rows = connection.execute(f"SELECT key FROM parsed WHERE key IN ({marks})", batch)
                found.update(key for (key,) in rows)
    return frozenset(found)


#: Keys asked for in one query: well below SQLite's limit on parameters.
_KEYS_PER_QUERY = 500


def store_parsed(cache_dir: Path, items: Iterable[tuple[str, object]]) -> None:
    """Store parsed episodes by key, in one transaction; one that has no stored form is skipped."""
    rows = []
    for key, episode in items:
        with contextlib.suppress(TypeError):
            rows.append((key, packed(episode)))
    if rows:
        with contextlib.suppress(OSError, sqlite3.Error), transaction(cache_dir) as connection:
            connection.executemany("INSERT OR REPLACE INTO parsed VALUES (?, ?)", rows)


# -- what the last build made ----------------------------------------------------------------


def pack_rows(cache_dir: Path, pack_key: str) -> dict[str, dict[str, bytes]] | None:
    """The raw rows of the pack tables by table and key; None when kept for another key."""
    with contextlib.suppress(OSError, sqlite3.Error):
        connection = connect(cache_dir)
        if _meta(connection, "pack") != pack_key:
            return None
        rows: dict[str, dict[str, bytes]] = {}
        for table in ("listings", "fragments", "views"):
            rows[table] = dict(connection.execute(f"SELECT * FROM {table}").fetchall())
        return rows
    return None


def page_notes(cache_dir: Path, pack_key: str) -> tuple[str, dict[str, tuple[int, int]]]:
    """The output the last build wrote pages into, and each page's size and mtime there."""
    with contextlib.suppress(OSError, sqlite3.Error):
        connection = connect(cache_dir)
        if _meta(connection, "pack") == pack_key:
            output = _meta(connection, "pages-output") or ""
            pages = {
                path: (size, mtime)
                for path, size, mtime in connection.execute("SELECT * FROM pages")
            }
            return output, pages
    return "", {}


def save_pack_rows(
    cache_dir: Path,
    pack_key: str,
    rows: Mapping[str, Mapping[str, bytes]],
    stale: Mapping[str, Iterable[str]],
    output: str,
    pages: Mapping[str, tuple[int, int]],
    noted_pages: Mapping[str, tuple[int, int]] | None = None,
) -> None:
    """Add ``rows`` (by table) for ``pack_key``, drop the ``stale`` ones, note the pages.

    A pack kept for another key is emptied first.  ``noted_pages`` are the
    page notes :func:`page_notes` gave for ``pack_key``: then only the notes
    that differ are written (else all of them, anew).
    """
    with contextlib.suppress(OSError, sqlite3.Error), transaction(cache_dir) as connection:
        if _meta(connection, "pack") != pack_key:
            for table in PACK_TABLES:
                connection.execute(f"DELETE FROM {table}")
            _set_meta(connection, "pack", pack_key)
            noted_pages = {}
        for table, new in rows.items():
            connection.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", new.items())
        for table, names in stale.items():
            connection.executemany(f"DELETE FROM {table} WHERE key = ?", ((n,) for n in names))
        _replace_rows(connection, "pages", pages, noted_pages)
        _set_meta(connection, "pages-output", output)


# -- identities of published episodes ---------------------------------------------------------


def identities(cache_dir: Path) -> dict[str, Any]:
    """What was published before, per episode (see :mod:`amacast.build.identity`), or ``{}``."""
    with contextlib.suppress(OSError, sqlite3.Error, ValueError):
        text = _meta(connect(cache_dir), "identities")
        known = json.loads(text) if text else {}
        return known if isinstance(known, dict) else {}
    return {}


def remember_identities(cache_dir: Path, known: Mapping[str, Any]) -> None:
    """Keep ``known`` for the next build."""
    with contextlib.suppress(OSError, sqlite3.Error), transaction(cache_dir) as connection:
        _set_meta(connection, "identities", json.dumps(known, sort_keys=True))


def _meta(connection: sqlite3.Connection, name: str) -> str | None:
    row = connection.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    return str(row[0]) if row is not None else None


def _set_meta(connection: sqlite3.Connection, name: str, value: str) -> None:
    # Not rewritten when it holds the value already: each page a build changes is
    # written to the WAL (and later into the file) whole, 64 KiB (see _open).
    if _meta(connection, name) != value:
        connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
