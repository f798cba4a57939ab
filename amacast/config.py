"""``amacast.toml`` → :class:`Settings`, checked key by key.

Every top-level key has its own small validator (an ``Option`` from
:mod:`amacast.config_options`).  A validator turns the raw TOML value into the
value ``Settings`` keeps, or raises ``OptionError`` with a message and a hint.
:func:`load_settings` runs all of them and reports every problem as a
:class:`~amacast.model.Diagnostic` naming the key and its line in
``amacast.toml``: an unknown key is a warning, a wrong type, a bad value or a
missing required key is an error.

The ``[audio]``, ``[voices]`` and ``[site]`` tables are passed through as
read-only mappings; the modules that own them check them.
"""

from __future__ import annotations

import difflib
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

from amacast.config_options import (
    APPLE_CATEGORIES,
    OPTIONS,
    REMOTE_URL,
    Context,
    FundingSetting,
    OptionError,
    PersonSetting,
)
from amacast.model import Diagnostic, Severity

CONFIG_FILE = "amacast.toml"

#: Namespace UUID of the Podcasting 2.0 ``podcast:guid`` (from the specification).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

#: Keys that may come from the environment, as ``AMACAST_<KEY>``.
ENV_KEYS: tuple[str, ...] = ("base_url", "audio_base_url")

#: Keys a build cannot do without.
REQUIRED_FOR_BUILD: tuple[str, ...] = ("base_url",)

#: Keys Apple Podcasts asks for: missing ones are a warning, not an error.
RECOMMENDED: tuple[str, ...] = (
    "title",
    "description",
    "author",
    "owner_email",
    "image",
    "category",
)

#: Tables handed to other modules unchecked.
PASS_THROUGH_TABLES: tuple[str, ...] = ("audio", "voices", "site")


def _empty_table() -> Mapping[str, Any]:
    return MappingProxyType({})


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
    voices: Mapping[str, Any] = field(default_factory=_empty_table)
    site: Mapping[str, Any] = field(default_factory=_empty_table)

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
    """The line of each top-level key (``key = …`` or ``[table]``) in TOML text.

    tomllib gives no positions, so this reads the lines itself; dotted keys
    (``audio.engine = …``) count for their first part.
    """
    lines: dict[str, int] = {}
    in_table = False
    key_pattern = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*[.=]""")
    table_pattern = re.compile(r"""\s*\[\[?\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))""")
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        table = table_pattern.match(line)
        if table:
            name = next(group for group in table.groups() if group is not None)
            lines.setdefault(name, number)
            in_table = True
            continue
        if in_table:
            continue
        key = key_pattern.match(line)
        if key:
            name = next(group for group in key.groups() if group is not None)
            lines.setdefault(name, number)
            for quote in ('"""', "'''"):
                if line.count(quote) == 1:
                    in_multiline = quote
    return lines


def _syntax_line(error: Exception) -> tuple[int, int]:
    lineno = getattr(error, "lineno", None)
    colno = getattr(error, "colno", None)
    if isinstance(lineno, int):
        return lineno, colno if isinstance(colno, int) else 1
    found = re.search(r"line (\d+), column (\d+)", str(error))
    if found:
        return int(found.group(1)), int(found.group(2))
    return 1, 1


def load_settings(
    root: Path,
    overrides: Mapping[str, str] | None = None,
    *,
    required: Collection[str] = REQUIRED_FOR_BUILD,
    environ: Mapping[str, str] | None = None,
) -> tuple[Settings, list[Diagnostic]]:
    """Read ``root/amacast.toml`` into Settings and report every problem.

    Values are taken, last one winning, from the file, the environment
    (``AMACAST_BASE_URL``, ``AMACAST_AUDIO_BASE_URL``) and ``overrides``
    (command-line options, as strings).  Keys with errors keep their
    defaults, so the returned Settings are always usable for reporting; check
    the diagnostics for errors before building.  Never raises on user input.
    """
    environ = os.environ if environ is None else environ
    path = root / CONFIG_FILE
    diagnostics: list[Diagnostic] = []

    def report(
        code: str,
        severity: Severity,
        message: str,
        hint: str = "",
        line: int = 1,
        column: int = 1,
        where: str = CONFIG_FILE,
    ) -> None:
        diagnostics.append(Diagnostic(where, line, column, code, severity, message, hint))

    raw: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if not path.is_file():
        report(
            "config-missing-file",
            "warning",
            f"no {CONFIG_FILE} in {root}: using defaults",
            "create amacast.toml with at least title and base_url",
        )
    else:
        try:
            text = path.read_bytes().decode("utf-8-sig")
            raw = tomllib.loads(text)
            lines = key_lines(text)
        except UnicodeDecodeError as error:
            report(
                "config-not-utf8",
                "error",
                f"{CONFIG_FILE} is not UTF-8: {error.reason}",
                "save the file as UTF-8",
            )
        except tomllib.TOMLDecodeError as error:
            line, column = _syntax_line(error)
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
            report(
                "config-syntax-error",
                "error",
                f"TOML syntax error: {message}",
                "see https://toml.io for the syntax",
                line,
                column,
            )
        except OSError as error:
            report("config-unreadable", "error", f"cannot read {CONFIG_FILE}: {error}")

    sources: dict[str, tuple[object, str, int]] = {}
    for key, value in raw.items():
        sources[key] = (value, CONFIG_FILE, lines.get(key, 1))
    for key in ENV_KEYS:
        name = "AMACAST_" + key.upper()
        if environ.get(name):
            sources[key] = (OPTIONS[key].from_string(environ[name]), f"${name}", 0)
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
                line=0,
                column=0,
            )
            continue
        sources[key] = (option.from_string(value), "(command line)", 0)

    context = Context(root=root)
    values: dict[str, Any] = {}
    for key, (value, where, line) in sources.items():
        option = OPTIONS.get(key)
        if option is None:
            close = difflib.get_close_matches(key, list(OPTIONS), n=1, cutoff=0.6)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"known settings: {', '.join(OPTIONS)}"
            )
            report(
                "config-unknown-key", "warning", f"unknown setting {key!r}", hint, line, where=where
            )
            continue
        try:
            values[key] = option.validate(value, context)
        except OptionError as error:
            report(error.code, "error", f"{key}: {error.message}", error.hint, line, where=where)

    _check_subcategory(values, sources, report)

    for key in OPTIONS:
        if key in sources:
            continue
        if key in required:
            hint = f'add {key} = "…" to {CONFIG_FILE}'
            if key in ENV_KEYS:
                hint += f", set AMACAST_{key.upper()} or pass --{key.replace('_', '-')}"
            report("config-missing-key", "error", f"{key} is required", hint)
        elif key in RECOMMENDED and path.is_file():
            report(
                "config-missing-key",
                "warning",
                f"{key} is not set",
                f"Apple Podcasts expects {key}; add it to {CONFIG_FILE}",
            )

    settings = Settings(**values)
    if settings.owner_email and not settings.owner_name:
        settings = replace(settings, owner_name=settings.author or settings.title)
    return settings, diagnostics


def _check_subcategory(
    values: dict[str, Any],
    sources: Mapping[str, tuple[object, str, int]],
    report: Callable[..., None],
) -> None:
    subcategory = values.get("subcategory", "")
    if not subcategory:
        return
    category = values.get("category", "")
    _, where, line = sources["subcategory"]
    if not category:
        values.pop("subcategory")
        if "category" not in sources:
            report(
                "config-invalid-value",
                "error",
                "subcategory: given without category",
                "set category too",
                line,
                where=where,
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
            f"subcategory: {subcategory!r} is not an Apple subcategory of {category!r}",
            hint,
            line,
            where=where,
        )
