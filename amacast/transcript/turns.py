"""The body's blocks → preamble, turns and epilogue, split at speaker labels.

A turn starts at a bold label (``**P1:**`` or ``**P1**:``) that names a
speaker of the Legend, at the start of a line, even in the middle of a
paragraph; a label that looks like a code but is not declared is reported.
A rule after the last turn starts the epilogue.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from amacast.transcript.blocks import Markdown, Piece, reparse
from amacast.transcript.legend import Declared, Legend, pattern_code
from amacast.transcript.report import Reader
from amacast.transcript.text_checks import INVISIBLE, LABEL

# What a speaker code looks like when it is not in the Legend (S, P13, AB2).
_CODE_LIKE = re.compile(r"^[A-Z]{1,3}\d{0,3}$")


@dataclass(slots=True)
class RawTurn:
    """A turn being read: its speaker code, where its label is, and its pieces so far."""

    code: str
    line: int
    column: int
    pieces: list[Piece]


@dataclass(frozen=True)
class Body:
    """The body's pieces split up: before the first turn, the turns, and after a closing rule."""

    preamble: list[Piece]
    turns: list[RawTurn]
    epilogue: list[Piece]


def split_turns(
    blocks: Sequence[Piece], legend: Legend, reader: Reader, markdown: Markdown
) -> Body:
    """Walk the body's blocks (but the Legend's) into preamble, turns and epilogue."""
    preamble: list[Piece] = []
    turns: list[RawTurn] = []
    after_rule: list[Piece] = []
    ruled = False
    codes = _Codes(legend.declared, legend.patterns)
    for index, block in enumerate(blocks):
        if index in legend.blocks:
            continue
        if block.kind == "rule":
            if turns:
                ruled = True
            continue
        pieces = (
            _split_labels(block, codes, reader, markdown) if block.kind == "paragraph" else [block]
        )
        for piece in pieces:
            if not isinstance(piece, RawTurn):
                if not turns:
                    preamble.append(piece)
                elif ruled:
                    after_rule.append(piece)
                else:
                    turns[-1].pieces.append(piece)
                continue
            if ruled and after_rule and turns:
                turns[-1].pieces.extend(after_rule)
            after_rule = []
            ruled = False
            turns.append(piece)
    return Body(preamble, turns, after_rule)


@dataclass(frozen=True)
class _Codes:
    """The speaker codes one Legend declares, pattern codes (P1, P12 …) included."""

    declared: Mapping[str, Declared]
    patterns: Mapping[str, Declared]
    #: The codes looked up so far, and whether each is one of these.
    seen: dict[str, bool] = field(default_factory=dict)

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        known = self.seen.get(code)
        if known is None:
            known = code in self.declared or pattern_code(code, self.patterns) is not None
            self.seen[code] = known
        return known

    def listing(self) -> list[str]:
        """The codes to show in a hint: declared ones and the patterns."""
        return [*self.declared, *(d.code for d in self.patterns.values())]

    def candidates(self) -> list[str]:
        """Codes a typo may have meant: declared ones and the first pattern numbers."""
        extra = [f"{prefix}{n}" for prefix in self.patterns for n in range(1, 10)]
        return [*self.declared, *extra]


@dataclass(slots=True)  # not frozen: made for every label, and frozen ones are slower to make
class _LabelAt:
    """A speaker label at the start of a line of a paragraph."""

    offset: int  # the line's index in the paragraph
    code: str
    column: int
    end: int  # the index in the line where the label ends


def _split_labels(
    block: Piece, codes: _Codes, reader: Reader, markdown: Markdown
) -> list[Piece | RawTurn]:
    """Split a paragraph at every line that starts with a speaker label.

    What comes before the first label stays a piece; each label starts a turn.
    """
    if "**" not in block.markdown:  # no line of it starts with a bold label
        return [block]
    source = block.markdown.split("\n")
    starts: list[_LabelAt] = []
    for offset, raw in enumerate(source):
        found = _label_at(raw, offset, block.line + offset, codes, reader)
        if found is not None:
            starts.append(found)
    if not starts:
        return [block]
    first = starts[0]
    if len(starts) == 1 and first.offset == 0:
        rest = _without_label(block, source[0], first.end)
        if rest is not None:
            return [RawTurn(first.code, block.line, first.column, rest)]
    result: list[Piece | RawTurn] = []
    if first.offset > 0:
        head = "\n".join(source[: first.offset])
        result.extend(reparse(head, block.line, markdown))
    for n, label in enumerate(starts):
        stop = starts[n + 1].offset if n + 1 < len(starts) else len(source)
        rest_lines = [source[label.offset][label.end :].lstrip(), *source[label.offset + 1 : stop]]
        rest = (
            reparse("\n".join(rest_lines), block.line + label.offset, markdown)
            if "".join(rest_lines).strip()
            else []
        )
        result.append(RawTurn(label.code, block.line + label.offset, label.column, rest))
    return result


# What follows a label, matched where the label ends (``match(text, at)``).
_LEADING_COLON = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]*[ \t]*:[ \t]*")
_LEADING_SPACE = re.compile(r"[ \t]+")
_LEADING_BREAKS = re.compile(r"(?:(?:<br\s*/?>)?\n)+")
# The start of the HTML of a paragraph that opens with a bold label.
_STRONG_HTML = re.compile(r"<p><strong>[^<]*</strong>")
_STRONG_START = {"Start": "Strong"}
_STRONG_END = {"End": "Strong"}
_BREAKS = ("SoftBreak", "HardBreak")


def _without_label(block: Piece, first_line: str, label_end: int) -> list[Piece] | None:
    """The paragraph with its leading bold label removed, from its own events.

    Saves parsing the paragraph again; None when the events are not the plain
    shape ``**label** text`` (then the caller re-parses the source).  The HTML
    is the paragraph's, less the ``<strong>`` label and what the text loses.
    ``first_line`` is the paragraph's first line, whose label ends at ``label_end``.
    """
    events = block.events  # Start(Paragraph), Start(Strong), Text …, End(Strong), …, End
    last = len(events) - 1
    if last < 2 or events[1] != _STRONG_START:
        return None
    count = 2
    while count < last and isinstance(events[count], dict) and "Text" in events[count]:
        count += 1
    if count == 2 or count == last or events[count] != _STRONG_END:
        return None
    label = _STRONG_HTML.match(block.html)
    if label is None:
        return None
    rest = events[count + 1 : last]
    at = label.end()  # where the HTML after the label starts
    first = rest[0] if rest else None
    colon_outside = first_line.endswith(":", 0, label_end)
    if isinstance(first, dict) and "Text" in first:
        pattern = _LEADING_COLON if colon_outside else _LEADING_SPACE
        lead = pattern.match(first["Text"])  # never empty: None when the text has no lead
        if colon_outside and lead is None:
            return None
        content = first["Text"][lead.end() :] if lead else first["Text"]
        rest = [{"Text": content}, *rest[1:]] if content else rest[1:]
        lead = pattern.match(block.html, at)
        at = lead.end() if lead else at
    elif colon_outside:
        return None
    while rest and rest[0] in _BREAKS:
        rest = rest[1:]
    if not rest:
        return []
    text_at = len(first_line) - len(first_line[label_end:].lstrip())  # where its text starts
    markdown = block.markdown[text_at:].strip("\n")
    start = block.line if text_at < len(first_line) else block.line + 1
    breaks = _LEADING_BREAKS.match(block.html, at)
    html = "<p>" + block.html[breaks.end() if breaks else at :]
    return [Piece("paragraph", markdown, html, start, block.end_line, rest)]


def _label_at(raw: str, offset: int, line: int, codes: _Codes, reader: Reader) -> _LabelAt | None:
    """The label ``raw`` (line ``offset`` of a paragraph, ``line`` of the file) starts with."""
    match = LABEL.match(raw)
    if not match:
        return None
    inner = match["inner"]
    after = match["after"] or ""
    # No invisible character is ASCII: most labels need no search for them.
    plain = inner.isascii() and after.isascii()
    clean_inner = (inner if plain else INVISIBLE.sub("", inner)).strip()
    if clean_inner.endswith(":"):
        code = clean_inner[:-1].strip()
    elif after:
        code = clean_inner
    else:
        return None
    column = match.end("indent") + 1
    if not code:
        return None
    if code not in codes:
        # Without a Legend every label would be unknown: no-legend says it once.
        if _CODE_LIKE.match(code) and (codes.declared or codes.patterns):
            _unknown_speaker(code, line, column, codes, reader)
            return _LabelAt(offset, code, column, match.end())
        return None
    invisible = None if plain else INVISIBLE.search(inner + after)
    if invisible:
        char = invisible.group(0)
        where = raw.find(char) + 1
        reader.report(
            line,
            where,
            "invisible-label-char",
            "warning",
            f"the label `{code}` contains an invisible character "
            f"U+{ord(char):04X} {unicodedata.name(char, 'FORMAT CHARACTER')}",
            "it is ignored; delete it (chat apps leave these when text is copied)",
        )
    return _LabelAt(offset, code, column, match.end())


def _unknown_speaker(code: str, line: int, column: int, codes: _Codes, reader: Reader) -> None:
    close = difflib.get_close_matches(code, codes.candidates(), n=1, cutoff=0.3)
    listing = codes.listing()
    known_text = ", ".join(listing[:12]) if listing else "none (there is no Legend)"
    if len(listing) > 12:
        known_text += f" and {len(listing) - 12} more"
    hint = f"did you mean `{close[0]}`? " if close else ""
    hint += f"add `- {code}: Name` to the Legend, or fix the label"
    reader.report(
        line,
        column,
        "unknown-speaker",
        "error",
        f"the speaker `{code}` is not in the Legend (known: {known_text})",
        hint,
    )
