"""The pipeline: settings → sources → episodes → diagnostics → audio → feeds ‖ site → commit.

:func:`build_all` is what ``amacast build`` and ``amacast publish`` run, read
top to bottom.  The stages it calls (:mod:`amacast.transcript.parse`, :mod:`amacast.feeds`,
:mod:`amacast.site.pages`, the audio side) are functions of episodes and settings;
what changed, what can be reused and what runs in parallel is decided here
and in the modules beside this one:

- :mod:`~amacast.build.sources` keys each transcript (by its noted size and
  times when unchanged) and parses the new ones on every core;
- :mod:`~amacast.build.pack` keeps what the last build made of each episode
  (listing, diagnostics, feed entries, index entry) in the state store
  (:mod:`~amacast.build.state`, SQLite of plain data);
- :mod:`~amacast.build.keys` says what each part is made from: a page, an
  episode's audio, the whole output;
- :mod:`~amacast.build.audio` keeps, adopts or renders each episode's audio;
- :mod:`~amacast.build.pages` renders pages in worker processes;
- :mod:`~amacast.build.output` holds the lock, and puts the new generation
  of ``output/`` live in one step: killed at any instant, ``output/`` is the
  last good build or the new one.

When what a build reads before parsing is what the build that made the
output read, and the output is whole, nothing is parsed or written: the
diagnostics and notes of that build are reported again.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import gc
import hashlib
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from amacast.build import keys as key
from amacast.build import state
from amacast.build.audio import (
    AudioRenderer,
    Progress,
    audio_enabled,
    default_renderer,
    plan_audio,
)
from amacast.build.checks import check_episodes, check_settings
from amacast.build.identity import Identity, with_identity
from amacast.build.index import EarlyPages, index_entries, index_page, pages_site_key
from amacast.build.manifest import (
    MANIFEST,
    episode_entries,
    hash_file,
    kept_audio_entries,
    manifest_data,
    read_manifest,
)
from amacast.build.output import (
    BuildInterrupted,
    BuildRunning,
    Generation,
    OutputRefused,
    lock_output,
    refuse_output,
    remove_leftovers,
    terminate_as_exception,
)
from amacast.build.pack import BuildPack, Episodes, load_pack, pack_key, save_pack
from amacast.build.pages import pages_rendering
from amacast.build.rendered import forget_rendered, rendered_audio
from amacast.build.result import BuildResult, Run, has_errors, with_episode_notes
from amacast.build.sources import project_cache_folder, read_sources, sources_digest
from amacast.build.summary import (
    as_it_is,
    current_output,
    dry_run_result,
    size_warnings,
    unchanged_output,
)
from amacast.errors import AmacastError
from amacast.model import Diagnostic, Episode, Listing, whole
from amacast.transcript.files import project_episodes

P = ParamSpec("P")
R = TypeVar("R")


class BuildError(AmacastError):
    """A step failed after the build started; the previous output is untouched."""


def _collector_spared(function: Callable[P, R]) -> Callable[P, R]:
    """Undo, when ``function`` returns, the ``gc.freeze()`` made while it ran.

    And once per process, spare the collector its walk at exit
    (:func:`_frozen_at_exit`).
    """

    @functools.wraps(function)
    def spared(*args: P.args, **kwargs: P.kwargs) -> R:
        _frozen_at_exit()
        frozen_before = gc.get_freeze_count()
        try:
            return function(*args, **kwargs)
        finally:
            if not frozen_before and gc.get_freeze_count():
                gc.unfreeze()

    return spared


@functools.cache
def _frozen_at_exit() -> None:
    """Have the cyclic collector skip, when the interpreter exits, every object left.

    After clearing its modules Python collects once more, walking every
    object the process still holds (some 40 ms of CPU time after a rebuild
    that changed one episode), though nothing it frees matters once the
    process ends; objects are still freed as their last reference goes.  Registered
    with :mod:`atexit`, so a process that builds many times (``amacast serve
    --watch``, tests) collects as usual while it runs.
    """
    atexit.register(gc.freeze)


@_collector_spared
def build_all(
    root: Path,
    output: Path,
    *,
    audio: bool | None = None,
    drafts: bool = False,
    keep_going: bool = False,
    overrides: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    renderer: AudioRenderer | None = None,
    audio_from: Sequence[Path] = (),
    dry_run: bool = False,
    render_progress: Callable[[Any], None] | None = None,
    found: Callable[[Sequence[Diagnostic]], None] | None = None,
) -> BuildResult:
    """Build the project at ``root`` into ``output``, all or nothing.

    ``audio`` None follows ``[audio] enabled`` (default on); False renders
    nothing but keeps the MP3s of unchanged episodes (what ``amacast build``
    does); ``renderer`` replaces the configured narration (tests use it).
    ``audio_from`` are folders of audio rendered elsewhere (``amacast render
    --shard``), adopted where their audio key matches.  ``dry_run`` stops
    before any audio work or output byte and says what a build would do
    (:attr:`BuildResult.rendered`, :attr:`~BuildResult.changed`,
    :attr:`~BuildResult.removed`).  ``render_progress`` receives the
    narration's progress (:class:`amacast.audio.jobs.RenderProgress`).
    ``found`` is called once with every problem known before the audio work
    starts (settings, transcripts, voices), so they are seen before minutes
    of rendering; the result lists them all the same.  Input errors return a
    result with ``ok`` False and leave ``output`` as it was; a failure while
    building raises :class:`BuildError` (the cause chained), and another
    build running, an output that holds the project, or SIGTERM raise the
    :class:`~amacast.build.output.OutputError` that says so; ``output`` stays
    as it was.
    """
    root = Path(root)
    output = output if Path(output).is_absolute() else root / output
    settings, diagnostics = check_settings(root, overrides)  # 1. settings
    if has_errors(diagnostics):
        return BuildResult(settings=settings, output=output, diagnostics=tuple(diagnostics))
    cache = project_cache_folder(root, settings.audio)
    run = Run(
        root=root,
        output=output,
        settings=settings,
        cache=cache,
        say=progress or (lambda _message: None),
        with_audio=audio_enabled(settings) if audio is None else audio,
        drafts=drafts,
        keep_going=keep_going,
        # What `amacast render` left for this build is adopted as a shard's audio is.
        audio_from=(*(Path(folder) for folder in audio_from), *rendered_audio(cache)),
        renderer=renderer,
        dry_run=dry_run,
        render_progress=render_progress,
        found=found or (lambda _diagnostics: None),
    )
    refuse_output(output, root, run.cache)
    with lock_output(output, run.cache), terminate_as_exception():
        try:
            left = remove_leftovers(output, dry_run=dry_run)  # of earlier versions
            result = _build(run, diagnostics)
            if result.swapped and not dry_run and rendered_audio(run.cache):
                forget_rendered(run.cache)  # the output holds what matched
            if left:
                said = "would remove" if dry_run else "removed"
                more = f" and {len(left) - 5} more" if len(left) > 5 else ""
                note = f"{said} what an earlier amacast left: {', '.join(left[:5])}{more}"
                result = dataclasses.replace(result, notes=(note, *result.notes))
            return result
        except (BuildRunning, BuildInterrupted, OutputRefused, KeyboardInterrupt):
            raise
        except Exception as error:
            shown = output.relative_to(root) if output.is_relative_to(root) else output
            raise BuildError(f"the build failed, {shown} is unchanged: {error}") from error


def _build(run: Run, diagnostics: list[Diagnostic]) -> BuildResult:
    """The pipeline's steps under the lock; see the module's documentation."""
    settings_problems = len(diagnostics)
    sources = read_sources(project_episodes(run.root), cache_dir=run.cache)  # 2. sources
    try:
        image: tuple[str, bytes] | OSError | None = key.cover(run.root, run.settings)
    except OSError as error:  # raised where a writing build needs the cover
        image = error
    cover_digest = "unreadable" if isinstance(image, OSError) else key.cover_digest(image)
    site = key.site_key(run.root, run.settings, cover_digest)
    flags = (run.drafts, run.keep_going, run.with_audio)
    inputs = key.inputs_key(site, sources_digest(sources), flags)
    Generation.recover(run.output, run.cache)  # what killed builds left
    previous = read_manifest(run.output)
    if not run.audio_from:
        same = unchanged_output(run, previous, inputs, diagnostics)
        if same is not None:
            run.say("output is up to date")
            return same
    generation = Generation.open(run.output, run.cache, run.root, manifest=previous)
    try:
        return _make(
            run,
            generation,
            sources,
            previous,
            (site, inputs),
            (image, cover_digest),
            diagnostics,
            settings_problems,
        )
    finally:
        generation.discard()  # nothing, once committed; else none of it goes live


def _make(
    run: Run,
    generation: Generation,
    sources: Sequence[Any],
    previous: Mapping[str, Any],
    keys: tuple[str, str],
    cover: tuple[tuple[str, bytes] | OSError | None, str],
    diagnostics: list[Diagnostic],
    settings_problems: int,
) -> BuildResult:
    settings = run.settings
    site, inputs = keys  # the site key, and the key of everything read before parsing
    image, cover_digest = cover  # the cover as read once, and its hash
    if isinstance(image, OSError):
        raise image
    pack = load_pack(run.cache, pack_key(site))
    keyer = key.audio_keyer(settings, cover_digest)
    from amacast.site.pages import (  # a build that writes nothing never loads it
        Pages,
        episode_page_path,
    )

    pages = Pages(settings, run.root / key.TEMPLATES_DIR)
    # Pages link the podcast feed only when one is written (an episode has audio): a guess
    # for the pages rendered before the audio is known, which page keys tell apart.
    pages.show_podcast_feed(run.with_audio or bool(previous.get("episodes")))
    early = None if run.audio_from else EarlyPages(pages, previous, run, keyer, site, generation)
    episodes = Episodes(  # 3. episodes: listed, and loaded whole where new or changed
        sources, run.cache, pack, settings.timezone, early.make if early else None
    )
    if not gc.get_freeze_count():
        # A million objects live until the end of the build and hold no garbage:
        # spare the cyclic collector walking them again (undone when build_all returns).
        gc.freeze()

    checked = check_episodes(  # 4. every problem, as `validate` finds them
        run.root,
        settings,
        episodes.listed,
        episodes.own,
        episodes.full,
        cache=run.cache,
        drafts=run.drafts,
        with_audio=run.with_audio,
    )
    diagnostics += checked.diagnostics
    skipped, bad = checked.drafts_skipped, checked.left_out
    if checked.stops(run.keep_going):
        return BuildResult(
            settings=settings,
            output=run.output,
            diagnostics=tuple(diagnostics),
            left_out=bad,
            drafts_skipped=skipped,
        )
    selected = [e for e in episodes.listed if run.drafts or not e.draft]
    identities, moves, known = checked.identities, checked.moves, checked.remembered
    publishing = {e.path for e in checked.published}
    good = [with_identity(e, identities[e.path]) for e in selected if e.path in publishing]
    full = _with_identities(episodes.full, identities)
    if not run.audio_from:  # the same inputs as the output's: nothing to write at all
        kept = kept_audio_entries(
            [(e.slug, e.source_hash) for e in good], previous, keyer, run.with_audio
        )
        current = None
        if kept is not None:
            current = current_output(previous, run.output, key.build_key(site, good, kept))
        if current is not None:
            run.say("output is up to date")
            published = tuple(e.slug for e in good)
            return as_it_is(run, previous, current, diagnostics, published, bad, skipped)

    run.found(diagnostics)
    plan = plan_audio(  # 5. audio
        good,
        keyer,
        previous,
        run.output,
        run.with_audio,
        run.audio_from,
        lambda: generation.scratch,
    )
    if run.dry_run:
        return dry_run_result(run, previous, good, plan, diagnostics, bad, skipped)
    if run.with_audio:
        from_shards = f"{len(plan.adopted)} adopted, " if run.audio_from else ""
        run.say(
            f"audio: {len(plan.reused)} unchanged, {from_shards}{len(plan.to_render)} to render"
        )
        if plan.to_render:
            render = run.renderer or default_renderer(run.root, run.say, run.render_progress)
            to_render = [whole(e, full) for e in plan.to_render]
            made = render(to_render, settings, generation.scratch)
            plan.infos.update((e.slug, made[e.slug]) for e in to_render)
    audio = {e.slug: plan.infos[e.slug] for e in good if e.slug in plan.infos}
    pages.show_podcast_feed(bool(audio))
    page_site = pages_site_key(site, pages)
    page_keys = {e.slug: key.page_key(page_site, e, audio.get(e.slug)) for e in good}
    made_early = early.used(episodes, selected, good, page_keys) if early else {}
    old_pages = previous.get("build", {}).get("pages", {}) if previous else {}
    old_files = generation.previous
    noted_pages = pack.pages if pack.output == str(run.output) else {}
    kept_pages = {
        slug
        for slug, page in page_keys.items()
        if slug not in made_early
        and old_pages.get(slug) == page
        and episode_page_path(slug) in old_files
        and _as_written(run.output, episode_page_path(slug), noted_pages)
    }
    to_page = [
        whole(e, full) for e in good if e.slug not in kept_pages and e.slug not in made_early
    ]
    kept_views = {**pack.views, **{k: v for k, v, _w in made_early.values() if v is not None}}
    with pages_rendering(pages, to_page, audio, generation.scratch) as rendered_pages:  # 6.
        run.say("feeds: atom.xml, podcast.xml")
        from amacast.feeds import build_feeds  # as Pages: a build writing nothing never loads it

        feeds = build_feeds(good, settings, audio, kept=pack.fragments, full=full)
        files: dict[str, bytes] = {"atom.xml": feeds.atom}
        if feeds.podcast is not None:  # no podcast.xml while no episode has audio
            files["podcast.xml"] = feeds.podcast
        if image is not None:
            files[image[0]] = image[1]
        views = index_entries(pages, good, audio, kept_views, full)
        files["index.html"] = index_page(pages, views, pack.views)
        from amacast.site.pages import redirect_pages, static_files  # as Pages above

        files.update(static_files(run.root / key.TEMPLATES_DIR))
        files.update(redirect_pages(moves, settings))
        run.say(f"site: {len(good) - len(kept_pages)} episode page(s), {len(kept_pages)} unchanged")
        written = rendered_pages()
    for _key, _view, page in made_early.values():
        written.update(page)

    made_hashes = {**plan.files, **written}
    brought = _bring_scratch(generation, made_hashes)  # 7. commit
    generation.put(files)
    hashes = {
        **{episode_page_path(slug): old_files[episode_page_path(slug)] for slug in kept_pages},
        **plan.files,
        **{relative: digest for relative, (digest, _size) in brought.items()},
        **{relative: _sha(content) for relative, content in files.items()},
    }
    hashes = dict(sorted(hashes.items()))
    old_sizes = previous.get("build", {}).get("sizes", {}) if previous else {}
    sizes = {
        relative: len(files[relative])
        if relative in files
        else brought[relative][1]
        if relative in brought
        else _old_size(run.output, relative, old_sizes)
        for relative in hashes
    }
    notes = [*feeds.notes, *size_warnings(sizes, settings)]
    entries = episode_entries(plan.keys, audio, hashes)
    build = {
        "key": key.build_key(site, good, entries),
        "notes": notes,
        "bytes": sum(sizes.values()),
        "sizes": sizes,
        "pages": dict(sorted(page_keys.items())),
        "sources": {e.slug: e.source_hash for e in good},
        "inputs": inputs,
        "result": {
            "diagnostics": [d.as_dict() for d in diagnostics[settings_problems:]],
            "left_out": list(bad),
            "drafts_skipped": list(skipped),
            "published": [e.slug for e in good],
        },
    }
    generation.commit(hashes, manifest_data(entries, build))
    page_notes = {
        path: (noted_pages[path] if slug in kept_pages else _size_and_time(run.output / path))
        for slug, path in ((slug, episode_page_path(slug)) for slug in page_keys)
    }
    kept_for_next = BuildPack(
        pack.key,
        episodes.kept,
        feeds.fragments,
        views if pages.lean else {},
        str(run.output),
        page_notes,
    )
    save_pack(run.cache, kept_for_next, pack)
    if known is not None:  # else the state has them as they are
        state.remember_identities(run.cache, known)
    return BuildResult(
        settings=settings,
        output=run.output,
        diagnostics=tuple(diagnostics),
        notes=tuple([*with_episode_notes(notes, bad, skipped), *plan.notes]),
        published=tuple(e.slug for e in good),
        rendered=tuple(e.slug for e in plan.to_render),
        reused=tuple(plan.reused),
        adopted=tuple(plan.adopted),
        left_out=bad,
        drafts_skipped=skipped,
        removed=tuple(sorted(set(old_files) - set(hashes))),
        changed=tuple(e.slug for e in good if e.slug not in kept_pages),
        files=hashes,
        total_bytes=sum(sizes.values()) + (run.output / MANIFEST).stat().st_size,
        swapped=True,
    )


def _bring_scratch(generation: Generation, known: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    """Move every file of the scratch folder into the generation; each one's hash and size."""
    moved = generation.put_tree(generation.scratch)
    return {
        relative: (known.get(relative) or hash_file(Path(place)), size)
        for relative, (place, size) in moved.items()
    }


def _with_identities(
    full: Callable[[Listing], Episode], identities: Mapping[str, Identity]
) -> Callable[[Listing], Episode]:
    """``full`` giving each whole episode the identity it was settled with."""
    return lambda listing: with_identity(full(listing), identities[listing.path])


def _scratch(generation: Generation) -> Callable[[], Path]:
    return lambda: generation.scratch


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _old_size(output: Path, relative: str, sizes: Mapping[str, Any]) -> int:
    size = sizes.get(relative)
    return size if isinstance(size, int) else os.stat(output / relative).st_size


def _size_and_time(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def _as_written(output: Path, relative: str, written: Mapping[str, tuple[int, int]]) -> bool:
    """True when the file has the size and time it had when a build wrote it."""
    if relative not in written:
        return False
    try:
        info = os.stat(f"{output}/{relative}", follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and written.get(relative) == (info.st_size, info.st_mtime_ns)
