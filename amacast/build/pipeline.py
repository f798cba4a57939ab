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
- :mod:`~amacast.build.pages` renders pages in worker processes, and
  :mod:`~amacast.build.index` the index's entries and the pages rendered
  where their episodes are parsed;
- :mod:`~amacast.build.steps` holds what each step hands the next,
  :mod:`~amacast.build.result` what a build did, :mod:`~amacast.build.summary`
  the result of a build that writes nothing (a dry run, an output up to
  date) and the size warnings, :mod:`~amacast.build.written` the hashes,
  sizes and times of the files written;
- :mod:`~amacast.build.output` holds the lock, and puts the new generation
  of ``output/`` live in one step: killed at any instant, ``output/`` is the
  last good build or the new one.

When what a build reads before parsing is what the build that made the
output read, and the output is whole, nothing is parsed or written: the
diagnostics and notes of that build are reported again.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from amacast.build import keys as key
from amacast.build import state
from amacast.build.audio import (
    AudioPlan,
    AudioRenderer,
    Progress,
    audio_enabled,
    default_renderer,
    plan_audio,
)
from amacast.build.checks import check_episodes, check_settings
from amacast.build.collector import collector_spared
from amacast.build.identity import Identity, with_identity
from amacast.build.index import EarlyPages, index_entries, index_page, pages_site_key
from amacast.build.leftovers import remove_leftovers
from amacast.build.lock import BuildRunning, lock_output
from amacast.build.manifest import (
    MANIFEST,
    episode_entries,
    manifest_data,
    read_manifest,
)
from amacast.build.output import Generation
from amacast.build.pack import BuildPack, Episodes, load_pack, pack_key, save_pack
from amacast.build.pages import pages_rendering
from amacast.build.places import OutputRefused, refuse_output
from amacast.build.rendered import forget_rendered, rendered_audio
from amacast.build.result import BuildResult, Run, has_errors, with_episode_notes
from amacast.build.signals import BuildInterrupted, terminate_as_exception
from amacast.build.sources import project_cache_folder, read_sources, sources_digest
from amacast.build.steps import Chosen, Loaded, Made
from amacast.build.summary import (
    dry_run_result,
    same_output,
    size_warnings,
    unchanged_output,
)
from amacast.build.written import as_written, hashes_and_sizes, size_and_time
from amacast.errors import AmacastError
from amacast.model import AudioInfo, Diagnostic, Episode, Listing, whole
from amacast.transcript.files import project_episodes


class BuildError(AmacastError):
    """A step failed after the build started; the previous output is untouched."""


@collector_spared
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
    :class:`~amacast.build.fs.OutputError` that says so; ``output`` stays
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
    """Steps 3 to 7 of the pipeline, one function each, in their order."""
    site, inputs = keys  # the site key, and the key of everything read before parsing
    image, cover_digest = cover  # the cover as read once, and its hash
    if isinstance(image, OSError):
        raise image
    loaded = _load_episodes(run, generation, sources, previous, site, cover_digest)  # 3.
    chosen = _check(run, loaded, diagnostics)  # 4. every problem, as `validate` finds them
    if isinstance(chosen, BuildResult):
        return chosen
    verdict = (chosen.good, chosen.bad, chosen.skipped)
    same = same_output(run, previous, site, loaded.keyer, verdict, diagnostics)
    if same is not None:
        return same
    run.found(diagnostics)
    plan = plan_audio(  # 5. audio
        chosen.good,
        loaded.keyer,
        previous,
        run.output,
        run.with_audio,
        run.audio_from,
        lambda: generation.scratch,
    )
    if run.dry_run:
        good, bad, skipped = chosen.good, chosen.bad, chosen.skipped
        return dry_run_result(run, previous, good, plan, diagnostics, bad, skipped)
    audio = _audio(run, generation, plan, chosen)
    generation.flush_early()  # pages and audio so far reach the disk while step 6 runs
    made = _feeds_and_site(run, generation, previous, site, image, loaded, chosen, audio)  # 6.
    return _commit(  # 7. commit
        run,
        generation,
        previous,
        keys,
        (loaded, chosen, plan, made),
        audio,
        diagnostics,
        settings_problems,
    )


def _load_episodes(
    run: Run,
    generation: Generation,
    sources: Sequence[Any],
    previous: Mapping[str, Any],
    site: str,
    cover_digest: str,
) -> Loaded:
    """Step 3: every episode listed, and loaded whole where new or changed.

    Where the audio of a loaded episode is known, its page is rendered right
    there (:class:`~amacast.build.index.EarlyPages`).
    """
    settings = run.settings
    pack = load_pack(run.cache, pack_key(site))
    keyer = key.audio_keyer(settings, cover_digest)
    from amacast.site.pages import Pages  # a build that writes nothing never loads it

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
    return Loaded(pack, keyer, pages, early, episodes)


def _check(run: Run, loaded: Loaded, diagnostics: list[Diagnostic]) -> Chosen | BuildResult:
    """Step 4: every problem, added to ``diagnostics``; the episodes published.

    A result with nothing put live when the problems stop the build.
    """
    episodes = loaded.episodes
    checked = check_episodes(
        run.root,
        run.settings,
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
            settings=run.settings,
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
    return Chosen(selected, good, full, moves, known, bad, skipped)


def _audio(
    run: Run, generation: Generation, plan: AudioPlan, chosen: Chosen
) -> dict[str, AudioInfo]:
    """Step 5: the audio that is not kept or adopted, rendered; every episode's, by slug."""
    if run.with_audio:
        from_shards = f"{len(plan.adopted)} adopted, " if run.audio_from else ""
        run.say(
            f"audio: {len(plan.reused)} unchanged, {from_shards}{len(plan.to_render)} to render"
        )
        if plan.to_render:
            render = run.renderer or default_renderer(run.root, run.say, run.render_progress)
            to_render = [whole(e, chosen.full) for e in plan.to_render]
            made = render(to_render, run.settings, generation.scratch)
            plan.infos.update((e.slug, made[e.slug]) for e in to_render)
    return {e.slug: plan.infos[e.slug] for e in chosen.good if e.slug in plan.infos}


def _feeds_and_site(
    run: Run,
    generation: Generation,
    previous: Mapping[str, Any],
    site: str,
    image: tuple[str, bytes] | None,
    loaded: Loaded,
    chosen: Chosen,
    audio: dict[str, AudioInfo],
) -> Made:
    """Step 6: the feeds and the index in memory, the pages that changed written."""
    from amacast.site.links import episode_page_path  # as Pages in step 3

    settings, pages, pack, early = run.settings, loaded.pages, loaded.pack, loaded.early
    good, full = chosen.good, chosen.full
    pages.show_podcast_feed(bool(audio))
    page_site = pages_site_key(site, pages)
    page_keys = {e.slug: key.page_key(page_site, e, audio.get(e.slug)) for e in good}
    made_early = early.used(loaded.episodes, chosen.selected, good, page_keys) if early else {}
    old_pages = previous.get("build", {}).get("pages", {}) if previous else {}
    old_files = generation.previous
    noted_pages = pack.pages if pack.output == str(run.output) else {}
    kept_pages = {
        slug
        for slug, page in page_keys.items()
        if slug not in made_early
        and old_pages.get(slug) == page
        and episode_page_path(slug) in old_files
        and as_written(run.output, episode_page_path(slug), noted_pages)
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
        from amacast.site.static import redirect_pages, static_files  # as Pages above

        files.update(static_files(run.root / key.TEMPLATES_DIR))
        files.update(redirect_pages(chosen.moves, settings))
        run.say(f"site: {len(good) - len(kept_pages)} episode page(s), {len(kept_pages)} unchanged")
        written = rendered_pages()
    for _key, _view, page in made_early.values():
        written.update(page)
    return Made(files, written, feeds, views, page_keys, kept_pages, noted_pages)


def _commit(
    run: Run,
    generation: Generation,
    previous: Mapping[str, Any],
    keys: tuple[str, str],
    steps: tuple[Loaded, Chosen, AudioPlan, Made],
    audio: dict[str, AudioInfo],
    diagnostics: list[Diagnostic],
    settings_problems: int,
) -> BuildResult:
    """Step 7: the new output put live with its manifest; what the next build keeps noted."""
    from amacast.site.links import episode_page_path  # as Pages in step 3

    site, inputs = keys
    loaded, chosen, plan, made = steps
    good, bad, skipped = chosen.good, chosen.bad, chosen.skipped
    kept_pages, old_files = made.kept_pages, generation.previous
    made_files = (plan.files, made.written, made.files, made.kept_pages)
    hashes, sizes = hashes_and_sizes(run.output, generation, previous, made_files)
    notes = [*made.feeds.notes, *size_warnings(sizes, run.settings)]
    entries = episode_entries(plan.keys, audio, hashes)
    build = {
        "key": key.build_key(site, good, entries),
        "notes": notes,
        "bytes": sum(sizes.values()),
        "sizes": sizes,
        "pages": dict(sorted(made.page_keys.items())),
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
    noted_pages = made.noted_pages
    page_notes = {
        path: (noted_pages[path] if slug in kept_pages else size_and_time(run.output / path))
        for slug, path in ((slug, episode_page_path(slug)) for slug in made.page_keys)
    }
    _keep_for_next(run, loaded, made, page_notes, chosen.known)
    return BuildResult(
        settings=run.settings,
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


def _keep_for_next(
    run: Run,
    loaded: Loaded,
    made: Made,
    page_notes: dict[str, tuple[int, int]],
    known: Mapping[str, Any] | None,
) -> None:
    """What the next build reuses: the pack, and the identities settled."""
    pack = loaded.pack
    kept_for_next = BuildPack(
        pack.key,
        loaded.episodes.kept,
        made.feeds.fragments,
        made.views if loaded.pages.lean else {},
        str(run.output),
        page_notes,
    )
    save_pack(run.cache, kept_for_next, pack)
    if known is not None:  # else the state has them as they are
        state.remember_identities(run.cache, known)
    state.fold_log(run.cache, current=loaded.episodes.kept.keys())


def _with_identities(
    full: Callable[[Listing], Episode], identities: Mapping[str, Identity]
) -> Callable[[Listing], Episode]:
    """``full`` giving each whole episode the identity it was settled with."""
    return lambda listing: with_identity(full(listing), identities[listing.path])
