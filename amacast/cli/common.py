"""What the commands share: finding the project, printing diagnostics and progress, failures."""

from __future__ import annotations

import sys
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amacast.cli.progress import ProgressPrinter
from amacast.cli.project import (
    NOT_A_PROJECT,
    escape_control,
    find_project_root,
    shown_path,
    shown_text,
)
from amacast.errors import ExitCode
from amacast.model import Diagnostic

if TYPE_CHECKING:
    from amacast.audio.jobs import RenderProgress


class Failure(click.ClickException):
    """A failure click prints as its own errors (``Error: ...``), ending with ``code``."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = code


def project_root() -> Path:
    """The project's folder: the nearest with amacast.toml from here up; exit 2 if none."""
    root = find_project_root(Path.cwd())
    if root is None:
        click.echo(f"error: {NOT_A_PROJECT}", err=True)
        sys.exit(ExitCode.USAGE)
    return root


def in_project(root: Path, path: Path) -> Path:
    """``path`` as given, or under the project's folder when relative."""
    return path if path.is_absolute() else root / path


def plural(count: int, word: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def relative_diagnostic(d: Diagnostic, root: Path) -> Diagnostic:
    """A diagnostic with its paths relative to the project."""
    return Diagnostic(
        shown_path(d.path, root) if d.path else d.path,
        d.line,
        d.column,
        d.code,
        d.severity,
        shown_text(d.message, root),
        shown_text(d.hint, root),
    )


def _check_timezone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(
            f"unknown timezone {value!r} (use an IANA name such as Asia/Kolkata)"
        ) from exc
    return value


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_diagnostic(d: Diagnostic, fmt: str) -> str:
    """One diagnostic as a line of text or a GitHub workflow command."""
    if fmt == "github":
        level = {"error": "error", "warning": "warning", "info": "notice"}[d.severity]
        place = f"line={d.line},col={d.column}," if d.line > 0 else ""
        props = (
            f"file={_github_escape(d.path, prop=True)},{place}"
            f"title={_github_escape(d.code, prop=True)}"
        )
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        return f"::{level} {props}::{_github_escape(message)}"
    # Escaped, so that a file name with a line break never splits the line; a problem of a
    # whole file (or of one that is missing) has no line to point at.
    path = escape_control(d.path)
    where = f"{path}:{d.line}:{d.column}" if d.line > 0 else path
    line = f"{where}: {d.severity}[{d.code}] {escape_control(d.message)}"
    return line + (f"\n    hint: {escape_control(d.hint)}" if d.hint else "")


def render_progress(tty: bool) -> tuple[ProgressPrinter, Callable[[RenderProgress], None]]:
    """A printer on stderr (a bar with ETA on a terminal, a line per episode otherwise)
    and the render callback that feeds it."""
    printer = ProgressPrinter(
        "render", tty=tty, write=lambda text, newline: click.echo(text, nl=newline, err=True)
    )

    def show(state: RenderProgress) -> None:
        printer.update(
            state.episodes_done,
            state.episodes_total,
            state.fraction,
            state.elapsed,
            current=state.current,
            detail=f"{state.segments_done}/{state.segments_total} segments",
        )

    return printer, show
