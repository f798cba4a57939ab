"""Every validation rule: a fixture that breaks it, and the code, severity and line it gets."""

from __future__ import annotations

import pytest

from amacast.model import Diagnostic
from amacast.transcript.parse import parse_episode
from amacast.transcript.validate import strict, validate_episode, validate_episodes
from tests.conftest import SEED, fixture, fossassam, shared_file


def diagnostics_of(*names: str, timezone: str = "UTC") -> list[Diagnostic]:
    return validate_episodes([parse_episode(fixture(n)) for n in names], timezone)


@pytest.mark.parametrize(
    ("name", "code", "severity", "line", "column"),
    [
        ("not-utf8.md", "not-utf8", "error", 18, 25),
        ("no-front-matter.md", "no-front-matter", "error", 1, 1),
        ("front-matter-syntax.md", "front-matter-syntax", "error", 4, 13),
        ("front-matter-not-mapping.md", "front-matter-not-mapping", "error", 2, 1),
        ("front-matter-alias.md", "front-matter-alias", "error", 4, 7),
        ("missing-title.md", "missing-title", "error", 1, 1),
        ("missing-date.md", "missing-date", "error", 1, 1),
        ("bad-date.md", "bad-date", "error", 3, 1),
        ("no-legend.md", "no-legend", "error", 1, 1),
        ("unknown-speaker.md", "unknown-speaker", "error", 22, 1),
        ("no-turns.md", "no-turns", "error", 9, 1),
        ("naive-date.md", "naive-date", "warning", 3, 1),
        ("unused-speaker.md", "unused-speaker", "warning", 12, 1),
        ("empty-turn.md", "empty-turn", "warning", 22, 1),
        ("mojibake.md", "mojibake", "warning", 18, 25),
        ("invisible-label-char.md", "invisible-label-char", "warning", 20, 5),
        ("unknown-key.md", "unknown-key", "warning", 5, 1),
        ("bad-key-type.md", "bad-key-type", "warning", 5, 1),
        ("bad-legend-item.md", "bad-legend-item", "warning", 12, 1),
        ("bom.md", "bom", "warning", 1, 1),
        ("bad-people.md", "bad-people", "warning", 5, 1),
        ("bad-soundbite.md", "bad-soundbite", "warning", 5, 1),
        ("bad-image.md", "bad-image", "warning", 5, 1),
        ("draft.md", "draft", "info", 4, 1),
    ],
)
def test_rule(name: str, code: str, severity: str, line: int, column: int) -> None:
    found = diagnostics_of(name)
    matching = [d for d in found if d.code == code]
    assert matching, f"{name}: expected {code}, got {[d.code for d in found]}"
    d = matching[0]
    assert (d.severity, d.line, d.column) == (severity, line, column)
    assert d.path.endswith(name)
    assert d.message and d.hint


def test_valid_fixture_is_clean() -> None:
    assert diagnostics_of("valid.md") == []


def test_people_soundbites_and_image_for_the_feed_are_clean() -> None:
    assert diagnostics_of("people-and-soundbites.md") == []


def test_feed_key_warnings_name_what_is_wrong() -> None:
    people = [d.message for d in diagnostics_of("bad-people.md")]
    assert people == ["`people` names `X`, who is not in the Legend"]
    bites = [d.message for d in diagnostics_of("bad-soundbite.md")]
    assert bites == [
        "soundbite 2 needs `start` (0 or more) and `duration` (more than 0) in seconds"
    ]
    (image,) = diagnostics_of("bad-image.md")
    assert image.message == (
        "`image` is not an http(s) URL of a .jpg or .png file: 'images/rin.jpeg'"
    )


def test_not_utf8_hint_names_the_likely_encoding() -> None:
    (d,) = [d for d in diagnostics_of("not-utf8.md") if d.code == "not-utf8"]
    assert "0x96" in d.message
    assert "WINDOWS-1252" in d.hint


def test_front_matter_syntax_error_line_is_mapped_to_the_file() -> None:
    (d,) = diagnostics_of("front-matter-syntax.md")
    # The unclosed quote opens on line 2; YAML notices at the end of the block (line 4).
    assert d.code == "front-matter-syntax" and d.line == 4


def test_impossible_date_is_an_error_not_a_crash() -> None:
    found = diagnostics_of("bad-date.md")
    assert [d.code for d in found] == ["bad-date"]
    assert "2019-02-30" in found[0].message


def test_unknown_speaker_names_the_code_the_known_ones_and_the_nearest() -> None:
    (d,) = diagnostics_of("unknown-speaker.md")
    assert "`Q`" in d.message and "R" in d.message and "P(n)" in d.message
    typo = parse_episode(fixture("valid.md"))
    from amacast.transcript.parse import parse_episode_text

    text = (
        fixture("valid.md").read_text().replace("**R:** The changelog.", "**PP1:** The changelog.")
    )
    (d2,) = validate_episode(parse_episode_text(text, "typo.md"))
    assert d2.code == "unknown-speaker" and "did you mean `P1`" in d2.hint
    assert typo.turns  # the valid fixture parses


def test_no_legend_suppresses_label_noise() -> None:
    found = diagnostics_of("no-legend.md")
    assert [d.code for d in found] == ["no-legend"]


def test_naive_date_names_the_assumed_zone() -> None:
    (d,) = diagnostics_of("naive-date.md", timezone="Asia/Kolkata")
    assert "Asia/Kolkata" in d.message


def test_mojibake_says_the_likely_text_and_leaves_portuguese_alone() -> None:
    (d,) = diagnostics_of("mojibake.md")
    assert "—" in d.message or "😛" in d.message
    assert diagnostics_of("mojibake-free-portuguese.md") == []


def test_mojibake_in_the_seed_suggests_the_emoji() -> None:
    found = validate_episode(parse_episode(shared_file(SEED)))
    assert [(d.code, d.severity) for d in found] == [("mojibake", "warning")]
    assert "😛" in found[0].message and "ðŸ˜›" in found[0].message


def test_invisible_characters_inside_and_outside_the_bold() -> None:
    found = diagnostics_of("invisible-label-char.md")
    assert [(d.code, d.line) for d in found] == [
        ("invisible-label-char", 20),
        ("invisible-label-char", 22),
    ]
    assert "U+202C" in found[0].message


def test_duplicate_slug_names_both_files_and_lines() -> None:
    found = diagnostics_of("duplicate-slug-a.md", "duplicate-slug-b.md")
    (d,) = [d for d in found if d.code == "duplicate-slug"]
    assert d.severity == "error"
    assert d.path.endswith("duplicate-slug-b.md") and d.line == 2
    assert "duplicate-slug-a.md:2" in d.message


def test_duplicate_guid() -> None:
    found = diagnostics_of("duplicate-guid-a.md", "duplicate-guid-b.md")
    (d,) = [d for d in found if d.code == "duplicate-guid"]
    assert d.path.endswith("duplicate-guid-b.md") and d.line == 5
    assert "duplicate-guid-a.md:5" in d.message


def test_draft_may_have_no_turns() -> None:
    from amacast.transcript.parse import parse_episode_text

    text = fixture("no-turns.md").read_text().replace("draft: false", "draft: true")
    assert [d.code for d in validate_episode(parse_episode_text(text, "d.md"))] == ["draft"]


def test_strict_raises_warnings_only() -> None:
    found = strict(diagnostics_of("naive-date.md") + diagnostics_of("draft.md"))
    assert sorted((d.code, d.severity) for d in found) == [
        ("draft", "info"),
        ("naive-date", "error"),
    ]


@pytest.mark.parametrize("name", ["sayak", "ali", "ashris", "srijan"])
def test_fossassam_posts_have_no_errors(name: str) -> None:
    found = validate_episode(parse_episode(fossassam(name)))
    assert not [d for d in found if d.severity == "error"]
    expected = {"ashris": {"invisible-label-char"}}.get(name, set())
    assert {d.code for d in found} == expected
