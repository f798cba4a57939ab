"""``amacast render``: narration ahead of a build, in a folder of its own the next build adopts.

A render never writes into ``output/``: that folder is the last good build,
replaced only by a build's commit (:mod:`amacast.build.output`).  Without
``--output`` the MP3s and sidecars go to ``<cache>/rendered/`` with a
manifest of each episode's audio key, the shape a shard has
(``render --shard``); every build (``build``, ``publish``, ``serve --watch``)
adopts from it what still matches, as ``--audio-from`` adopts a shard's audio,
and empties it once its own output is live.  So ``amacast render`` then
``amacast build`` publishes the rendered audio without rendering again.

The folder is replaced in one step too.  Under the build lock (a render and a
build never run at once: the second exits with "another amacast build is
running"), the render writes into a fresh ``<cache>/rendered.new-*``, links
in what the previous folder held for episodes it did not render again, writes
the manifest last, then exchanges the two folders (``renameat2`` with
``RENAME_EXCHANGE``; without it, two renames: the folder is briefly absent and
a render killed there loses what it held before, never ``output/``).  Killed
at any point, ``rendered/`` is the previous folder or the new one, and the
next render removes the half-made one.

With ``--output DIR`` (or ``--shard``) the audio goes to DIR as it is made,
for a publish on another machine to adopt; DIR may not be a build's output.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amacast.build.checks import check_project
from amacast.build.fs import exchange
from amacast.build.identity import with_identity
from amacast.build.keys import audio_key, cover_hash
from amacast.build.lock import lock_output
from amacast.build.manifest import (
    MANIFEST,
    current_audio,
    read_manifest,
    write_audio_manifest,
)
from amacast.build.places import refuse_output
from amacast.build.shards import in_shard
from amacast.build.signals import terminate_as_exception
from amacast.build.sources import project_cache_folder
from amacast.config import Settings
from amacast.errors import AmacastError, ExitCode
from amacast.model import AudioInfo, Diagnostic, Episode
from amacast.transcript.files import project_episodes

#: In the project's cache: the rendered audio waiting for a build, and its makings.
RENDERED = "rendered"
_NEW = "rendered.new-"


class RenderRefused(AmacastError):
    """The folder asked for is a build's output: a render would mix audio into it."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class RenderRun:
    """What :func:`render_project` did."""

    infos: Mapping[str, AudioInfo] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()
    left_out: tuple[str, ...] = ()
    drafts_skipped: tuple[str, ...] = ()
    other_shards: tuple[str, ...] = ()
    #: Where the audio is: ``<cache>/rendered``, ``--output`` or the shard's folder.
    folder: Path = Path()

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics with severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


def rendered_folder(cache: Path) -> Path:
    """Where ``amacast render`` leaves audio for the next build."""
    return cache / RENDERED


def rendered_audio(cache: Path) -> tuple[Path, ...]:
    """The render folder, for a build to adopt from, when it holds any audio."""
    folder = rendered_folder(cache)
    return (folder,) if (folder / MANIFEST).is_file() else ()


def forget_rendered(cache: Path) -> None:
    """Empty the render folder: a build whose output went live took what matched.

    Call it under the build lock.  What did not match (another engine, a
    transcript edited since) is rendered again by the build that needs it.
    """
    folder = rendered_folder(cache)
    if folder.is_dir():
        aside = Path(tempfile.mkdtemp(prefix=_NEW, dir=cache))
        os.rename(folder, aside / RENDERED)  # gone in one step; removed at leisure
        shutil.rmtree(aside, ignore_errors=True)


def render_project(
    root: Path,
    names: Sequence[str] = (),
    *,
    output: Path | None = None,
    engine: str | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    drafts: bool = False,
    progress: Callable[[Any], None] | None = None,
    shard: tuple[int, int] | None = None,
) -> RenderRun:
    """Render the project's episodes (or those named) with the settings of ``amacast.toml``.

    ``names`` are episode files, their names in ``episodes/`` (with or without ``.md``)
    or slugs; by default every episode.  Drafts are left out unless ``drafts``, named or
    not.  ``engine`` overrides ``[audio] engine``, ``cache_dir`` the segment cache
    (``[audio] cache_dir``).  Problems are found by :func:`~amacast.build.checks.check_project`,
    as a build finds them (reported for the episodes rendered); episodes with errors are
    left out, the rest rendered.  Engine failures raise :class:`RenderError` naming the turn.

    Without ``output`` or ``shard`` the audio goes to the render folder
    (see the module's documentation), under the build lock: raises
    :class:`~amacast.build.lock.BuildRunning` while a build runs, and
    :class:`~amacast.build.signals.BuildInterrupted` on SIGTERM.  ``shard``
    ``(K, N)`` renders only the episodes of shard K of N
    (:func:`amacast.build.shards.shard_of`) into ``output`` with a manifest,
    so that ``amacast publish --audio-from`` adopts the audio; raises
    :class:`RenderRefused` when ``output`` is a build's output.
    """
    # Start-up: the audio side (numpy, the engines) loads only when a render runs.
    from amacast.audio.engines.registry import engine_names
    from amacast.audio.plan import RenderError

    if engine is not None and engine not in engine_names():
        raise RenderError(f"unknown engine {engine!r} (known: {', '.join(engine_names())})")
    chosen, missing = _select(root, names)
    files = list(dict.fromkeys([*project_episodes(root), *chosen]))
    ahead = output is None and shard is None
    checked, episodes = check_project(
        root, files, drafts=drafts, required=(), engine=engine, settle=ahead
    )
    settings = checked.settings
    wanted = {str(path) for path in chosen} if names else {e.path for e in episodes}
    shown = {_shown(root, path) for path in wanted}
    published = [e for e in checked.published if e.path in wanted]
    if shard is not None:
        mine = in_shard(published, lambda e: e.slug, *shard)
        others = {e.path for e in published} - {e.path for e in mine}
        shown -= {_shown(root, path) for path in others}
        other_shards = tuple(e.slug for e in published if e.path in others)
        published = mine
    else:
        other_shards = ()
    by_path = {e.path: e for e in episodes}
    settings_problems = checked.diagnostics[: checked.settings_count]
    diagnostics = [
        *settings_problems,
        *missing,
        *(d for d in checked.diagnostics[checked.settings_count :] if d.path in shown),
    ]
    broken = {d.path for d in diagnostics if d.severity == "error"}
    skipped = tuple(e.slug for e in episodes if e.path in wanted and e.draft and not drafts)
    left_out = tuple(
        slug
        for slug, path in [(e.slug, e.path) for e in episodes if e.path in wanted]
        if _shown(root, path) in broken and slug not in skipped
    )
    if any(d.severity == "error" for d in settings_problems):
        return RenderRun({}, tuple(diagnostics), left_out, skipped, other_shards)
    good = [
        by_path[e.path] if not ahead else with_identity(by_path[e.path], checked.identities[e.path])
        for e in published
        if _shown(root, e.path) not in broken
    ]
    render = functools.partial(_render, root, settings, good, jobs=jobs, cache_dir=cache_dir)
    where = None if ahead else output
    infos, folder = _render_where(root, settings, good, render, where, shard, progress)
    return RenderRun(infos, tuple(diagnostics), left_out, skipped, other_shards, folder)


def _render_where(
    root: Path,
    settings: Settings,
    good: Sequence[Episode],
    render: Callable[..., dict[str, AudioInfo]],
    output: Path | None,
    shard: tuple[int, int] | None,
    progress: Callable[[Any], None] | None,
) -> tuple[dict[str, AudioInfo], Path]:
    """Render into the render folder under the build lock, or into ``output`` (a shard's)."""
    cache = project_cache_folder(root, settings.audio)
    if output is None:  # ahead of a build (no shard)
        with (
            lock_output(root / "output", cache),
            terminate_as_exception(),
            _making(cache) as folder,
        ):
            infos = render(folder=folder, progress=progress)
            _keep(root, settings, cache, folder, good, infos)
        return infos, rendered_folder(cache)
    _refuse(root, output, cache)
    infos = render(folder=output, progress=progress)
    if shard is not None:
        output.mkdir(parents=True, exist_ok=True)
        write_audio_manifest(output, _audio_keys(root, settings, good, infos), infos)
    return infos, output


def _render(
    root: Path,
    settings: Settings,
    episodes: Sequence[Episode],
    folder: Path,
    jobs: int | None,
    cache_dir: Path | None,
    progress: Callable[[Any], None] | None,
) -> dict[str, AudioInfo]:
    """The narration of ``episodes`` into ``folder``, as a build renders it."""
    if not episodes:
        return {}
    # Start-up: the audio side (numpy, the engines) loads only when a render runs.
    from amacast.audio import jobs as render_jobs
    from amacast.audio.plan import PodcastMeta
    from amacast.audio.voices import episode_voices

    render_settings = settings.render
    voices = {e.slug: episode_voices(settings, e)[0] for e in episodes}
    image = None
    if settings.image and not settings.image_is_remote:
        image = root / settings.image
    podcast = PodcastMeta(title=settings.title, author=settings.author, image=image)
    return render_jobs.render_episodes(
        episodes,
        voices,
        render_settings,
        folder,
        render_jobs.cache_folder(root, render_settings, cache_dir),
        podcast=podcast,
        jobs=jobs,
        progress=progress,
    )


@contextlib.contextmanager
def _making(cache: Path) -> Iterator[Path]:
    """A fresh folder to render into, gone afterwards; what killed renders left is removed."""
    with os.scandir(cache) as entries:
        for entry in entries:
            if entry.name.startswith(_NEW) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=_NEW, dir=cache))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _keep(
    root: Path,
    settings: Settings,
    cache: Path,
    folder: Path,
    episodes: Sequence[Episode],
    infos: Mapping[str, AudioInfo],
) -> None:
    """Make ``folder`` the render folder: what the old one held besides, a manifest, one swap."""
    keys = _audio_keys(root, settings, episodes, infos)
    audio = dict(infos)
    live = rendered_folder(cache)
    before = read_manifest(live)
    for slug, entry in before.get("episodes", {}).items():
        if slug in audio or not isinstance(entry, dict):
            continue
        still = current_audio(before, live, slug, str(entry.get("audio_key", "")))
        if still is None:
            continue
        for relative in still[1]:
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(live / relative, target)
        keys[slug] = str(entry["audio_key"])
        audio[slug] = still[0]
    if not audio:
        return
    write_audio_manifest(folder, keys, audio)
    if not os.path.lexists(live):
        os.rename(folder, live)
        folder.mkdir()  # for _making to remove
    elif not exchange(folder, live):
        aside = Path(tempfile.mkdtemp(prefix=_NEW, dir=cache))
        os.rename(live, aside / RENDERED)  # absent until the next rename
        os.rename(folder, live)
        folder.mkdir()
        shutil.rmtree(aside, ignore_errors=True)


def _audio_keys(
    root: Path, settings: Settings, episodes: Sequence[Episode], infos: Mapping[str, AudioInfo]
) -> dict[str, str]:
    """Each rendered episode's audio key, as a build computes it (the engine used included)."""
    digest = cover_hash(root, settings)
    return {e.slug: audio_key(e, settings, digest) for e in episodes if e.slug in infos}


def _refuse(root: Path, folder: Path, cache: Path) -> None:
    """Refuse to render into a build's output, or a folder that holds the project."""
    refuse_output(folder, root, cache)
    manifest = read_manifest(folder)
    if Path(os.path.realpath(folder)) == Path(os.path.realpath(root / "output")) or (
        "generation" in manifest
    ):
        raise RenderRefused(
            f"{folder} is a build's output, which only a build changes: render without "
            "--output (the next build adopts the audio), or choose a folder of its own"
        )


def _shown(root: Path, path: str | Path) -> str:
    """A path as diagnostics carry it: relative to the project when inside it."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)


def _select(root: Path, names: Sequence[str]) -> tuple[list[Path], list[Diagnostic]]:
    """Episode files by path, file stem or slug; all of ``episodes/`` when none are named."""
    # Start-up: the Markdown parser loads only when episodes are named by slug.
    from amacast.transcript.parse import parse_episode

    files = project_episodes(root)
    if not names:
        return files, []
    chosen: list[Path] = []
    problems: list[Diagnostic] = []
    slugs: dict[str, Path] | None = None
    for name in names:
        path = Path(name)
        if not path.is_absolute():
            path = root / path
        if path.is_file():
            chosen.append(Path(os.path.abspath(path)))
            continue
        # A file name in episodes/, with or without its suffix.
        match = [f for f in files if name in (f.name, f.stem)]
        if not match:
            if slugs is None:
                slugs = {parse_episode(f).slug: f for f in files}
            match = [slugs[name]] if name in slugs else []
        if match:
            chosen.extend(match)
        else:
            problems.append(
                Diagnostic(
                    name,
                    1,
                    1,
                    "unknown-episode",
                    "error",
                    f"no episode {name!r} (not a file, a file name in episodes/ or a slug)",
                    "see `ls episodes/`",
                )
            )
    return list(dict.fromkeys(chosen)), problems
