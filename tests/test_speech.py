"""Markdown blocks → speakable text."""

from __future__ import annotations

import pytest

from amacast.audio.speech import speakable_blocks, speakable_text
from amacast.model import Block
from amacast.transcript.parse import parse_episode_text
from tests.conftest import SEED, shared_file


def blocks_of(markdown: str) -> list[Block]:
    text = f"---\ntitle: t\ndate: 2020-01-01\n---\n\n**Legend:**\n\n- S: Sam\n\n**S:** {markdown}\n"
    episode = parse_episode_text(text, "t.md")
    assert len(episode.turns) == 1
    return list(episode.turns[0].blocks)


def test_link_text_is_kept_and_its_url_dropped() -> None:
    spoken = speakable_blocks(
        blocks_of("Read [the recipe](http://karpathy.github.io/2019/04/25/recipe/) first.")
    )
    assert spoken == ["Read the recipe first."]


def test_bare_url_becomes_its_host() -> None:
    spoken = speakable_blocks(
        blocks_of("Try https://codelabs.developers.google.com/codelabs/tf?x=1 now.")
    )
    assert spoken == ["Try a link to codelabs.developers.google.com now."]


def test_link_whose_text_is_a_url_becomes_its_host() -> None:
    spoken = speakable_blocks(
        blocks_of("See [https://www.pyimagesearch.com/](https://www.pyimagesearch.com/).")
    )
    assert spoken == ["See a link to pyimagesearch.com."]


def test_emphasis_and_code_marks_are_removed() -> None:
    spoken = speakable_blocks(
        blocks_of("*Really* __bold__ and `model.fit()` with ~~old~~ train_test_split.")
    )
    assert spoken == ["Really bold and model.fit with old train test split."]
    assert not any(mark in spoken[0] for mark in "*_`~")


def test_list_items_become_sentences() -> None:
    spoken = speakable_blocks(
        blocks_of("A typical day:\n\n- Code stuff\n- Read a *paper*\n- Review PRs!\n")
    )
    assert spoken == ["A typical day:", "Code stuff. Read a paper. Review PRs!"]


def test_headings_are_sentences_and_code_is_skipped() -> None:
    spoken = speakable_blocks(
        blocks_of("Intro\n\n## Getting started\n\n```python\nprint('hi')\n```\n\nDone")
    )
    assert spoken == ["Intro", "Getting started.", "Done"]


def test_emoji_and_emoticons_are_dropped() -> None:
    spoken = speakable_blocks(blocks_of("Great question 😀👍🏽! It works :) really ;-) ❤️"))
    assert spoken == ["Great question! It works really"]


def test_mojibake_emoji_is_repaired_then_dropped() -> None:
    assert (
        speakable_text("results that actually work ðŸ˜› It's") == "results that actually work It's"
    )


def test_blocks_with_nothing_to_say_are_dropped() -> None:
    assert speakable_blocks(blocks_of("\n\n```\ncode only\n```")) == []
    assert speakable_blocks(blocks_of("😀 :)")) == []
    assert speakable_text("") == "" and speakable_text("** __ ``") == ""


def test_html_tags_are_stripped() -> None:
    assert speakable_text("<b>Bold</b> &amp; <i>brave</i>") == "Bold & brave"


def test_email_is_spelled_out() -> None:
    assert speakable_text("write to team@fossassam.tech") == "write to team at fossassam dot tech"


def test_real_transcript_has_no_urls_or_marks() -> None:
    from amacast.transcript.parse import parse_episode

    episode = parse_episode(shared_file(SEED))
    spoken = [text for turn in episode.turns for text in speakable_blocks(turn.blocks)]
    assert len(spoken) >= len(episode.turns)
    joined = " ".join(spoken)
    assert "http" not in joined and "*" not in joined and "`" not in joined
    assert "a link to qure.ai" not in joined  # a link with text keeps its text
    assert "check out qure" in joined
    assert "ðŸ" not in joined


@pytest.mark.parametrize(
    "url, host",
    [
        ("http://qure.ai/", "qure.ai"),
        ("www.example.org/path", "example.org"),
        ("https://user@sub.example.com:8080/x", "sub.example.com"),
    ],
)
def test_hosts(url: str, host: str) -> None:
    assert speakable_text(f"go {url}") == f"go a link to {host}"
