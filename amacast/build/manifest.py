"""The output's manifest (``.amacast-manifest.json``): what each episode's audio was made from.

:class:`amacast.build.output.Generation` writes the manifest at each commit,
with every file amacast wrote and its SHA-256 (``files``).  The pipeline adds
``episodes``: per slug with audio, the audio key it was rendered for
(:func:`amacast.build.keys.audio_keyer`), its :class:`~amacast.model.AudioInfo`
and its files; and ``build``: what the next build needs to tell that nothing
changed (keys, sizes, the diagnostics and notes to report again).  A folder of
audio rendered elsewhere (``amacast render --shard``) carries a manifest of
the same shape, so a publish can adopt its audio.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from amacast import __version__
from amacast.build.codec import DecodeError, from_data, to_data
from amacast.build.fs import MANIFEST, read_manifest
from amacast.model import AudioInfo

__all__ = ["MANIFEST", "read_manifest"]

#: The manifest's layout; another one is read as no manifest.
MANIFEST_VERSION = 2


def audio_info_to_dict(info: AudioInfo) -> dict[str, Any]:
    """An ``AudioInfo`` as JSON data (the manifest keeps one per episode)."""
    data: dict[str, Any] = to_data(info)
    return data


def audio_info_from_dict(data: Any) -> AudioInfo:
    """The ``AudioInfo`` that :func:`audio_info_to_dict` wrote; DecodeError when it is not one."""
    return from_data(AudioInfo, data)


def audio_files(info: AudioInfo) -> list[str]:
    """The files one episode's audio consists of: MP3 and sidecars."""
    return [info.mp3_path, *info.sidecars.values()]


def episode_entries(
    keys: Mapping[str, str], audio: Mapping[str, AudioInfo], hashes: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """The manifest's ``episodes``: per slug with audio, its key, AudioInfo and files."""
    if not audio:
        return {}
    from amacast.audio.sidecars import audio_info_path  # here, not at the top: start-up time

    entries = {}
    for slug in sorted(audio):
        if slug not in keys:
            continue
        info = audio[slug]
        files = audio_files(info)
        if audio_info_path(slug) in hashes and audio_info_path(slug) not in files:
            files.append(audio_info_path(slug))
        entries[slug] = {
            "audio_key": keys[slug],
            "audio": audio_info_to_dict(info),
            "files": files,
        }
    return entries


def manifest_data(
    episodes: Mapping[str, Any], build: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A manifest but its ``files`` (which the commit adds)."""
    data: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "generator": f"amacast {__version__}",
        "episodes": dict(episodes),
    }
    if build is not None:
        data["build"] = dict(build)
    return data


def current_audio(
    manifest: Mapping[str, Any], folder: Path, slug: str, key: str
) -> tuple[AudioInfo, dict[str, str]] | None:
    """The audio ``manifest`` lists for ``slug`` under ``key``, when its files are in ``folder``.

    Returns its AudioInfo and its files with the hashes the manifest gives
    them; None when the key differs or a file is missing (to be rendered).
    """
    if manifest.get("version") != MANIFEST_VERSION:
        return None
    entry = manifest.get("episodes", {}).get(slug)
    if not isinstance(entry, dict) or entry.get("audio_key") != key or "audio" not in entry:
        return None
    try:
        info = audio_info_from_dict(entry["audio"])
    except DecodeError:
        return None
    expected = manifest.get("files", {})
    files = [str(relative) for relative in entry.get("files") or audio_files(info)]
    for relative in files:
        if not (folder / relative).is_file() or relative not in expected:
            return None
    if (folder / info.mp3_path).stat().st_size != info.byte_length:
        return None
    return info, {relative: str(expected[relative]) for relative in files}


def kept_audio_entries(
    slugs_and_sources: Sequence[tuple[str, str]],
    previous: Mapping[str, Any],
    keyer: Any,
    with_audio: bool,
) -> dict[str, Any] | None:
    """The previous manifest's entries of the audio a build would keep as it is.

    None when this build would render some (nothing to compare).
    """
    kept: dict[str, Any] = {}
    for slug, source_hash in slugs_and_sources:
        entry = previous.get("episodes", {}).get(slug) if previous else None
        if isinstance(entry, dict) and entry.get("audio_key") == keyer(source_hash):
            kept[slug] = entry
        elif with_audio:
            return None  # this one is to be rendered
    return kept


def write_audio_manifest(
    folder: Path, keys: Mapping[str, str], audio: Mapping[str, AudioInfo]
) -> None:
    """Write the manifest of a folder holding rendered audio only (``amacast render --shard``).

    The same shape a build writes, limited to each episode's MP3, sidecars
    and AudioInfo JSON, so that a build with ``audio_from=[folder]`` adopts them.
    """
    from amacast.audio.sidecars import audio_info_path  # here, not at the top: start-up time

    hashes: dict[str, str] = {}
    for slug, info in audio.items():
        for relative in [*audio_files(info), audio_info_path(slug)]:
            if (folder / relative).is_file():
                hashes[relative] = hash_file(folder / relative)
    data = {**manifest_data(episode_entries(keys, audio, hashes)), "files": hashes}
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def hash_file(path: Path) -> str:
    """The SHA-256 of a file, read in pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
