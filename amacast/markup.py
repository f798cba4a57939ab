"""Making text and HTML safe to publish: characters XML cannot hold, and unsafe HTML.

Every block's HTML is cleaned once, when the transcript is parsed
(:mod:`amacast.parse`, most blocks of a file in one call), so the
parsed-episode cache keeps it clean and the feeds and pages only put clean
pieces together.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from amacast.model import Block, Episode

# Characters outside XML 1.0's Char production (control characters, lone
# surrogates, U+FFFE/U+FFFF): a feed that holds one is not well-formed.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Text with the characters XML 1.0 cannot hold removed."""
    return _NOT_XML.sub("", text)


def clean_html(markup: str) -> str:
    """HTML without scripts, frames, event handlers, ``javascript:`` URLs (nh3), XML-safe."""
    return nh3.clean(xml_text(markup))


#: Joins pieces cleaned together (:func:`clean_html_many`): private-use characters
#: nh3 keeps as they are and no Markdown file is likely to hold.
_SEPARATOR = "\ue000\ue0a5\ue001"


def clean_html_many(pieces: Sequence[str]) -> list[str]:
    """:func:`clean_html` of each piece, in one call of the sanitiser when that is the same.

    For pieces that are each whole, well-formed HTML (what pyromark makes of
    Markdown that holds no HTML of its own): nothing one piece opens is
    left open for the next, so cleaning them joined by a separator and
    splitting the result gives each piece's own cleaning, for the cost of one
    call instead of one per piece.  A piece that holds the separator, or a
    result that does not split back into as many pieces, is cleaned alone.
    """
    texts = [xml_text(piece) for piece in pieces]
    if len(texts) > 1 and not any(_SEPARATOR in text for text in texts):
        cleaned = nh3.clean(_SEPARATOR.join(texts)).split(_SEPARATOR)
        if len(cleaned) == len(texts):
            return cleaned
    return [nh3.clean(text) for text in texts]


def sanitiser_version() -> str:
    """The version of the HTML sanitiser, part of the parsed-episode cache key."""
    return f"nh3 {getattr(nh3, '__version__', 'unknown')}"


def transcript_html(episode: Episode) -> str:
    """The whole transcript as clean HTML: preamble, each turn with its speaker, epilogue.

    A turn's speaker name is put in bold at the start of its first paragraph
    (or in a paragraph of its own when the turn starts with a list or quote).
    The blocks' HTML was cleaned when parsed; only the names are escaped here.
    What the Atom feed carries as each entry's content; read it as
    ``Episode.transcript_html``, worked out once per episode.
    """
    parts: list[str] = [_blocks_html(episode.preamble)]
    for turn in episode.turns:
        speaker = episode.speaker(turn.speaker)
        name = speaker.name if speaker else turn.speaker
        label = f"<strong>{html.escape(xml_text(name))}:</strong>"
        blocks = list(turn.blocks)
        if blocks and blocks[0].html.lstrip().startswith("<p>"):
            first = blocks[0].html.lstrip()
            parts.append(f"<p>{label} {first[len('<p>') :]}")
            parts.append(_blocks_html(blocks[1:]))
        else:
            parts.append(f"<p>{label}</p>\n")
            parts.append(_blocks_html(blocks))
    parts.append(_blocks_html(episode.epilogue))
    return "".join(parts)


def _blocks_html(blocks: Sequence[Block]) -> str:
    return "".join(block.html for block in blocks)
