"""What a build did (:class:`BuildResult`) and how it was asked to run (:class:`Run`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amacast.build.audio import AudioRenderer, Progress
from amacast.config import Settings
from amacast.model import Diagnostic


@dataclass(frozen=True)
class BuildResult:
    """What a build did.  ``ok`` is False when nothing was put live."""

    settings: Settings
    output: Path
    diagnostics: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    rendered: tuple[str, ...] = ()
    reused: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    drafts_skipped: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)
    total_bytes: int = 0
    swapped: bool = False
    adopted: tuple[str, ...] = ()
    #: Episodes whose page was written (new or changed); for a dry run, would be.
    changed: tuple[str, ...] = ()
    dry_run: bool = False

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics with severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def ok(self) -> bool:
        """True when the new output is in place and no episode had errors."""
        return self.swapped and not self.errors


@dataclass(frozen=True)
class Run:
    """One build: where, with which settings, and how it was asked to run."""

    root: Path
    output: Path
    settings: Settings
    cache: Path
    say: Progress
    with_audio: bool
    drafts: bool
    keep_going: bool
    audio_from: tuple[Path, ...]
    renderer: AudioRenderer | None
    dry_run: bool
    render_progress: Callable[[Any], None] | None
    found: Callable[[Sequence[Diagnostic]], None]


def has_errors(diagnostics: Sequence[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def with_episode_notes(
    notes: Sequence[str], bad: Sequence[str], skipped: Sequence[str]
) -> list[str]:
    """``notes`` with what was left out: episodes with errors first, drafts last."""
    result = list(notes)
    if bad:
        result.insert(0, f"left out {len(bad)} episode(s) with errors: " + ", ".join(bad))
    if skipped:
        result.append(f"skipped {len(skipped)} draft(s): " + ", ".join(skipped))
    return result
