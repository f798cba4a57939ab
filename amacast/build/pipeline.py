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
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

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
from amacast.build.identity import Identity, with_identity
from amacast.build.leftovers import remove_leftovers
from amacast.build.lock import BuildRunning, lock_output
from amacast.build.manifest import (
    MANIFEST,
    current_audio,
    episode_entries,
    hash_file,
    kept_audio_entries,
    manifest_data,
    read_manifest,
)
from amacast.build.output import Generation
from amacast.build.pack import BuildPack, Episodes, frame_keys, load_pack, pack_key, save_pack
from amacast.build.pages import drop, pages_rendering, render_page
from amacast.build.places import OutputRefused, refuse_output
from amacast.build.rendered import forget_rendered, rendered_audio
from amacast.build.signals import BuildInterrupted, terminate_as_exception
from amacast.build.sources import project_cache_folder, read_sources, sources_digest
from amacast.config import Settings
from amacast.errors import AmacastError
from amacast.model import AudioInfo, Diagnostic, Episode, Listing, made_from, whole
from amacast.transcript.files import project_episodes

#: GitHub Pages: a published site may be at most 1 GB, a file in a repository 100 MB.
PAGES_SITE_LIMIT = 1_000_000_000
PAGES_FILE_LIMIT = 100_000_000
#: Warn from this share of a limit on.
NEAR_LIMIT = 0.8

P = ParamSpec("P")
R = TypeVar("R")


class BuildError(AmacastError):
    """A step failed after the build started; the previous output is untouched."""


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
    :class:`~amacast.build.fs.OutputError` that says so; ``output`` stays
    as it was.
    """
    root = Path(root)
    output = output if Path(output).is_absolute() else root / output
    settings, diagnostics = check_settings(root, overrides)  # 1. settings
    if _has_errors(diagnostics):
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
        same = _unchanged_output(run, previous, inputs, diagnostics)
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
    early = None if run.audio_from else _EarlyPages(pages, previous, run, keyer, site, generation)
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
            current = _current_output(previous, run.output, key.build_key(site, good, kept))
        if current is not None:
            run.say("output is up to date")
            published = tuple(e.slug for e in good)
            return _as_it_is(run, previous, current, diagnostics, published, bad, skipped)

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
        return _dry_run(run, previous, good, plan, diagnostics, bad, skipped)
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
    page_site = _page_site(site, pages)
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
        views = _index_entries(pages, good, audio, kept_views, full)
        files["index.html"] = _index(pages, views, pack.views)
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
        notes=tuple([*_with_episode_notes(notes, bad, skipped), *plan.notes]),
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


class _EarlyPages:
    """Pages rendered where their episodes are loaded (in the parse workers), as bytes on disk.

    An episode loaded whole because it is new or changed gets its page right
    there, unless its audio is still to be rendered: the page is written into
    the build's scratch folder, and used if its key still holds once every
    episode is known (:meth:`used`); otherwise the file is dropped.
    """

    def __init__(
        self,
        pages: Any,
        previous: Mapping[str, Any],
        run: Run,
        keyer: Callable[[str], str],
        site: str,
        generation: Generation,
    ) -> None:
        self.pages = pages
        self.previous = previous
        self.run = run
        self.keyer = keyer
        self.site = site
        self.folder = generation.scratch  # made before the workers fork: they share it

    def make(self, episode: Episode, own: Sequence[Diagnostic]) -> Any:
        """In a worker: the page key, index entry and written page of one loaded episode."""
        if (episode.draft and not self.run.drafts) or _has_errors(own):
            return None
        still = current_audio(
            self.previous, self.run.output, episode.slug, self.keyer(episode.source_hash)
        )
        if still is None and self.run.with_audio:
            return None
        info = still[0] if still is not None else None
        written = render_page(self.pages, episode, info, self.folder)
        view = self.pages.index_item(episode, info) if self.pages.lean else None
        page = key.page_key(_page_site(self.site, self.pages), episode, info)
        return page, (made_from(episode, info), view), written

    def used(
        self,
        episodes: Episodes,
        selected: Sequence[Listing],
        good: Sequence[Listing],
        page_keys: Mapping[str, str],
    ) -> dict[str, tuple[tuple[str, ...], Any, dict[str, str]]]:
        """The pages rendered early that hold, by slug; the files of the others dropped.

        Each with its index key and entry, and the page written.

        A page holds when its episode is published, under the slug and with
        the key it was rendered for, and no other episode has its slug.
        """
        slugs = Counter(e.slug for e in good)
        published = {e.path: e.slug for e in good}  # the slug each is published under
        used: dict[str, tuple[tuple[str, ...], Any, dict[str, str]]] = {}
        for episode in selected:
            made = episodes.made.get(episode.path)
            if made is None:
                continue
            page, (index_key, view), written = made
            slug = published.get(episode.path, "")
            if slug == episode.slug and page_keys[slug] == page and slugs[slug] == 1:
                used[slug] = (index_key, view, written)
            else:
                drop(self.folder, list(written))
        return used


def _index_entries(
    pages: Any,
    episodes: Sequence[Episode | Listing],
    audio: Mapping[str, AudioInfo],
    kept: Mapping[tuple[str, ...], str],
    full: Callable[[Listing], Episode],
) -> dict[tuple[str, ...], Any]:
    """The index's entries, newest first, by what each is made from.

    On a lean index (:attr:`amacast.site.pages.Pages.lean`) each is its HTML,
    kept ones reused; else each is the episode as the index's template sees it.
    """
    from amacast.site.pages import (
        newest_first,  # as Pages: a build that writes nothing never loads it
    )

    entries: dict[tuple[str, ...], Any] = {}
    for episode in newest_first(episodes):
        info = audio.get(episode.slug)
        made = made_from(episode, info)
        if not pages.lean:
            entries[made] = pages.index_entry(whole(episode, full), info)
            continue
        entry = kept.get(made)
        entries[made] = entry if entry is not None else pages.index_item(whole(episode, full), info)
    return entries


def _index(pages: Any, entries: dict[tuple[str, ...], Any], kept: Mapping[Any, str]) -> bytes:
    """The index page; a lean one from its entries' HTML and the parts around them.

    Those parts, kept in ``kept`` from an earlier build (or made now), are
    added to ``entries`` under their keys, for the next build.
    """
    if not pages.lean:
        return bytes(pages.index(list(entries.values())))
    head, tail = frame_keys(pages.has_podcast_feed)
    frame = (kept[head], kept[tail]) if head in kept and tail in kept else pages.index_frame()
    items = list(entries.values())
    if frame is not None:
        entries[head], entries[tail] = frame
    return bytes(pages.index_of(items, frame))


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


def _dry_run(
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
    from amacast.site.pages import episode_page_path  # as every build that gets this far

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
        notes=tuple(_with_episode_notes([], bad, skipped)),
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


def _page_site(site: str, pages: Any) -> str:
    """The site key of the pages: whether they link a podcast feed is part of it."""
    return f"{site}\0podcast" if pages.has_podcast_feed else site


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


def _has_errors(diagnostics: Sequence[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def _with_episode_notes(
    notes: Sequence[str], bad: Sequence[str], skipped: Sequence[str]
) -> list[str]:
    """``notes`` with what was left out: episodes with errors first, drafts last."""
    result = list(notes)
    if bad:
        result.insert(0, f"left out {len(bad)} episode(s) with errors: " + ", ".join(bad))
    if skipped:
        result.append(f"skipped {len(skipped)} draft(s): " + ", ".join(skipped))
    return result


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


def _unchanged_output(
    run: Run, previous: Mapping[str, Any], inputs: str, diagnostics: Sequence[Diagnostic]
) -> BuildResult | None:
    """The result the build that made the output had, when it read exactly ``inputs``.

    Its diagnostics (after ``diagnostics``, those of the settings) and notes
    come from the manifest; every file the manifest lists must still be there
    with its size (:func:`_current_output`).  None when anything differs.
    """
    build = previous.get("build") if previous else None
    if not isinstance(build, dict) or build.get("inputs") != inputs:
        return None
    current = _current_output(previous, run.output, str(build.get("key", "")))
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
    return _as_it_is(run, previous, current, [*diagnostics, *found], published, left_out, skipped)


def _as_it_is(
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
        notes=tuple(_with_episode_notes(current[0], left_out, skipped)),
        published=tuple(published),
        reused=tuple(slug for slug in published if slug in previous["episodes"]),
        left_out=tuple(left_out),
        drafts_skipped=tuple(skipped),
        files=dict(previous["files"]),
        total_bytes=current[1],
        swapped=not run.dry_run,
        dry_run=run.dry_run,
    )


def _current_output(
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
