"""What the parser reports: one file's diagnostics as it reads, and brief quotes of user values.

Every module of the package reports through a :class:`Reader`; messages quote
what the user wrote through :data:`BRIEF` or :func:`short`, so that no message
grows with the input (a value of a megabyte, an alias bomb).
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass, field

from amacast.model import Diagnostic, Severity

# Messages quote user values through this: a few dozen characters, however large the value.
BRIEF = reprlib.Repr()
BRIEF.maxstring = BRIEF.maxother = 60
BRIEF.maxlist = BRIEF.maxtuple = BRIEF.maxdict = BRIEF.maxset = 4
BRIEF.maxlevel = 2


def short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis) for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Reader:
    """Per-file parsing state: where we are and what we found wrong."""

    path: str
    lines: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(
        self, line: int, column: int, code: str, severity: Severity, message: str, hint: str = ""
    ) -> None:
        self.diagnostics.append(Diagnostic(self.path, line, column, code, severity, message, hint))
