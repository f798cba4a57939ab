"""Watching a project's inputs (``amacast serve --watch``): transcripts, templates, settings.

Calls a rebuild function each time something the site is made from changes,
after the burst of writes an editor makes has settled.  It does not know how
the site is built: the command line hands it the function.  Changes in the
output, the caches and version-control folders are not inputs and are ignored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import watchfiles

CONFIG_FILE = "amacast.toml"
WATCHED_FOLDERS = ("episodes", "templates")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def is_input(path: Path | str, root: Path) -> bool:
    """Whether a change at ``path`` can change the site: settings, transcripts, templates, cover."""
    try:
        relative = PurePosixPath(Path(path).resolve().relative_to(root.resolve()).as_posix())
    except ValueError:
        return False
    parts = relative.parts
    if not parts:
        return False
    if len(parts) == 1:
        return parts[0] == CONFIG_FILE or relative.suffix.lower() in IMAGE_SUFFIXES
    return parts[0] in WATCHED_FOLDERS


def watch_project(
    root: Path,
    rebuild: Callable[[list[str]], None],
    stop: threading.Event,
    *,
    debounce_ms: int = 300,
    force_polling: bool | None = None,
) -> None:
    """Call ``rebuild(changed)`` (paths relative to ``root``) on each change, until ``stop``."""
    root = root.resolve()

    def wanted(_change: watchfiles.Change, path: str) -> bool:
        return is_input(path, root)

    for changes in watchfiles.watch(
        root,
        watch_filter=wanted,
        debounce=debounce_ms,
        stop_event=stop,
        force_polling=force_polling,
        raise_interrupt=False,
    ):
        changed = sorted({Path(path).resolve().relative_to(root).as_posix() for _, path in changes})
        rebuild(changed)
