"""Episode pages rendered on every core, written where the commit picks them up.

Rendering a page is pure Python, so many pages render in forked worker
processes (:mod:`amacast.build.workers`), which inherit the compiled templates
and the episodes rather than receive them.  Each worker writes the pages it
renders into the build's scratch folder under their output paths and sends
back only their hashes (:func:`write_into`): the commit moves them into the new generation
(:meth:`amacast.build.output.Generation.put_tree`), folders it lacks whole.  The stage itself
(:class:`amacast.site.pages.Pages`) only turns an episode into bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amacast.build.workers import forked_pool, worker_count
from amacast.model import AudioInfo, Episode

if TYPE_CHECKING:  # the site's templates load only when a build writes pages
    from amacast.site.pages import Pages

#: Fewer pages than this per worker are rendered in this process.
PAGES_PER_WORKER = 48
#: Pages a worker renders per task.
PAGES_PER_TASK = 16

# What page workers read: set before they are forked, cleared after.
_forked: dict[str, Any] = {}


def waiting_path(folder: Path, relative: str) -> Path:
    """Where the page for output path ``relative`` waits in the scratch ``folder``.

    At that same path below it: the commit moves a folder the new generation
    lacks (``episodes/`` in a first build) whole, in one rename
    (:meth:`amacast.build.output.Generation.put_tree`).
    """
    return folder / relative


def write_into(folder: Path, files: Mapping[str, bytes]) -> dict[str, str]:
    """Write pages (output path -> bytes) to wait in ``folder``; returns each one's SHA-256.

    One ``open`` and ``write`` a page, no flush to disk: the commit flushes
    the whole generation once before it goes live.
    """
    hashes = {}
    for relative, content in files.items():
        path = os.path.join(folder, relative)
        try:
            handle = os.open(path, _NEW_FILE, 0o666)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            handle = os.open(path, _NEW_FILE, 0o666)
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(handle, view) :]
        finally:
            os.close(handle)
        hashes[relative] = hashlib.sha256(content).hexdigest()
    return hashes


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC


def render_page(
    pages: Pages, episode: Episode, info: AudioInfo | None, folder: Path
) -> dict[str, str]:
    """Render one episode's page into ``folder``; returns its output path and SHA-256."""
    return write_into(folder, dict([pages.render(episode, info)]))


@contextlib.contextmanager
def pages_rendering(
    pages: Pages,
    episodes: Sequence[Episode],
    audio: Mapping[str, AudioInfo],
    folder: Path,
    jobs: int | None = None,
) -> Iterator[Callable[[], dict[str, str]]]:
    """Start rendering the pages of ``episodes`` into ``folder``; the caller works meanwhile.

    Yields a function that waits for them and returns each page's hash by
    output path (call it inside the ``with``).
    """
    _forked.update(pages=pages, audio=audio, folder=folder, episodes={e.slug: e for e in episodes})
    try:
        workers = worker_count(len(episodes), jobs, minimum=PAGES_PER_WORKER)
        with forked_pool(workers) as pool:
            slugs = [e.slug for e in episodes]
            chunks = [slugs[i : i + PAGES_PER_TASK] for i in range(0, len(slugs), PAGES_PER_TASK)]
            started = pool.map(_page_task, chunks) if pool is not None else None

            def collect() -> dict[str, str]:
                hashes: dict[str, str] = {}
                for done in started if started is not None else map(_page_task, chunks):
                    hashes.update(done)
                return hashes

            yield collect
    finally:
        _forked.clear()


def _page_task(slugs: Sequence[str]) -> dict[str, str]:
    pages: Pages = _forked["pages"]
    rendered = dict(
        pages.render(_forked["episodes"][slug], _forked["audio"].get(slug)) for slug in slugs
    )
    return write_into(_forked["folder"], rendered)


def drop(folder: Path, relatives: Sequence[str]) -> None:
    """Remove pages written into ``folder`` that the build does not use."""
    for relative in relatives:
        path = waiting_path(folder, relative)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        if path.parent != folder:
            with contextlib.suppress(OSError):  # its folder, when that leaves it empty
                path.parent.rmdir()
