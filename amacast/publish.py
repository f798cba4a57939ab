"""``amacast publish``: validate, feeds, audio and site into ``output/``, all or nothing.

:func:`publish` changes the output in place (:mod:`amacast.staging`): every
new or changed file is written beside its place under a pending name (audio
is rendered into a scratch folder beside the output), and only when every
step succeeded are they all renamed into place, the files of deleted
episodes removed and the manifest written last.  A failed run (an episode
with errors, an engine that fails half way, a full disk, a rename that fails)
removes what it wrote and leaves the previous output byte for byte.

Incremental: a manifest in the output (``.amacast-manifest.json``) records,
per episode, a key over everything its audio depends on (the transcript's
hash, the ``[audio]`` and ``[voices]`` settings, amacast's version) and the
``AudioInfo`` rendering produced.  An episode whose key is unchanged keeps
its MP3 and sidecars instead of rendering them again.  The manifest's
``build`` entry keeps a key over everything the output is made from
(amacast's code and templates, the project's templates, the settings, the
cover, every transcript, the kept audio) and one per episode page: when the
whole key is unchanged and the output's files are all there, nothing is
written at all; otherwise pages whose key is unchanged, and whose file is as
the last build left it, stay, and only the others, the index and the feeds
are made again.

Transcripts are parsed once per content (:mod:`amacast.episode_cache`), and
what a build makes of each (its listing and diagnostics, its feed entries,
its line on the index) is kept for the next (:mod:`amacast.build_pack`): a
rebuild loads whole only the episodes it renders something of.

Before any of that, one hash over what a build reads before parsing (every
transcript's key, the site key, how the build was asked to run) is compared
with the one the manifest recorded: when it is the same and the output is
whole, the diagnostics and notes that build reported are returned from the
manifest, and nothing is parsed.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import os
import shutil
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from amacast import __version__
from amacast.build_pack import BuildPack, Episodes, Make, load_pack, pack_key, save_pack
from amacast.config import Settings, load_settings
from amacast.episode_cache import (
    project_cache_folder,
    read_sources,
    sources_digest,
)
from amacast.model import AudioInfo, Chapter, Cue, Diagnostic, Episode, Listing, made_from, whole
from amacast.sidecars import audio_info_path
from amacast.staging import Target, Update, interrupted, write_files
from amacast.validate import with_duplicates

if TYPE_CHECKING:  # imported only by builds that write
    from amacast.site import Pages

EPISODES_DIR = "episodes"
#: As ``amacast.parse.EPISODE_SUFFIXES`` (a test keeps them equal).
EPISODE_SUFFIXES = (".md", ".markdown")
MANIFEST = ".amacast-manifest.json"
MANIFEST_VERSION = 1
TEMPLATES_DIR = "templates"
CACHE_DIR = ".amacast-cache"
#: Under the project's cache: the site's templates, compiled.
COMPILED_TEMPLATES_DIR = "templates"

#: GitHub Pages: a published site may be at most 1 GB, a file in a repository 100 MB.
PAGES_SITE_LIMIT = 1_000_000_000
PAGES_FILE_LIMIT = 100_000_000
#: Warn from this share of a limit on.
NEAR_LIMIT = 0.8

P = ParamSpec("P")
R = TypeVar("R")
Progress = Callable[[str], None]
AudioRenderer = Callable[[Sequence[Episode], Settings, Path], Mapping[str, AudioInfo]]
"""Renders episodes into an output folder (``audio/<slug>.mp3`` and its
sidecars, paths relative to that folder) and returns what it made by slug;
raises on failure."""


class PublishError(Exception):
    """A step failed after the build started; the previous output is untouched."""


@dataclass(frozen=True)
class PublishResult:
    """What a publish did.  ``ok`` is False when nothing was swapped in."""

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

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics with severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def ok(self) -> bool:
        """True when the new output is in place and no episode had errors."""
        return self.swapped and not self.errors


def _collector_spared(function: Callable[P, R]) -> Callable[P, R]:
    """Undo, when ``function`` returns, the ``gc.freeze()`` it made (see :func:`publish`)."""

    @functools.wraps(function)
    def spared(*args: P.args, **kwargs: P.kwargs) -> R:
        frozen_before = gc.get_freeze_count()
        try:
            return function(*args, **kwargs)
        finally:
            if not frozen_before and gc.get_freeze_count():
                gc.unfreeze()

    return spared


@_collector_spared
def publish(
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
) -> PublishResult:
    """Publish the project at ``root`` into ``output`` atomically.

    ``audio`` None follows ``[audio] enabled`` (default on); False renders
    nothing but keeps the MP3s of unchanged episodes from the previous
    output (what ``amacast build`` does); ``renderer`` replaces the
    configured speech rendering (tests use it).  ``audio_from`` are folders
    of audio rendered elsewhere (``amacast render --shard``): an episode
    whose audio key matches their manifest is adopted from there instead of
    rendered; anything missing or stale is rendered as usual.  Input errors
    return a result with ``ok`` False and leave ``output`` as it was;
    failures while building raise :class:`PublishError` (the cause chained),
    likewise leaving ``output`` whole.
    """
    say = progress or (lambda _message: None)
    root = Path(root)
    output = Path(output)
    if not output.is_absolute():
        output = root / output
    settings, diagnostics = load_settings(root, overrides)
    if any(d.severity == "error" for d in diagnostics):
        return PublishResult(settings=settings, output=output, diagnostics=tuple(diagnostics))
    settings_problems = tuple(diagnostics)

    cache = project_cache_folder(root, settings.audio)
    transcripts = read_sources(find_episodes(root), cache_dir=cache)
    with_audio = audio_enabled(settings) if audio is None else audio
    previous = read_manifest(output)
    site_key = _site_key(root, settings)
    # The same inputs as the build that made the output: nothing to parse or write.
    inputs = _inputs_key(
        site_key, sources_digest(transcripts), drafts, keep_going, with_audio, output
    )
    as_before = (
        None if audio_from else _unchanged_output(previous, output, inputs, settings, diagnostics)
    )
    if as_before is not None:
        say("output is up to date")
        return as_before
    stopped = interrupted(output)  # before this build marks its own start
    update = Update(output)
    committed = False
    try:
        pack = load_pack(cache, pack_key(site_key))
        cover = _cover(root, settings)
        keyer = audio_keyer(settings, _cover_digest(cover))
        from amacast.site import Pages, episode_page_path, site_rendering

        maker = Pages(settings, root / TEMPLATES_DIR, cache / COMPILED_TEMPLATES_DIR)
        # An episode loaded whole gets its page where it is loaded (in the
        # workers), unless it waits for audio; the page is used if its key
        # still holds once every episode is known.
        early: Make | None = None
        if not audio_from:
            early = functools.partial(
                _early_page,
                _EarlyPages(
                    maker,
                    update.target,
                    previous,
                    output,
                    keyer,
                    site_key,
                    with_audio,
                    drafts,
                ),
            )
        episodes = Episodes(transcripts, cache, pack, settings.timezone, early)
        if not gc.get_freeze_count():
            # A million objects live until the end of the build and hold no garbage:
            # spare the cyclic collector walking them again at every full pass
            # (a tenth of a rebuild's time).  Undone when publish returns.
            gc.freeze()
        skipped = tuple(e.slug for e in episodes.listed if e.draft and not drafts)
        selected = [e for e in episodes.listed if drafts or not e.draft]
        found = with_duplicates([d for e in selected for d in episodes.own[e.path]], selected)
        diagnostics += [_relative(d, root) for d in found]
        bad_paths = {d.path for d in found if d.severity == "error"}
        bad = tuple(e.slug for e in selected if e.path in bad_paths)
        if bad and not keep_going:
            return PublishResult(
                settings=settings,
                output=output,
                diagnostics=tuple(diagnostics),
                left_out=bad,
                drafts_skipped=skipped,
            )
        good = [e for e in selected if e.path not in bad_paths]

        if with_audio:
            audio_problems = check_audio_settings(
                root, settings, [whole(e, episodes.full) for e in good]
            )
            diagnostics += audio_problems
            if any(d.severity == "error" for d in audio_problems):
                return PublishResult(
                    settings=settings,
                    output=output,
                    diagnostics=tuple(diagnostics),
                    drafts_skipped=skipped,
                )
        # Inputs the output was built from last time: nothing to write at all.
        kept = _kept_audio(good, previous, with_audio, audio_from, keyer)
        current = None
        if kept is not None:
            current = _current_output(
                previous, output, _build_key(site_key, good, kept, output), stopped
            )
        if current is not None:
            say("output is up to date")
            published = tuple(e.slug for e in good)
            return _as_it_is(
                settings, output, previous, current, diagnostics, published, bad, skipped
            )
        audio_infos: dict[str, AudioInfo] = {}
        keys: dict[str, str] = {}
        to_render: list[Episode] = []
        reused: list[str] = []
        adopted: list[str] = []
        # Hashes of the audio files kept or adopted, as their manifest gives them.
        known: dict[str, str] = {}
        sources = [(Path(folder), read_manifest(Path(folder))) for folder in audio_from]
        # Audio that is still current is kept even when this run renders none
        # (`amacast build`), so a build after a publish keeps the enclosures.
        for episode in good:
            key = keyer(episode.source_hash)
            still = _current_audio(previous, output, episode.slug, key)
            if still is not None:
                reused.append(episode.slug)
            else:
                for folder, manifest in sources:
                    still = _current_audio(manifest, folder, episode.slug, key)
                    if still is not None:
                        _adopt(folder, still[1], update)
                        adopted.append(episode.slug)
                        break
            if still is not None:
                keys[episode.slug] = key
                audio_infos[episode.slug] = still[0]
                known.update(still[1])
            elif with_audio:
                keys[episode.slug] = key
                to_render.append(whole(episode, episodes.full))
        if with_audio:
            from_shards = f"{len(adopted)} adopted, " if sources else ""
            say(f"audio: {len(reused)} unchanged, {from_shards}{len(to_render)} to render")
            if to_render:
                render = renderer or default_renderer(root, say)
                made = render(to_render, settings, update.scratch)
                audio_infos.update((e.slug, made[e.slug]) for e in to_render)
        for relative, path in update.bring_scratch().items():
            known.setdefault(relative, _hash_file(path))
        audio_infos = {e.slug: audio_infos[e.slug] for e in good if e.slug in audio_infos}
        rendered = [e.slug for e in to_render]

        # Imported here: a build with nothing to write never loads it.
        from amacast.feeds import build_feeds

        page_keys = {e.slug: _page_key(site_key, e, audio_infos.get(e.slug)) for e in good}
        made_early = _early_pages_used(episodes, selected, good, page_keys, update)
        early_views: dict[tuple[str, ...], Any] = {
            made_from(e, audio_infos.get(e.slug)): made_early[e.slug][0]
            for e in good
            if e.slug in made_early and made_early[e.slug][0] is not None
        }
        # Pages whose inputs did not change stay as they are.
        old_pages = previous.get("build", {}).get("pages", {}) if previous else {}
        old_files = previous.get("files", {}) if previous else {}
        written_pages = pack.pages if pack.output == str(output) else {}
        kept_pages = {
            slug
            for slug, key in page_keys.items()
            if slug not in made_early
            and old_pages.get(slug) == key
            and episode_page_path(slug) in old_files
            and _as_written(output, episode_page_path(slug), written_pages)
        }
        pages = {e.slug for e in good if e.slug not in kept_pages and e.slug not in made_early}
        # The pages render in worker processes while this one makes the feeds.
        with site_rendering(
            good,
            settings,
            audio_infos,
            root / TEMPLATES_DIR,
            pages=pages,
            into=update.target,
            kept_views={**pack.views, **early_views},
            full=episodes.full,
            maker=maker,
        ) as site_files:
            say("feeds: atom.xml, podcast.xml")
            feeds = build_feeds(
                good, settings, audio_infos, kept=pack.fragments, full=episodes.full
            )
            files: dict[str, bytes] = {"atom.xml": feeds.atom, "podcast.xml": feeds.podcast}
            if cover is not None:
                files[cover[0]] = cover[1]
            rendered_pages = len(pages) + len(made_early)
            say(f"site: {rendered_pages} episode page(s), {len(kept_pages)} unchanged")
            site = site_files()
            files.update(site.files)
        hashes = {
            **{episode_page_path(slug): old_files[episode_page_path(slug)] for slug in kept_pages},
            **known,
            **update.write(files),
            **update.took(site.written),
            **update.took(
                {k: v for _view, written in made_early.values() for k, v in written.items()}
            ),
        }
        del files
        if (output / ".gitkeep").is_file():
            hashes[".gitkeep"] = old_files.get(".gitkeep") or _hash_file(output / ".gitkeep")
        hashes = dict(sorted(hashes.items()))
        if not update.target.direct:  # a folder this build made holds only its files
            update.remove(_left_behind(output, previous, hashes))
        entries = _manifest_episodes(keys, audio_infos, hashes)
        page_stats = {
            path: written_pages[path]
            if slug in kept_pages
            else _size_and_time(update.new_path(path))
            for slug, path in ((slug, episode_page_path(slug)) for slug in page_keys)
        }
        sizes = {
            relative: page_stats[relative][0]
            if relative in page_stats
            else update.new_path(relative).stat().st_size
            for relative in hashes
        }
        size = sum(sizes.values())
        notes = [*feeds.notes, *size_warnings(sizes, settings)]
        build = {
            "key": _build_key(site_key, good, entries, output),
            "notes": notes,
            "bytes": size,
            "pages": dict(sorted(page_keys.items())),
            "inputs": inputs,
            "result": {
                "diagnostics": [d.as_dict() for d in diagnostics[len(settings_problems) :]],
                "left_out": list(bad),
                "drafts_skipped": list(skipped),
                "published": [e.slug for e in good],
            },
        }
        manifest_bytes = _manifest_bytes(keys, audio_infos, hashes, build)
        update.write({MANIFEST: manifest_bytes})
        total = size + len(manifest_bytes)
        update.commit(last=MANIFEST)
        committed = True
    except Exception as error:
        if isinstance(error, PublishError):
            raise
        raise PublishError(f"publishing failed, {output} is unchanged: {error}") from error
    finally:
        if not committed:
            update.discard()

    save_pack(
        cache,
        BuildPack(pack.key, episodes.kept, feeds.fragments, site.views, str(output), page_stats),
        pack,
    )
    notes = _with_episode_notes(notes, bad, skipped)
    for folder, manifest in sources:
        if not manifest:
            notes.append(f"--audio-from {folder}: no readable {MANIFEST}, nothing adopted from it")
    old_files = set(previous.get("files", {})) if previous else set()
    return PublishResult(
        settings=settings,
        output=output,
        diagnostics=tuple(diagnostics),
        notes=tuple(notes),
        published=tuple(e.slug for e in good),
        rendered=tuple(rendered),
        reused=tuple(reused),
        adopted=tuple(adopted),
        left_out=bad,
        drafts_skipped=skipped,
        removed=tuple(sorted(old_files - set(hashes))),
        files=hashes,
        total_bytes=total,
        swapped=True,
    )


@dataclass(frozen=True)
class _EarlyPages:
    """What the workers that load episodes need to render their pages (:func:`_early_page`)."""

    pages: Pages
    target: Target
    previous: Mapping[str, Any]
    output: Path
    keyer: Callable[[str], str]
    site_key: str
    with_audio: bool
    drafts: bool


#: A page rendered where its episode was loaded: its key, index entry and what was written.
_EarlyPage = tuple[str, Any, dict[str, str | None]]


def _early_page(
    context: _EarlyPages, episode: Episode, own: Sequence[Diagnostic]
) -> _EarlyPage | None:
    """Render the page of an episode just loaded, with the audio it keeps (in a worker).

    None for a draft left out, an episode with errors, and one whose audio
    is still to be rendered.
    """
    if (episode.draft and not context.drafts) or any(d.severity == "error" for d in own):
        return None
    key = context.keyer(episode.source_hash)
    still = _current_audio(context.previous, context.output, episode.slug, key)
    if still is None and context.with_audio:
        return None
    info = still[0] if still is not None else None
    path, content = context.pages.render(episode, info)
    written = write_files(context.target, {path: content})
    return (
        _page_key(context.site_key, episode, info),
        context.pages.index_view(episode, info),
        written,
    )


def _early_pages_used(
    episodes: Episodes,
    selected: Sequence[Listing],
    good: Sequence[Listing],
    page_keys: Mapping[str, str],
    update: Update,
) -> dict[str, tuple[Any, dict[str, str | None]]]:
    """The pages rendered early that still hold, by slug; the files of the others are dropped.

    A page holds when its episode is published with the key it was
    rendered for, and no other episode has its slug (both wrote one file).
    """
    slugs = Counter(e.slug for e in selected)
    published = {e.path for e in good}
    used = {}
    for episode in selected:
        made: _EarlyPage | None = episodes.made.get(episode.path)
        if made is None:
            continue
        key, view, written = made
        if (
            episode.path in published
            and page_keys[episode.slug] == key
            and slugs[episode.slug] == 1
        ):
            used[episode.slug] = (view, written)
        else:
            update.drop(written)
    return used


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


def find_episodes(root: Path) -> list[Path]:
    """The transcripts of a project: ``episodes/*.md``, sorted by name.

    Listed here rather than with :func:`amacast.parse.find_episode_files`
    (same rule) so that a build with every episode cached never imports
    the parser.
    """
    folder = root / EPISODES_DIR
    try:
        with os.scandir(folder) as entries:
            names = [
                entry.name
                for entry in entries
                if os.path.splitext(entry.name)[1] in EPISODE_SUFFIXES and entry.is_file()
            ]
    except OSError:  # no such folder, or not one
        return []
    return [folder / name for name in sorted(names)]


def audio_enabled(settings: Settings) -> bool:
    """``[audio] enabled`` of the settings; on when not given."""
    value = settings.audio.get("enabled", True)
    return bool(value)


def audio_key(episode: Episode | Listing, settings: Settings, cover_hash: str = "") -> str:
    """A hash of everything an episode's audio depends on.

    The transcript, the ``[audio]`` and ``[voices]`` tables, the podcast's
    title and author (spoken in the intro, written to the ID3 tags), the
    cover (embedded in the tags) and amacast's version.
    """
    return audio_keyer(settings, cover_hash)(episode.source_hash)


#: Stands for the transcript's hash in the text :func:`audio_keyer` hashes.
_SOURCE = "@source@"


def audio_keyer(settings: Settings, cover_hash: str = "") -> Callable[[str], str]:
    """:func:`audio_key` by the episode's source hash, the settings' part worked out once."""
    inputs = {
        "source": _SOURCE,
        "audio": _plain(settings.audio),
        "voices": _plain(settings.voices),
        "podcast": [settings.title, settings.author, settings.image, cover_hash],
        "version": __version__,
    }
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=True, default=str)
    parts = text.split(_SOURCE)
    if len(parts) != 2:  # the settings hold the stand-in too: put the hash in each time
        return lambda source: hashlib.sha256(
            json.dumps(
                {**inputs, "source": source}, sort_keys=True, ensure_ascii=True, default=str
            ).encode("utf-8")
        ).hexdigest()
    before, after = (part.encode("utf-8") for part in parts)
    return lambda source: hashlib.sha256(before + source.encode("ascii") + after).hexdigest()


def cover_hash(root: Path, settings: Settings) -> str:
    """The SHA-256 of the podcast's local cover (``""`` without one), for :func:`audio_key`."""
    return _cover_digest(_cover(root, settings))


def write_audio_manifest(
    folder: Path, keys: Mapping[str, str], audio: Mapping[str, AudioInfo]
) -> None:
    """Write the manifest of a folder holding rendered audio only (``amacast render --shard``).

    The same format a publish writes, limited to each episode's MP3, sidecars
    and AudioInfo JSON, so that ``publish(audio_from=[folder])`` adopts them.
    """
    hashes: dict[str, str] = {}
    for slug, info in audio.items():
        for relative in [*_audio_files(info), audio_info_path(slug)]:
            if (folder / relative).is_file():
                hashes[relative] = _hash_file(folder / relative)
    (folder / MANIFEST).write_bytes(_manifest_bytes(keys, audio, hashes))


def check_audio_settings(
    root: Path, settings: Settings, episodes: Sequence[Episode]
) -> list[Diagnostic]:
    """Problems of the episodes' ``voices:`` (the settings' own are :func:`load_settings`')."""
    from amacast.voices import check_episode_voices

    return [_relative(problem, root) for problem in check_episode_voices(settings, episodes)]


def default_renderer(root: Path, progress: Progress | None = None) -> AudioRenderer:
    """The configured narration (:mod:`amacast.render_jobs`), on every core, cached."""

    def render(
        episodes: Sequence[Episode], settings: Settings, output: Path
    ) -> Mapping[str, AudioInfo]:
        from amacast.render import PodcastMeta, RenderSettings
        from amacast.render_jobs import RenderProgress, cache_folder, render_episodes
        from amacast.voices import assign_voices

        render_settings, _ = RenderSettings.from_table(settings.audio)
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
            progress=report,
        )

    return render


def read_manifest(output: Path) -> dict[str, Any]:
    """The manifest of a previous publish, or ``{}`` when there is none or it is unreadable."""
    try:
        data = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return {}
    return data


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


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _relative(diagnostic: Diagnostic, root: Path) -> Diagnostic:
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


def _cover_digest(cover: tuple[str, bytes] | None) -> str:
    return hashlib.sha256(cover[1]).hexdigest() if cover else ""


def _cover(root: Path, settings: Settings) -> tuple[str, bytes] | None:
    if not settings.image or settings.image_is_remote:
        return None
    source = root / settings.image
    return "cover" + PurePosixPath(settings.image).suffix.lower(), source.read_bytes()


def _audio_files(info: AudioInfo) -> list[str]:
    return [info.mp3_path, *info.sidecars.values()]


def _episode_audio_files(info: AudioInfo, present: Mapping[str, str]) -> list[str]:
    """The files one episode's audio consists of: MP3, sidecars, its AudioInfo JSON."""
    files = _audio_files(info)
    info_json = audio_info_path(info.slug)
    if info_json in present and info_json not in files:
        files.append(info_json)
    return files


def _current_audio(
    manifest: Mapping[str, Any], folder: Path, slug: str, key: str
) -> tuple[AudioInfo, dict[str, str]] | None:
    """The audio ``manifest`` lists for ``slug`` under ``key``, when its files are in ``folder``.

    Returns its AudioInfo and its files with the hashes the manifest gives
    them; None when the key differs or a file is missing (to be rendered).
    """
    entry = manifest.get("episodes", {}).get(slug) if manifest else None
    if not isinstance(entry, dict) or entry.get("audio_key") != key or "audio" not in entry:
        return None
    try:
        info = audio_info_from_dict(entry["audio"])
    except (KeyError, TypeError, ValueError):
        return None
    expected = manifest.get("files", {})
    files = [str(relative) for relative in entry.get("files") or _audio_files(info)]
    for relative in files:
        if not (folder / relative).is_file() or relative not in expected:
            return None
    if (folder / info.mp3_path).stat().st_size != info.byte_length:
        return None
    return info, {relative: str(expected[relative]) for relative in files}


def _adopt(folder: Path, files: Iterable[str], update: Update) -> None:
    """Link (or copy) these files of ``folder`` into the build's scratch folder."""
    for relative in files:
        target = update.scratch / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(folder / relative, target)
        except OSError:
            shutil.copy2(folder / relative, target)


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


def _left_behind(output: Path, previous: Mapping[str, Any], files: Mapping[str, str]) -> list[str]:
    """The files of ``output`` a build that makes ``files`` removes.

    Those the previous manifest lists; without one, every file there (an
    output folder is the build's alone).
    """
    if previous:
        listed: Iterable[str] = previous.get("files", {})
    else:
        listed = [
            os.path.relpath(os.path.join(folder, name), output).replace(os.sep, "/")
            for folder, _subfolders, names in os.walk(output)
            for name in names
        ]
    return sorted(set(listed) - set(files) - {MANIFEST, ".gitkeep"})


def audio_info_to_dict(info: AudioInfo) -> dict[str, Any]:
    """An ``AudioInfo`` as JSON-ready data (the manifest keeps one per episode)."""
    data = asdict(info)
    data["sidecars"] = dict(info.sidecars)
    return data


def audio_info_from_dict(data: Mapping[str, Any]) -> AudioInfo:
    """The ``AudioInfo`` that :func:`audio_info_to_dict` wrote."""
    return AudioInfo(
        slug=str(data["slug"]),
        mp3_path=str(data["mp3_path"]),
        byte_length=int(data["byte_length"]),
        duration=float(data["duration"]),
        chapters=tuple(Chapter(**c) for c in data.get("chapters", ())),
        cues=tuple(Cue(**c) for c in data.get("cues", ())),
        sidecars={str(k): str(v) for k, v in dict(data.get("sidecars", {})).items()},
    )


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest_bytes(
    keys: Mapping[str, str],
    audio: Mapping[str, AudioInfo],
    hashes: Mapping[str, str],
    build: Mapping[str, Any] | None = None,
) -> bytes:
    episodes = _manifest_episodes(keys, audio, hashes)
    manifest = {
        "version": MANIFEST_VERSION,
        "generator": f"amacast {__version__}",
        "episodes": episodes,
        "files": dict(sorted(hashes.items())),
    }
    if build is not None:
        manifest["build"] = dict(build)
    text = json.dumps(manifest, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


def _manifest_episodes(
    keys: Mapping[str, str], audio: Mapping[str, AudioInfo], hashes: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """The manifest's ``episodes``: per slug with audio, its key, AudioInfo and files."""
    return {
        slug: {
            "audio_key": keys[slug],
            "audio": audio_info_to_dict(audio[slug]),
            "files": _episode_audio_files(audio[slug], hashes),
        }
        for slug in sorted(audio)
        if slug in keys
    }


def _kept_audio(
    episodes: Sequence[Episode | Listing],
    previous: Mapping[str, Any],
    with_audio: bool,
    audio_from: Sequence[Path],
    keyer: Callable[[str], str],
) -> dict[str, Any] | None:
    """The previous manifest's entries of the audio a build would keep unchanged.

    None when this build would render or adopt audio (nothing to compare).
    ``keyer`` is this build's :func:`audio_keyer`.
    """
    if audio_from:
        return None
    kept: dict[str, Any] = {}
    for episode in episodes:
        entry = previous.get("episodes", {}).get(episode.slug) if previous else None
        if isinstance(entry, dict) and entry.get("audio_key") == keyer(episode.source_hash):
            kept[episode.slug] = entry
        elif with_audio:
            return None  # this one is to be rendered
    return kept


def _site_key(root: Path, settings: Settings) -> str:
    """A hash of what every page depends on besides its episode.

    amacast's own code, templates and static files, the project's
    ``templates/``, the settings and the cover.
    """
    try:
        cover_hash = _cover_digest(_cover(root, settings))
    except OSError:
        cover_hash = "unreadable"
    digest = hashlib.sha256(f"{__version__}\0{cover_hash}\0".encode())
    digest.update(repr(settings).encode("utf-8", "surrogatepass"))
    package = Path(__file__).resolve().parent
    sources = (
        (package, "**/*.py"),  # amacast/config/ and engines/ too
        (package, "templates/**/*"),
        (package, "static/**/*"),
        (root / TEMPLATES_DIR, "**/*"),
    )
    for folder, pattern in sources:
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                digest.update(f"\0{path.relative_to(folder).as_posix()}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _build_key(
    site_key: str, episodes: Sequence[Episode | Listing], audio: Mapping[str, Any], output: Path
) -> str:
    """A hash of everything the output is made from.

    What :func:`_site_key` covers, every published transcript and the audio
    entries of the manifest (see :func:`_manifest_episodes`).
    """
    inputs = {
        "site": site_key,
        "episodes": [[e.slug, e.path, e.source_hash] for e in episodes],
        "audio": audio,
        "gitkeep": (output / ".gitkeep").is_file(),
    }
    text = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _page_key(site_key: str, episode: Episode | Listing, audio: AudioInfo | None) -> str:
    """A hash of what one episode's page is made from."""
    digest = hashlib.sha256(
        "\0".join([site_key, episode.slug, episode.path, episode.source_hash, ""]).encode(
            "utf-8", "surrogatepass"
        )
    )
    if audio is not None:
        digest.update(json.dumps(audio_info_to_dict(audio), sort_keys=True).encode())
    return digest.hexdigest()


def _inputs_key(
    site_key: str, sources: str, drafts: bool, keep_going: bool, with_audio: bool, output: Path
) -> str:
    """A hash of everything a publish reads before parsing, and of how it was asked to run.

    :func:`_site_key`, every transcript's path and bytes (with the parser's
    fingerprint, :func:`amacast.episode_cache.sources_digest`) and the flags
    that change what is published.
    """
    inputs = [site_key, sources, drafts, keep_going, with_audio, (output / ".gitkeep").is_file()]
    return hashlib.sha256(json.dumps(inputs).encode("utf-8")).hexdigest()


def _unchanged_output(
    previous: Mapping[str, Any],
    output: Path,
    inputs: str,
    settings: Settings,
    diagnostics: Sequence[Diagnostic],
) -> PublishResult | None:
    """The result the build that made ``output`` had, when it read exactly ``inputs``.

    Its diagnostics (after ``diagnostics``, those of the settings) and notes
    come from the manifest; every file the manifest lists must still be there
    with its size (:func:`_current_output`).  None when anything differs, or
    the manifest is not one that records it.
    """
    build = previous.get("build") if previous else None
    if not isinstance(build, dict) or build.get("inputs") != inputs:
        return None
    current = _current_output(previous, output, str(build.get("key", "")), interrupted(output))
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
    return _as_it_is(
        settings, output, previous, current, [*diagnostics, *found], published, left_out, skipped
    )


def _as_it_is(
    settings: Settings,
    output: Path,
    previous: Mapping[str, Any],
    current: tuple[list[str], int],
    diagnostics: Sequence[Diagnostic],
    published: Sequence[str],
    left_out: Sequence[str],
    skipped: Sequence[str],
) -> PublishResult:
    """The result of a publish that leaves ``output`` as it is.

    ``current`` is what :func:`_current_output` found: the notes the build
    that made it recorded and the output's total size.
    """
    return PublishResult(
        settings=settings,
        output=output,
        diagnostics=tuple(diagnostics),
        notes=tuple(_with_episode_notes(current[0], left_out, skipped)),
        published=tuple(published),
        reused=tuple(slug for slug in published if slug in previous["episodes"]),
        left_out=tuple(left_out),
        drafts_skipped=tuple(skipped),
        files=dict(previous["files"]),
        total_bytes=current[1],
        swapped=True,
    )


def _current_output(
    previous: Mapping[str, Any], output: Path, build_key: str, stopped: bool
) -> tuple[list[str], int] | None:
    """The feeds' notes and total size when ``output`` was built from ``build_key``, else None.

    Every file the manifest lists must still be there, with the total size
    it had (a file edited by hand is rebuilt), and no build of it may have
    been ``stopped`` half way since.
    """
    build = previous.get("build") if previous else None
    if not build_key or not isinstance(build, dict) or build.get("key") != build_key:
        return None
    if stopped:
        return None
    files = previous.get("files", {})
    try:
        size = sum(_sizes(output, files).values())
        manifest_size = (output / MANIFEST).stat().st_size
    except OSError:
        return None
    if size != build.get("bytes"):
        return None
    return [str(note) for note in build.get("notes", [])], size + manifest_size


def _sizes(folder: Path, files: Iterable[str]) -> dict[str, int]:
    """The bytes of each of these files in ``folder``; raises OSError when one is missing."""
    sizes: dict[str, int] = {}
    for relative in files:
        info = os.stat(folder / relative)
        if not stat.S_ISREG(info.st_mode):
            raise FileNotFoundError(relative)
        sizes[relative] = info.st_size
    return sizes
