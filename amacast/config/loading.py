"""``amacast.toml`` → :class:`~amacast.config.settings.Settings`, each problem at its line.

:func:`load_settings` reads the file once, scans where each key is
(:mod:`amacast.config.lines`) and runs the validators of
:mod:`amacast.config.schema` over every table: the top-level keys, ``[audio]``
(into :class:`RenderSettings`) and ``[voices]`` with ``[voices.custom.*]``
(:func:`amacast.config.voices.check_voices_table`).  Every problem becomes a
:class:`~amacast.model.Diagnostic` at the key's own line: an unknown key is a
warning (with the nearest known key), a wrong type, a bad value or a missing
required key is an error.  A file that does not parse gives one error at its
line and nothing that would only follow from it.

:func:`amacast.audio.voices.check_episode_voices` checks what needs the episodes
too: the ``voices:`` of their front matter against their Legend.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from amacast.config.lines import KeyLines, scan_keys
from amacast.config.options import Context, OptionError, brief, closest, did_you_mean
from amacast.config.schema import APPLE_CATEGORIES, OPTIONS
from amacast.config.settings import CONFIG_FILE, RenderSettings, Settings
from amacast.config.voices import check_voices_table
from amacast.model import Diagnostic, Severity

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


#: What a table the file does not have reads as.
_NO_TABLE: Mapping[str, Any] = MappingProxyType({})


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

    sources = _sources(raw, lines, environ, overrides or {}, report)
    values = _validated(sources, root, report)
    _check_subcategory(values, sources, report)
    if sound:
        _check_missing(raw, lines, sources, required, expected, report)

    _, audio_problems = RenderSettings.from_table(
        values.get("audio", _NO_TABLE), path=CONFIG_FILE, lines=lines
    )
    diagnostics += audio_problems
    diagnostics += check_voices_table(
        values.get("voices", _NO_TABLE),
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


#: A key's value and where it came from: (value, file or source, line, column).
Sources = dict[str, tuple[object, str, int, int]]


def _sources(
    raw: Mapping[str, Any],
    lines: KeyLines,
    environ: Mapping[str, str],
    overrides: Mapping[str, str],
    report: Report,
) -> Sources:
    """Each key's raw value from the file, then the environment, then the command line."""
    sources: Sources = {}
    for key, value in raw.items():
        sources[key] = (value, CONFIG_FILE, *lines.place_of(key))
    for key in ENV_KEYS:
        name = "AMACAST_" + key.upper()
        if environ.get(name):
            sources[key] = (OPTIONS[key].from_string(environ[name]), f"${name}", 0, 0)
    for key, value in overrides.items():
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
    return sources


def _validated(sources: Sources, root: Path, report: Report) -> dict[str, Any]:
    """The values the schema accepts; a problem reported for each other key."""
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
    return values


def _check_missing(
    raw: Mapping[str, Any],
    lines: KeyLines,
    sources: Sources,
    required: Collection[str],
    expected: Collection[str],
    report: Report,
) -> None:
    """A problem for each required, expected or recommended key the file lacks."""
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
