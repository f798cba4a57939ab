"""What each step of :func:`amacast.build.pipeline.build_all` hands the next."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from amacast.build.index import EarlyPages
from amacast.build.pack import BuildPack, Episodes
from amacast.model import Episode, Listing


@dataclass(frozen=True)
class Loaded:
    """Step 3: the episodes, and what their audio and pages are keyed and made with."""

    pack: BuildPack
    keyer: Callable[[str], str]
    pages: Any
    early: EarlyPages | None
    episodes: Episodes


@dataclass(frozen=True)
class Chosen:
    """Step 4: the episodes published, and what became of the others."""

    selected: list[Listing]
    good: list[Listing]
    full: Callable[[Listing], Episode]
    moves: Mapping[str, str]
    known: Mapping[str, Any] | None
    bad: tuple[str, ...]
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class Made:
    """Step 6: the files made in memory, the pages written, and the pages kept."""

    files: dict[str, bytes]
    written: dict[str, str]
    feeds: Any
    views: dict[tuple[str, ...], Any]
    page_keys: dict[str, str]
    kept_pages: set[str]
    noted_pages: Mapping[str, tuple[int, int]]
