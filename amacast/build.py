"""``amacast build``: settings and episodes in, ``atom.xml`` and ``podcast.xml`` out.

One readable function, :func:`build`, runs the whole thing: load settings,
parse every ``episodes/*.md``, drop drafts, validate, and — only when nothing
stops it — build both feeds and write them into the output folder, each file
atomically (a temp file in the same folder, then ``os.replace``).  When any
episode has errors the build writes nothing (all or nothing) unless
``keep_going`` is set, in which case the bad episodes are left out and the
result still reports failure.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from amacast.config import Settings, load_settings
from amacast.feeds import build_feeds
from amacast.model import AudioInfo, Diagnostic
from amacast.parse import find_episode_files, parse_episode
from amacast.validate import validate_episodes

EPISODES_DIR = "episodes"


@dataclass(frozen=True)
class BuildResult:
    """What a build did: diagnostics, notes, files written, episodes in and out."""

    settings: Settings
    diagnostics: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()
    written: tuple[Path, ...] = ()
    built: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    drafts_skipped: tuple[str, ...] = ()
    atom_entries: int = 0
    podcast_items: int = 0

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics with severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def ok(self) -> bool:
        """True when nothing had errors (warnings allowed): exit code 0."""
        return not self.errors


def find_episodes(root: Path) -> list[Path]:
    """The transcripts of a project: ``episodes/*.md``, sorted by name."""
    folder = root / EPISODES_DIR
    return find_episode_files([folder]) if folder.is_dir() else []


def build(
    root: Path,
    output: Path,
    *,
    drafts: bool = False,
    keep_going: bool = False,
    overrides: Mapping[str, str] | None = None,
    audio: Mapping[str, AudioInfo] | None = None,
) -> BuildResult:
    """Build both feeds of the project at ``root`` into ``output``.

    ``audio`` maps slugs to rendered audio (none yet: podcast.xml then lists
    no items).  Settings errors, or episode errors without ``keep_going``,
    leave ``output`` untouched.  Never raises on bad input; I/O errors while
    writing propagate.
    """
    settings, diagnostics = load_settings(root, overrides)
    if any(d.severity == "error" for d in diagnostics):
        return BuildResult(settings=settings, diagnostics=tuple(diagnostics))

    episodes = [parse_episode(path) for path in find_episodes(root)]
    skipped = tuple(e.slug for e in episodes if e.draft and not drafts)
    selected = [e for e in episodes if drafts or not e.draft]

    episode_diagnostics = validate_episodes(selected, settings.timezone)
    diagnostics += [_relative(d, root) for d in episode_diagnostics]
    bad_paths = {d.path for d in episode_diagnostics if d.severity == "error"}
    bad = [e for e in selected if e.path in bad_paths]
    if bad and not keep_going:
        return BuildResult(
            settings=settings,
            diagnostics=tuple(diagnostics),
            left_out=tuple(e.slug for e in bad),
            drafts_skipped=skipped,
        )
    good = [e for e in selected if e.path not in bad_paths]

    feeds = build_feeds(good, settings, audio or {})
    written = [
        write_atomic(output / "atom.xml", feeds.atom),
        write_atomic(output / "podcast.xml", feeds.podcast),
    ]
    cover = _copy_cover(root, output, settings)
    if cover is not None:
        written.append(cover)
    notes = list(feeds.notes)
    if not episodes:
        notes.insert(0, f"no transcripts in {root / EPISODES_DIR}: the feeds have no entries")
    if bad:
        notes.insert(
            0, f"left out {len(bad)} episode(s) with errors: " + ", ".join(e.slug for e in bad)
        )
    return BuildResult(
        settings=settings,
        diagnostics=tuple(diagnostics),
        notes=tuple(notes),
        written=tuple(written),
        built=tuple(e.slug for e in good),
        left_out=tuple(e.slug for e in bad),
        drafts_skipped=skipped,
        atom_entries=feeds.atom_entries,
        podcast_items=feeds.podcast_items,
    )


def _relative(diagnostic: Diagnostic, root: Path) -> Diagnostic:
    """The diagnostic with its path relative to the project root, when it is inside it."""
    try:
        relative = Path(diagnostic.path).resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return diagnostic
    return Diagnostic(
        relative.as_posix(),
        diagnostic.line,
        diagnostic.column,
        diagnostic.code,
        diagnostic.severity,
        diagnostic.message,
        diagnostic.hint,
    )


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def _copy_cover(root: Path, output: Path, settings: Settings) -> Path | None:
    """Copy the cover to ``cover.<ext>`` in the output, unless it is hosted elsewhere."""
    if not settings.image or settings.image_is_remote:
        return None
    source = root / settings.image
    target = output / ("cover" + Path(settings.image).suffix.lower())
    data = source.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return target
    return write_atomic(target, data)
