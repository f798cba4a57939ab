"""Checks of the text itself: mojibake, and speaker labels with invisible characters in them.

Also the two patterns the Legend and the turns share with these checks: a
bold label at the start of a line, and the invisible characters chat apps
leave behind.  ``amacast validate --fix`` makes the repairs named here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from amacast.transcript.report import Reader, short

# Unicode "format" characters (category Cf) that chat apps leave behind:
# bidi controls such as U+202C, zero-width spaces and joiners, BOMs.
INVISIBLE = re.compile(
    r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)

# A bold label at the start of a line: **P1:**, **P1**:, **P1‬:**, **P1**‬:
LABEL = re.compile(
    r"^(?P<indent>[ \t]{0,3})\*\*(?P<inner>[^*\n]{1,60}?)\*\*"
    r"(?P<after>[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]*[ \t]*:)?"
)


_MOJIBAKE_HINT = re.compile(r"[\u00c2-\u00f0][\u0080-\u02ff\u2000-\u20ff\u0152-\u0178]")


def check_mojibake(lines: Sequence[str], reader: Reader) -> None:
    for number, line in enumerate(lines, 1):
        if line.isascii():  # most lines: no mojibake in them (mojibake_repair says None)
            continue
        repair = mojibake_repair(line)
        if repair is None:
            continue
        start, bad, good = repair
        bad, good = short(bad), short(good)
        reader.report(
            number,
            start + 1,
            "mojibake",
            "warning",
            f"mojibake: `{bad}` looks like a mangled `{good}`",
            f"the text was decoded with the wrong encoding somewhere; "
            f"replace `{bad}` with `{good}`",
        )


def mojibake_repair(line: str) -> tuple[int, str, str] | None:
    """Where ``line`` holds mojibake: (index of the first damaged character, run, repair).

    The run reaches from the first to the last character ftfy changes, so
    replacing it with the repair gives ftfy's repair of the whole line; None
    for a line ftfy leaves alone (correct Portuguese ``SÃO`` among them).
    """
    if line.isascii() or not _MOJIBAKE_HINT.search(line):
        return None
    import ftfy  # here: few lines get this far, and ftfy takes a while to import

    fixed = ftfy.fix_encoding(line)
    if fixed == line:
        return None
    start = next((i for i, (a, b) in enumerate(zip(line, fixed, strict=False)) if a != b), 0)
    bad, good = _first_difference(line, fixed, start)
    return start, bad, good


def _first_difference(line: str, fixed: str, start: int) -> tuple[str, str]:
    # Align the tails to find how far the damaged run reaches.
    a_end, b_end = len(line), len(fixed)
    while a_end > start and b_end > start and line[a_end - 1] == fixed[b_end - 1]:
        a_end -= 1
        b_end -= 1
    return line[start:a_end], fixed[start:b_end]


def label_repair(line: str) -> tuple[int, str, str] | None:
    """Where the bold label starting ``line`` holds invisible characters: (index, label, repair).

    The label is ``**P1:**`` or ``**P1**:`` with what chat apps leave in it
    (U+202C and the like); the repair is the label without them.  None when
    the line starts with no such label.
    """
    match = LABEL.match(line)
    if match is None:
        return None
    start = match.start("inner") - 2
    label = line[start : match.end()]
    clean = INVISIBLE.sub("", label)
    return (start, label, clean) if clean != label else None
