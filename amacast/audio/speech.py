"""Markdown blocks → text a speech engine can read aloud.

Works on the parser's ``Block.text`` (Markdown already removed, link text kept,
link targets dropped) and uses ``Block.kind`` for structure: list items and
headings become sentences, code and rules are skipped, bare URLs become "a
link to <host>", emoji and emoticons are dropped and leftover Markdown marks
(asterisks, underscores, backticks, tildes) removed.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlsplit

import ftfy

from amacast.model import Block

SKIPPED_KINDS = frozenset({"code", "rule"})

_URL = re.compile(
    r"(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]]+(?:\([^\s<>\"'()]*\)[^\s<>\"'()\[\]]*)*",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.+-]+@([\w-]+\.)+[a-z]{2,}\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{1,300}>")
_EMOTICON = re.compile(r"(?<![\w\"'])(?:[:;=8][-o^']?[)(\]\[dDpP/\\|*3]+|<3|\^_\^|xD)(?![\w])")
_MARKS = re.compile(r"[*`~]+|(?<!\w)_+|_+(?!\w)")
_INNER_UNDERSCORE = re.compile(r"(?<=\w)_+(?=\w)")
_HEADING_HASHES = re.compile(r"^\s{0,3}#{1,6}\s+|\s+#+\s*$")
_BULLET = re.compile(r"^\s*(?:[-+*•]|\d{1,3}[.)])\s+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")
_ENDS_SENTENCE = re.compile(r"[.!?:;…][\"')\]]*$")
_HAS_WORD = re.compile(r"\w")


def _host(url: str) -> str:
    """The host of a URL without ``www.``; the URL itself when it has none."""
    text = url if "://" in url else f"http://{url}"
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        host = ""
    if host.startswith("www."):
        host = host[4:]
    return host or url


def _is_emoji(char: str) -> bool:
    """True for pictographs, dingbats, flags, skin tones and the joiners between them."""
    code = ord(char)
    if code in (0x200D, 0xFE0E, 0xFE0F, 0x20E3):
        return True
    if 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x1F1E6 <= code <= 0x1F1FF:
        return True
    if 0x2B00 <= code <= 0x2BFF or 0xE0020 <= code <= 0xE007F:
        return True
    return unicodedata.category(char) == "So"


def speakable_text(text: str) -> str:
    """One piece of plain text made speakable (no URLs, emoji or Markdown marks)."""
    if not text:
        return ""
    text = ftfy.fix_encoding(text)
    text = html.unescape(_TAG.sub(" ", text))
    text = _URL.sub(
        lambda m: (
            f"a link to {_host(m.group(0).rstrip('.,;:!?'))}"
            + m.group(0)[len(m.group(0).rstrip(".,;:!?")) :]
        ),
        text,
    )
    text = _EMAIL.sub(lambda m: m.group(0).replace("@", " at ").replace(".", " dot "), text)
    text = "".join(" " if _is_emoji(ch) else ch for ch in text)
    text = _EMOTICON.sub(" ", text)
    text = _INNER_UNDERSCORE.sub(" ", text)
    text = _MARKS.sub("", text)
    text = _EMPTY_BRACKETS.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return text.strip() if _HAS_WORD.search(text) else ""


def _sentence(text: str) -> str:
    """``text`` ending in sentence punctuation, so the engine pauses after it."""
    text = text.strip()
    if text and not _ENDS_SENTENCE.search(text):
        text += "."
    return text


def speakable_block(block: Block) -> str:
    """The speakable text of one block, or ``""`` when nothing in it should be read."""
    if block.kind in SKIPPED_KINDS:
        return ""
    lines = [line for line in block.text.split("\n") if line.strip()]
    if block.kind in ("list", "heading", "table"):
        lines = [_HEADING_HASHES.sub("", _BULLET.sub("", line)) for line in lines]
        parts = [_sentence(speakable_text(line)) for line in lines]
    elif block.kind == "html":
        parts = [speakable_text(" ".join(lines))]
    else:
        # Hard line breaks inside a paragraph or quote: keep each line a sentence
        # only when it already reads as one, else join with a space.
        parts = [speakable_text(" ".join(lines))]
    return " ".join(part for part in parts if part)


def speakable_blocks(blocks: Sequence[Block]) -> list[str]:
    """One speakable string per paragraph-like block; blocks with nothing to say are dropped."""
    spoken = (speakable_block(block) for block in blocks)
    return [text for text in spoken if text]
