"""The ``**Legend:**`` list: the speakers a transcript declares, and those its turns add.

``- S: Sayak`` declares a speaker (a role in parentheses, a name written as a
link); ``- P(n): Participants`` declares a pattern, whose numbered codes
(``P1``, ``P12``) become speakers as they speak.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from amacast.model import Role, Speaker
from amacast.transcript.blocks import Piece
from amacast.transcript.report import BRIEF, Reader
from amacast.transcript.text_checks import INVISIBLE

_PATTERN = re.compile(r"^(?P<prefix>[A-Za-z]+)\s*\(\s*n\s*\)$")
_LEGEND_ITEM = re.compile(r"^\s*(?P<code>[^:]{1,40}?)\s*:\s*(?P<name>.+?)\s*$")
_ROLE_SUFFIX = re.compile(r"\s*\((?P<role>guest|host|participant|narrator)s?\)\s*$", re.I)
# A Legend name written as a Markdown link: `[Sunil Rao](https://…)`.
_LINKED_NAME = re.compile(r"^\[(?P<name>[^\]]+)\]\(\s*<?(?P<href>https?://[^\s)>]+)>?\s*\)$")


@dataclass(frozen=True)
class Declared:
    """One line of the Legend: a speaker (``S: Sayak``) or a pattern (``P(n): Participants``)."""

    code: str
    name: str
    role: Role
    line: int
    href: str = ""


@dataclass(frozen=True)
class Legend:
    """What the Legend declares, where it is, and which blocks it takes up."""

    #: The speakers by code.
    declared: dict[str, Declared] = field(default_factory=dict)
    #: The patterns by prefix (``P`` for ``P(n)``).
    patterns: dict[str, Declared] = field(default_factory=dict)
    #: The line of the ``**Legend:**`` label (0 without one).
    line: int = 0
    #: The indices of the label's and the list's blocks.
    blocks: frozenset[int] = frozenset()


def find_legend(blocks: Sequence[Piece], reader: Reader, *, draft: bool) -> Legend:
    """Find the `**Legend:**` paragraph and the list after it.

    A draft may have no Legend yet: then that is a warning, not an error.
    """
    for index, block in enumerate(blocks):
        if block.kind != "paragraph":
            continue
        label = INVISIBLE.sub("", block.text).strip().rstrip(":").strip().lower()
        if label != "legend":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following is None or following.kind != "list":
            reader.report(
                block.line,
                1,
                "no-legend",
                "error",
                "the Legend label is not followed by a list of speakers",
                "put a list right after it: `- S: Sayak` and `- P(n): Participants`",
            )
            return Legend(line=block.line, blocks=frozenset({index}))
        declared, patterns = _legend_items(following, reader)
        return Legend(declared, patterns, block.line, frozenset({index, index + 1}))
    hint = (
        "add a Legend after the intro: a line `**Legend:**`, then a list such as "
        "`- S: Sayak` and `- P(n): Participants`, and label turns `**S:**`, `**P1:**`"
    )
    names = _name_labels(reader.lines)
    if names:
        shown = ", ".join(f"`{n}`" for n in names[:3])
        code = "".join(w[0] for w in names[0].split()[:2]).upper()
        hint = (
            f"this file labels turns with names ({shown}); add a Legend that gives each a code, "
            f"e.g. `**Legend:**` then `- {code}: {names[0]}`, and label turns `**{code}:**`"
        )
    reader.report(
        1,
        1,
        "no-legend",
        "warning" if draft else "error",
        "no `**Legend:**` list declares the speakers",
        hint,
    )
    return Legend()


_NAME_LABEL = re.compile(r"^(?:\*\*)?([A-Z][\w.$' -]{1,40}?)(?:\*\*)?\s*:(?:\*\*)?\s")


def _name_labels(lines: Sequence[str]) -> list[str]:
    """Speaker-like names that start lines (`**Mat Ryer:**`, `Speaker 0:`), most frequent first."""
    counts: dict[str, int] = {}
    for line in lines:
        match = _NAME_LABEL.match(line)
        if match:
            name = match[1].strip()
            counts[name] = counts.get(name, 0) + 1
    return [n for n, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c >= 2]


def _legend_items(block: Piece, reader: Reader) -> tuple[dict[str, Declared], dict[str, Declared]]:
    speakers: dict[str, Declared] = {}
    patterns: dict[str, Declared] = {}
    for offset, raw in enumerate(block.markdown.split("\n")):
        line = block.line + offset
        item = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", raw, count=1)
        if item == raw and not raw.strip():
            continue
        item = INVISIBLE.sub("", item).replace("**", "").strip()
        match = _LEGEND_ITEM.match(item)
        if not match:
            reader.report(
                line,
                1,
                "bad-legend-item",
                "warning",
                f"this Legend line is not `CODE: Name`: {BRIEF.repr(raw.strip())}",
                "write each speaker as `- CODE: Name`, e.g. `- S: Sayak`",
            )
            continue
        code, name = match["code"].strip(), match["name"].strip()
        role_match = _ROLE_SUFFIX.search(name)
        pattern = _PATTERN.match(code)
        if pattern:
            patterns[pattern["prefix"]] = Declared(code, name, "participant", line)
            continue
        role: Role
        if role_match:
            role = role_match["role"].lower()  # type: ignore[assignment]
            name = name[: role_match.start()].strip()
        else:
            role = "guest"
        linked = _LINKED_NAME.match(name)
        href = ""
        if linked:
            name, href = linked["name"].strip(), linked["href"]
        speakers[code] = Declared(code, name, role, line, href)
    return speakers, patterns


_NUMBERED_CODE = re.compile(r"([A-Za-z]+)(\d+)")


def pattern_code(code: str, patterns: Mapping[str, Declared]) -> str | None:
    """The pattern prefix when ``code`` is e.g. P12 and the Legend declares P(n)."""
    match = _NUMBERED_CODE.fullmatch(code)
    if match and match[1] in patterns and not match[2].startswith("0"):
        return match[1]
    return None


def episode_speakers(legend: Legend, codes: Iterable[str]) -> tuple[Speaker, ...]:
    """The Legend's speakers, then those of its patterns that speak (``codes``), by number."""
    declared, patterns = legend.declared, legend.patterns
    result = [Speaker(d.code, d.name, d.role, d.line, href=d.href) for d in declared.values()]
    seen: set[str] = set()
    numbered: list[tuple[str, int, str]] = []
    for code in codes:
        if code in seen or code in declared:
            continue
        prefix = pattern_code(code, patterns)
        if prefix:
            seen.add(code)
            numbered.append((prefix, int(code[len(prefix) :]), code))
    for prefix, number, code in sorted(numbered):
        d = patterns[prefix]
        singular = d.name[:-1] if d.name.endswith("s") and len(d.name) > 3 else d.name
        result.append(Speaker(code, f"{singular} {number}", "participant", d.line, pattern=d.code))
    return tuple(result)
