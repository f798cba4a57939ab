"""Captions cut to size: a spoken paragraph → cards of at most N lines of at most M characters.

Podcast apps show captions a card at a time.  The Podcast Index transcript
guide asks SRT for at most 32 characters a line and 2 lines a card, and
WebVTT for at most 65 characters a line; a paragraph of an AMA answer is
often ten times that.  :func:`caption_cards` cuts the paragraph into as few
cards as hold it, at word boundaries, the cards of even length unless the end
of a sentence, then a comma (or ``;``/``:``), is near: each card reads as a
phrase.  A word longer than a line (a URL) is cut inside.  :func:`timed_cards`
shares the paragraph's time out among its cards by their characters, as the
narration speaks at an even pace.

Knows text and times only: no file formats (those are :mod:`amacast.audio.sidecars`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Line limits of the Podcast Index transcript guide.
SRT_LINE = 32
VTT_LINE = 65
MAX_LINES = 2

_SENTENCE_END = (".", "?", "!", "…", ".)", '."', ".”", "?”", "!”")
_CLAUSE_END = (",", ";", ":", "—", "–")

# How much more uneven a card may be to end at a sentence, or at a comma.
_SENTENCE_BONUS = 0.5
_CLAUSE_BONUS = 0.25


@dataclass(frozen=True)
class Card:
    """One caption card: its lines and when it shows."""

    start: float
    end: float
    lines: tuple[str, ...]
    first: bool
    """True for the first card of a paragraph (the one that names the speaker)."""


def _words(text: str, width: int) -> list[str]:
    """The words of ``text``; any longer than ``width`` cut into pieces that fit."""
    words: list[str] = []
    for word in text.split():
        while len(word) > width:
            words.append(word[:width])
            word = word[width:]
        if word:
            words.append(word)
    return words


def _wrap(words: Sequence[str], width: int, first_width: int) -> list[list[str]]:
    """Greedy lines of words (the first line may be shorter, e.g. after ``Name: ``)."""
    lines: list[list[str]] = []
    current: list[str] = []
    length = 0
    for word in words:
        limit = first_width if not lines else width
        if not lines and not current and len(word) > limit:
            lines.append([])  # the first line holds only what precedes it (a name)
            limit = width
        extra = len(word) + (1 if current else 0)
        if current and length + extra > limit:
            lines.append(current)
            current, length = [word], len(word)
        else:
            current.append(word)
            length += extra
    if current:
        lines.append(current)
    return lines


def _fits(words: Sequence[str], width: int, first_width: int, max_lines: int) -> bool:
    return len(_wrap(words, width, first_width)) <= max_lines


def _balanced(words: Sequence[str], width: int, first_width: int, max_lines: int) -> list[str]:
    """The card's words as lines: two lines as even as they fit, else greedy."""
    if max_lines == 2 and len(words) > 1:
        best: tuple[int, list[str]] | None = None
        for cut in range(1, len(words)):
            top, bottom = " ".join(words[:cut]), " ".join(words[cut:])
            if len(top) > first_width or len(bottom) > width:
                continue
            # Even lines, and a line that ends a phrase where one can.
            score = abs(len(top) - len(bottom))
            if top.endswith(_SENTENCE_END):
                score -= width // 3
            elif top.endswith(_CLAUSE_END):
                score -= width // 8
            if best is None or score < best[0]:
                best = (score, [top, bottom])
        if best is not None:
            single = " ".join(words)
            if len(single) <= first_width:
                return [single]
            return best[1]
    return [" ".join(line) for line in _wrap(words, width, first_width)]


def caption_cards(
    text: str, width: int, *, max_lines: int = MAX_LINES, prefix: str = ""
) -> list[tuple[str, ...]]:
    """``text`` cut into cards of at most ``max_lines`` lines of at most ``width`` characters.

    ``prefix`` (e.g. ``"Sunil: "``) starts the first line of the first card
    and counts towards its width.  As few cards as fit the text, cut between
    words; among the cuts that keep that number, those near an even share of
    the text win, and a sentence's end (or else a comma's) wins over a cut
    that is only more even.
    """
    if width < 8:
        raise ValueError("a caption line needs at least 8 characters")
    prefix = prefix if len(prefix.rstrip()) <= width else ""
    words = _words(text, width)

    def first_width(at: int) -> int:
        return width - len(prefix) if at == 0 and prefix else width

    # Both are asked about the same words again and again while the cuts are
    # weighed: each answer is worked out once.
    ends: dict[int, int] = {}
    counts: dict[int, int] = {}

    def fullest(at: int) -> int:
        """The end of the fullest card that starts at word ``at``."""
        end = ends.get(at)
        if end is None:
            end = at + 1
            while end < len(words) and _fits(
                words[at : end + 1], width, first_width(at), max_lines
            ):
                end += 1
            ends[at] = end
        return end

    def cards_from(at: int) -> int:
        """How many fullest cards the words from ``at`` on make."""
        chain = []
        while at < len(words) and at not in counts:
            chain.append(at)
            at = fullest(at)
        count = counts.get(at, 0)
        for start in reversed(chain):
            count += 1
            counts[start] = count
        return count

    cards: list[tuple[str, ...]] = []
    at, left = 0, cards_from(0)
    while at < len(words):
        end = fullest(at)
        if end < len(words):
            end = _best_end(words, at, end, left, cards_from)
        lines = _balanced(words[at:end], width, first_width(at), max_lines)
        if at == 0 and prefix:
            lines[0] = (prefix + lines[0]).rstrip()
        cards.append(tuple(lines))
        at, left = end, left - 1
    return cards


def _best_end(
    words: Sequence[str], start: int, fullest: int, left: int, cards_from: Callable[[int], int]
) -> int:
    """Where the card from ``start`` ends: ``left`` cards in all must still hold the rest."""
    remaining = len(" ".join(words[start:]))
    target = remaining / left
    best, best_score = fullest, float("inf")
    for end in range(fullest, start, -1):
        size = len(" ".join(words[start:end]))
        if size < target * 0.3:
            break
        if cards_from(end) > left - 1:
            continue
        score = abs(size - target) / target
        if words[end - 1].endswith(_SENTENCE_END):
            score -= _SENTENCE_BONUS
        elif words[end - 1].endswith(_CLAUSE_END):
            score -= _CLAUSE_BONUS
        if score < best_score:
            best, best_score = end, score
    return best


def timed_cards(
    text: str,
    start: float,
    end: float,
    width: int,
    *,
    max_lines: int = MAX_LINES,
    prefix: str = "",
) -> list[Card]:
    """The cards of one paragraph spoken from ``start`` to ``end``, its time shared by characters.

    Each card's share is its characters (the prefix not counted) over the
    paragraph's; the cards follow one another without a gap.
    """
    cards = caption_cards(text, width, max_lines=max_lines, prefix=prefix)
    if not cards:
        return []
    sizes = [sum(len(line) for line in card) + len(card) - 1 for card in cards]
    sizes[0] -= len(prefix) if prefix and cards[0][0].startswith(prefix) else 0
    total = sum(sizes) or 1
    result: list[Card] = []
    spoken = 0
    for number, (card, size) in enumerate(zip(cards, sizes, strict=True)):
        begin = start + (end - start) * spoken / total
        spoken += size
        finish = end if number == len(cards) - 1 else start + (end - start) * spoken / total
        result.append(Card(begin, finish, card, number == 0))
    return result
