"""The ``itunes`` tags feedgen 1.0 writes in a form Apple no longer documents, as an extension.

feedgen's ``podcast`` extension accepts ``itunes:explicit`` only as
``yes``/``no``/``clean``; Apple's podcast RSS guide documents ``true`` and
``false``, and the W3C Feed Validation Service rejects anything else
(``InvalidTrueFalse``).  :class:`ItunesExtension` and
:class:`ItunesEntryExtension` write ``<itunes:explicit>true|false</itunes:explicit>``
in the channel and in items; the rest of the ``itunes`` tags stay with feedgen.
Only RSS output carries them.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"

#: The attribute the extension gets on a FeedGenerator and its entries.
EXTENSION_NAME = "itunes_extra"


def _explicit(parent: Any, explicit: bool | None) -> None:
    if explicit is not None:
        element = xml_elem(f"{{{ITUNES_NS}}}explicit", parent)
        element.text = "true" if explicit else "false"


class ItunesExtension(BaseExtension):  # type: ignore[misc]
    """Channel ``itunes:explicit`` as ``true``/``false``."""

    def __init__(self) -> None:
        self.__explicit: bool | None = None

    def extend_ns(self) -> dict[str, str]:
        """The ``itunes`` prefix for the feed's namespace map."""
        return {"itunes": ITUNES_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        """Add the channel tags to an RSS root element."""
        _explicit(rss_feed[0], self.__explicit)
        return rss_feed

    def extend_atom(self, atom_feed: Any) -> Any:
        """Atom feeds carry none of these tags."""
        return atom_feed

    def explicit(self, explicit: bool | None = None) -> bool | None:
        """Get or set whether the show is explicit."""
        if explicit is not None:
            self.__explicit = explicit
        return self.__explicit


class ItunesEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Item ``itunes:explicit`` as ``true``/``false``."""

    def __init__(self) -> None:
        self.__explicit: bool | None = None

    def extend_ns(self) -> dict[str, str]:
        """The ``itunes`` prefix for the feed's namespace map."""
        return {"itunes": ITUNES_NS}

    def extend_rss(self, item: Any) -> Any:
        """Add the item tags to an RSS ``<item>``."""
        _explicit(item, self.__explicit)
        return item

    def extend_atom(self, entry: Any) -> Any:
        """Atom entries carry none of these tags."""
        return entry

    def explicit(self, explicit: bool | None = None) -> bool | None:
        """Get or set whether the episode is explicit."""
        if explicit is not None:
            self.__explicit = explicit
        return self.__explicit


def register(fg: FeedGenerator) -> None:
    """Register the extension on a FeedGenerator as ``fg.itunes_extra`` (RSS only)."""
    fg.register_extension(
        EXTENSION_NAME, ItunesExtension, ItunesEntryExtension, atom=False, rss=True
    )
