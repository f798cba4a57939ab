"""Where a build's spare and scratch go, and the output folders a build refuses."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from amacast.build.fs import SCRATCH, SPARE, OutputError
from amacast.errors import ExitCode


class OutputRefused(OutputError):
    """The output folder is, or holds, the project: building there would replace sources."""

    exit_code = ExitCode.USAGE


def _places(output: Path, cache: Path) -> tuple[Path, Path]:
    """The spare tree and the scratch folders' prefix: in the cache, if on the output's disk."""
    output.parent.mkdir(parents=True, exist_ok=True)
    if os.stat(cache).st_dev == os.stat(output.parent).st_dev:
        return cache / SPARE, cache / SCRATCH
    return (
        output.parent / f".{output.name}.amacast-spare",
        output.parent / f".{output.name}.amacast-scratch-",
    )


def refuse_output(output: Path, project: Path, cache: Path) -> None:
    """Raise :class:`OutputRefused` for an output that is, holds or is held by the project.

    What :meth:`Generation.open` checks, for a build to call before it reads or locks anything.
    """
    _refuse(
        Path(os.path.realpath(output)),
        Path(os.path.realpath(project)),
        Path(os.path.realpath(cache)),
    )


def _refuse(output: Path, project: Path, cache: Path) -> None:
    """Raise OutputRefused for an output that is, holds or is held by the project's own files."""
    if output == project or project.is_relative_to(output):
        raise OutputRefused(
            f"the output folder {output} holds the project {project}: "
            "a build would replace it; choose a folder of its own, such as output/"
        )
    if os.path.lexists(output) and not os.path.isdir(output):
        raise OutputRefused(f"the output {output} is not a folder")
    if output.is_relative_to(project / "episodes"):
        raise OutputRefused(
            f"the output folder {output} is inside the project's episodes/: "
            "choose a folder of its own, such as output/"
        )
    if cache == output or cache.is_relative_to(output):
        raise OutputRefused(f"the output folder {output} holds the build cache {cache}")
    if os.path.lexists(output / "amacast.toml"):
        raise OutputRefused(
            f"the output folder {output} holds amacast.toml: it is a project, not a site"
        )
    with contextlib.suppress(OSError), os.scandir(output / "episodes") as entries:
        if any(e.name.endswith(".md") and e.is_file() for e in entries):
            raise OutputRefused(
                f"the output folder {output} holds transcripts (episodes/*.md): "
                "it is a project, not a site"
            )
