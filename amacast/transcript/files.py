"""Which files are transcripts: ``episodes/*.md`` (or ``.markdown``), one rule for every command.

Imports nothing but the standard library, so that a build whose episodes
are all cached lists them without loading the Markdown parser.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

#: A project's transcripts live here.
EPISODES_DIR = "episodes"
#: The suffixes of transcript files.
EPISODE_SUFFIXES = (".md", ".markdown")


def find_episode_files(paths: Iterable[Path | str]) -> list[Path]:
    """The transcript files named by ``paths``: files as given, folders' transcripts (sorted)."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(_transcripts_in(path))
        else:
            found.append(path)
    return found


def project_episodes(root: Path) -> list[Path]:
    """The transcripts of the project at ``root``, sorted by name; none without ``episodes/``."""
    return _transcripts_in(root / EPISODES_DIR)


def _transcripts_in(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            names = [
                entry.name
                for entry in entries
                if os.path.splitext(entry.name)[1] in EPISODE_SUFFIXES and entry.is_file()
            ]
    except OSError:  # no such folder, or not one
        return []
    return [folder / name for name in sorted(names)]
