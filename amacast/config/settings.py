"""``amacast.toml`` → :class:`Settings`, every table checked once, each problem at its line.

:func:`load_settings` reads the file once, scans where each key is
(:mod:`amacast.config.lines`) and runs the validators of
:mod:`amacast.config.schema` over every table: the top-level keys, ``[audio]``
(into :class:`RenderSettings`) and ``[voices]`` with ``[voices.custom.*]``
(:func:`amacast.config.voices.check_voices_table`).  Every problem becomes a
:class:`~amacast.model.Diagnostic` at the key's own line: an unknown key is a
warning (with the nearest known key), a wrong type, a bad value or a missing
required key is an error.  A file that does not parse gives one error at its
line and nothing that would only follow from it.

:func:`amacast.voices.check_episode_voices` checks what needs the episodes
too: the ``voices:`` of their front matter against their Legend.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from amacast.config.lines import KeyLines, scan_keys
from amacast.config.options import FundingSetting, PersonSetting
from amacast.config.schema import (
    APPLE_CATEGORIES,
    AUDIO,
    DEFAULT_CACHE_DIR,
    OPTIONS,
    REMOTE_URL,
    Context,
    OptionError,
    brief,
    check_table,
    closest,
    did_you_mean,
)
from amacast.config.voices import check_voices_table
from amacast.model import Diagnostic, Severity

CONFIG_FILE = "amacast.toml"

#: Namespace UUID of the Podcasting 2.0 ``podcast:guid`` (from the specification).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

#: Keys that may come from the environment, as ``AMACAST_<KEY>``.
ENV_KEYS: tuple[str, ...] = ("base_url", "audio_base_url")

#: Keys a build cannot do without.
REQUIRED_FOR_BUILD: tuple[str, ...] = ("title", "base_url")

#: Keys Apple Podcasts asks for: missing ones are a warning, not an error.
RECOMMENDED: tuple[str, ...] = (
    "title",
    "description",
    "author",
    "owner_email",
    "image",
    "category",
)


def _empty_table() -> Mapping[str, Any]:
    return MappingProxyType({})


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
    """The raw ``[voices]`` table (read-only), as :func:`amacast.voices.assign_voices` takes it."""
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


# --------------------------------------------------------------------------
# Loading


def key_lines(text: str) -> dict[str, int]:
    """The line of each top-level key (``key = …`` or ``[table]``) in TOML text."""
    return {path[0]: place[0] for path, place in scan_keys(text).places.items() if len(path) == 1}


def _syntax_place(error: Exception, text: str) -> tuple[int, int]:
    found = re.search(r"line (\d+), column (\d+)", str(error))
    if found:
        return int(found.group(1)), int(found.group(2))
    if "end of document" in str(error):
        return max(1, text.count("\n") + (not text.endswith("\n"))), 1
    return 1, 1


Report = Callable[..., None]


def _read(path: Path, report: Report) -> tuple[dict[str, Any], KeyLines, bool]:
    """The raw table, the key lines and whether the file is sound (read and parsed)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report(
            "config-not-utf8",
            "error",
            f"{CONFIG_FILE} is not UTF-8: {error.reason}",
            "save the file as UTF-8",
        )
        return {}, KeyLines(), False
    except OSError as error:
        report("config-unreadable", "error", f"cannot read {CONFIG_FILE}: {error.strerror}")
        return {}, KeyLines(), False
    lines = scan_keys(text)
    try:
        return tomllib.loads(text), lines, True
    except tomllib.TOMLDecodeError as error:
        line, column = _syntax_place(error, text)
        twice = [d for d in lines.duplicates if d.line == line] or list(lines.duplicates)
        if twice and re.search(r"overwrite|twice", str(error)):
            for duplicate in twice:
                name = ".".join(duplicate.path)
                what = f"table [{name}]" if duplicate.is_table else f"key {name!r}"
                report(
                    "config-duplicate-key",
                    "error",
                    f"duplicate {what} (first given on line {duplicate.first_line})",
                    f"keep one {what.split()[1]} and put everything it holds there"
                    if duplicate.is_table
                    else f"keep one {name!r} and remove the other",
                    duplicate.line,
                    duplicate.column,
                )
            return {}, lines, False
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(error))
        report(
            "config-syntax-error",
            "error",
            f"TOML syntax error: {message}",
            "see https://toml.io for the syntax",
            line,
            column,
        )
        return {}, lines, False


def load_settings(
    root: Path,
    overrides: Mapping[str, str] | None = None,
    *,
    required: Collection[str] = REQUIRED_FOR_BUILD,
    expected: Collection[str] = (),
    environ: Mapping[str, str] | None = None,
) -> tuple[Settings, list[Diagnostic]]:
    """Read ``root/amacast.toml`` into Settings and report every problem of every table.

    Values are taken, last one winning, from the file, the environment
    (``AMACAST_BASE_URL``, ``AMACAST_AUDIO_BASE_URL``) and ``overrides``
    (command-line options, as strings).  Keys with errors keep their
    defaults, so the returned Settings are always usable for reporting; check
    the diagnostics for errors before building.  A missing ``required`` key
    is an error, a missing ``expected`` one a warning (``validate`` cannot
    know whether ``build`` will be given ``--base-url``).  Without the file (or when
    ``required`` is empty) that is an error (a warning) of its own, with no
    location, and nothing else.  Never raises on user input.
    """
    environ = os.environ if environ is None else environ
    path = root / CONFIG_FILE
    diagnostics: list[Diagnostic] = []

    def report(
        code: str,
        severity: Severity,
        message: str,
        hint: str = "",
        line: int = 0,
        column: int = 0,
        where: str = CONFIG_FILE,
    ) -> None:
        diagnostics.append(Diagnostic(where, line, column, code, severity, message, hint))

    raw: dict[str, Any] = {}
    lines = KeyLines()
    present = path.is_file()
    sound = False
    if not present:
        report(
            "config-missing-file",
            "error" if required else "warning",
            f"there is no {CONFIG_FILE} in this folder"
            + ("" if required else ": using default settings"),
            f"create {CONFIG_FILE} with at least title and base_url (see docs/settings.md)",
        )
    else:
        raw, lines, sound = _read(path, report)

    sources: dict[str, tuple[object, str, int, int]] = {}
    for key, value in raw.items():
        sources[key] = (value, CONFIG_FILE, *lines.place_of(key))
    for key in ENV_KEYS:
        name = "AMACAST_" + key.upper()
        if environ.get(name):
            sources[key] = (OPTIONS[key].from_string(environ[name]), f"${name}", 0, 0)
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        option = OPTIONS.get(key)
        if option is None:
            report(
                "config-unknown-key",
                "warning",
                f"unknown setting {key!r} given as an option",
                where="(command line)",
            )
            continue
        sources[key] = (option.from_string(value), "(command line)", 0, 0)

    context = Context(root=root)
    values: dict[str, Any] = {}
    for key, (value, where, line, column) in sources.items():
        option = OPTIONS.get(key)
        if option is None:
            hint = did_you_mean(key, OPTIONS, f"known settings: {', '.join(OPTIONS)}")
            report(
                "config-unknown-key",
                "warning",
                f"unknown setting {brief(key)}",
                hint,
                line,
                column,
                where,
            )
            continue
        try:
            values[key] = option.validate(value, context)
        except OptionError as error:
            report(error.code, "error", f"{key}: {error.message}", error.hint, line, column, where)

    _check_subcategory(values, sources, report)

    if sound:
        for key in OPTIONS:
            if key in sources:
                continue
            if key in required or key in expected:
                hint = f'add {key} = "…" to {CONFIG_FILE}'
                if key in ENV_KEYS:
                    hint += f", set AMACAST_{key.upper()} or pass --{key.replace('_', '-')}"
                misspelt = [k for k in raw if k not in OPTIONS and closest(k, OPTIONS) == key]
                if misspelt:
                    line = lines.line_of(misspelt[0])
                    hint = f"line {line} has {brief(misspelt[0])}: did you mean {key!r}?"
                if key in required:
                    report("config-missing-key", "error", f"{key} is required", hint)
                else:
                    message = f"{key} is not set: build and publish need it"
                    report("config-missing-key", "warning", message, hint)
            elif key in RECOMMENDED:
                report(
                    "config-missing-key",
                    "warning",
                    f"{key} is not set",
                    f"Apple Podcasts expects {key}; add it to {CONFIG_FILE}",
                )

    audio = values.get("audio", _empty_table())
    render, audio_problems = _render_settings(audio, CONFIG_FILE, lines)
    diagnostics += audio_problems
    diagnostics += check_voices_table(
        values.get("voices", _empty_table()),
        path=CONFIG_FILE,
        key_line=lambda parts: lines.line_of("voices", *parts),
        root=root,
    )

    # In the order of the file: the problems without a line (missing keys) first.
    diagnostics.sort(key=lambda d: (d.path != CONFIG_FILE, d.line, d.column))
    settings = Settings(**values, lines=lines)
    if settings.owner_email and not settings.owner_name:
        settings = replace(settings, owner_name=settings.author or settings.title)
    return settings, diagnostics


def _check_subcategory(
    values: dict[str, Any],
    sources: Mapping[str, tuple[object, str, int, int]],
    report: Report,
) -> None:
    subcategory = values.get("subcategory", "")
    if not subcategory:
        return
    category = values.get("category", "")
    _, where, line, column = sources["subcategory"]
    if not category:
        values.pop("subcategory")
        if "category" not in sources:
            report(
                "config-invalid-value",
                "error",
                "subcategory: given without category",
                "set category too",
                line,
                column,
                where,
            )
        return
    allowed = APPLE_CATEGORIES[category]
    if subcategory not in allowed:
        values.pop("subcategory")
        hint = (
            f"subcategories of {category}: {', '.join(allowed)}"
            if allowed
            else f"{category} has no subcategories"
        )
        report(
            "config-unknown-category",
            "error",
            f"subcategory: {brief(subcategory)} is not an Apple subcategory of {category!r}",
            hint,
            line,
            column,
            where,
        )
