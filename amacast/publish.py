"""``amacast publish``: validate, feeds, audio and site into ``output/``, all or nothing.

:func:`publish` builds everything into a fresh folder beside the output
(``output.tmp-XXXX`` in the same parent, so the final rename stays on one
file system) and swaps it in only when every step succeeded: the old output is
renamed to a backup, the new one renamed into place, the backup deleted.  A
failed run (an episode with errors, an engine that fails half way, a full
disk) removes its temporary folder and leaves the previous output byte for
byte.

Incremental: a manifest in the output (``.amacast-manifest.json``) records,
per episode, a key over everything its audio depends on (the transcript's
hash, the ``[audio]`` and ``[voices]`` settings, amacast's version) and the
``AudioInfo`` rendering produced.  An episode whose key is unchanged has its
MP3 and sidecars hard-linked (or copied) from the previous output instead of
rendered again.  Pages and feeds are cheap and deterministic and are always
rendered anew; since the new folder starts empty, the files of deleted
episodes are simply gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from amacast import __version__
from amacast.config import Settings, load_settings
from amacast.feeds import build_feeds
from amacast.model import AudioInfo, Chapter, Cue, Diagnostic, Episode
from amacast.parse import find_episode_files, parse_episode
from amacast.sidecars import audio_info_path
from amacast.site import render_site
from amacast.validate import validate_episodes

EPISODES_DIR = "episodes"
MANIFEST = ".amacast-manifest.json"
MANIFEST_VERSION = 1
TEMPLATES_DIR = "templates"
CACHE_DIR = ".amacast-cache"

#: GitHub Pages: a published site may be at most 1 GB, a file in a repository 100 MB.
PAGES_SITE_LIMIT = 1_000_000_000
PAGES_FILE_LIMIT = 100_000_000
#: Warn from this share of a limit on.
NEAR_LIMIT = 0.8

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

    episodes = [parse_episode(path) for path in find_episodes(root)]
    skipped = tuple(e.slug for e in episodes if e.draft and not drafts)
    selected = [e for e in episodes if drafts or not e.draft]
    found = validate_episodes(selected, settings.timezone)
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

    with_audio = audio_enabled(settings) if audio is None else audio
    if with_audio:
        audio_problems = check_audio_settings(root, settings, good)
        diagnostics += audio_problems
        if any(d.severity == "error" for d in audio_problems):
            return PublishResult(
                settings=settings,
                output=output,
                diagnostics=tuple(diagnostics),
                drafts_skipped=skipped,
            )
    previous = read_manifest(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{output.name}.tmp-", dir=output.parent))
    try:
        staging.chmod(0o755)
        audio_infos: dict[str, AudioInfo] = {}
        keys: dict[str, str] = {}
        to_render: list[Episode] = []
        reused: list[str] = []
        adopted: list[str] = []
        sources = [(Path(folder), read_manifest(Path(folder))) for folder in audio_from]
        cover = _cover(root, settings)
        # Audio that is still current is kept even when this run renders none
        # (`amacast build`), so a build after a publish keeps the enclosures.
        cover_hash = _cover_digest(cover)
        for episode in good:
            key = audio_key(episode, settings, cover_hash)
            info = _reuse_audio(previous, output, staging, episode.slug, key)
            if info is not None:
                reused.append(episode.slug)
            else:
                for folder, manifest in sources:
                    info = _reuse_audio(manifest, folder, staging, episode.slug, key)
                    if info is not None:
                        adopted.append(episode.slug)
                        break
            if info is not None:
                keys[episode.slug] = key
                audio_infos[episode.slug] = info
            elif with_audio:
                keys[episode.slug] = key
                to_render.append(episode)
        if with_audio:
            say(
                f"audio: {len(reused)} unchanged, {len(adopted)} adopted, "
                f"{len(to_render)} to render"
            )
            if to_render:
                render = renderer or default_renderer(root, say)
                made = render(to_render, settings, staging)
                for episode in to_render:
                    audio_infos[episode.slug] = made[episode.slug]
        audio_infos = {e.slug: audio_infos[e.slug] for e in good if e.slug in audio_infos}
        rendered = [e.slug for e in to_render]

        say("feeds: atom.xml, podcast.xml")
        feeds = build_feeds(good, settings, audio_infos)
        files: dict[str, bytes] = {"atom.xml": feeds.atom, "podcast.xml": feeds.podcast}
        if cover is not None:
            files[cover[0]] = cover[1]
        say(f"site: {len(good)} episode page(s)")
        files.update(render_site(good, settings, audio_infos, root / TEMPLATES_DIR))
        for relative, content in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        if (output / ".gitkeep").is_file():
            shutil.copy2(output / ".gitkeep", staging / ".gitkeep")

        hashes = _hash_tree(staging)
        _write_manifest(staging, keys, audio_infos, hashes)
        notes = [*feeds.notes, *size_warnings(staging, settings)]
        total = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
        _swap(staging, output)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, Exception) and not isinstance(error, PublishError):
            raise PublishError(f"publishing failed, {output} is unchanged: {error}") from error
        raise

    if bad:
        notes.insert(0, f"left out {len(bad)} episode(s) with errors: " + ", ".join(bad))
    if skipped:
        notes.append(f"skipped {len(skipped)} draft(s): " + ", ".join(skipped))
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


def find_episodes(root: Path) -> list[Path]:
    """The transcripts of a project: ``episodes/*.md``, sorted by name."""
    folder = root / EPISODES_DIR
    return find_episode_files([folder]) if folder.is_dir() else []


def audio_enabled(settings: Settings) -> bool:
    """``[audio] enabled`` of the settings; on when not given."""
    value = settings.audio.get("enabled", True)
    return bool(value)


def audio_key(episode: Episode, settings: Settings, cover_hash: str = "") -> str:
    """A hash of everything an episode's audio depends on.

    The transcript, the ``[audio]`` and ``[voices]`` tables, the podcast's
    title and author (spoken in the intro, written to the ID3 tags), the
    cover (embedded in the tags) and amacast's version.
    """
    inputs = {
        "source": episode.source_hash,
        "audio": _plain(settings.audio),
        "voices": _plain(settings.voices),
        "podcast": [settings.title, settings.author, settings.image, cover_hash],
        "version": __version__,
    }
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    _write_manifest(folder, keys, audio, hashes)


def check_audio_settings(
    root: Path, settings: Settings, episodes: Sequence[Episode]
) -> list[Diagnostic]:
    """Problems of the ``[audio]`` and ``[voices]`` settings (and episodes' ``voices:``)."""
    from amacast.render import RenderSettings, audio_table_lines
    from amacast.voices import assign_voices

    config = root / "amacast.toml"
    try:
        lines = audio_table_lines(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        lines = {}
    render_settings, problems = RenderSettings.from_table(settings.audio, lines=lines)
    found = list(problems)
    seen: set[tuple[str, int, str, str]] = set()
    for episode in episodes:
        _voices, voice_problems = assign_voices(episode, settings.voices, render_settings.engine)
        for problem in voice_problems:
            marker = (problem.path, problem.line, problem.code, problem.message)
            if marker not in seen:
                seen.add(marker)
                found.append(_relative(problem, root))
    return found


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
            step = int(state.fraction * 20)
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


def size_warnings(folder: Path, settings: Settings) -> list[str]:
    """Warnings when the site nears GitHub Pages' limits (1 GB a site, 100 MB a file)."""
    warnings: list[str] = []
    total = 0
    hint = (
        "host the MP3s elsewhere (e.g. release assets) and set audio_base_url in amacast.toml"
        if not settings.audio_base_url
        else "audio_base_url is set: keep the MP3s out of the Pages site"
    )
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        size = path.stat().st_size
        total += size
        if size >= PAGES_FILE_LIMIT * NEAR_LIMIT:
            relative = path.relative_to(folder).as_posix()
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


def _reuse_audio(
    previous: Mapping[str, Any], old_output: Path, staging: Path, slug: str, key: str
) -> AudioInfo | None:
    """The previous audio of an unchanged episode, linked into ``staging``; None to render."""
    entry = previous.get("episodes", {}).get(slug) if previous else None
    if not isinstance(entry, dict) or entry.get("audio_key") != key or "audio" not in entry:
        return None
    try:
        info = audio_info_from_dict(entry["audio"])
    except (KeyError, TypeError, ValueError):
        return None
    expected = previous.get("files", {})
    files = entry.get("files") or _audio_files(info)
    sources = [(str(relative), old_output / str(relative)) for relative in files]
    for relative, source in sources:
        if not source.is_file() or relative not in expected:
            return None
    if (old_output / info.mp3_path).stat().st_size != info.byte_length:
        return None
    for relative, source in sources:
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
    return info


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


def _hash_tree(folder: Path) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            hashes[path.relative_to(folder).as_posix()] = _hash_file(path)
    return hashes


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_manifest(
    staging: Path,
    keys: Mapping[str, str],
    audio: Mapping[str, AudioInfo],
    hashes: Mapping[str, str],
) -> None:
    episodes = {
        slug: {
            "audio_key": keys[slug],
            "audio": audio_info_to_dict(audio[slug]),
            "files": _episode_audio_files(audio[slug], hashes),
        }
        for slug in sorted(audio)
        if slug in keys
    }
    manifest = {
        "version": MANIFEST_VERSION,
        "generator": f"amacast {__version__}",
        "episodes": episodes,
        "files": dict(sorted(hashes.items())),
    }
    text = json.dumps(manifest, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
    (staging / MANIFEST).write_text(text, encoding="utf-8")


def _swap(staging: Path, output: Path) -> None:
    """Put ``staging`` where ``output`` is: old output to a backup, new in place, backup gone."""
    backup: Path | None = None
    if output.exists() or output.is_symlink():
        backup = Path(tempfile.mkdtemp(prefix=f"{output.name}.old-", dir=output.parent))
        backup.rmdir()
        os.rename(output, backup)
    try:
        os.rename(staging, output)
    except BaseException:
        if backup is not None:
            with contextlib.suppress(OSError):
                os.rename(backup, output)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
