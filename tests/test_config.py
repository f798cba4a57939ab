"""amacast.toml → Settings: one small case per rule, asserting on the diagnostic's code and line."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from amacast.config import (
    APPLE_CATEGORIES,
    Settings,
    image_size,
    key_lines,
    load_settings,
    podcast_guid_for_url,
)
from amacast.config.show_options import FundingSetting, PersonSetting
from amacast.model import Diagnostic

BASE = 'base_url = "https://example.github.io/amacast/"\n'


def png_bytes(width: int, height: int) -> bytes:
    """A valid PNG of one grey colour (tiny once compressed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = (b"\x00" + b"\x80" * width) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a baseline JPEG: SOI, an APP0 segment, then SOF0 with the frame size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def load(tmp_path: Path, text: str, **kwargs: object) -> tuple[Settings, list[Diagnostic]]:
    """Settings of ``text``; ``title`` is not required here unless asked (its own tests are)."""
    (tmp_path / "amacast.toml").write_text(text, encoding="utf-8")
    kwargs.setdefault("environ", {})
    kwargs.setdefault("required", ("base_url",))
    return load_settings(tmp_path, **kwargs)  # type: ignore[arg-type]


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, diagnostics
    return found[0]


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


# -- file level -----------------------------------------------------------------------------


def test_minimal_file_is_clean_apart_from_recommendations(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, 'title = "Ask Us Anything"\n' + BASE)
    assert errors(diagnostics) == []
    assert settings.title == "Ask Us Anything"
    assert settings.language == "en" and settings.timezone == "UTC" and settings.type == "episodic"
    assert settings.explicit is False and settings.locked is False
    missing = {d.message.split()[0] for d in diagnostics if d.code == "config-missing-key"}
    assert missing == {"description", "author", "owner_email", "image", "category"}
    assert all(d.severity == "warning" for d in diagnostics)


def test_missing_file_is_one_error_without_a_fake_location(tmp_path: Path) -> None:
    settings, diagnostics = load_settings(tmp_path, environ={})
    assert settings == Settings()
    assert diagnostics == [
        Diagnostic(
            "amacast.toml",
            0,
            0,
            "config-missing-file",
            "error",
            "there is no amacast.toml in this folder",
            "create amacast.toml with at least title and base_url (see docs/settings.md)",
        )
    ]


def test_missing_file_is_a_warning_when_nothing_is_required(tmp_path: Path) -> None:
    _, diagnostics = load_settings(tmp_path, required=(), environ={})
    assert [(d.code, d.severity, d.line) for d in diagnostics] == [
        ("config-missing-file", "warning", 0)
    ]


def test_base_url_is_not_required_when_the_caller_says_so(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, 'title = "T"\n', required=())
    assert errors(diagnostics) == []


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, 'title = "T"\n' + BASE + "explicit = \n")
    error = only(diagnostics, "config-syntax-error")
    assert (error.severity, error.line, error.path) == ("error", 3, "amacast.toml")
    assert settings == Settings()


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "amacast.toml").write_bytes(b'title = "caf\xe9"\n')
    _, diagnostics = load_settings(tmp_path, environ={})
    assert only(diagnostics, "config-not-utf8").severity == "error"


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = 'title = 3\nexplicit = "yes"\nlanguage = "english!"\ntimezone = "Mars/Olympus"\n'
    _, diagnostics = load(tmp_path, text)
    found = {(d.code, d.line) for d in errors(diagnostics)}
    assert {
        ("config-wrong-type", 1),
        ("config-wrong-type", 2),
        ("config-invalid-value", 3),
        ("config-invalid-value", 4),
        ("config-missing-key", 0),
    } <= found


# -- one rule per key -----------------------------------------------------------------------


def test_unknown_key_is_a_warning_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, 'title = "T"\n' + BASE + 'tittle = "x"\n')
    unknown = only(diagnostics, "config-unknown-key")
    assert (unknown.severity, unknown.line) == ("warning", 3)
    assert "tittle" in unknown.message and "'title'" in unknown.hint
    assert errors(diagnostics) == []


def test_wrong_type_names_key_and_types(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, BASE + "\n\ntitle = 42\n")
    wrong = only(diagnostics, "config-wrong-type")
    assert wrong.line == 4
    assert wrong.message == "title: expected a string, got an integer"


def test_empty_title_is_refused(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, BASE + 'title = "  "\n')
    assert only(diagnostics, "config-invalid-value").line == 2


def test_base_url_gets_a_trailing_slash_and_keeps_its_path(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, 'base_url = "https://user.github.io/my-podcast"\n')
    assert errors(diagnostics) == []
    assert settings.base_url == "https://user.github.io/my-podcast/"
    assert settings.feed_url == "https://user.github.io/my-podcast/podcast.xml"
    assert settings.episode_url("ep-1") == "https://user.github.io/my-podcast/episodes/ep-1/"


@pytest.mark.parametrize(
    "url", ["example.org/podcast", "ftp://example.org/", "/podcast/", "https://example.org/?page=1"]
)
def test_base_url_must_be_an_absolute_http_url(tmp_path: Path, url: str) -> None:
    _, diagnostics = load(tmp_path, f'base_url = "{url}"\n')
    bad = only(diagnostics, "config-invalid-value")
    assert bad.line == 1 and bad.message.startswith("base_url:")


def test_base_url_from_the_environment(tmp_path: Path) -> None:
    settings, diagnostics = load(
        tmp_path, 'title = "T"\n', environ={"AMACAST_BASE_URL": "https://ci.example.org/pod"}
    )
    assert errors(diagnostics) == []
    assert settings.base_url == "https://ci.example.org/pod/"


def test_override_beats_environment_and_file(tmp_path: Path) -> None:
    settings, _ = load(
        tmp_path,
        BASE,
        overrides={"base_url": "https://override.example.org/x"},
        environ={"AMACAST_BASE_URL": "https://env.example.org/"},
    )
    assert settings.base_url == "https://override.example.org/x/"


def test_bad_override_is_reported_against_the_command_line(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, BASE, overrides={"base_url": "nope"})
    bad = only(diagnostics, "config-invalid-value")
    assert bad.path == "(command line)"


def test_boolean_override_from_a_string(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, BASE, overrides={"locked": "yes"})
    assert settings.locked is True and errors(diagnostics) == []


def test_audio_base_url_replaces_the_audio_folder(tmp_path: Path) -> None:
    settings, _ = load(
        tmp_path, BASE + 'audio_base_url = "https://cdn.example.org/releases/download/v1"\n'
    )
    assert settings.audio_base_url == "https://cdn.example.org/releases/download/v1/"
    assert settings.audio_url("audio/ep 1.mp3") == (
        "https://cdn.example.org/releases/download/v1/ep%201.mp3"
    )
    assert Settings(base_url="https://e.org/p/").audio_url("audio/x.mp3") == (
        "https://e.org/p/audio/x.mp3"
    )


def test_owner_email_must_look_like_an_address(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, BASE + 'owner_email = "not an address"\n')
    assert only(diagnostics, "config-invalid-value").line == 2


def test_owner_name_defaults_to_the_author(tmp_path: Path) -> None:
    settings, _ = load(tmp_path, BASE + 'author = "Ann"\nowner_email = "ann@example.org"\n')
    assert settings.owner_name == "Ann"


def test_language(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, BASE + 'language = "as-IN"\n')
    assert settings.language == "as-IN" and errors(diagnostics) == []
    _, diagnostics = load(tmp_path, BASE + 'language = "English"\n')
    assert only(diagnostics, "config-invalid-value").line == 2


def test_timezone(tmp_path: Path) -> None:
    settings, _ = load(tmp_path, BASE + 'timezone = "Asia/Kolkata"\n')
    assert settings.tz.key == "Asia/Kolkata"
    _, diagnostics = load(tmp_path, BASE + 'timezone = "Asia/Nowhere"\n')
    bad = only(diagnostics, "config-invalid-value")
    assert bad.line == 2 and "IANA" in bad.message


def test_type_is_episodic_or_serial(tmp_path: Path) -> None:
    settings, _ = load(tmp_path, BASE + 'type = "serial"\n')
    assert settings.type == "serial"
    _, diagnostics = load(tmp_path, BASE + 'type = "weekly"\n')
    assert only(diagnostics, "config-invalid-value").line == 2


@pytest.mark.parametrize("key", ["explicit", "locked", "complete", "block"])
def test_flags_are_booleans(tmp_path: Path, key: str) -> None:
    settings, _ = load(tmp_path, BASE + f"{key} = true\n")
    assert getattr(settings, key) is True
    _, diagnostics = load(tmp_path, BASE + f'{key} = "true"\n')
    wrong = only(diagnostics, "config-wrong-type")
    assert wrong.line == 2 and "boolean" in wrong.message


def test_category_and_subcategory_from_apples_list(tmp_path: Path) -> None:
    text = BASE + 'category = "Education"\nsubcategory = "How To"\n'
    settings, diagnostics = load(tmp_path, text)
    assert (settings.category, settings.subcategory) == ("Education", "How To")
    assert not [d for d in diagnostics if d.code == "config-unknown-category"]
    assert "How To" in APPLE_CATEGORIES["Education"]


def test_unknown_category_suggests_the_closest(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, BASE + 'category = "Technolgy"\n')
    bad = only(diagnostics, "config-unknown-category")
    assert bad.line == 2 and "'Technology'" in bad.hint


def test_subcategory_must_belong_to_the_category(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, BASE + 'category = "Science"\nsubcategory = "How To"\n')
    bad = only(diagnostics, "config-unknown-category")
    assert bad.line == 3 and "Physics" in bad.hint
    assert settings.subcategory == ""


def test_subcategory_without_category(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, BASE + 'subcategory = "How To"\n')
    assert only(diagnostics, "config-invalid-value").line == 2


def test_guid_must_be_a_uuid_and_wins_over_the_derived_one(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, BASE + 'guid = "917393E3-1B1E-5CEF-ACE4-EDAA54E1F810"\n')
    assert errors(diagnostics) == []
    assert settings.podcast_guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    _, diagnostics = load(tmp_path, BASE + 'guid = "my-podcast"\n')
    assert only(diagnostics, "config-invalid-value").line == 2


def test_podcast_guid_follows_the_specification() -> None:
    # The two examples of the Podcasting 2.0 specification (docs/tags/guid.md).
    assert podcast_guid_for_url("mp3s.nashownotes.com/pc20rss.xml") == (
        "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    )
    podnews = "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid_for_url("https://podnews.net/rss") == podnews
    assert podcast_guid_for_url("http://podnews.net/rss//") == podnews


def test_tables_are_read_only_and_site_is_no_longer_a_setting(tmp_path: Path) -> None:
    text = BASE + '[audio]\nengine = "piper"\n\n[voices]\nS = "joe"\n\n[site]\ntitle = 3\n'
    settings, diagnostics = load(tmp_path, text)
    assert settings.audio["engine"] == "piper" and settings.voices["S"] == "joe"
    assert settings.render.engine == "piper"
    unknown = only(diagnostics, "config-unknown-key")
    assert (unknown.severity, unknown.line, unknown.message) == (
        "warning",
        8,
        "unknown setting 'site'",
    )
    with pytest.raises(TypeError):
        settings.audio["engine"] = "gtts"  # type: ignore[index]


def test_a_table_key_given_a_scalar_is_the_wrong_type(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, BASE + 'audio = "piper"\n')
    wrong = only(diagnostics, "config-wrong-type")
    assert wrong.line == 2 and "table" in wrong.message


def test_key_lines_ignore_keys_inside_tables_and_strings() -> None:
    text = 'title = """\nexplicit = 1\n"""\n[site]\nlanguage = "x"\n[[x]]\n'
    assert key_lines(text) == {"title": 1, "site": 4, "x": 6}


# -- cover image -----------------------------------------------------------------------------


def test_square_png_cover_in_range(tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "cover.png").write_bytes(png_bytes(1400, 1400))
    settings, diagnostics = load(tmp_path, BASE + 'image = "art/cover.png"\n')
    assert errors(diagnostics) == []
    assert settings.image == "art/cover.png"
    assert settings.image_url == "https://example.github.io/amacast/cover.png"


@pytest.mark.parametrize(("width", "height"), [(1400, 1500), (1000, 1000), (3200, 3200)])
def test_cover_must_be_square_and_1400_to_3000(tmp_path: Path, width: int, height: int) -> None:
    (tmp_path / "cover.png").write_bytes(png_bytes(width, height))
    _, diagnostics = load(tmp_path, BASE + 'image = "cover.png"\n')
    bad = only(diagnostics, "config-image-size")
    assert bad.line == 2 and f"{width}x{height}" in bad.message


def test_jpeg_cover_size_is_read_from_its_header(tmp_path: Path) -> None:
    (tmp_path / "cover.jpg").write_bytes(jpeg_header(3000, 3000))
    settings, diagnostics = load(tmp_path, BASE + 'image = "cover.jpg"\n')
    assert errors(diagnostics) == []
    assert settings.image_url.endswith("/cover.jpg")
    assert image_size(jpeg_header(1600, 900)) == (1600, 900)


def test_cover_that_does_not_exist(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, BASE + 'image = "missing.png"\n')
    assert only(diagnostics, "config-image-not-found").line == 2


def test_cover_that_is_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "cover.png").write_text("hello")
    _, diagnostics = load(tmp_path, BASE + 'image = "cover.png"\n')
    assert only(diagnostics, "config-image-format").line == 2


def test_jpeg_extension_must_be_jpg(tmp_path: Path) -> None:
    (tmp_path / "cover.jpeg").write_bytes(jpeg_header(1400, 1400))
    _, diagnostics = load(tmp_path, BASE + 'image = "cover.jpeg"\n')
    assert "rename" in only(diagnostics, "config-image-format").hint


def test_hosted_cover_is_used_as_given(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, BASE + 'image = "https://cdn.example.org/c.png"\n')
    assert errors(diagnostics) == []
    assert settings.image_url == "https://cdn.example.org/c.png" and settings.image_is_remote


def test_the_example_project_settings_are_clean() -> None:
    root = Path(__file__).resolve().parent.parent
    if not (root / "amacast.toml").is_file():
        pytest.skip("the example project has no amacast.toml")
    settings, diagnostics = load_settings(root, environ={})
    assert diagnostics == []
    assert settings.title == "Ask Us Anything"
    assert settings.base_url == "https://example.github.io/amacast/"


def test_atom_entries_is_a_whole_number_of_zero_or_more(tmp_path: Path) -> None:
    settings, diagnostics = load(tmp_path, BASE)
    assert settings.atom_entries == 50 and errors(diagnostics) == []
    settings, diagnostics = load(tmp_path, BASE + "atom_entries = 0\n")
    assert settings.atom_entries == 0 and errors(diagnostics) == []
    _, diagnostics = load(tmp_path, BASE + 'atom_entries = "ten"\n')
    assert only(diagnostics, "config-wrong-type").message == (
        "atom_entries: expected a whole number, got a string"
    )
    _, diagnostics = load(tmp_path, BASE + "atom_entries = -3\n")
    assert only(diagnostics, "config-invalid-value").line == BASE.count("\n") + 1
    settings, diagnostics = load(tmp_path, BASE, overrides={"atom_entries": "7"})
    assert settings.atom_entries == 7 and errors(diagnostics) == []


# -- feed settings -----------------------------------------------------------------------------


def test_hosts_are_names_or_tables(tmp_path: Path) -> None:
    text = BASE + (
        'hosts = ["Hema Iyer", { name = "Kofi Mensah", href = "https://kofi.example.org/", '
        'img = "https://kofi.example.org/k.jpg", role = "Co-Host" }]\n'
    )
    settings, diagnostics = load(tmp_path, text)
    assert errors(diagnostics) == []
    assert settings.hosts == (
        PersonSetting("Hema Iyer"),
        PersonSetting(
            "Kofi Mensah", "https://kofi.example.org/", "https://kofi.example.org/k.jpg", "co-host"
        ),
    )


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ('[{ href = "https://a.example/" }]', "config-invalid-value", "hosts: a host has no name"),
        ('[{ name = "A", href = "ftp://a" }]', "config-invalid-value", "hosts: href 'ftp://a' is"),
        ('[{ name = "A", url = "https://a" }]', "config-invalid-value", "hosts: unknown key 'url'"),
        ("[3]", "config-wrong-type", "hosts: expected an array of names or of tables"),
    ],
)
def test_bad_hosts_name_the_problem_and_the_line(
    tmp_path: Path, value: str, code: str, message: str
) -> None:
    _, diagnostics = load(tmp_path, BASE + f"hosts = {value}\n")
    problem = only(diagnostics, code)
    assert problem.line == 2 and problem.message.startswith(message), problem


def test_funding_is_a_table_or_an_array_of_them(tmp_path: Path) -> None:
    one = 'funding = { url = "https://example.org/give", text = "Support us" }\n'
    settings, diagnostics = load(tmp_path, BASE + one)
    assert errors(diagnostics) == []
    assert settings.funding == (FundingSetting("https://example.org/give", "Support us"),)
    _, diagnostics = load(tmp_path, BASE + 'funding = [{ text = "Support us" }]\n')
    assert only(diagnostics, "config-invalid-value").message == (
        "funding: a funding link has no url"
    )
    long = "x" * 129
    _, diagnostics = load(
        tmp_path, BASE + f'funding = {{ url = "https://e.org/", text = "{long}" }}\n'
    )
    assert "129 characters" in only(diagnostics, "config-invalid-value").message


def test_medium_is_one_of_the_podcast_namespace_values(tmp_path: Path) -> None:
    settings, _ = load(tmp_path, BASE)
    assert settings.medium == "podcast"
    settings, _ = load(tmp_path, BASE + 'medium = "audiobook"\n')
    assert settings.medium == "audiobook"
    _, diagnostics = load(tmp_path, BASE + 'medium = "radio"\n')
    assert only(diagnostics, "config-invalid-value").line == 2


def test_a_show_that_moved_keeps_the_guid_of_its_first_address(tmp_path: Path) -> None:
    text = BASE + 'previous_base_urls = ["https://old.example.org/pod", "https://x.example.org/"]\n'
    settings, diagnostics = load(tmp_path, text)
    assert errors(diagnostics) == []
    assert settings.previous_base_urls == ("https://old.example.org/pod/", "https://x.example.org/")
    assert settings.podcast_guid == podcast_guid_for_url("https://old.example.org/pod/podcast.xml")
    _, diagnostics = load(tmp_path, BASE + 'previous_base_urls = "old.example.org"\n')
    assert only(diagnostics, "config-invalid-value").line == 2
