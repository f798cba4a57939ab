"""Where the project is: the folder holding ``amacast.toml``, found as git finds ``.git``.

The command line calls :func:`find_project_root` once and hands the folder to
the library functions, which keep taking a ``root``.  This module also says
how a path is shown to the user: relative to the project when it lies inside,
with control characters escaped so that a file name never splits a line.
It knows nothing of settings, transcripts or outputs.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_FILE = "amacast.toml"
NOT_A_PROJECT = f"not an amacast project: no {CONFIG_FILE} here or above (run amacast init)"


def find_project_root(start: Path) -> Path | None:
    """The nearest folder from ``start`` upwards holding ``amacast.toml``, or None."""
    here = Path(os.path.abspath(start))
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def escape_control(text: str) -> str:
    r"""``text`` with line breaks, tabs and other control characters as ``\n``, ``\x1b``…"""
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char.isprintable():
            out.append(char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


def shown_path(path: Path | str, root: Path) -> str:
    """``path`` as the user should read it: an absolute path inside ``root`` made relative.

    A relative path is taken as relative to ``root`` already (as the library
    reports them, and labels such as ``(command line)``) and kept.  Not
    escaped: the printer escapes what it prints (:func:`escape_control`).
    """
    candidate = Path(path)
    if not candidate.is_absolute():
        return str(path)
    absolute = Path(os.path.abspath(candidate))
    base = Path(os.path.abspath(root))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return str(path)
    return relative.as_posix() if relative.parts else "."


def shown_text(text: str, root: Path) -> str:
    """A message with the project folder's absolute prefix removed from the paths it names."""
    base = os.path.abspath(root)
    for prefix in (base + os.sep, base + "/"):
        text = text.replace(prefix, "")
    return text
