"""The schema of ``amacast.toml``: every key of every table, its validator, default and meaning.

The tables (:data:`TOP_LEVEL`, :data:`AUDIO`, :data:`VOICES`,
:data:`CUSTOM_VOICE`) give every key its validator (from
:mod:`amacast.config.options`, :mod:`~amacast.config.show_options` and
:mod:`~amacast.config.audio_options`), its default as the docs show it and
one line of documentation; :func:`settings_table` renders them as the table in
``docs/settings.md`` (a test keeps the two equal).
:func:`amacast.config.load_settings` runs them and turns the errors into
Diagnostics at the key's own line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from amacast.config.audio_options import (
    DEFAULT_CACHE_DIR,
    ENGINES,
    MP3_BITRATES,
    MP3_RATES,
    Bitrate,
    SampleRate,
    Spoken,
    VoiceName,
    VoiceNames,
)
from amacast.config.options import (
    Choice,
    Context,
    Count,
    Flag,
    Guid,
    Number,
    Option,
    OptionError,
    Pattern,
    Table,
    Text,
    TimeZone,
    Url,
    Urls,
    brief,
    closest,
    did_you_mean,
)
from amacast.config.show_options import (
    APPLE_CATEGORIES,
    MEDIUMS,
    REMOTE_URL,
    Category,
    Funding,
    Image,
    People,
    Subcategory,
    image_size,
)
from amacast.model import Severity

__all__ = [
    "APPLE_CATEGORIES",
    "AUDIO",
    "CUSTOM_VOICE",
    "DEFAULT_CACHE_DIR",
    "ENGINES",
    "MP3_BITRATES",
    "MP3_RATES",
    "OPTIONS",
    "REMOTE_URL",
    "TABLES",
    "TOP_LEVEL",
    "VOICES",
    "Context",
    "Field",
    "OptionError",
    "brief",
    "closest",
    "did_you_mean",
    "image_size",
    "settings_table",
]


@dataclass(frozen=True)
class Field:
    """One key of a table: its validator, its default as the docs show it, what it does."""

    option: Option[Any]
    default: str
    doc: str


#: How a table's checks report a problem: key, code, severity, message, hint.
Report = Callable[[str, str, Severity, str, str], None]


def check_table(
    table: Mapping[str, Any],
    schema: Mapping[str, Field],
    context: Context,
    report: Report,
    *,
    unknown: str,
    bad: Callable[[str], str],
) -> dict[str, Any]:
    """Each key of ``table`` checked by its field's validator; the valid values, by key.

    A key the schema lacks is reported as the warning ``unknown`` with the
    nearest known key; a value its validator refuses as the error ``bad(key)``.
    """
    values: dict[str, Any] = {}
    for key, value in table.items():
        entry = schema.get(key)
        if entry is None:
            hint = did_you_mean(key, schema, f"known: {', '.join(schema)}")
            report(key, unknown, "warning", "unknown setting", hint)
            continue
        try:
            values[key] = entry.option.validate(value, context)
        except OptionError as error:
            report(key, bad(key), "error", error.message, error.hint)
    return values


#: The top-level keys, in the order they are reported.
TOP_LEVEL: Mapping[str, Field] = MappingProxyType(
    {
        "title": Field(Text(non_empty=True), "—", "**required**: the podcast's name"),
        "description": Field(Text(), '""', "what the podcast is about (Apple expects it)"),
        "author": Field(Text(), '""', "who makes it (Apple expects it)"),
        "owner_name": Field(Text(), "`author`", "the owner Apple shows; defaults to `author`"),
        "owner_email": Field(
            Pattern(
                r"[^@\s]+@[^@\s]+\.[^@\s]+", "an e-mail address", "write it as name@example.org"
            ),
            '""',
            "the owner's e-mail address (Apple expects it)",
        ),
        "base_url": Field(
            Url(),
            "—",
            "**required**: where `output/` is served, an absolute http(s) URL (gets a "
            "trailing `/`); `$AMACAST_BASE_URL` or `--base-url` override it",
        ),
        "audio_base_url": Field(
            Url(), '""', "as `base_url`; MP3 URLs become `audio_base_url + <slug>.mp3`"
        ),
        "language": Field(
            Pattern(
                r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*",
                "a language code",
                "use an ISO 639 code such as en, en-US or as",
            ),
            '"en"',
            "language code (`en`, `en-US`, `as`)",
        ),
        "image": Field(
            Image(),
            '""',
            "the cover: a square PNG or `.jpg`, 1400–3000 px, relative to `amacast.toml` "
            "(published as `cover.<ext>`), or an `https://` URL taken as is",
        ),
        "category": Field(Category(), '""', "an Apple Podcasts category"),
        "subcategory": Field(Subcategory(), '""', "an Apple subcategory of `category`"),
        "explicit": Field(Flag(), "false", "the podcast contains explicit material"),
        "copyright": Field(Text(), '""', "the copyright line of the feeds"),
        "timezone": Field(
            TimeZone(), '"UTC"', "IANA name; used for episode dates written without an offset"
        ),
        "type": Field(Choice(("episodic", "serial")), '"episodic"', "the iTunes podcast type"),
        "locked": Field(Flag(), "false", "`podcast:locked`: refuse imports by other hosts"),
        "guid": Field(
            Guid(),
            "derived",
            "`podcast:guid`, a UUID; pin it before moving the feed to another URL",
        ),
        "atom_entries": Field(
            Count(),
            "50",
            "how many of the newest episodes `atom.xml` holds; `0` for all",
        ),
        "hosts": Field(
            People(),
            "[]",
            "the show's regular hosts (`podcast:person` in the channel): names, or tables "
            "with `name` and optional `href`, `img` (http(s) URLs) and `role`",
        ),
        "funding": Field(
            Funding(),
            "[]",
            '`podcast:funding`: `{ url = "https://…", text = "Support the show" }` '
            "or an array of them (text at most 128 characters)",
        ),
        "medium": Field(Choice(MEDIUMS), '"podcast"', "`podcast:medium`"),
        "previous_base_urls": Field(
            Urls(),
            "[]",
            "where the show was served before, oldest first: the podcast GUID stays the "
            "one derived from the first, and the feed says `itunes:new-feed-url`",
        ),
        "complete": Field(Flag(), "false", "`itunes:complete`: no more episodes will come"),
        "block": Field(Flag(), "false", "`itunes:block`: keep the show out of Apple Podcasts"),
        "audio": Field(Table(), "{}", "the narration, see `[audio]`"),
        "voices": Field(Table(), "{}", "who speaks with which voice, see `[voices]`"),
    }
)

#: Every known top-level key and its validator (kept for callers of the old name).
OPTIONS: Mapping[str, Option[Any]] = MappingProxyType(
    {key: field.option for key, field in TOP_LEVEL.items()}
)

#: The ``[audio]`` table.
AUDIO: Mapping[str, Field] = MappingProxyType(
    {
        "enabled": Field(Flag(), "true", "`amacast publish` renders the MP3s"),
        "engine": Field(
            Choice(ENGINES), '"piper"', "speech engine: offline `piper` or online `gtts`"
        ),
        "intro": Field(
            Spoken(), "true", "spoken before the first turn: the default words, none, or a template"
        ),
        "outro": Field(Spoken(), "true", "spoken after the last turn, as `intro`"),
        "pause_turn": Field(
            Number(0.0, 10.0, "seconds of silence between turns, e.g. 0.9"),
            "0.9",
            "seconds of silence between turns",
        ),
        "pause_paragraph": Field(
            Number(0.0, 10.0, "seconds of silence between paragraphs, e.g. 0.45"),
            "0.45",
            "seconds of silence between paragraphs of a turn",
        ),
        "sample_rate": Field(SampleRate(), "22050", "Hz of the MP3s"),
        "bitrate": Field(Bitrate(), "64", "constant MP3 bitrate; at most 160 below 32000 Hz"),
        "loudness": Field(
            Number(-40.0, -5.0, "integrated loudness in LUFS; podcasts use -16"),
            "-16",
            "integrated loudness target in LUFS",
        ),
        "true_peak": Field(
            Number(-10.0, 0.0, "the true-peak ceiling in dBTP; -1 is usual"),
            "-1",
            "true-peak ceiling in dBTP",
        ),
        "cache_dir": Field(
            Text(non_empty=True),
            f'"{DEFAULT_CACHE_DIR}"',
            "folder of cached speech segments, relative to `amacast.toml`",
        ),
    }
)

#: The ``[voices]`` table: the keys with a meaning of their own; any other key
#: names a speaker (by code, Legend pattern or name) and takes a voice name.
VOICES: Mapping[str, Field] = MappingProxyType(
    {
        "narrator": Field(VoiceName(), "`joe`", "the voice of the intro and outro"),
        "guest": Field(VoiceName(), "built in", "every guest without a voice of its own"),
        "host": Field(VoiceName(), "built in", "every host without a voice of its own"),
        "participants": Field(VoiceNames(), "built in", "voices participants rotate over"),
        "custom": Field(Table(), "{}", "voices of your own, see `[voices.custom.NAME]`"),
        "<speaker>": Field(
            VoiceName(),
            "built in",
            'a speaker code (`S`), a Legend pattern (`"P(n)"`) or a speaker\'s name',
        ),
    }
)

_FACTOR_HINT = "1.0 is the voice's own; measured good factors: 1.0 to 1.25"

#: One ``[voices.custom.NAME]`` table: a voice of your own, usable by NAME.
CUSTOM_VOICE: Mapping[str, Field] = MappingProxyType(
    {
        "engine": Field(Choice(ENGINES), "`base`'s, else `piper`", "the voice's engine"),
        "base": Field(VoiceName(), '""', "a built-in voice to start from"),
        "model": Field(
            Text(non_empty=True), '""', "a Piper voice file (`.onnx`, its `.onnx.json` beside it)"
        ),
        "pitch": Field(Number(0.5, 2.0, _FACTOR_HINT), "1.0", "pitch factor, tempo compensated"),
        "tempo": Field(Number(0.5, 2.0, _FACTOR_HINT), "1.0", "speed factor"),
        "lang": Field(Text(non_empty=True), '"en"', "gTTS language"),
        "tld": Field(Text(non_empty=True), '"com"', "gTTS accent (Google domain)"),
        "options": Field(Table(), "{}", "engine-specific options"),
    }
)

#: Every table of the schema, by the name the docs give it.
TABLES: Mapping[str, Mapping[str, Field]] = MappingProxyType(
    {
        "": TOP_LEVEL,
        "audio": AUDIO,
        "voices": VOICES,
        "voices.custom.NAME": CUSTOM_VOICE,
    }
)


#: Defaults the docs show as words rather than as TOML values.
_WORDS = ("—", "derived", "built in")


def settings_table() -> str:
    """Every key of the schema as one Markdown table (``docs/settings.md`` holds it)."""
    rows = ["| key | accepts | default | meaning |", "|---|---|---|---|"]
    for table, fields in TABLES.items():
        for key, entry in fields.items():
            name = f"{table}.{key}" if table else key
            default = entry.default
            if default not in _WORDS and "`" not in default:
                default = f"`{default}`"
            rows.append(f"| `{name}` | {entry.option.describe()} | {default} | {entry.doc} |")
    return "\n".join(rows) + "\n"
