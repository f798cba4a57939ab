"""The parser gives what its straightforward form gives, byte for byte, on every transcript at hand.

:mod:`tests.parse_reference` holds the parser's functions as they were before
they were made faster; each test parses the same text with the parser as it is
and with those put back, and requires equal Episodes (every field, every
block's Markdown, HTML and text) and equal diagnostics.  The transcripts: the
real posts in ``../shared`` (skipped visibly when absent), the example
project's episodes, the fixtures, transcripts made by ``gen_corpus.py`` and
random ones.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import amacast.markup
from amacast.model import Episode
from amacast.transcript.parse import parse_episode_bytes, parse_episode_text
from tests.conftest import CORPUS, FIXTURES, ROOT, SHARED
from tests.parse_reference import clean_html_many, is_clean_as_written, reference_parser

GEN_CORPUS = SHARED / "tools" / "gen_corpus.py"


def _both(parse: object, *args: object) -> tuple[Episode, Episode]:
    """The Episode the parser makes of ``args``, and the one its straightforward form makes."""
    assert callable(parse)
    quick = parse(*args)
    with pytest.MonkeyPatch.context() as patch:
        reference_parser(patch)
        plain = parse(*args)
    return quick, plain


def _assert_same(quick: Episode, plain: Episode, name: str) -> None:
    assert quick == plain, name
    assert quick.diagnostics == plain.diagnostics, name
    assert repr(quick) == repr(plain), name


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(path for path in folder.glob(pattern) if path.is_file())


@pytest.mark.parametrize(
    "folder",
    [CORPUS, SHARED / "seeds", ROOT / "episodes", FIXTURES],
    ids=["shared-corpus", "shared-seeds", "episodes", "fixtures"],
)
def test_every_transcript_parses_as_the_straightforward_parser_does(folder: Path) -> None:
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent on this machine")
    files = _files(folder)
    assert files
    for path in files:
        _assert_same(*_both(parse_episode_bytes, path.read_bytes(), path.name), path.name)


@pytest.mark.parametrize("seed, words", [(1, 1500), (7, 400)])
def test_generated_transcripts_parse_as_the_straightforward_parser_does(
    tmp_path: Path, seed: int, words: int
) -> None:
    if not GEN_CORPUS.is_file():
        pytest.skip(f"{GEN_CORPUS} is absent on this machine")
    subprocess.run(
        [sys.executable, str(GEN_CORPUS), "150", str(tmp_path), "--seed", str(seed)]
        + ["--words", str(words)],
        check=True,
        capture_output=True,
    )
    files = _files(tmp_path, "*.md")
    assert len(files) == 150
    turns = 0
    for path in files:
        quick, plain = _both(parse_episode_bytes, path.read_bytes(), path.name)
        _assert_same(quick, plain, path.name)
        turns += len(quick.turns)
    assert turns > 150 * 3


_LINES = st.sampled_from(
    [
        "---", "title: x", "date: 2020-01-01", "---", "**Legend:**", "- S: Sayak", "- G: Guest",
        "- P(n): Participants", "**P1:** *q*", "**P12:**", "**S:** a", "**S**: b", "**S** : c",
        " **G:** d\ne", "**P1\u202c:** x", "**P2**\u202c: y", "**\u200bS:** z", "**X:**",
        "**Q1:** ",
        "**S:**\nnext line", "**S:** a\n**G:** b", "text\n**S:** after text", "**S:** **bold**",
        "**S:**  \nhard break", "**Other:** x", "", "", "> quote", "* item", "1. one", "```",
        "<b>x</b>", "a & b < c", "[a](https://x.org)", "see https://x.org/a_b.", "www.x.org",
        "a@b.org", "\xa0nbsp", "\x01", "***", "# h", "    code", "|a|b|\n|-|-|\n|1|2|", "ðŸ˜›",
        "[r]: https://r.org", "[r][]", "*em* _em_ ~~del~~ `code`", "\r\n", "\t**S:** tab",
    ]
)  # fmt: skip


_HEAD = "---\ntitle: x\n---\n\n**Legend:**\n\n- S: Sayak\n- G: Guest\n- P(n): Participants\n\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans(), st.lists(_LINES | st.text(max_size=20), max_size=30).map("\n".join))
def test_random_transcripts_parse_as_the_straightforward_parser_does(
    with_legend: bool, text: str
) -> None:
    text = _HEAD + text if with_legend else text
    _assert_same(*_both(parse_episode_text, text, "random.md"), "random.md")


_MARKUP = st.lists(
    st.sampled_from(
        [
            "a", " ", "\n", "<p>", "</p>", "<em>", "</em>", "<strong>", "<h2>", "</h6>", "<code>",
            "<li>", "</ol>", "<br />", "<pre>", "<a href=\"x\">", "</a>", "<P>", "< p>", "<p >",
            "<", ">", "&", "&amp;", "&lt;", "&gt;", "&quot;", "&amp", "&#1;", "\xa0", "\r", "\x01",
            "\ud800", "\ufffe", "é", "\t", "</", "/>", "<<p>", "<p>>",
        ]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(_MARKUP)
def test_clean_as_written_is_the_counting_test(markup: str) -> None:
    assert amacast.markup.is_clean_as_written(markup) == is_clean_as_written(markup)
    pieces = [markup, "<p>b</p>\n", markup + "<em>c</em>"]
    assert amacast.markup.clean_html_many(pieces) == clean_html_many(pieces)
