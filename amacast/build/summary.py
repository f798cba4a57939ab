"""Results of builds that write nothing, and the notes of one that does.

A dry run says what a build would do; an output made from the same inputs
is reported as it is; size warnings near GitHub Pages' limits.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from amacast.build import keys as key
from amacast.build.audio import AudioPlan
from amacast.build.manifest import MANIFEST, kept_audio_entries
from amacast.build.result import BuildResult, Run, with_episode_notes
from amacast.config import Settings
from amacast.model import Diagnostic, Episode, Listing

#: GitHub Pages: a published site may be at most 1 GB, a file in a repository 100 MB.
PAGES_SITE_LIMIT = 1_000_000_000
PAGES_FILE_LIMIT = 100_000_000
#: Warn from this share of a limit on.
NEAR_LIMIT = 0.8


def dry_run_result(
    run: Run,
    previous: Mapping[str, Any],
    good: Sequence[Episode | Listing],
    plan: AudioPlan,
    diagnostics: Sequence[Diagnostic],
    bad: tuple[str, ...],
    skipped: tuple[str, ...],
) -> BuildResult:
    """What a build would do: audio to render, pages to write, episodes' files to remove.

    A page counts as changed unless the output holds it, made from the same
    transcript and audio (pages whose only change is the site's settings or
    templates count as unchanged here).
    """
    from amacast.site.links import episode_page_path  # as every build that gets this far

    manifest_episodes = previous.get("episodes", {}) if previous else {}
    old_files = previous.get("files", {}) if previous else {}
    published = {e.slug for e in good}
    changed = tuple(
        e.slug
        for e in good
        if e.slug in plan.to_render_slugs
        or episode_page_path(e.slug) not in old_files
        or _source_changed(previous, e)
    )
    gone = {
        relative
        for relative in old_files
        if relative.startswith("episodes/") and relative.split("/")[1] not in published
    }
    for slug, entry in manifest_episodes.items():
        if slug not in published and isinstance(entry, dict):
            gone.update(str(f) for f in entry.get("files", ()))
    return BuildResult(
        settings=run.settings,
        output=run.output,
        diagnostics=tuple(diagnostics),
        notes=tuple(with_episode_notes([], bad, skipped)),
        published=tuple(e.slug for e in good),
        rendered=tuple(plan.to_render_slugs),
        reused=tuple(plan.reused),
        adopted=tuple(plan.adopted),
        left_out=bad,
        drafts_skipped=skipped,
        removed=tuple(sorted(gone)),
        changed=changed,
        dry_run=True,
    )


def _source_changed(previous: Mapping[str, Any], episode: Episode | Listing) -> bool:
    """True when the output's last build did not publish this transcript as it is now."""
    recorded = previous.get("build", {}).get("sources", {}) if previous else {}
    return recorded.get(episode.slug) != episode.source_hash


def size_warnings(sizes: Mapping[str, int], settings: Settings) -> list[str]:
    """Warnings when the site (file -> bytes) nears GitHub Pages' limits (1 GB, 100 MB a file)."""
    warnings: list[str] = []
    hint = (
        "host the MP3s elsewhere (e.g. release assets) and set audio_base_url in amacast.toml"
        if not settings.audio_base_url
        else "audio_base_url is set: keep the MP3s out of the Pages site"
    )
    total = sum(sizes.values())
    for relative, size in sizes.items():
        if size >= PAGES_FILE_LIMIT * NEAR_LIMIT:
            warnings.append(
                f"{relative} is {size / 1e6:.0f} MB; GitHub allows at most "
                f"{PAGES_FILE_LIMIT / 1e6:.0f} MB a file: {hint}"
            )
    if total >= PAGES_SITE_LIMIT * NEAR_LIMIT:
        warnings.append(
            f"the site is {total / 1e6:.0f} MB; GitHub Pages allows at most "
            f"{PAGES_SITE_LIMIT / 1e9:.0f} GB: {hint}"
        )
    return warnings


def unchanged_output(
    run: Run, previous: Mapping[str, Any], inputs: str, diagnostics: Sequence[Diagnostic]
) -> BuildResult | None:
    """The result the build that made the output had, when it read exactly ``inputs``.

    Its diagnostics (after ``diagnostics``, those of the settings) and notes
    come from the manifest; every file the manifest lists must still be there
    with its size (:func:`current_output`).  None when anything differs.
    """
    build = previous.get("build") if previous else None
    if not isinstance(build, dict) or build.get("inputs") != inputs:
        return None
    current = current_output(previous, run.output, str(build.get("key", "")))
    recorded = build.get("result")
    if current is None or not isinstance(recorded, dict):
        return None
    try:
        found = [Diagnostic(**d) for d in recorded["diagnostics"]]
        left_out = tuple(str(slug) for slug in recorded["left_out"])
        skipped = tuple(str(slug) for slug in recorded["drafts_skipped"])
        published = tuple(str(slug) for slug in recorded["published"])
    except (KeyError, TypeError):
        return None
    return as_it_is(run, previous, current, [*diagnostics, *found], published, left_out, skipped)


def as_it_is(
    run: Run,
    previous: Mapping[str, Any],
    current: tuple[list[str], int],
    diagnostics: Sequence[Diagnostic],
    published: Sequence[str],
    left_out: Sequence[str],
    skipped: Sequence[str],
) -> BuildResult:
    """The result of a build that leaves the output as it is (``current``: notes, size)."""
    return BuildResult(
        settings=run.settings,
        output=run.output,
        diagnostics=tuple(diagnostics),
        notes=tuple(with_episode_notes(current[0], left_out, skipped)),
        published=tuple(published),
        reused=tuple(slug for slug in published if slug in previous["episodes"]),
        left_out=tuple(left_out),
        drafts_skipped=tuple(skipped),
        files=dict(previous["files"]),
        total_bytes=current[1],
        swapped=not run.dry_run,
        dry_run=run.dry_run,
    )


def current_output(
    previous: Mapping[str, Any], output: Path, build_key: str
) -> tuple[list[str], int] | None:
    """The notes and total size of ``output`` when it was built from ``build_key``, else None.

    Every file the manifest lists must still be there, with the total size
    it had (a file edited by hand is rebuilt).
    """
    build = previous.get("build") if previous else None
    if not build_key or not isinstance(build, dict) or build.get("key") != build_key:
        return None
    files = previous.get("files", {})
    try:
        size = 0
        for relative in files:
            info = os.stat(output / relative)
            if not stat.S_ISREG(info.st_mode):
                return None
            size += info.st_size
        manifest_size = (output / MANIFEST).stat().st_size
    except OSError:
        return None
    if size != build.get("bytes"):
        return None
    return [str(note) for note in build.get("notes", [])], size + manifest_size


def same_output(
    run: Run,
    previous: Mapping[str, Any],
    site: str,
    keyer: Callable[[str], str],
    chosen: tuple[Sequence[Listing], tuple[str, ...], tuple[str, ...]],
    diagnostics: Sequence[Diagnostic],
) -> BuildResult | None:
    """The result of a build with nothing to write: the output's inputs are these; else None.

    ``chosen``: the episodes published, those left out, the drafts skipped.
    """
    if run.audio_from:
        return None
    good, bad, skipped = chosen
    kept = kept_audio_entries(
        [(e.slug, e.source_hash) for e in good], previous, keyer, run.with_audio
    )
    current = None
    if kept is not None:
        current = current_output(previous, run.output, key.build_key(site, good, kept))
    if current is None:
        return None
    run.say("output is up to date")
    published = tuple(e.slug for e in good)
    return as_it_is(run, previous, current, diagnostics, published, bad, skipped)
