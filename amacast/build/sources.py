"""Parsed episodes kept between builds, keyed by content; misses parsed on every core.

Parsing is a large part of a cold build's work, and a transcript that did not
change parses to the same ``Episode``.  Each parsed episode is stored in the
build state (:mod:`amacast.build.state`, JSON, never pickle) under a key,
a SHA-256 over amacast's
version and parser source, pyromark's version, the path the episode was read
from (it is part of the ``Episode`` and of its diagnostics) and the file's
bytes.  A rebuild keys every transcript and decodes the hits; only new or
edited files are parsed again.  Keying a file means reading and hashing it,
unless its size, times and inode are those noted when it was last keyed
(the state's ``sources`` table, as git's index notes them): then the noted
key is taken.

The cache is only ever a shortcut: an entry that is missing, does not
decode or is from another version is a miss, parsed again and rewritten.
When many files miss, they are parsed in a pool of worker processes, which
store what they parse themselves.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from amacast import __version__
from amacast.build import state
from amacast.build.collector import collector_paused
from amacast.build.files import read_file
from amacast.build.workers import forked_pool, worker_count
from amacast.model import Episode

PROJECT_CACHE_DIR = ".amacast-cache"
#: The parser's own source: the model and every module of the transcript package.
_PARSER_SOURCES = ("model.py", "markup.py", "transcript/*.py")
#: The libraries a parsed episode depends on, besides Python.
_PARSER_LIBRARIES = ("pyromark", "nh3", "linkify_it")
#: The amacast package.
PACKAGE = Path(__file__).resolve().parent.parent
#: Below this many misses, a pool of processes costs more than it saves.
POOL_THRESHOLD = 24
#: Files a worker parses per task: few round trips, yet a balanced finish.
CHUNK = 16


def parser_fingerprint(version: str = __version__) -> str:
    """A hash of amacast's version, the parser's own source, and the libraries it parses with.

    The source is included so that an edited parser (an editable install
    between releases) never serves episodes parsed by its predecessor; the
    libraries (pyromark, nh3, linkify-it-py) by where they are installed and
    their files' sizes and times, so that a new Markdown parser, HTML
    sanitiser or URL finder parses every file again, without importing them
    (a build with nothing to parse never does).
    """
    digest = hashlib.sha256(f"amacast {version}\0".encode())
    for pattern in _PARSER_SOURCES:
        for path in sorted(PACKAGE.glob(pattern)):
            digest.update(f"\0{path.relative_to(PACKAGE)}\0".encode())
            digest.update(path.read_bytes())
    for library in _PARSER_LIBRARIES:
        spec = importlib.util.find_spec(library)
        origin = spec.origin if spec is not None and spec.origin else ""
        try:
            info = os.stat(origin)
            digest.update(f"\0{origin}\0{info.st_size}\0{info.st_mtime_ns}".encode())
        except OSError:
            digest.update(f"\0{library} not found".encode())
    return digest.hexdigest()


def cache_key(path: str, data: bytes, fingerprint: str) -> str:
    """The cache key of the transcript ``data`` read from ``path`` by this parser."""
    digest = hashlib.sha256()
    digest.update(f"{fingerprint}\0{path}\0".encode("utf-8", "surrogatepass"))
    digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True)
class Source:
    """A transcript as read: its path, its bytes and its cache key.

    ``data`` is None when the file cannot be read (then ``key`` is ``""``),
    or when its key was known from its size and times (:func:`read_sources`).
    """

    path: Path
    data: bytes | None
    key: str


#: A file changed this recently may change again within the same clock tick,
#: unseen by its times: its key is not noted until it has been still this long.
SETTLED_NS = 2_000_000_000

_Noted = dict[str, tuple[tuple[int, int, int, int], str]]


def read_sources(
    paths: Sequence[Path], version: str = __version__, cache_dir: Path | None = None
) -> list[Source]:
    """Read and key every transcript (the key is ``""`` for one that cannot be read).

    With ``cache_dir``, a file whose size, modification and change times and
    inode are those noted by the last call is not read again: its key is
    taken from the note (as git trusts its index), and its ``data`` is None.
    """
    fingerprint = parser_fingerprint(version)
    noted = _noted(cache_dir, fingerprint) if cache_dir is not None else {}
    notes: _Noted = {}
    settled = time.time_ns() - SETTLED_NS
    sources = []
    for path in paths:
        name = str(path)
        try:
            info = os.stat(path)
            signature = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        except OSError:
            info = None
        if info is not None and name in noted and noted[name][0] == signature:
            notes[name] = noted[name]
            sources.append(Source(path, None, noted[name][1]))
            continue
        source = _read_source(path, fingerprint)
        sources.append(source)
        if source.key and info is not None and max(info.st_mtime_ns, info.st_ctime_ns) < settled:
            notes[name] = (signature, source.key)
    if cache_dir is not None and notes != noted:
        state.note_sources(cache_dir, fingerprint, notes, noted)
    return sources


def _read_source(path: Path, fingerprint: str) -> Source:
    try:
        data = read_file(path)
    except OSError:
        return Source(path, None, "")
    return Source(path, data, cache_key(str(path), data, fingerprint))


def _noted(cache_dir: Path, fingerprint: str) -> _Noted:
    return state.source_notes(cache_dir, fingerprint)


def sources_digest(sources: Sequence[Source]) -> str:
    """One hash over the transcripts' paths and keys: equal only for the same inputs."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(
            f"{source.path}\0{source.key or 'unreadable'}\0".encode("utf-8", "surrogatepass")
        )
    return digest.hexdigest()


def project_cache_folder(root: Path, audio_table: Mapping[str, Any]) -> Path:
    """A project's cache folder: ``.amacast-cache``, or the parent of ``[audio] cache_dir``.

    ``[audio] cache_dir`` (the setting that moves the segment cache, default
    ``.amacast-cache/segments``, see :func:`amacast.audio.jobs.cache_folder`)
    moves the rest of the cache along: the build state goes beside the segments.
    """
    configured = audio_table.get("cache_dir")
    if isinstance(configured, str) and configured.strip():
        segments = Path(configured.strip()).expanduser()
        if not segments.is_absolute():
            segments = root / segments
        return segments.parent
    return root / PROJECT_CACHE_DIR


def load_episodes(
    paths: Sequence[Path],
    cache_dir: Path | None,
    *,
    jobs: int | None = None,
    version: str = __version__,
    sources: Sequence[Source] | None = None,
) -> list[Episode]:
    """Parse ``paths`` (in order) into Episodes, from the cache where the bytes are known.

    ``cache_dir`` is the project's cache folder (see
    :func:`project_cache_folder`), which holds the build state.  None
    parses everything and stores nothing.  ``jobs`` caps
    the worker processes for misses (default: the machine's cores; 1 parses
    in this process).  An unreadable transcript is parsed as such (it gets an
    ``unreadable`` diagnostic) and never cached.  ``sources`` are the files
    already read by :func:`read_sources` (then ``paths`` is not read again).
    """
    if sources is None:
        sources = read_sources(paths, version)
    episodes: list[Episode | None] = [None] * len(sources)
    misses: list[tuple[int, Source]] = []
    stored = _stored(cache_dir, sources)
    with collector_paused():
        for at, source in enumerate(sources):
            episode = _read(cache_dir, source.key) if cache_dir and source.key in stored else None
            if episode is None:
                misses.append((at, source))
            else:
                episodes[at] = episode
    if any(source.data is None and source.key for _at, source in misses):
        # Those keyed from their notes are read now; one changed since is keyed anew.
        fingerprint = parser_fingerprint(version)
        misses = [
            (at, _read_source(source.path, fingerprint) if source.data is None else source)
            for at, source in misses
        ]
    store = str(cache_dir) if cache_dir is not None else None
    work = [
        (str(source.path), source.data, source.key, store if source.key else None)
        for _at, source in misses
    ]
    for (at, _source), episode in zip(misses, _parse_all(work, jobs), strict=True):
        episodes[at] = episode
    return [episode for episode in episodes if episode is not None]


#: A transcript to parse: path, bytes, cache key, cache folder to store it in (or None).
_Work = tuple[str, "bytes | None", str, "str | None"]


def _parse_all(work: Sequence[_Work], jobs: int | None) -> Iterator[Episode]:
    """Each transcript parsed (and stored), in order: here, or in workers when there are many."""
    workers = worker_count(len(work), jobs, minimum=CHUNK) if len(work) >= POOL_THRESHOLD else 0
    from amacast.transcript import parse  # noqa: F401  (imported before forking: workers inherit it)

    with forked_pool(workers) as pool:
        if pool is None:
            yield from map(_parse_one, work)
        else:
            yield from pool.map(_parse_one, work, chunksize=CHUNK)


def _stored(cache_dir: Path | None, sources: Sequence[Source]) -> frozenset[str]:
    """The keys of ``sources`` whose episodes the state holds (one query, not one per source)."""
    if cache_dir is None:
        return frozenset()
    return state.stored_parsed(cache_dir, [source.key for source in sources if source.key])


T = TypeVar("T")
#: What :func:`map_episodes` workers call: set before they fork, cleared after.
_mapping: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class _Job:
    """A transcript for :func:`map_episodes` to load in a worker."""

    path: str
    #: The bytes, or None to read them there.
    data: bytes | None
    #: The cache key (``""``: unreadable).
    key: str
    #: The cache folder to store a parsed episode in (None: none).
    store: str | None
    #: Whether the state holds the episode already (else it is parsed without asking).
    stored: bool
    #: The parser's fingerprint, to key the file anew when it is read there.
    fingerprint: str


def map_episodes(
    sources: Sequence[Source],
    cache_dir: Path | None,
    work: Callable[[Episode], T],
    *,
    jobs: int | None = None,
    version: str = __version__,
) -> list[T]:
    """``work`` of each source's episode, in order; the episode from the cache where known.

    Like :func:`load_episodes`, but what travels back from the workers is
    only what ``work`` returns: loading, parsing (and caching) and ``work``
    all happen in forked worker processes when there are many, which
    inherit ``work`` and the transcripts' bytes rather than receive them
    (a task is a range of indices); those not read yet, they read themselves.
    """
    fingerprint = parser_fingerprint(version)
    store = str(cache_dir) if cache_dir is not None else None
    workers = worker_count(len(sources), jobs, minimum=CHUNK)
    workers = workers if len(sources) >= POOL_THRESHOLD else 0
    stored = _stored(cache_dir, sources)
    to_do = [
        _Job(
            str(source.path),
            source.data,
            source.key,
            store if source.key else None,
            source.key in stored,
            fingerprint,
        )
        for source in sources
    ]
    from amacast.transcript import parse  # noqa: F401  (imported before forking: workers inherit it)

    _mapping["work"] = work
    _mapping["jobs"] = to_do
    chunks = [range(at, min(at + CHUNK, len(to_do))) for at in range(0, len(to_do), CHUNK)]
    try:
        with forked_pool(workers) as pool:
            done = pool.map(_work_on, chunks) if pool is not None else map(_work_on, chunks)
            return [result for chunk in done for result in chunk]
    finally:
        _mapping.clear()


def _work_on(indices: range) -> list[Any]:
    """``work`` of each job's episode; what was parsed is stored in one transaction.

    The cyclic collector is paused meanwhile: parsing makes many objects and
    next to no garbage, and a chunk is small.
    """
    jobs = [_mapping["jobs"][at] for at in indices]
    parsed: list[tuple[str, Episode]] = []
    with collector_paused():
        results = [_mapping["work"](_episode_of(job, parsed)) for job in jobs]
    stores = {job.store for job in jobs if job.store is not None}
    if parsed and stores:
        state.store_parsed(Path(stores.pop()), parsed)
    return results


def _episode_of(job: _Job, parsed: list[tuple[str, Episode]]) -> Episode:
    """The episode of one transcript: from the cache, else parsed (and added to ``parsed``)."""
    data, key = job.data, job.key
    if job.store is not None and key and job.stored:
        cached = _read(Path(job.store), key)
        if cached is not None:
            return cached
    if data is None and key:  # not read yet: read now, keyed anew should it have changed
        source = _read_source(Path(job.path), job.fingerprint)
        data, key = source.data, source.key
    from amacast.transcript.parse import parse_episode  # imported before the workers fork

    episode = parse_episode(job.path, data)
    if job.store is not None and key:
        parsed.append((key, episode))
    return episode


def _parse_one(item: _Work) -> Episode:
    """Parse one transcript and store it when asked (in a worker when there are many)."""
    # Imported before the workers fork (see above).
    from amacast.transcript.parse import parse_episode

    path, data, key, store = item
    episode = parse_episode(path, data)
    if store is not None:
        state.store_parsed(Path(store), [(key, episode)])
    return episode


def _read(cache_dir: Path, key: str) -> Episode | None:
    """The stored episode, or None when absent or not a sound entry."""
    return state.load_parsed(cache_dir, key, Episode)
