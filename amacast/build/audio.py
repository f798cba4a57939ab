"""Which episodes get audio and where it comes from: kept, adopted from shards, or rendered.

An episode whose audio key (:func:`amacast.build.keys.audio_keyer`) is the one
the live output's manifest lists keeps its MP3 and sidecars; one whose key a
shard's manifest lists (``--audio-from``) adopts that shard's files; the rest
are narrated by the renderer (:mod:`amacast.audio.jobs`) into the build's
scratch folder.  Nothing here writes into ``output/``: the commit does.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amacast.build.manifest import current_audio, read_manifest
from amacast.config import Settings
from amacast.model import AudioInfo, Diagnostic, Episode, Listing

Progress = Callable[[str], None]
AudioRenderer = Callable[[Sequence[Episode], Settings, Path], Mapping[str, AudioInfo]]
"""Renders episodes into a folder (``audio/<slug>.mp3`` and its sidecars, paths
relative to that folder) and returns what it made by slug; raises on failure."""


def audio_enabled(settings: Settings) -> bool:
    """``[audio] enabled`` of the settings; on when not given."""
    return bool(settings.audio.get("enabled", True))


@dataclass
class AudioPlan:
    """What a build does about each published episode's audio."""

    #: Audio key by slug, for every episode that has or gets audio.
    keys: dict[str, str] = field(default_factory=dict)
    #: AudioInfo by slug of the audio kept or adopted.
    infos: dict[str, AudioInfo] = field(default_factory=dict)
    #: Hashes of the files kept or adopted, as their manifests give them.
    files: dict[str, str] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    #: Notes for ``--audio-from`` folders without a readable manifest.
    notes: list[str] = field(default_factory=list)
    #: The episodes to render, as listed (loaded whole when rendered).
    to_render: list[Listing | Episode] = field(default_factory=list)

    @property
    def to_render_slugs(self) -> list[str]:
        """The slugs of :attr:`to_render`."""
        return [e.slug for e in self.to_render]


def plan_audio(
    episodes: Sequence[Episode | Listing],
    keyer: Callable[[str], str],
    previous: Mapping[str, Any],
    output: Path,
    with_audio: bool,
    audio_from: Sequence[Path],
    scratch: Callable[[], Path],
) -> AudioPlan:
    """Keep, adopt (linked into ``scratch()``) or plan to render each episode's audio.

    Audio that is still current is kept even when the build renders none
    (``amacast build``), so a build after a publish keeps the enclosures.
    """
    plan = AudioPlan()
    shards = [(Path(folder), read_manifest(Path(folder))) for folder in audio_from]
    plan.notes = [
        f"--audio-from {folder}: no readable manifest, nothing adopted from it"
        for folder, manifest in shards
        if not manifest
    ]
    for episode in episodes:
        key = keyer(episode.source_hash)
        still = current_audio(previous, output, episode.slug, key)
        if still is not None:
            plan.reused.append(episode.slug)
        else:
            for folder, manifest in shards:
                still = current_audio(manifest, folder, episode.slug, key)
                if still is not None:
                    _link_into(folder, still[1], scratch())
                    plan.adopted.append(episode.slug)
                    break
        if still is not None:
            plan.keys[episode.slug] = key
            plan.infos[episode.slug] = still[0]
            plan.files.update(still[1])
        elif with_audio:
            plan.keys[episode.slug] = key
            plan.to_render.append(episode)
    return plan


def _link_into(folder: Path, files: Iterable[str], scratch: Path) -> None:
    """Link (or copy) these files of ``folder`` into the build's scratch folder."""
    for relative in files:
        target = scratch / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(folder / relative, target)
        except OSError:
            shutil.copy2(folder / relative, target)


def default_renderer(
    root: Path,
    progress: Progress | None = None,
    render_progress: Callable[[Any], None] | None = None,
) -> AudioRenderer:
    """The configured narration (:mod:`amacast.audio.jobs`), on every core, cached.

    ``render_progress`` receives each :class:`~amacast.audio.jobs.RenderProgress`;
    without it, ``progress`` gets a line every 5%.
    """

    def render(
        episodes: Sequence[Episode], settings: Settings, output: Path
    ) -> Mapping[str, AudioInfo]:
        # The audio side is imported only by builds that render.
        from amacast.audio.jobs import RenderProgress, cache_folder, render_episodes
        from amacast.audio.plan import PodcastMeta
        from amacast.audio.voices import assign_voices

        render_settings = settings.render
        voices = {
            e.slug: assign_voices(e, settings.voices, render_settings.engine)[0] for e in episodes
        }
        image = None
        if settings.image and not settings.image_is_remote:
            image = root / settings.image
        podcast = PodcastMeta(title=settings.title, author=settings.author, image=image)
        last = [-1]

        def report(state: RenderProgress) -> None:
            # A line every 5%, and the last one once every episode is assembled.
            step = int(state.fraction * 20) + (state.episodes_done == state.episodes_total)
            if progress is not None and step != last[0]:
                last[0] = step
                progress(
                    f"audio: {state.fraction:.0%} ({state.episodes_done}/{state.episodes_total}"
                    f" episodes, {state.segments_done}/{state.segments_total} segments)"
                )

        return render_episodes(
            episodes,
            voices,
            render_settings,
            output,
            cache_folder(root, render_settings),
            podcast=podcast,
            progress=render_progress or report,
        )

    return render


def relative_to(diagnostic: Diagnostic, root: Path) -> Diagnostic:
    """``diagnostic`` with its path relative to the project, when it is inside it."""
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
