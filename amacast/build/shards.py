"""Split a show's episodes into N shards for rendering on N machines.

An episode's shard depends on its slug alone (a hash of it, modulo N), so
adding or removing episodes never moves the others: a shard that rendered an
episode yesterday renders it again today and finds its segments cached.
Shards are numbered from 1, as a GitHub Actions matrix lists them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")

T = TypeVar("T")


def shard_of(slug: str, count: int) -> int:
    """The shard (1 … ``count``) an episode of this slug belongs to.

    The first 64 bits of the slug's SHA-256, modulo ``count``, plus one:
    stable across machines, Python versions and runs.
    """
    if count < 1:
        raise ValueError(f"the number of shards must be at least 1, not {count}")
    digest = hashlib.sha256(slug.encode("utf-8")).hexdigest()
    return int(digest[:16], 16) % count + 1


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` as ``(K, N)``; ValueError saying what is wrong unless 1 ≤ K ≤ N."""
    match = _SHARD.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not K/N (e.g. 2/4: the second of four shards)")
    shard, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise ValueError(f"{text!r}: the number of shards must be at least 1")
    if not 1 <= shard <= count:
        raise ValueError(f"{text!r}: the shard must be between 1 and {count}")
    return shard, count


def in_shard(items: Iterable[T], slug_of: Callable[[T], str], shard: int, count: int) -> list[T]:
    """The items (episodes) whose slug falls in ``shard`` of ``count``, in their order."""
    if not 1 <= shard <= count:
        raise ValueError(f"shard {shard} is not between 1 and {count}")
    return [item for item in items if shard_of(slug_of(item), count) == shard]
