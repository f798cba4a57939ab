"""Feed entries kept between builds: a serialised feed cut around its entries.

Each feed is serialised by feedgen, then cut around its entries, and every
entry's text is returned under a key of what it is made from (the episode's
path, source hash and slug, its audio, and for podcast.xml its number).  A
later build with the same settings hands them back as ``kept``: feedgen then
builds the feed with only the entries it lacks, and the kept ones are put
back in their places.  An entry's serialisation does not depend on the
other entries (every namespace is declared on the root), so the result is
byte for byte the feed built whole; a test holds it to that.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from amacast.feeds.items import Item
from amacast.model import Episode, Listing, made_from, whole

#: What one feed entry is made from, besides the settings: the feed it is in
#: (``atom`` or ``podcast``), the episode's path, source hash and slug, a hash
#: of its audio (``""`` without), and in podcast.xml its number.
FragmentKey = tuple[str, ...]


def fragment_key(feed: str, item: Item) -> FragmentKey:
    """What the entry of ``item`` in ``feed`` (``atom`` or ``podcast``) is made from."""
    key = (feed, *made_from(item.episode, item.audio))
    return (*key, str(item.number)) if feed == "podcast" else key


def spliced(
    keyed: Sequence[tuple[FragmentKey, Item]],
    build: Callable[[Sequence[Item]], bytes],
    names: tuple[bytes, bytes],
    kept: Mapping[FragmentKey, bytes],
    full: Callable[[Listing], Episode] | None,
    made: dict[FragmentKey, bytes],
) -> bytes:
    """A feed whose entries ``keyed`` are taken from ``kept`` where it has them.

    ``build`` serialises the feed with the items given; ``names`` are the
    entry's and the enclosing element's tags.  Every entry of the result goes
    into ``made``, kept or new.
    """
    todo = [(key, _whole(item, full)) for key, item in keyed if key not in kept]
    xml = build([item for _key, item in todo])
    cut = _cut(xml, *names)
    if cut is None or len(cut[1]) != len(todo):  # not as expected: no entry is kept
        xml = build([_whole(item, full) for _key, item in keyed])
        cut = _cut(xml, *names)
        if cut is None:
            return xml
        todo = list(keyed)
    head, fresh, tail = cut
    made.update(zip((key for key, _item in todo), fresh, strict=True))
    made.update((key, kept[key]) for key, _item in keyed if key not in made)
    return head + b"".join(made[key] for key, _item in keyed) + tail


def _whole(item: Item, full: Callable[[Listing], Episode] | None) -> Item:
    """The item with its whole episode."""
    episode = whole(item.episode, full)
    return item if episode is item.episode else dataclasses.replace(item, episode=episode)


def _cut(xml: bytes, entry: bytes, parent: bytes) -> tuple[bytes, list[bytes], bytes] | None:
    """A pretty-printed feed cut into what precedes its entries, each entry, and the rest.

    Each entry is cut from the start of its line to the end of the line that
    closes it; the entries must follow one another.  With no entry, the cut
    is at the line that closes ``parent``.  None when the text is not like that.
    """
    start_tag, end_tag = b"<" + entry + b">", b"</" + entry + b">\n"
    fresh: list[bytes] = []
    at = xml.find(start_tag)
    if at < 0:
        close = xml.rfind(b"</" + parent + b">")
        if close < 0:
            return None
        cut = xml.rfind(b"\n", 0, close) + 1
        return xml[:cut], [], xml[cut:]
    first = previous_end = xml.rfind(b"\n", 0, at) + 1
    while at >= 0:
        begin = xml.rfind(b"\n", 0, at) + 1
        end = xml.find(end_tag, at)
        if begin != previous_end or end < 0:
            return None
        previous_end = end + len(end_tag)
        fresh.append(xml[begin:previous_end])
        at = xml.find(start_tag, previous_end)
    return xml[:first], fresh, xml[previous_end:]
