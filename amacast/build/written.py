"""The files a build wrote: their hashes, sizes and times, and whether they are as written."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from amacast.build.manifest import hash_file
from amacast.build.output import Generation


def bring_scratch(generation: Generation, known: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    """Move every file of the scratch folder into the generation; each one's hash and size."""
    moved = generation.put_tree(generation.scratch)
    return {
        relative: (known.get(relative) or hash_file(Path(place)), size)
        for relative, (place, size) in moved.items()
    }


def _scratch(generation: Generation) -> Callable[[], Path]:
    return lambda: generation.scratch


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def old_size(output: Path, relative: str, sizes: Mapping[str, Any]) -> int:
    size = sizes.get(relative)
    return size if isinstance(size, int) else os.stat(output / relative).st_size


def size_and_time(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def as_written(output: Path, relative: str, written: Mapping[str, tuple[int, int]]) -> bool:
    """True when the file has the size and time it had when a build wrote it."""
    if relative not in written:
        return False
    try:
        info = os.stat(f"{output}/{relative}", follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and written.get(relative) == (info.st_size, info.st_mtime_ns)


def hashes_and_sizes(
    output: Path,
    generation: Generation,
    previous: Mapping[str, Any],
    made: tuple[Mapping[str, str], Mapping[str, str], Mapping[str, bytes], Collection[str]],
) -> tuple[dict[str, str], dict[str, int]]:
    """Every file of the new output into the generation; each one's hash and size, sorted.

    ``made``: the audio files (hashes), the pages written (hashes), the files
    made in memory, and the slugs whose page is kept from the output.
    """
    from amacast.site.links import (
        episode_page_path,  # as Pages: a build writing nothing never loads it
    )

    audio_files, written, files, kept_pages = made
    old_files = generation.previous
    made_hashes = {**audio_files, **written}
    brought = bring_scratch(generation, made_hashes)
    generation.put(files)
    hashes = {
        **{episode_page_path(slug): old_files[episode_page_path(slug)] for slug in kept_pages},
        **audio_files,
        **{relative: digest for relative, (digest, _size) in brought.items()},
        **{relative: sha(content) for relative, content in files.items()},
    }
    hashes = dict(sorted(hashes.items()))
    old_sizes = previous.get("build", {}).get("sizes", {}) if previous else {}
    sizes = {
        relative: len(files[relative])
        if relative in files
        else brought[relative][1]
        if relative in brought
        else old_size(output, relative, old_sizes)
        for relative in hashes
    }
    return hashes, sizes
