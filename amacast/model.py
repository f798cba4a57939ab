"""The plain data model every stage of amacast shares.

Everything here is a frozen dataclass built from values only: parsing makes
them, every later stage (validation, feeds, speech, audio, site) reads them and
never goes back to the Markdown.  Line numbers are 1-based lines of the source
file (front matter included), columns are 1-based.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

Role = Literal["guest", "host", "participant", "narrator"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the input, with where it is and what to do about it."""

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    hint: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The diagnostic as a JSON-ready mapping with stable keys."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class Speaker:
    """A speaker declared by the Legend of one episode.

    Codes belong to one file: ``S`` may be Sayak in one episode and Srijan in
    another.  Participants declared by the ``P(n)`` pattern get a Speaker each
    for the numbers that actually speak (``P1``, ``P12`` …), with
    ``pattern="P(n)"``.
    """

    code: str
    name: str
    role: Role
    line: int
    pattern: str = ""
    href: str = ""
    """A page about the speaker, when the Legend links the name (``- S: [Name](URL)``)."""


@dataclass(frozen=True)
class Block:
    """One Markdown block (paragraph, list, quote, heading, code, html).

    ``markdown`` is the block's source text (for the first block of a turn, the
    speaker label is removed); ``html`` is that source rendered to HTML and
    cleaned (:func:`amacast.markup.clean_html`: no scripts, event handlers or
    characters XML cannot hold), ready for the feeds and pages; ``text`` is the
    plain text with Markdown syntax removed, link text kept and URLs dropped.
    """

    kind: str
    markdown: str
    html: str
    text: str
    line: int
    end_line: int


@dataclass(frozen=True)
class Turn:
    """One speaker's turn: a label and the blocks up to the next known label."""

    index: int
    speaker: str
    blocks: tuple[Block, ...]
    line: int
    end_line: int
    label_column: int = 1

    @property
    def text(self) -> str:
        """The plain text of all blocks, paragraphs separated by blank lines."""
        return "\n\n".join(block.text for block in self.blocks if block.text)


@dataclass(frozen=True)
class _Named:
    """What :class:`Episode` and :class:`Listing` both hold: where it is, what it is called."""

    path: str
    source_hash: str
    title: str
    date: dt.datetime | None
    draft: bool
    slug: str
    slug_line: int
    meta: Mapping[str, Any]

    @property
    def date_is_naive(self) -> bool:
        """True when the front matter's date carries no timezone."""
        return self.date is not None and self.date.tzinfo is None

    def published(self, default_tz: dt.tzinfo) -> dt.datetime | None:
        """The publication time, aware; a naive date is read in ``default_tz``."""
        if self.date is None:
            return None
        if self.date.tzinfo is None:
            return self.date.replace(tzinfo=default_tz)
        return self.date

    @property
    def guid(self) -> str | None:
        """An explicit ``guid`` from front matter, if any."""
        value = self.meta.get("guid")
        return str(value) if value not in (None, "") else None


#: The front-matter keys a :class:`Listing` keeps (what the feeds read besides the text).
LISTING_META = ("lastmod", "episode", "guid", "slug")


@dataclass(frozen=True)
class Listing(_Named):
    """What a build needs of an episode whose page and feed entries it already has.

    A few hundred bytes instead of the whole transcript: the slug and date
    that order and name it, the path and source hash its keys are made of,
    and the front matter the feeds number and date it by (``meta`` holds only
    :data:`LISTING_META`).  :meth:`Episode.listing` makes one.
    """

    guid_line: int


@dataclass(frozen=True)
class Episode(_Named):
    """One transcript, parsed.

    ``meta`` is the whole front matter as read (unknown keys included),
    ``meta_lines`` the line of each of its keys (and of each key under
    ``voices:``, as ``"voices.<key>"``);
    ``date`` is as written: naive when the file gives no timezone (see
    ``date_is_naive``) and resolved against the configured zone by
    ``published``.  ``source_hash`` is the SHA-256 of the file's bytes.
    """

    meta_lines: Mapping[str, int]
    preamble: tuple[Block, ...]
    speakers: tuple[Speaker, ...]
    turns: tuple[Turn, ...]
    epilogue: tuple[Block, ...] = ()
    legend_line: int = 0
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)

    def listing(self) -> Listing:
        """The :class:`Listing` of this episode."""
        return Listing(
            path=self.path,
            source_hash=self.source_hash,
            title=self.title,
            date=self.date,
            draft=self.draft,
            slug=self.slug,
            slug_line=self.slug_line,
            guid_line=self.guid_line,
            meta={key: self.meta[key] for key in LISTING_META if key in self.meta},
        )

    @property
    def guid_line(self) -> int:
        """The line of the front matter's ``guid`` (1 without one)."""
        return self.meta_lines.get("guid", 1)

    def speaker(self, code: str) -> Speaker | None:
        """The speaker with this code, or None."""
        for speaker in self.speakers:
            if speaker.code == code:
                return speaker
        return None

    @property
    def description(self) -> str:
        """The front matter's description, else the first preamble paragraph's text."""
        value = self.meta.get("description")
        if isinstance(value, str) and value.strip():
            return value.strip()
        for block in self.preamble:
            if block.kind == "paragraph" and block.text:
                return block.text
        return self.title

    @property
    def questions(self) -> tuple[Turn, ...]:
        """Turns by participants: each one starts a chapter."""
        roles = {s.code: s.role for s in self.speakers}
        return tuple(t for t in self.turns if roles.get(t.speaker) == "participant")


@dataclass(frozen=True)
class Chapter:
    """A chapter of rendered audio: starts at a question (or the intro)."""

    title: str
    start: float
    end: float
    turn_index: int | None = None


@dataclass(frozen=True)
class Cue:
    """A timed piece of the rendered audio: one paragraph of one speaker."""

    start: float
    end: float
    speaker: str
    speaker_name: str
    text: str
    turn_index: int | None = None


@dataclass(frozen=True)
class AudioInfo:
    """What rendering produced for one episode, as later stages need it.

    Paths are relative to the output folder (``audio/<slug>.mp3``); the feeds
    and the site turn them into URLs.  ``sidecars`` maps a kind (``vtt``,
    ``srt``, ``json``, ``chapters``) to its relative path.
    """

    slug: str
    mp3_path: str
    byte_length: int
    duration: float
    chapters: tuple[Chapter, ...] = ()
    cues: tuple[Cue, ...] = ()
    sidecars: Mapping[str, str] = field(default_factory=dict)


def made_from(episode: Episode | Listing, audio: AudioInfo | None) -> tuple[str, str, str, str]:
    """What an episode's feed entries and index entry are made from, besides the settings.

    The path, the source's hash, the slug and a hash of its audio (``""``
    without): the key under which a build keeps them for the next one.
    """
    heard = hashlib.sha256(repr(audio).encode()).hexdigest() if audio is not None else ""
    return (episode.path, episode.source_hash, episode.slug, heard)


def whole(episode: Episode | Listing, full: Callable[[Listing], Episode] | None) -> Episode:
    """The episode itself: ``full`` loads it when only its Listing is at hand."""
    if isinstance(episode, Episode):
        return episode
    if full is None:
        raise ValueError(f"{episode.path}: only its listing is at hand, and no way to load it")
    return full(episode)


@dataclass(frozen=True)
class Voice:
    """A voice: an engine's base voice plus settings that make it distinct.

    ``pitch`` is a frequency factor (1.0 = the model's own pitch) applied with
    compensated tempo, so speech keeps its speed; ``tempo`` is a speed factor
    (1.0 = natural).  ``tld`` and ``lang`` are gTTS's accent and language.
    ``options`` carries engine-specific extras (a Piper voice file, noise).
    """

    id: str
    engine: str
    model: str = ""
    pitch: float = 1.0
    tempo: float = 1.0
    lang: str = "en"
    tld: str = "com"
    options: tuple[tuple[str, str], ...] = field(default=())


#: The names a message lists at most, before "and N more".
SHOWN_NAMES = 10


def first_of(names: Sequence[str], limit: int = SHOWN_NAMES) -> str:
    """``a, b, c``; past ``limit`` the first ``limit`` and ``and N more``."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"
