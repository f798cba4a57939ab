"""Making text and HTML safe to publish: characters XML cannot hold, unsafe HTML, bare URLs.

Every block's HTML is cleaned once, when the transcript is parsed
(:mod:`amacast.transcript.parse`, most blocks of a file in one call), so the
parsed-episode cache keeps it clean and the feeds and pages only put clean
pieces together.  Bare web addresses in the text are found here
(:func:`bare_urls`, with linkify-it-py) so the parser can link them, as Hugo
(where the posts come from) and GitHub do.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import nh3
from linkify_it import LinkifyIt

if TYPE_CHECKING:
    from amacast.model import Block, Episode

# Characters outside XML 1.0's Char production (control characters, lone
# surrogates, U+FFFE/U+FFFF): a feed that holds one is not well-formed.
# What XML 1.0 cannot carry, named outright: the complement of its character ranges
# (tab, newline, CR, U+0020-D7FF, U+E000-FFFD, U+10000-10FFFF) is the same set, but
# compiles in 0.4 ms instead of 8 ms, paid by every build that imports this module.
_NOT_XML_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_NOT_XML = re.compile(f"[{_NOT_XML_CHARS}]")


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
    texts = list(pieces)
    dirty: list[int] = []
    # Most pieces are clean as written and hold nothing xml_text removes: one match each.
    matches = map(_XML_CLEAN_AS_WRITTEN.fullmatch, pieces)
    for at in [at for at, match in enumerate(matches) if match is None]:
        texts[at] = xml_text(texts[at])
        if not is_clean_as_written(texts[at]):
            dirty.append(at)
    if len(dirty) > 1 and not any(_SEPARATOR in texts[at] for at in dirty):
        cleaned = nh3.clean(_SEPARATOR.join(texts[at] for at in dirty)).split(_SEPARATOR)
        if len(cleaned) == len(dirty):
            for at, text in zip(dirty, cleaned, strict=True):
                texts[at] = text
            return texts
    for at in dirty:
        texts[at] = nh3.clean(texts[at])
    return texts


def sanitiser_version() -> str:
    """The versions of the HTML sanitiser and URL finder, part of the parsed-episode cache key."""
    from importlib import metadata  # here, not at the top: start-up time (12 ms)

    try:
        linkify = metadata.version("linkify-it-py")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source checkout without metadata
        linkify = "unknown"
    return f"nh3 {getattr(nh3, '__version__', 'unknown')}, linkify-it-py {linkify}"


#: Tags that pyromark writes and the sanitiser keeps exactly as written: no
#: attributes, not void (``<br />`` comes back as ``<br>``), not ``<pre>``
#: (a line end after it is dropped) nor tables (text in them may move).
_KEPT_TAG = r"</?(?:p|em|strong|del|blockquote|ul|ol|li|h[1-6]|code)>"
#: Markup made only of kept tags, the three entities html5ever writes, and
#: text without ``<``, ``>``, ``&``, no-break spaces or carriage returns (one
#: pass of the regular expression engine; possessive, so it never backtracks).
_CLEAN_AS_WRITTEN = re.compile(rf"(?:[^<>&\xa0\r]++|&(?:amp|lt|gt);|{_KEPT_TAG})*+")
#: The same, holding none of :data:`_NOT_XML` either: what :func:`xml_text` gives back as is.
_XML_CLEAN_AS_WRITTEN = re.compile(
    rf"(?:[^<>&\xa0\r{_NOT_XML_CHARS}]++|&(?:amp|lt|gt);|{_KEPT_TAG})*+"
)


def is_clean_as_written(markup: str) -> bool:
    """True when the sanitiser would give back ``markup`` unchanged, which it need not then read.

    Conservative, for HTML as pyromark writes it: every tag is one of
    :data:`_KEPT_TAG` (each ``<`` and ``>`` is in one), every ``&`` starts
    ``&amp;``, ``&lt;`` or ``&gt;`` (html5ever writes ``&quot;`` as ``"``),
    and there is no no-break space (written back as ``&nbsp;``) or carriage
    return.  Most blocks of a transcript are such; a test checks against the
    sanitiser that the answer is never wrong.
    """
    return _CLEAN_AS_WRITTEN.fullmatch(markup) is not None


@dataclass(frozen=True)
class BareUrl:
    """A web or e-mail address written out in text: where it is and where it leads."""

    start: int
    end: int
    text: str
    url: str


#: What every address the finder looks for holds (``mailto:`` ones hold an ``@``;
#: ``www.`` is lower-case in GFM and Hugo too): most paragraphs hold none of it.
_ANCHOR = re.compile(r"://|@|www\.")
#: Schemes linked as written; an e-mail address comes back from linkify-it as ``mailto:``.
_LINKED_SCHEMES = frozenset({"http:", "https:", "ftp:", "mailto:"})
#: Emphasis marks around an address: GFM links ``_https://x.org_``, linkify-it sees
#: no address after a ``_`` or before one that ends a host name, so they are blanked
#: (same length: the offsets stay those of the text).
_MARKS_AROUND_URL = re.compile(
    r"(?<![^\s*(])[_~]+(?=(?:https?|ftp)://|www\.|mailto:)|[_~]+(?=[*_~.,:;!?)]*(?:\s|$))"
)
#: What GFM leaves off the end of an address: trailing punctuation and emphasis marks.
_TRAILING = "?!.,:*_~"


def may_hold_urls(text: str) -> bool:
    """False when ``text`` surely holds no address :func:`bare_urls` would find (a quick test)."""
    return "://" in text or "@" in text or "www." in text


def _words_with_anchors(text: str) -> list[tuple[int, int, int]]:
    """The runs of non-space characters of ``text`` that hold an :data:`_ANCHOR`.

    As (start, index of the first anchor, end).  An address holds no space,
    so the finder reads these words alone rather than the whole text:
    linkify-it's expressions are slow on long paragraphs.
    """
    spans: list[tuple[int, int, int]] = []
    if not may_hold_urls(text):
        return spans
    for anchor in _ANCHOR.finditer(text):
        if spans and anchor.start() < spans[-1][2]:
            continue
        start = anchor.start()
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        end = anchor.end()
        while end < len(text) and not text[end].isspace():
            end += 1
        spans.append((start, anchor.start(), end))
    return spans


@functools.cache
def _linkify() -> LinkifyIt:
    return LinkifyIt()


def bare_urls(text: str, where: Callable[[int], bool] | None = None) -> list[BareUrl]:
    """The addresses in ``text`` that GFM's autolink extension (and Hugo) would link.

    ``http://``, ``https://``, ``ftp://`` and ``mailto:`` addresses, addresses
    starting ``www.`` (linked as ``https://``, Hugo's default) and e-mail
    addresses, without trailing punctuation (``.``, ``,``, ``?`` …) or an
    unbalanced ``)``.  Bare domain names (``README.md``, ``TensorFlow.world``)
    are not links, as in GFM.  Offsets are indices into ``text``; the caller
    knows which parts of it are code or links already, and may pass ``where``,
    which tells whether the character at an index is plain text: words whose
    ``://``, ``@`` or ``www.`` is not are passed over.
    """
    found: list[BareUrl] = []
    for start, anchor, end in _words_with_anchors(text):
        if where is not None and not where(anchor):
            continue
        word = text[start:end]
        matches = _linkify().match(_MARKS_AROUND_URL.sub(lambda m: " " * len(m[0]), word)) or []
        for match in matches:
            written = word[match.index : match.last_index].rstrip(_TRAILING)
            if match.schema in _LINKED_SCHEMES:
                url = (
                    written if match.schema != "mailto:" or ":" in written else "mailto:" + written
                )
            elif not match.schema and written.startswith("www."):
                url = "https://" + written
            else:
                continue
            at = start + match.index
            found.append(BareUrl(at, at + len(written), written, url))
    return found


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
