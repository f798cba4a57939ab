"""The parser on the real posts and on small fixtures: structure, line numbers, robustness."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from unittest import mock

import nh3
import pyromark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import amacast.markup
import amacast.transcript.parse
from amacast.transcript.blocks import OPTIONS
from amacast.transcript.front_matter import parse_date, slugify
from amacast.transcript.parse import parse_episode, parse_episode_bytes, parse_episode_text
from tests.conftest import CORPUS, FIXTURES, ROOT, SEED, fixture, fossassam, shared_file


def first_words(text: str, n: int = 4) -> str:
    return " ".join(text.split()[:n])


# --- the seed and the four FOSSASSAM posts ---------------------------------------------


def test_seed_has_seven_questions_and_seven_answers() -> None:
    episode = parse_episode(shared_file(SEED))
    assert [t.speaker for t in episode.turns] == [
        "P1",
        "S",
        "P2",
        "S",
        "P3",
        "S",
        "P4",
        "S",
        "P5",
        "S",
        "P6",
        "S",
        "P7",
        "S",
    ]
    assert len(episode.questions) == 7
    assert episode.title == "AMA with Sayak Paul - Hacktoberfest'19"
    assert episode.date == dt.datetime(
        2019, 11, 13, 15, 14, 46, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))
    )
    assert episode.speaker("S") is not None and episode.speaker("S").name == "Sayak"  # type: ignore[union-attr]
    assert episode.speaker("S").role == "guest"  # type: ignore[union-attr]
    assert episode.speaker("P4").name == "Participant 4"  # type: ignore[union-attr]
    assert [first_words(t.text) for t in episode.turns[:4]] == [
        "How you introduce Data",
        "I will take the",
        "I've seen many people",
        "Oh, absolutely! This is",
    ]
    # The first answer runs over the italic re-quotes and the paragraphs after them.
    first_answer = episode.turns[1]
    assert first_answer.line == 31
    assert "Being a niche, where to work on?" in first_answer.text
    assert "data-driven decision making" in first_answer.text
    assert first_answer.end_line < episode.turns[2].line
    # The list in P5's answer stays a list block inside the turn.
    p5_answer = episode.turns[9]
    assert any(b.kind == "list" and "Review PRs" in b.text for b in p5_answer.blocks)
    # The last turn is S answering P7.
    assert first_words(episode.turns[-1].text) == "I got hooked to"
    codes = {(d.code, d.severity, d.line) for d in episode.diagnostics}
    assert ("mojibake", "warning", 51) in codes
    assert not [d for d in episode.diagnostics if d.severity == "error"]


def test_seed_preamble_keeps_intro_and_about_quote() -> None:
    episode = parse_episode(shared_file(SEED))
    kinds = [b.kind for b in episode.preamble]
    assert "quote" in kinds
    assert episode.preamble[0].text.startswith("This year during Hactoberfest")
    assert any("AMA was conducted on 2nd November 2019" in b.text for b in episode.preamble)
    assert episode.legend_line == 22


def test_sayak_post_matches_the_seed_structure() -> None:
    episode = parse_episode(fossassam("sayak"))
    assert len(episode.turns) == 14
    assert [t.speaker for t in episode.turns][::2] == [f"P{n}" for n in range(1, 8)]
    assert {t.speaker for t in episode.turns[1::2]} == {"S"}
    assert not episode.diagnostics


def test_ali_same_participant_asks_several_times() -> None:
    episode = parse_episode(fossassam("ali"))
    speakers = [t.speaker for t in episode.turns]
    assert speakers == [
        "P1",
        "A",
        "P2",
        "A",
        "P3",
        "A",
        "P3",
        "A",
        "P4",
        "A",
        "P5",
        "A",
        "P6",
        "A",
        "P7",
        "A",
        "P7",
        "A",
        "P7",
        "A",
        "P8",
        "A",
        "P9",
        "A",
    ]
    assert episode.speaker("A").name == "Ali"  # type: ignore[union-attr]
    assert first_words(episode.turns[0].text) == "Where do you see"
    assert first_words(episode.turns[1].text) == "With the release of"
    # The bare-URL list belongs to the second answer.
    assert any(b.kind == "list" and "LAB 1" in b.text for b in episode.turns[3].blocks)
    assert not [d for d in episode.diagnostics if d.severity == "error"]


def test_ashris_three_label_spellings_and_invisible_characters() -> None:
    episode = parse_episode(fossassam("ashris"))
    speakers = [t.speaker for t in episode.turns]
    assert speakers == [
        "P1",
        "A",
        "P1",
        "A",
        "P1",
        "A",
        "P1",
        "A",
        "P1",
        "A",
        "P2",
        "A",
        "P2",
        "P2",
        "A",
        "A",
        "P2",
        "A",
        "A",
        "P3",
        "A",
        "P4",
        "A",
        "P4",
        "A",
        "P5",
        "A",
        "P6",
        "A",
        "P7",
        "A",
        "P8",
        "A",
    ]
    invisible = sorted(d.line for d in episode.diagnostics if d.code == "invisible-label-char")
    assert invisible == [29, 37, 41, 45, 69, 83, 88]
    assert all(d.severity == "warning" for d in episode.diagnostics)
    assert [t.line for t in episode.turns if t.speaker == "P2"] == [50, 54, 56, 62]
    # The Legend comes before another intro paragraph: both stay in the preamble.
    assert any(b.text.startswith("After welcoming Ashris") for b in episode.preamble)
    assert first_words(episode.turns[0].text) == "My question is that"
    assert first_words(episode.turns[-1].text) == "Hey Sourav! Open Source"


def test_srijan_same_code_other_person_and_bold_phrase_is_content() -> None:
    episode = parse_episode(fossassam("srijan"))
    assert episode.speaker("S").name == "Srijan"  # type: ignore[union-attr]
    assert [t.speaker for t in episode.turns] == [
        "P1",
        "S",
        "P2",
        "S",
        "P3",
        "S",
        "P4",
        "S",
        "P4",
        "S",
        "P5",
        "S",
        "P6",
        "S",
    ]
    last = episode.turns[-1]
    assert "Other links:" in last.text
    assert "aosabook.org" in last.text
    assert any(b.kind == "list" for b in episode.turns[5].blocks) or any(
        b.kind == "list" for t in episode.turns for b in t.blocks
    )
    assert not [d for d in episode.diagnostics if d.severity == "error"]


# --- fixtures --------------------------------------------------------------------------


def test_label_spellings_and_p10_is_not_p1() -> None:
    episode = parse_episode(fixture("labels-spellings.md"))
    assert [t.speaker for t in episode.turns] == ["P1", "R", "P2", "R", "P10", "R"]
    assert episode.speaker("P10").name == "Participant 10"  # type: ignore[union-attr]
    # **Further reading:** is not a speaker: it stays inside R's turn.
    assert "Further reading:" in episode.turns[3].text
    assert "Guide" in episode.turns[3].text and "https://" not in episode.turns[3].text
    assert not episode.diagnostics


def test_two_labels_in_one_paragraph_split_into_two_turns() -> None:
    episode = parse_episode(fixture("one-paragraph-two-labels.md"))
    assert [t.speaker for t in episode.turns] == ["P1", "R", "P2", "R"]
    assert episode.turns[3].line == episode.turns[2].line + 1
    assert episode.turns[3].text == "The changelog.\n\nAnd the tests."


def test_turn_line_numbers_and_blocks() -> None:
    episode = parse_episode(fixture("valid.md"))
    assert [(t.speaker, t.line) for t in episode.turns] == [
        ("P1", 16),
        ("R", 18),
        ("P2", 20),
        ("R", 22),
    ]
    assert episode.turns[0].blocks[0].line == 16
    assert episode.turns[0].blocks[0].html.strip() == "<p><em>How do you plan a release?</em></p>"
    assert episode.turns[0].text == "How do you plan a release?"


_HEAD = """---
title: "AMA with Rin"
date: 2026-03-14
---

"""


def test_reference_links_defined_elsewhere_resolve_in_every_block() -> None:
    """Blocks are rendered from their own lines, with the file's link definitions."""
    text = _HEAD + (
        "We read [the guide][guide] first.\n\n"
        "**Legend:**\n\n- R: Rin\n- P(n): Participants\n\n"
        "**P1:** Where is [the guide]?\n\n"
        "**R:** See [the docs][Docs] and\n"
        "**P2:** [Guide][] and [missing][nowhere]?\n\n"
        "- a list with [the guide]\n\n"
        "[guide]: https://example.org/guide 'The guide'\n"
        "[the guide]: <https://example.org/the guide>\n"
        "[docs]: https://example.org/docs\n"
    )
    episode = parse_episode_text(text, "refs.md")
    assert [t.speaker for t in episode.turns] == ["P1", "R", "P2"]
    intro = episode.preamble[0]
    assert intro.html == (
        '<p>We read <a href="https://example.org/guide" title="The guide" '
        'rel="noopener noreferrer">the guide</a> first.</p>\n'
    )
    assert intro.text == "We read the guide first."
    question, answer, follow_up = (t.blocks[0] for t in episode.turns)
    assert (
        question.html
        == '<p>Where is <a href="https://example.org/the%20guide" rel="noopener noreferrer">'
        "the guide</a>?</p>\n"
    )
    assert question.text == "Where is the guide?"
    assert answer.html == (
        '<p>See <a href="https://example.org/docs" rel="noopener noreferrer">the docs</a> and</p>\n'
    )
    assert follow_up.html == (
        '<p><a href="https://example.org/guide" title="The guide" rel="noopener noreferrer">'
        "Guide</a> and [missing][nowhere]?</p>\n"
    )
    assert follow_up.text == "Guide and [missing][nowhere]?"
    listing = episode.turns[-1].blocks[1]
    assert listing.kind == "list"
    assert 'href="https://example.org/the%20guide"' in listing.html
    assert listing.end_line == listing.line + 1  # the blank line after it, not the definitions
    assert "[guide]:" not in listing.markdown


def test_line_numbers_count_lines_not_bytes() -> None:
    text = _HEAD + (
        "দেৱশিছ কংগৰৰ সৈতে কথা — 😀 “quotes”.\n\n"
        "**Legend:**\n\n- R: Rïn 😀\n- P(n): Participants\n\n"
        "**P1:** ভাল নে? 😀\n\n"
        "**R:** হয়, ভাল।\n\n"
        "> ünïcödé quote\n\n"
        "1. ৰং\n"
        "2. ছবি\n\n\n"
        "| ক | খ |\n|---|---|\n| 😀 | ü |\n\n"
        "**P2:**\n"
        "শেষ প্ৰশ্ন\n"
    )
    episode = parse_episode_text(text, "lines.md")
    lines = text.split("\n")
    assert [(t.speaker, t.line, t.end_line) for t in episode.turns] == [
        ("P1", 13, 13),
        ("R", 15, 25),
        ("P2", 27, 28),
    ]
    answer = episode.turns[1]
    assert [(b.kind, b.line, b.end_line) for b in answer.blocks] == [
        ("paragraph", 15, 15),
        ("quote", 17, 17),
        ("list", 19, 22),
        ("table", 23, 25),
    ]
    for block in answer.blocks[1:]:
        assert block.markdown == "\n".join(lines[block.line - 1 : block.end_line])
    assert answer.blocks[2].text == "ৰং\nছবি"
    assert episode.turns[2].blocks[0].line == 28
    assert episode.turns[2].text == "শেষ প্ৰশ্ন"


@pytest.mark.parametrize(
    ("turn", "html", "text"),
    [
        ("**R:** Plain *words*", "<p>Plain <em>words</em></p>\n", "Plain words"),
        ("**R**: Colon outside", "<p>Colon outside</p>\n", "Colon outside"),
        ("**R:**\nOn the next line", "<p>On the next line</p>\n", "On the next line"),
        ("**R:**  \nAfter a hard break", "<p>After a hard break</p>\n", "After a hard break"),
        ("**R:** # not a heading", "<p># not a heading</p>\n", "# not a heading"),
        ("**R:** a & b < c", "<p>a &amp; b &lt; c</p>\n", "a & b < c"),
        ("**R:** `code` first", "<p><code>code</code> first</p>\n", "code first"),
    ],
)
def test_a_label_is_taken_off_its_paragraph(turn: str, html: str, text: str) -> None:
    source = _HEAD + f"**Legend:**\n\n- R: Rin\n\n{turn}\n"
    block = parse_episode_text(source, "label.md").turns[0].blocks[0]
    assert (block.kind, block.html, block.text) == ("paragraph", html, text)


def test_rule_after_last_turn_starts_the_epilogue() -> None:
    episode = parse_episode(fixture("epilogue.md"))
    assert [b.text for b in episode.epilogue] == ["With that, Rin left the chat."]
    assert episode.turns[-1].text == "The changelog."


def test_draft_stub_without_legend_is_only_a_warning() -> None:
    path = shared_file(
        fossassam("ali").parent / "joinalahmed__fossassam__ama-ali.draft-stub-87bb85b.md"
    )
    episode = parse_episode(path)
    assert episode.draft
    assert [(d.code, d.severity) for d in episode.diagnostics] == [("no-legend", "warning")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "2019-11-13T15:14:46+05:30",
            dt.datetime(
                2019, 11, 13, 15, 14, 46, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))
            ),
        ),
        (
            "2022-02-18T12:15:17.605000Z",
            dt.datetime(2022, 2, 18, 12, 15, 17, 605000, tzinfo=dt.UTC),
        ),
        ("2021-04-16", dt.datetime(2021, 4, 16)),
        ("2026-03-14 18:00", dt.datetime(2026, 3, 14, 18, 0)),
    ],
)
def test_parse_date_forms(value: str, expected: dt.datetime) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2019-02-30", "2019-13-01", "13/11/2019", "2019-11-13T25:00"])
def test_parse_date_rejects_impossible_dates(value: str) -> None:
    with pytest.raises(ValueError):
        parse_date(value)


def test_slugs() -> None:
    assert (
        slugify("AMA with Sayak Paul - Hacktoberfest'19") == "ama-with-sayak-paul-hacktoberfest-19"
    )
    assert slugify("Björn's Q&A") == "bjorn-s-q-a"
    assert slugify("দেৱশিছ কংগৰ") == ""
    nonlatin = parse_episode_text(
        "---\ntitle: দেৱশিছ কংগৰ\ndate: 2020-06-08\n---\n", "konger.as.md"
    )
    assert nonlatin.slug == "konger-as"
    explicit = parse_episode_text("---\ntitle: A\nslug: My Slug\ndate: 2020-06-08\n---\n", "x.md")
    assert (explicit.slug, explicit.slug_line) == ("my-slug", 3)


def test_unknown_keys_are_kept() -> None:
    episode = parse_episode(fixture("unknown-key.md"))
    assert episode.meta["podcast_url"] == "x"


# --- robustness ------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_never_raise(data: bytes) -> None:
    episode = parse_episode_bytes(data, "random.md")
    assert all(d.line >= 1 and d.column >= 1 for d in episode.diagnostics)


_markdownish = st.lists(
    st.sampled_from(
        [
            "---",
            "title: x",
            "date: 2019-02-30",
            "date: 2020-01-01T00:00:00Z",
            "draft: true",
            "**Legend:**",
            "- S: Sayak",
            "- P(n): Participants",
            "**P1:** *q*",
            "**S:** a",
            "**S**: b",
            "**P1\u202c:**",
            "**X:**",
            "",
            "> quote",
            "* item",
            "1. one",
            "```",
            "<script>x</script>",
            "[a](javascript:x)",
            "ðŸ˜›",
            "\ufeff",
            "**Other:**",
            "# heading",
            "    code",
            "***",
            "|a|b|\n|-|-|\n|1|2|",
        ]
    )
    | st.text(max_size=40),
    max_size=40,
).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_markdownish)
def test_random_markdown_never_raises(text: str) -> None:
    episode = parse_episode_text(text, "random.md")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for turn in episode.turns:
        assert 1 <= turn.line <= lines
        for block in turn.blocks:
            assert turn.line <= block.line <= block.end_line <= lines


_yamlish = st.lists(
    st.sampled_from(
        [
            "title: x",
            'title: "AMA: with quotes"',
            "title: AMA: unquoted colon",
            "date: 2019-11-13",
            "date: 2019-11-13 19:00:00 +05:30",
            "draft: yes",
            "draft: true",
            "tags: [a, b",
            "tags:\n  - a\n  - 2",
            "episode: 0x1F",
            "voices: {S: joe}",
            "  indented: x",
            "\tindent: tab",
            "key: &a x",
            "other: *a",
            "other: *missing",
            "!!python/object:os.system x",
            "title: x\ntitle: y",
            "- a list",
            "? complex",
            "'unclosed",
            "key: |\n  block\n  text",
            "# comment",
            "key:\tvalue",
            "0\t",
            "\ufeff",
            "\x85",
            "",
        ]
    )
    | st.text(max_size=30),
    max_size=12,
).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_yamlish)
def test_front_matter_reads_the_same_with_or_without_libyaml(front: str) -> None:
    """libyaml reads front matter fast; errors and values are those of the pure-Python reader."""
    import amacast.transcript.front_matter as parse_module

    text = f"---\n{front}\n---\n\nIntro.\n"
    fast = parse_episode_text(text, "front.md")
    pure = parse_module._FrontMatterLoader
    with mock.patch.object(parse_module, "_FastFrontMatterLoader", pure):
        slow = parse_episode_text(text, "front.md")
    assert fast.meta == slow.meta and fast.meta_lines == slow.meta_lines
    assert fast.diagnostics == slow.diagnostics


def test_other_corpus_formats_give_a_diagnostic_not_a_crash() -> None:
    corpus = shared_file(SEED.parent.parent / "corpus")
    others = [p for p in corpus.glob("*.md") if "fossassam" not in p.name]
    assert len(others) >= 5
    for path in others:
        episode = parse_episode(path)
        codes = {d.code for d in episode.diagnostics if d.severity == "error"}
        assert codes & {"no-legend", "no-front-matter"}, path.name


_RAW_LABEL = re.compile(r"^\*\*([A-Z]+\d*)[\u202c]?(?::\*\*|\*\*[\u202c]?:)\s*(.*)$")


@pytest.mark.parametrize("name", ["seed", "sayak", "ali", "ashris", "srijan"])
def test_every_turn_starts_where_a_plain_reading_of_the_file_says(name: str) -> None:
    """Compare the parser with a naive line scan: same speakers, same first words, same lines."""
    path = shared_file(SEED) if name == "seed" else fossassam(name)
    expected = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _RAW_LABEL.match(line)
        if match:
            words = re.sub(r"[*_]", "", match[2]).split()[:3]
            expected.append((match[1], number, " ".join(words)))
    episode = parse_episode(path)
    assert len(expected) == len(episode.turns) > 0
    actual = [(t.speaker, t.line, " ".join(t.text.split()[:3])) for t in episode.turns]
    assert actual == expected


#: Markdown without HTML of its own: pieces pyromark renders to whole, well-formed HTML.
MARKDOWN_PIECES = [
    "A plain paragraph.",
    "*em* and **strong** and ~~gone~~ & more",
    '[a link](https://example.org/a?b=1&c=2 "title")',
    "[bad](javascript:alert(1)) and ![img](data:text/html,x)",
    "- one\n- two\n  - nested",
    "1. first\n2. second",
    "> quoted *text*\n> more",
    "```\ncode & stuff\n```",
    "`inline & code`",
    "# Heading\n\nText after.",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "control \x0b char and \ufffe noncharacter",
    "entities &amp; &copy; &#x41;",
    "trailing two spaces  \nline break",
    "---",
    "\ue000 private use alone",
]


def _every_transcript() -> list[Path]:
    files = [*sorted((ROOT / "episodes").glob("*.md")), *sorted(FIXTURES.glob("*.md"))]
    if CORPUS.is_dir():
        files += sorted(CORPUS.glob("*.md"))
    return files


def test_blocks_cleaned_together_equal_blocks_cleaned_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent: only the examples and fixtures are compared")
    files = _every_transcript()
    together = [parse_episode(path) for path in files]
    one_by_one_calls: list[int] = []

    def one_by_one(pieces: list[str]) -> list[str]:
        one_by_one_calls.append(len(pieces))
        return [amacast.markup.clean_html(piece) for piece in pieces]

    monkeypatch.setattr(amacast.transcript.parse, "clean_html_many", one_by_one)
    alone = [parse_episode(path) for path in files]
    assert sum(one_by_one_calls) > 10 * len(files)  # most blocks are cleaned together
    for path, mine, theirs in zip(files, together, alone, strict=True):
        assert mine == theirs, path.name


@given(st.lists(st.sampled_from(MARKDOWN_PIECES), min_size=2, max_size=8))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_pyromark_html_cleaned_together_is_cleaned_alike(pieces: list[str]) -> None:
    rendered = [pyromark.html(piece, options=OPTIONS) for piece in pieces]
    assert amacast.markup.clean_html_many(rendered) == [
        amacast.markup.clean_html(html) for html in rendered
    ]


_MARKDOWN_ALPHABET = st.sampled_from(
    [*"ab Z09\n\n\t", "*", "**", "_", "~~", "`", "#", "> ", "- ", "1. ", "3) ", "&", "&amp;",
     "&quot;", '"', "'", "<", ">", "\\", "[x](y)", "\xa0", "\r", "---", "```", "    ", "|", "é"]
)  # fmt: skip


@given(st.lists(_MARKDOWN_ALPHABET, max_size=40).map("".join))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_html_said_to_be_clean_as_written_is_what_the_sanitiser_gives_back(source: str) -> None:
    html = pyromark.html(source, options=OPTIONS)
    rendered = amacast.markup.xml_text(html)
    if amacast.markup.is_clean_as_written(rendered):
        assert nh3.clean(rendered) == rendered


def test_most_blocks_of_real_transcripts_need_no_sanitiser_and_are_right() -> None:
    pieces: list[str] = []
    for path in _every_transcript():
        source = path.read_text(encoding="utf-8", errors="replace")
        for paragraph in source.split("\n\n"):
            if "<" not in paragraph:
                html = pyromark.html(paragraph + "\n", options=OPTIONS)
                pieces.append(amacast.markup.xml_text(html))
    clean = [piece for piece in pieces if amacast.markup.is_clean_as_written(piece)]
    assert len(clean) > len(pieces) // 2
    assert [nh3.clean(piece) for piece in clean] == clean
    dirty_ones = ["<p>&quot;b&quot;</p>", "<p>x<br />\ny</p>", "<p>a\xa0b</p>", "<a href=x>"]
    for dirty in dirty_ones:
        rendered = amacast.markup.xml_text(dirty)
        assert not amacast.markup.is_clean_as_written(rendered)
        assert nh3.clean(rendered) != rendered
