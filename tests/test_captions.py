"""Captions cut to the Podcast Index limits: any text, any speaker name."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from amacast.audio.captions import SRT_LINE, VTT_LINE, caption_cards, timed_cards

WORDS = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
        min_size=1,
        max_size=45,
    ),
    min_size=1,
    max_size=80,
)


@given(words=WORDS, name=st.text(alphabet="abcdefghij KLMNOP", min_size=1, max_size=40))
def test_any_text_fits_and_nothing_is_lost(words: list[str], name: str) -> None:
    text = " ".join(words)
    prefix = " ".join(name.split()) + ": "
    for width in (SRT_LINE, VTT_LINE):
        cards = caption_cards(text, width, prefix=prefix)
        assert all(1 <= len(card) <= 2 for card in cards)
        assert all(len(line) <= width for card in cards for line in card)
        joined = "".join("".join(card) for card in cards).replace(" ", "")
        assert joined.removeprefix(prefix.replace(" ", "")) == text.replace(" ", "")


@given(words=WORDS, start=st.floats(0, 3600), length=st.floats(0.1, 600))
def test_the_time_is_shared_without_gaps(words: list[str], start: float, length: float) -> None:
    cards = timed_cards(" ".join(words), start, start + length, SRT_LINE)
    assert cards[0].start == start and cards[-1].end == start + length
    assert all(a.end == b.start for a, b in zip(cards, cards[1:], strict=False))
    assert all(a.start <= a.end for a in cards)
    assert [c.first for c in cards] == [True] + [False] * (len(cards) - 1)


def test_cards_are_as_few_as_fit_and_break_at_phrases() -> None:
    # Two cards hold it; the first ends at the sentence, not where it is full ("…we look").
    text = (
        "We roll back first and then we look at it. Then, once it is calm, we look for the cause."
    )
    assert caption_cards(text, SRT_LINE) == [
        ("We roll back first and", "then we look at it."),
        ("Then, once it is calm,", "we look for the cause."),
    ]
    # Lines of a card break at a sentence, else at a comma, else evenly.
    text = "We roll back first. Then, once it is calm, we look for the cause and write it down."
    assert caption_cards(text, SRT_LINE) == [
        ("We roll back first.", "Then, once it is calm,"),
        ("we look for the cause", "and write it down."),
    ]
    text = (
        "Less firefighting than people think. Most days I look at how our systems failed "
        "last month and make that failure cheaper next time: better alerts, smaller deploys, "
        "clearer runbooks."
    )
    assert caption_cards(text, VTT_LINE) == [
        (
            "Less firefighting than people think.",
            "Most days I look at how our systems failed last month",
        ),
        (
            "and make that failure cheaper next time:",
            "better alerts, smaller deploys, clearer runbooks.",
        ),
    ]


def test_a_long_name_gets_a_line_of_its_own() -> None:
    cards = caption_cards("Yes.", SRT_LINE, prefix="Saoirse Delaney-Fitzgerald Ó: ")
    assert cards == [("Saoirse Delaney-Fitzgerald Ó:", "Yes.")]
