"""Keys: hashes of what each part of the output is made from.

A part whose key is unchanged is reused instead of made again: an episode's
audio (:func:`audio_keyer`), an episode page (:func:`page_key`), the whole
output (:func:`build_key`), and everything a build reads before parsing
(:func:`inputs_key`).  The site key (:func:`site_key`) is what every page and
feed entry shares: amacast's own code, templates and static files, the
project's templates, the settings and the cover.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from amacast import __version__
from amacast.audio.lame import MASTERING_VERSION
from amacast.build.codec import dumps
from amacast.config import Settings
from amacast.model import AudioInfo, Episode, Listing

#: The project's own templates, beside ``amacast.toml``.
TEMPLATES_DIR = "templates"
#: The amacast package, whose code and templates every page depends on.
PACKAGE = Path(__file__).resolve().parent.parent

#: Stands for the transcript's hash in the text :func:`audio_keyer` hashes.
_SOURCE = "@source@"


def audio_keyer(settings: Settings, cover_hash: str = "") -> Callable[[str], str]:
    """The audio key of an episode by its source hash, the settings' part worked out once.

    What an episode's audio depends on: the transcript, the ``[audio]`` and
    ``[voices]`` tables, the podcast's title and author (spoken in the intro,
    written to the ID3 tags), the cover (embedded in the tags), amacast's
    version and its mastering's (:data:`amacast.audio.lame.MASTERING_VERSION`).
    """
    inputs = {
        "source": _SOURCE,
        "audio": plain(settings.audio),
        "voices": plain(settings.voices),
        "podcast": [settings.title, settings.author, settings.image, cover_hash],
        "version": __version__,
        "mastering": MASTERING_VERSION,
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


def audio_key(episode: Episode | Listing, settings: Settings, cover_hash: str = "") -> str:
    """:func:`audio_keyer` for one episode."""
    return audio_keyer(settings, cover_hash)(episode.source_hash)


def cover(root: Path, settings: Settings) -> tuple[str, bytes] | None:
    """The podcast's local cover as it is published (``cover.<ext>``, bytes), or None."""
    if not settings.image or settings.image_is_remote:
        return None
    source = root / settings.image
    return "cover" + PurePosixPath(settings.image).suffix.lower(), source.read_bytes()


def cover_digest(image: tuple[str, bytes] | None) -> str:
    """The SHA-256 of a cover from :func:`cover` (``""`` without one)."""
    return hashlib.sha256(image[1]).hexdigest() if image else ""


def cover_hash(root: Path, settings: Settings) -> str:
    """The SHA-256 of the podcast's local cover (``""`` without one), for :func:`audio_keyer`."""
    return cover_digest(cover(root, settings))


def site_key(root: Path, settings: Settings, image: str | None = None) -> str:
    """A hash of what every page and feed entry depends on besides its episode.

    ``image`` is the cover's :func:`cover_digest` (or ``"unreadable"``) when
    the caller has read it; else the cover is read here.
    """
    if image is None:
        try:
            image = cover_digest(cover(root, settings))
        except OSError:
            image = "unreadable"
    digest = hashlib.sha256(f"{__version__}\0{image}\0".encode())
    digest.update(repr(settings).encode("utf-8", "surrogatepass"))
    sources = (
        (PACKAGE, "**/*.py"),
        (PACKAGE, "templates/**/*"),
        (PACKAGE, "static/**/*"),
        (root / TEMPLATES_DIR, "**/*"),
    )
    for folder, pattern in sources:
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                digest.update(f"\0{path.relative_to(folder).as_posix()}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build_key(site: str, episodes: Sequence[Episode | Listing], audio: Mapping[str, Any]) -> str:
    """A hash of everything the output is made from: the site key, transcripts, audio entries."""
    inputs = {
        "site": site,
        "episodes": [[e.slug, e.path, e.source_hash] for e in episodes],
        "audio": audio,
    }
    text = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def page_key(site: str, episode: Episode | Listing, audio: AudioInfo | None) -> str:
    """A hash of what one episode's page is made from."""
    digest = hashlib.sha256(
        "\0".join([site, episode.slug, episode.path, episode.source_hash, ""]).encode(
            "utf-8", "surrogatepass"
        )
    )
    if audio is not None:
        digest.update(dumps(audio))
    return digest.hexdigest()


def inputs_key(site: str, sources: str, flags: Sequence[bool]) -> str:
    """A hash of everything a build reads before parsing, and of how it was asked to run.

    The site key, every transcript's path and key
    (:func:`amacast.build.sources.sources_digest`) and the flags that change
    what is published.
    """
    return hashlib.sha256(json.dumps([site, sources, *flags]).encode("utf-8")).hexdigest()


def plain(value: Any) -> Any:
    """Settings tables as JSON data (mappings with string keys, lists)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
