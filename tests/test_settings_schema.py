"""The settings schema against its docs and its users: neither can drift from the other."""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from dataclasses import fields
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from amacast.audio.engines.base import Voice
from amacast.audio.engines.registry import engine_names
from amacast.config import KeyLines, RenderSettings, load_settings, scan_keys, settings_table
from amacast.config.schema import AUDIO, CUSTOM_VOICE, ENGINES, TABLES, TOP_LEVEL, VOICES
from amacast.config.voices import RESERVED_KEYS, Source, custom_voices

DOCS = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def documented_table() -> str:
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- settings-table:start -->\n(.*?)<!-- settings-table:end -->", text, re.DOTALL
    )
    assert found, "docs/settings.md lost its settings-table markers"
    return found.group(1)


def test_the_docs_table_is_the_schema() -> None:
    assert documented_table() == settings_table(), (
        "docs/settings.md is out of date: paste amacast.config.settings_table() between its markers"
    )


def test_every_documented_key_is_in_the_schema_and_every_schema_key_documented() -> None:
    documented = set(re.findall(r"^\| `([^`]+)` \|", documented_table(), re.MULTILINE))
    schema = {f"{table}.{key}" if table else key for table, keys in TABLES.items() for key in keys}
    assert documented == schema
    assert {"title", "audio.pause_turn", "voices.custom.NAME.pitch"} <= documented


def test_the_audio_schema_defaults_are_render_settings_defaults() -> None:
    assert set(AUDIO) == {f.name for f in fields(RenderSettings)}
    defaults = RenderSettings()
    for key, entry in AUDIO.items():
        assert tomllib.loads(f"value = {entry.default}")["value"] == getattr(defaults, key), key


def test_every_custom_voice_key_of_the_schema_makes_the_voice(tmp_path: Path) -> None:
    model = tmp_path / "v.onnx"
    model.write_bytes(b"onnx")
    (tmp_path / "v.onnx.json").write_text("{}")
    spec = {
        "engine": "piper",
        "base": "joe-high",
        "model": str(model),
        "pitch": 1.2,
        "tempo": 0.9,
        "lang": "en-gb",
        "tld": "co.uk",
        "options": {"noise_scale": 0.3},
    }
    assert set(spec) == set(CUSTOM_VOICE)
    voices, problems = custom_voices({"custom": {"mine": spec}}, Source("amacast.toml", 0))
    assert problems == []
    assert voices["mine"] == Voice(
        "mine", "piper", str(model), 1.2, 0.9, "en-gb", "co.uk", (("noise_scale", "0.3"),)
    )
    assert engine_names() == ENGINES
    assert set(VOICES) == {*RESERVED_KEYS, "<speaker>"}


def test_site_is_not_a_setting_any_more() -> None:
    assert "site" not in TOP_LEVEL


# -- where keys are ------------------------------------------------------------------------


def test_scanner_places_nested_quoted_and_inline_keys() -> None:
    text = (
        'title = """\nexplicit = 1\n"""  # a multi-line string is one value\n'
        "base_url = 'x' # comment = 3\n"
        'voices = { S = "joe", "Dr. Rao" = "joe-high" }\n'
        "[audio]\n"
        "  pause_turn = 2\n"
        'list = [\n  "a = 1",\n  [1, 2],\n]\n'
        '[voices.custom."alan b"]\n'
        "pitch = 1.1\n"
    )
    lines = scan_keys(text)
    assert lines.places == {
        ("title",): (1, 1),
        ("base_url",): (4, 1),
        ("voices",): (5, 1),
        ("voices", "S"): (5, 12),
        ("voices", "Dr. Rao"): (5, 23),
        ("audio",): (6, 1),
        ("audio", "pause_turn"): (7, 3),
        ("audio", "list"): (8, 1),
        ("voices", "custom"): (12, 1),
        ("voices", "custom", "alan b"): (12, 1),
        ("voices", "custom", "alan b", "pitch"): (13, 1),
    }
    assert lines.duplicates == ()
    # A key not written falls back to the nearest enclosing one.
    assert lines.line_of("voices", "custom", "alan b", "tempo") == 12
    assert lines.line_of("nowhere") == 0
    assert KeyLines().line_of("title") == 0


def test_scanner_finds_keys_and_tables_given_twice_but_not_array_elements() -> None:
    text = "a = 1\n[t]\nx = 1\n[[arr]]\ny = 1\n[[arr]]\ny = 2\n[t]\na = 2\n"
    duplicates = scan_keys(text).duplicates
    assert [(d.path, d.line, d.first_line, d.is_table) for d in duplicates] == [
        (("t",), 8, 2, True)
    ]
    assert [(d.path, d.line) for d in scan_keys("a = 1\nb = 2\na = 3\n").duplicates] == [
        (("a",), 3)
    ]


def test_scanner_never_raises_on_broken_text() -> None:
    for text in ['a = "unclosed\nb = 1\n', "[unclosed\nc = 2\n", "= 3\n", 'x = """\nno end', "\\"]:
        lines = scan_keys(text)
        assert isinstance(lines, KeyLines)
    assert scan_keys('a = "unclosed\nb = 1\n').line_of("b") == 2


# -- the scanner against tomllib, on generated documents -------------------------------------

_BARE_KEYS = st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True)
_QUOTED_KEYS = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x7f"), min_size=0, max_size=8
)
_KEYS = st.one_of(_BARE_KEYS, _QUOTED_KEYS)
_SCALARS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.booleans().map(lambda b: "true" if b else "false"),
    _QUOTED_KEYS.map(lambda text: json.dumps(text, ensure_ascii=False)),
    # A multi-line string whose lines look like keys and tables: none may count.
    st.just('"""\nfake = 1\n[fake]\n"""'),
    st.just("'''\n[[also.fake]]\nx = 2'''"),
    st.just('[\n  "a = 1",  # a comment\n  [1, 2],\n]'),
)


def _key_text(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[tuple[str, ...], int]]:
    """A TOML document of top-level keys and tables, and the line each key is written on."""
    chunks: list[str] = []
    expected: dict[tuple[str, ...], int] = {}
    line = 1

    def emit(text: str) -> None:
        nonlocal line
        chunks.append(text)
        line += text.count("\n") + 1

    def pairs(prefix: tuple[str, ...]) -> None:
        for key in draw(st.lists(_KEYS, max_size=4, unique=True)):
            expected[(*prefix, key)] = line
            emit(f"{_key_text(key)} = {draw(_SCALARS)}")

    pairs(())
    for table in draw(st.lists(_KEYS, max_size=3, unique=True)):
        if (table,) not in expected:
            expected[(table,)] = line
            emit(f"[{_key_text(table)}]")
            pairs((table,))
    return "\n".join(chunks) + "\n", expected


@settings(max_examples=200, deadline=None)
@given(documents())
def test_scanner_places_every_key_tomllib_reads(
    document: tuple[str, dict[tuple[str, ...], int]],
) -> None:
    text, expected = document
    tomllib.loads(text)  # the generator writes valid TOML
    places = scan_keys(text).places
    for path, line in expected.items():
        assert places.get(path, (0, 0))[0] == line, (path, text)
    assert scan_keys(text).duplicates == ()


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ab = []{}.\"'#\n\\,1"), max_size=60) | st.text(max_size=60))
def test_scanner_never_raises_and_stays_in_the_text(text: str) -> None:
    lines = scan_keys(text)
    count = text.count("\n") + 1
    assert all(1 <= line <= count and column >= 1 for line, column in lines.places.values())


_TOML_BITS = st.sampled_from(
    [
        "title",
        "base_url",
        "[audio]",
        "[voices]",
        "[voices.custom.a]",
        "pause_turn",
        "S",
        "pitch",
        " = ",
        '"joe"',
        '"https://e.org/"',
        "3",
        "-1.5",
        "true",
        "[1, 2]",
        "{x = 1}",
        '"""',
        "\n",
        "#",
        ".",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TOML_BITS, max_size=25).map("".join))
def test_any_amacast_toml_gives_diagnostics_never_an_exception(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "amacast.toml").write_text(text, encoding="utf-8")
        loaded, diagnostics = load_settings(root, environ={})
    count = text.count("\n") + 1
    assert isinstance(loaded.render, RenderSettings)
    for d in diagnostics:
        assert d.path == "amacast.toml" and 0 <= d.line <= count, d
        assert d.severity in ("error", "warning") and d.code.split("-")[0] in (
            "config",
            "audio",
            "voices",
        )
