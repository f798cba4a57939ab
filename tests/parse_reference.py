"""The parser's functions in their straightforward form, before they were made faster.

Each function here is the plain version of one the parser now runs in a
quicker way; :func:`reference_parser` puts them all in place of the quick
ones, so that a test can parse the same files both ways and require the very
same Episodes and diagnostics (``tests/test_parse_reference.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import nh3
import pytest

from amacast import markup
from amacast.model import Speaker
from amacast.transcript import blocks, legend, parse, turns
from amacast.transcript.blocks import Markdown, Piece
from amacast.transcript.legend import Legend, pattern_code
from amacast.transcript.report import Reader
from amacast.transcript.text_checks import INVISIBLE, LABEL

if TYPE_CHECKING:
    from pyromark.event import Event


def reference_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the parser run the functions of this module instead of their quick forms."""
    monkeypatch.setattr(parse, "clean_html_many", clean_html_many)
    monkeypatch.setattr(parse, "top_level_blocks", top_level_blocks)
    monkeypatch.setattr(blocks, "top_level_blocks", top_level_blocks)
    monkeypatch.setattr(turns, "_split_labels", split_labels)
    monkeypatch.setattr(parse, "episode_speakers", episode_speakers)


# --- amacast.markup ---------------------------------------------------------------------


def clean_html_many(pieces: Sequence[str]) -> list[str]:
    texts = [markup.xml_text(piece) for piece in pieces]
    dirty = [at for at, text in enumerate(texts) if not is_clean_as_written(text)]
    if len(dirty) > 1 and not any(markup._SEPARATOR in texts[at] for at in dirty):
        cleaned = nh3.clean(markup._SEPARATOR.join(texts[at] for at in dirty))
        split = cleaned.split(markup._SEPARATOR)
        if len(split) == len(dirty):
            for at, text in zip(dirty, split, strict=True):
                texts[at] = text
            return texts
    for at in dirty:
        texts[at] = nh3.clean(texts[at])
    return texts


_KEPT_TAG = re.compile(r"</?(?:p|em|strong|del|blockquote|ul|ol|li|h[1-6]|code)>")


def is_clean_as_written(markup: str) -> bool:
    """:func:`amacast.markup.is_clean_as_written` by counting characters and tags."""
    if "\xa0" in markup or "\r" in markup:
        return False
    ampersands = markup.count("&")
    if ampersands and ampersands != (
        markup.count("&amp;") + markup.count("&lt;") + markup.count("&gt;")
    ):
        return False
    tags = len(_KEPT_TAG.findall(markup))
    return markup.count("<") == tags and markup.count(">") == tags


# --- amacast.transcript.blocks ----------------------------------------------------------


def top_level_blocks(
    text: str, offset: int, lines: Sequence[str], markdown: Markdown
) -> Iterator[Piece]:
    data = text.encode("utf-8")
    line, position = 0, 0
    depth = 0
    chunk: list[Event] = []
    start = end = items_end = 0
    for event, span in markdown.events(text):
        if depth == 0:
            chunk, start, end, items_end = [], span["start"], span["end"], 0
        chunk.append(event)
        if type(event) is not dict:
            if depth > 0 or event != "Rule":
                continue
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
            continue
        if items_end:
            end = blocks._past_blank_lines(data, items_end, end)
        while end > start + 1 and data[end - 1] in b" \t":
            end -= 1
        end = max(end - 1, start)
        line += data.count(b"\n", position, start)
        first = line
        line += data.count(b"\n", start, end)
        position = end
        source = "\n".join(lines[offset + first : offset + line + 1])
        kind = blocks._kind(chunk[0])
        yield Piece(
            kind,
            source,
            "" if kind == "rule" else markdown.html(source),
            offset + first + 1,
            offset + line + 1,
            chunk,
        )


# --- amacast.transcript.turns -----------------------------------------------------------


def split_labels(
    block: Piece, codes: turns._Codes, reader: Reader, markdown: Markdown
) -> list[Piece | turns.RawTurn]:
    source = block.markdown.split("\n")
    starts: list[turns._LabelAt] = []
    for offset, raw in enumerate(source):
        found = label_at(raw, offset, block.line + offset, codes, reader)
        if found is not None:
            starts.append(found)
    if not starts:
        return [block]
    first = starts[0]
    if len(starts) == 1 and first.offset == 0:
        rest = without_label(block, source[0][: first.end].endswith(":"))
        if rest is not None:
            return [turns.RawTurn(first.code, block.line, first.column, rest)]
    result: list[Piece | turns.RawTurn] = []
    if first.offset > 0:
        head = "\n".join(source[: first.offset])
        result.extend(blocks.reparse(head, block.line, markdown))
    for n, label in enumerate(starts):
        stop = starts[n + 1].offset if n + 1 < len(starts) else len(source)
        rest_lines = [source[label.offset][label.end :].lstrip(), *source[label.offset + 1 : stop]]
        rest = (
            blocks.reparse("\n".join(rest_lines), block.line + label.offset, markdown)
            if "".join(rest_lines).strip()
            else []
        )
        result.append(turns.RawTurn(label.code, block.line + label.offset, label.column, rest))
    return result


_LEADING_COLON = re.compile(r"^[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]*[ \t]*:[ \t]*")
_LEADING_SPACE = re.compile(r"^[ \t]+")
_LEADING_BREAKS = re.compile(r"^(?:(?:<br\s*/?>)?\n)+")


def without_label(block: Piece, colon_outside: bool) -> list[Piece] | None:
    events = block.events[1:-1]
    if not events or events[0] != {"Start": "Strong"}:
        return None
    count = 1
    while count < len(events) and isinstance(events[count], dict) and "Text" in events[count]:
        count += 1
    if count == 1 or events[count : count + 1] != [{"End": "Strong"}]:
        return None
    label = turns._STRONG_HTML.match(block.html)
    if label is None:
        return None
    rest = events[count + 1 :]
    html = block.html[label.end() :]
    first = rest[0] if rest else None
    if isinstance(first, dict) and "Text" in first:
        pattern = _LEADING_COLON if colon_outside else _LEADING_SPACE
        content = pattern.sub("", first["Text"], count=1)
        if colon_outside and content == first["Text"]:
            return None
        rest = [{"Text": content}, *rest[1:]] if content else rest[1:]
        html = pattern.sub("", html, count=1)
    elif colon_outside:
        return None
    while rest and rest[0] in ("SoftBreak", "HardBreak"):
        rest = rest[1:]
    if not rest:
        return []
    lines = block.markdown.split("\n")
    first_line = LABEL.sub("", lines[0], count=1).lstrip()
    markdown = "\n".join([first_line, *lines[1:]]).strip("\n")
    start = block.line if first_line.strip() else block.line + 1
    html = "<p>" + _LEADING_BREAKS.sub("", html, count=1)
    return [Piece("paragraph", markdown, html, start, block.end_line, rest)]


def label_at(
    raw: str, offset: int, line: int, codes: turns._Codes, reader: Reader
) -> turns._LabelAt | None:
    match = LABEL.match(raw)
    if not match:
        return None
    inner = match["inner"]
    after = match["after"] or ""
    clean_inner = INVISIBLE.sub("", inner).strip()
    if clean_inner.endswith(":"):
        code = clean_inner[:-1].strip()
    elif after:
        code = clean_inner
    else:
        return None
    column = len(match["indent"]) + 1
    if not code:
        return None
    if not (code in codes.declared or pattern_code(code, codes.patterns) is not None):
        if turns._CODE_LIKE.match(code) and (codes.declared or codes.patterns):
            turns._unknown_speaker(code, line, column, codes, reader)
            return turns._LabelAt(offset, code, column, match.end())
        return None
    invisible = INVISIBLE.search(inner + after)
    if invisible:
        char = invisible.group(0)
        reader.report(
            line,
            raw.find(char) + 1,
            "invisible-label-char",
            "warning",
            f"the label `{code}` contains an invisible character "
            f"U+{ord(char):04X} {unicodedata.name(char, 'FORMAT CHARACTER')}",
            "it is ignored; delete it (chat apps leave these when text is copied)",
        )
    return turns._LabelAt(offset, code, column, match.end())


# --- amacast.transcript.legend ----------------------------------------------------------


def episode_speakers(found: Legend, codes: Iterable[str]) -> tuple[Speaker, ...]:
    declared, patterns = found.declared, found.patterns
    result = [Speaker(d.code, d.name, d.role, d.line, href=d.href) for d in declared.values()]
    seen: set[str] = set()
    numbered: list[tuple[str, int, str]] = []
    for code in codes:
        prefix = legend.pattern_code(code, patterns)
        if prefix and code not in declared and code not in seen:
            seen.add(code)
            numbered.append((prefix, int(code[len(prefix) :]), code))
    for prefix, number, code in sorted(numbered):
        d = patterns[prefix]
        singular = d.name[:-1] if d.name.endswith("s") and len(d.name) > 3 else d.name
        result.append(Speaker(code, f"{singular} {number}", "participant", d.line, pattern=d.code))
    return tuple(result)
