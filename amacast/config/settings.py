"""The typed settings of a project: :class:`Settings`, with ``[audio]`` as :class:`RenderSettings`.

Plain frozen values with the URLs and GUIDs derived from them;
:mod:`amacast.config.loading` reads ``amacast.toml`` into them.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from amacast.config.audio_options import DEFAULT_CACHE_DIR
from amacast.config.lines import KeyLines
from amacast.config.options import Context
from amacast.config.schema import AUDIO, REMOTE_URL, check_table
from amacast.config.show_options import FundingSetting, PersonSetting
from amacast.model import Diagnostic, Severity

CONFIG_FILE = "amacast.toml"


def _empty_table() -> Mapping[str, Any]:
    return MappingProxyType({})


#: Namespace UUID of the Podcasting 2.0 ``podcast:guid`` (from the specification).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


@dataclass(frozen=True)
class RenderSettings:
    """The ``[audio]`` table of ``amacast.toml``, checked.

    ``intro``/``outro``: True for the default words, False for none, or a
    template using ``{podcast}``, ``{title}``, ``{author}``, ``{date}``.
    Pauses are seconds; ``bitrate`` is kbit/s (constant); ``loudness`` is the
    integrated target in LUFS and ``true_peak`` the ceiling in dBTP.
    """

    intro: bool | str = True
    outro: bool | str = True
    pause_turn: float = 0.9
    pause_paragraph: float = 0.45
    sample_rate: int = 22050
    bitrate: int = 64
    loudness: float = -16.0
    true_peak: float = -1.0
    cache_dir: str = DEFAULT_CACHE_DIR
    engine: str = "piper"
    enabled: bool = True

    @classmethod
    def from_table(
        cls,
        table: Mapping[str, Any] | None,
        *,
        path: str = CONFIG_FILE,
        lines: KeyLines | None = None,
    ) -> tuple[RenderSettings, tuple[Diagnostic, ...]]:
        """Settings from a raw ``[audio]`` table, with a diagnostic per bad key.

        Bad values keep their defaults (so the result is always usable);
        ``lines`` says where the keys are in ``path``.
        """
        return _render_settings(table or {}, path, lines or KeyLines())


def _render_settings(
    table: Mapping[str, Any], path: str, lines: KeyLines
) -> tuple[RenderSettings, tuple[Diagnostic, ...]]:
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    context = Context(root=Path("."))

    def report(key: str, code: str, severity: Severity, message: str, hint: str) -> None:
        line, column = lines.place_of("audio", key)
        problems.append(
            Diagnostic(path, line, column, code, severity, f"audio.{key}: {message}", hint)
        )

    values.update(
        check_table(
            table,
            AUDIO,
            context,
            report,
            unknown="audio-unknown-key",
            bad=lambda _key: "audio-bad-value",
        )
    )
    rate = values.get("sample_rate", RenderSettings.sample_rate)
    if values.get("bitrate", RenderSettings.bitrate) > 160 and rate < 32000:
        report(
            "bitrate",
            "audio-bad-value",
            "error",
            f"at most 160 kbit/s at {rate} Hz",
            "raise sample_rate or lower bitrate",
        )
        values.pop("bitrate", None)
    return RenderSettings(**values), tuple(problems)


@dataclass(frozen=True)
class Settings:
    """The podcast's settings, checked.

    ``base_url`` always ends with ``/`` (or is empty when not configured).
    ``image`` is the cover's path relative to the project root, in POSIX form;
    the build copies it to ``cover.<ext>`` in the output folder.
    ``audio_base_url``, when set, replaces ``<base_url>audio/`` in MP3 URLs.
    """

    title: str = "Untitled podcast"
    description: str = ""
    author: str = ""
    owner_name: str = ""
    owner_email: str = ""
    base_url: str = ""
    audio_base_url: str = ""
    language: str = "en"
    image: str = ""
    category: str = ""
    subcategory: str = ""
    explicit: bool = False
    copyright: str = ""
    timezone: str = "UTC"
    type: str = "episodic"
    locked: bool = False
    guid: str = ""
    atom_entries: int = 50
    hosts: tuple[PersonSetting, ...] = ()
    """The show's regular hosts: ``podcast:person`` in the channel."""
    funding: tuple[FundingSetting, ...] = ()
    """``podcast:funding`` links."""
    medium: str = "podcast"
    """``podcast:medium``."""
    previous_base_urls: tuple[str, ...] = ()
    """Where the show was served before, oldest first: the derived podcast GUID
    keeps the first one's, and the feed says ``itunes:new-feed-url``."""
    complete: bool = False
    """``itunes:complete``: no more episodes will be published."""
    block: bool = False
    """``itunes:block``: keep the show out of Apple Podcasts."""
    audio: Mapping[str, Any] = field(default_factory=_empty_table)
    """The raw ``[audio]`` table (read-only); :attr:`render` is its checked form."""
    voices: Mapping[str, Any] = field(default_factory=_empty_table)
    """The raw ``[voices]`` table (read-only), for :func:`~amacast.audio.voices.assign_voices`."""
    lines: KeyLines = field(default_factory=KeyLines, compare=False, repr=False)
    """Where each key is in ``amacast.toml``, for diagnostics found later."""

    @functools.cached_property
    def render(self) -> RenderSettings:
        """The ``[audio]`` table as typed :class:`RenderSettings` (bad values keep defaults)."""
        return _render_settings(self.audio, CONFIG_FILE, self.lines)[0]

    def line_of(self, *path: str) -> int:
        """The line of a key (``"voices", "S"``) in ``amacast.toml``; 0 when unknown."""
        return self.lines.line_of(*path)

    @property
    def tz(self) -> ZoneInfo:
        """The default timezone for naive episode dates."""
        return ZoneInfo(self.timezone)

    def url(self, relative: str) -> str:
        """An absolute URL for a path relative to the output folder."""
        return self.base_url + relative.lstrip("/")

    @property
    def feed_url(self) -> str:
        """The URL of ``podcast.xml``."""
        return self.url("podcast.xml")

    @property
    def atom_url(self) -> str:
        """The URL of ``atom.xml``."""
        return self.url("atom.xml")

    @property
    def image_is_remote(self) -> bool:
        """True when ``image`` is an absolute URL rather than a file in the project."""
        return bool(REMOTE_URL.match(self.image))

    @property
    def image_url(self) -> str:
        """The URL of the cover as published (``cover.<ext>``), or ``""`` without one."""
        if not self.image:
            return ""
        if self.image_is_remote:
            return self.image
        return self.url("cover" + PurePosixPath(self.image).suffix.lower())

    def episode_url(self, slug: str) -> str:
        """The URL of an episode's page."""
        return self.url(f"episodes/{slug}/")

    def audio_url(self, mp3_path: str) -> str:
        """The URL of an MP3 given its path relative to the output folder.

        With ``audio_base_url`` set, the file name is appended to it (the site
        does the same).
        """
        relative = mp3_path.lstrip("/")
        if self.audio_base_url:
            return self.audio_base_url + quote(PurePosixPath(relative).name)
        return self.url(quote(relative))

    @property
    def previous_feed_urls(self) -> tuple[str, ...]:
        """The URLs ``podcast.xml`` had before the show moved, oldest first."""
        return tuple(base + "podcast.xml" for base in self.previous_base_urls)

    @property
    def podcast_guid(self) -> str:
        """The ``podcast:guid``: the configured one, else UUIDv5 of the first feed URL.

        The first is the oldest of ``previous_base_urls`` when the show has
        moved (a podcast keeps the GUID it was first given), else today's.
        """
        if self.guid:
            return self.guid
        return podcast_guid_for_url((*self.previous_feed_urls, self.feed_url)[0])


@functools.lru_cache(maxsize=16)
def podcast_guid_for_url(feed_url: str) -> str:
    """The Podcasting 2.0 GUID of a feed URL.

    UUIDv5 in the podcast namespace over the URL with its scheme and trailing
    slashes removed (``https://podnews.net/rss/`` → ``podnews.net/rss``).
    """
    without_scheme = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip())
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, without_scheme.rstrip("/")))
