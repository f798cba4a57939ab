"""An episode as a plan of segments: each paragraph to speak, in order, with its voice.

The optional intro and outro in the narrator's voice, each turn's
paragraphs in its speaker's voice, and the chapter each question starts.
Knows nothing of engines' output, mastering or files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from amacast.audio.engines.base import Voice
from amacast.audio.speech import speakable_block, speakable_text
from amacast.config import RenderSettings
from amacast.model import Episode

NARRATOR = "narrator"
INTRO_CHAPTER = "Introduction"
DEFAULT_INTRO = "{podcast}. {title}."
DEFAULT_OUTRO = "That was {title}. Thanks for listening to {podcast}."
_CHAPTER_TITLE_CHARS = 90


class RenderError(Exception):
    """An episode could not be rendered; the message names the episode (and turn)."""


@dataclass(frozen=True)
class PodcastMeta:
    """What the audio needs of the podcast: intro words and ID3 tags."""

    title: str = ""
    author: str = ""
    image: Path | None = None


@dataclass(frozen=True)
class Segment:
    """One paragraph to speak.

    ``group`` changes from turn to turn (pause length); ``line`` is the
    paragraph's line in the transcript (0 for the intro and outro).
    """

    text: str
    voice: Voice
    speaker: str
    speaker_name: str
    group: int
    turn_index: int | None = None
    chapter: str = ""
    line: int = 0


def _template(template: bool | str, default: str, episode: Episode, podcast: PodcastMeta) -> str:
    if template is False:
        return ""
    words = default if template is True else str(template)
    if not podcast.title:
        words = words.replace("Thanks for listening to {podcast}.", "Thanks for listening.")
        words = words.replace("{podcast}. ", "")
    fields = {
        "podcast": podcast.title,
        "title": episode.title,
        "author": podcast.author,
        "date": episode.date.strftime("%d %B %Y") if episode.date else "",
    }
    try:
        return speakable_text(words.format(**fields))
    except (KeyError, IndexError, ValueError):
        return speakable_text(words)


def chapter_title(text: str) -> str:
    """A chapter title from a question: its text, cut at a word near 90 characters."""
    text = " ".join(text.split())
    if len(text) <= _CHAPTER_TITLE_CHARS:
        return text
    cut = text[:_CHAPTER_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"


def plan_segments(
    episode: Episode,
    voices: Mapping[str, Voice],
    settings: RenderSettings,
    podcast: PodcastMeta | None = None,
) -> list[Segment]:
    """The paragraphs the episode's audio is made of, in order, each with its voice.

    A turn with nothing speakable gives no segment.  The first segment of each
    question (a participant's turn) carries the chapter title.
    """
    podcast = podcast or PodcastMeta()
    narrator = voices.get(NARRATOR)
    questions = {turn.index for turn in episode.questions}
    segments: list[Segment] = []
    intro = _template(settings.intro, DEFAULT_INTRO, episode, podcast)
    if intro and narrator is not None:
        segments.append(Segment(intro, narrator, NARRATOR, "Narrator", group=-1))
    for turn in episode.turns:
        voice = voices.get(turn.speaker) or narrator
        if voice is None:
            raise RenderError(
                f"{episode.slug}: no voice for speaker {turn.speaker!r} (turn at line {turn.line})"
            )
        speaker = episode.speaker(turn.speaker)
        name = speaker.name if speaker is not None else turn.speaker
        # speakable_block per block (as speakable_blocks does) to keep each one's line.
        spoken = [(block.line, speakable_block(block)) for block in turn.blocks]
        for number, (line, text) in enumerate((line, text) for line, text in spoken if text):
            title = chapter_title(text) if number == 0 and turn.index in questions else ""
            segments.append(
                Segment(
                    text,
                    voice,
                    turn.speaker,
                    name,
                    group=turn.index,
                    turn_index=turn.index,
                    chapter=title,
                    line=line,
                )
            )
    outro = _template(settings.outro, DEFAULT_OUTRO, episode, podcast)
    if outro and narrator is not None:
        segments.append(Segment(outro, narrator, NARRATOR, "Narrator", group=len(episode.turns)))
    return segments
