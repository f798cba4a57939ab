"""The Markdown body → top-level blocks, with their HTML, plain text and lines (pyromark).

pyromark (the pulldown-cmark parser: CommonMark with tables and
strikethrough) gives events with source ranges, which place each block on
its exact lines; each block is rendered to HTML on its own, with bare web
addresses linked.  The blocks stay :class:`Piece` values while the Legend and
the turns are read, and become :class:`~amacast.model.Block` values at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyromark

from amacast.markup import bare_urls, clean_html, may_hold_urls
from amacast.model import Block

if TYPE_CHECKING:  # the event types only annotate: importing them takes a while
    from pyromark.event import BrokenLink, Event, Range

OPTIONS = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH


@dataclass
class Markdown:
    """pyromark for one file: the events and HTML of its body or of a piece of it.

    Pieces (a block's own lines, a paragraph split at a speaker label) are
    parsed on their own, so a reference link (``[text][ref]``) whose definition
    is elsewhere in the file is resolved from the body's definitions, read the
    first time a piece needs one.
    """

    body: str
    _parser: pyromark.Markdown = field(init=False)
    _definitions: dict[str, tuple[str, str]] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._parser = pyromark.Markdown(options=OPTIONS, broken_link_callback=self._resolve)

    def events(self, source: str) -> Iterator[tuple[Event, Range]]:
        """The events of ``source``, adjacent text merged, with UTF-8 byte ranges."""
        return self._parser.events_with_range(source, merge_text=True)

    def html(self, source: str) -> str:
        """``source``, whole lines without their last line end, rendered to HTML.

        Cleaned here when ``source`` may hold HTML of its own (it has a
        ``<``); otherwise the HTML is pyromark's alone, whole and well-formed,
        and :func:`_cleaned` cleans it with the file's other such blocks.
        """
        linked = self._autolinked(source) if may_hold_urls(source) else source
        rendered = self._parser.html(linked + "\n")
        return clean_html(rendered) if "<" in source else rendered

    def _autolinked(self, source: str) -> str:
        """``source`` with its bare addresses written as Markdown links (:func:`bare_urls`).

        For a ``source`` that :func:`may_hold_urls`.

        Only addresses in plain text are linked: not in code, raw HTML, an
        HTML ``<a>`` or a link or image of the Markdown's own.  The text shown
        is the address as written; pulldown-cmark has no autolink extension.
        """
        plain, other = self._text_ranges(source)
        ascii_only = source.isascii()

        def in_text(index: int) -> bool:
            at = index if ascii_only else len(source[:index].encode("utf-8"))
            return any(a <= at < b for a, b in plain)

        found = bare_urls(source, in_text)
        if not found:
            return source
        data = source.encode("utf-8")
        pieces: list[str] = []
        done = 0
        for url in found:
            start = len(source[: url.start].encode("utf-8"))
            end = start + len(url.text.encode("utf-8"))
            starts_in_text = any(a <= start < b for a, b in plain)
            if not starts_in_text or any(a < end and start < b for a, b in other):
                continue
            pieces.append(data[done:start].decode("utf-8"))
            pieces.append(_markdown_link(url.text, url.url))
            done = end
        pieces.append(data[done:].decode("utf-8"))
        return "".join(pieces)

    def _text_ranges(self, source: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Byte ranges of ``source``'s plain text, and of what must stay as it is."""
        plain: list[tuple[int, int]] = []
        other: list[tuple[int, int]] = []
        inside = 0  # depth of links, images, code and HTML blocks
        raw_link = False  # inside an HTML <a> … </a>
        event: Any
        for event, span in self.events(source):
            where = (span["start"], span["end"])
            if type(event) is not dict:
                continue
            if "Text" in event:
                (other if inside or raw_link else plain).append(where)
            elif "Code" in event or "Html" in event or "InlineHtml" in event:
                other.append(where)
                raw = event.get("InlineHtml") or event.get("Html") or ""
                if _RAW_LINK_OPEN.match(raw):
                    raw_link = True
                elif _RAW_LINK_CLOSE.match(raw):
                    raw_link = False
            elif "Start" in event or "End" in event:
                tag: Any = event.get("Start") or event.get("End")
                name = tag if isinstance(tag, str) else next(iter(tag))
                if name in _VERBATIM:
                    other.append(where)
                    inside += 1 if "Start" in event else -1
        return plain, other

    def _resolve(self, link: BrokenLink) -> tuple[str, str] | None:
        if self._definitions is None:
            self._definitions = {}
            for label, found in self._parser.reference_definitions(self.body).items():
                key = _label_key(label)
                if key not in self._definitions:
                    self._definitions[key] = (found["dest"], found["title"] or "")
        return self._definitions.get(_label_key(link["reference"]))


#: Elements whose text is never autolinked.
_VERBATIM = frozenset({"Link", "Image", "CodeBlock", "HtmlBlock", "MetadataBlock"})
_RAW_LINK_OPEN = re.compile(r"<a[\s>]", re.I)
_RAW_LINK_CLOSE = re.compile(r"</a\s*>", re.I)
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _markdown_link(text: str, url: str) -> str:
    """A Markdown link that shows ``text`` as written and leads to ``url``.

    Every ASCII punctuation mark of the text is escaped (no emphasis or code
    inside the address), and the destination is in angle brackets, where only
    ``\\``, ``<`` and ``>`` need escaping.
    """
    shown = _MARKDOWN_PUNCTUATION.sub(r"\\\1", _unescaped(text))
    target = re.sub(r"([\\<>])", r"\\\1", _unescaped(url))
    return f"[{shown}](<{target}>)"


def _unescaped(text: str) -> str:
    """Markdown text with its backslash escapes resolved (``foo\\_bar`` → ``foo_bar``)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


_LABEL_SPACE = re.compile(r"[ \t\n]+")


def _label_key(label: str) -> str:
    """A link label as CommonMark matches it: case-folded, whitespace runs as one space."""
    return _LABEL_SPACE.sub(" ", label.strip(" \t\n")).casefold()


@dataclass(slots=True)
class Piece:
    """A block as the parser works on it, made a :class:`Block` once it is done.

    ``html`` is :meth:`Markdown.html`'s, still to be cleaned when the
    Markdown holds no ``<`` (:func:`_blocks`); the plain text is worked out
    from ``events`` only when asked for (most paragraphs that start a turn
    are cut at their label first, and only the rest's text is needed).
    """

    kind: str
    markdown: str
    html: str
    line: int
    end_line: int
    events: list[Event]
    _text: str | None = None

    @property
    def text(self) -> str:
        """The plain text (:func:`plain_text` of the events)."""
        if self._text is None:
            self._text = plain_text(self.events)
        return self._text

    def block(self) -> Block:
        """The finished Block."""
        return Block(self.kind, self.markdown, self.html, self.text, self.line, self.end_line)


def top_level_blocks(
    text: str, offset: int, lines: Sequence[str], markdown: Markdown
) -> Iterator[Piece]:
    """Group the events of ``text`` into top-level pieces (with their events).

    ``text`` is ``lines[offset:]`` joined; line numbers count from the start of
    ``lines``.  A block's ``markdown`` is the whole source lines it spans, and
    its HTML is those lines rendered on their own.
    """
    data = text.encode("utf-8")
    line, position = 0, 0  # the line index of byte ``position`` of ``data``
    depth = 0
    chunk: list[Event] = []
    start = end = items_end = 0
    for event, span in markdown.events(text):
        if depth == 0:
            chunk, start, end, items_end = [], span["start"], span["end"], 0
        chunk.append(event)
        if type(event) is not dict:
            if depth > 0 or event != "Rule":
                continue  # a break inside a block, or a rule on its own
        elif "Start" in event:
            depth += 1
            continue
        elif "End" in event:
            depth -= 1
            if depth == 1 and event["End"] == "Item":
                items_end = span["end"]
            if depth > 0:
                continue
        else:
            continue  # text and other inline content
        if items_end:
            # A list's own range may run on over a link definition after it:
            # it ends with its last item and the blank lines after that.
            end = _past_blank_lines(data, items_end, end)
        # A range may also run on over the indentation of the line after it.
        while end > start + 1 and data[end - 1] in b" \t":
            end -= 1
        end = max(end - 1, start)  # the block's last byte
        line += data.count(b"\n", position, start)
        first = line
        line += data.count(b"\n", start, end)
        position = end
        source = (
            lines[offset + line]
            if first == line
            else "\n".join(lines[offset + first : offset + line + 1])
        )
        kind = "paragraph" if chunk[0] == _PARAGRAPH else _kind(chunk[0])
        yield Piece(
            kind,
            source,
            "" if kind == "rule" else markdown.html(source),
            offset + first + 1,
            offset + line + 1,
            chunk,
        )


def _past_blank_lines(data: bytes, position: int, limit: int) -> int:
    """Where the blank lines from ``position`` (a line start) end, at most ``limit``."""
    while position < limit:
        newline = data.find(b"\n", position, limit)
        if newline < 0 or data[position:newline].strip(b" \t"):
            break
        position = newline + 1
    return position


_KINDS = {
    "Paragraph": "paragraph",
    "List": "list",
    "BlockQuote": "quote",
    "Heading": "heading",
    "CodeBlock": "code",
    "HtmlBlock": "html",
    "Rule": "rule",
    "Table": "table",
}


_PARAGRAPH = {"Start": "Paragraph"}


def _kind(event: Event) -> str:
    """The Block kind of a top-level ``"Rule"`` or ``{"Start": tag}`` event."""
    tag: Any = event["Start"] if isinstance(event, dict) and "Start" in event else event
    name = tag if isinstance(tag, str) else next(iter(tag))  # "Paragraph", {"List": 1} …
    return _KINDS.get(name, name.lower())


# Tags that open and close inside one run of text; any other tag ends the run.
_INLINE_TAGS = frozenset(
    {"Emphasis", "Strong", "Strikethrough", "Link", "Image", "Superscript", "Subscript"}
)


def plain_text(events: Iterable[Event]) -> str:
    """The plain text of the events.

    Each run of inline content (a paragraph, heading, table cell, tight list
    item) is one line, stripped; a code block is its text.  Link and image
    text stays, URLs and raw HTML go.
    """
    parts: list[str] = []
    pieces: list[str] = []
    code: list[str] | None = None  # the text of the code block being read
    event: Any
    for event in events:
        if type(event) is not dict:
            if event == "SoftBreak":
                pieces.append(" ")
            elif event == "HardBreak":
                pieces.append("\n")
            continue
        text = event.get("Text")
        if text is not None:
            (pieces if code is None else code).append(text)
            continue
        tag = event.get("Start") or event.get("End")  # "Paragraph", {"List": 1} …
        if tag is None:
            if "Code" in event:
                pieces.append(event["Code"])
            continue
        if type(tag) is not str:
            tag = next(iter(tag))
        if tag not in _INLINE_TAGS:
            text = "".join(pieces).strip()
            if text:
                parts.append(text)
            pieces = []
            if tag == "CodeBlock":
                if code is None:
                    code = []
                else:
                    parts.append("".join(code).rstrip("\n"))
                    code = None
    text = "".join(pieces).strip()
    if text:
        parts.append(text)
    return "\n".join(parts)


def reparse(source: str, first_line: int, markdown: Markdown) -> list[Piece]:
    """Parse a piece of Markdown that starts on file line ``first_line``."""
    pieces = []
    for piece in top_level_blocks(source, 0, source.split("\n"), markdown):
        if piece.kind != "rule":
            piece.line += first_line - 1
            piece.end_line += first_line - 1
            pieces.append(piece)
    return pieces
