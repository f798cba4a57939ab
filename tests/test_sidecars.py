"""Transcripts, chapters and the AudioInfo file written beside each MP3."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest

from amacast.audio.sidecars import (
    MEDIA_TYPES,
    audio_info_from_json,
    audio_info_json,
    audio_info_path,
    chapters_json,
    load_audio_info,
    mp3_path,
    sidecar_paths,
    srt_text,
    transcript_html,
    transcript_json,
    vtt_text,
)
from amacast.model import AudioInfo, Chapter, Cue

CUES = (
    Cue(0.0, 2.5, "narrator", "Narrator", "Ask Us Anything. Episode one."),
    Cue(3.4, 5.0, "P1", "Participant 1", "Is <b> & that\nsafe?", 0),
    Cue(5.9, 3725.125, "G", "Grace <Hopper>", "Yes --> it is.", 1),
)
CHAPTERS = (
    Chapter("Introduction", 0.0, 3.4),
    Chapter("Is that safe?", 3.4, 3725.125, 0),
)
INFO = AudioInfo("ep-1", mp3_path("ep-1"), 12345, 3725.125, CHAPTERS, CUES, sidecar_paths("ep-1"))


def test_paths_are_shared_names() -> None:
    assert mp3_path("a-b") == "audio/a-b.mp3"
    assert audio_info_path("a-b") == "audio/a-b.json"
    assert sidecar_paths("a-b") == {
        "vtt": "transcripts/a-b.vtt",
        "html": "transcripts/a-b.html",
        "srt": "transcripts/a-b.srt",
        "json": "transcripts/a-b.json",
        "chapters": "chapters/a-b.json",
    }
    assert set(MEDIA_TYPES) == {"vtt", "html", "srt", "json", "chapters"}


def test_vtt_has_voice_spans_escaped_text_and_exact_times() -> None:
    text = vtt_text(CUES)
    assert text.startswith("WEBVTT\n\n")
    blocks = text.strip().split("\n\n")[1:]
    assert len(blocks) == 3
    number, timing, body = blocks[1].split("\n")
    assert number == "2"
    assert timing == "00:00:03.400 --> 00:00:05.000"
    assert body == "<v Participant 1>Is &lt;b&gt; &amp; that safe?"
    assert blocks[2].split("\n")[1] == "00:00:05.900 --> 01:02:05.125"
    assert blocks[2].split("\n")[2] == "<v Grace &lt;Hopper&gt;>Yes --&gt; it is."
    # No cue text line may contain the timing arrow.
    for block in blocks:
        assert "-->" not in block.split("\n")[2]


def test_srt_cards() -> None:
    cards = [card.split("\n") for card in srt_text(CUES).strip().split("\n\n")]
    assert [card[0] for card in cards] == [str(n) for n in range(1, len(cards) + 1)]
    # Each paragraph's cards, its speaker named on the first only.
    assert cards[0][1:] == [
        "00:00:00,000 --> 00:00:02,500",
        "Narrator: Ask Us Anything.",
        "Episode one.",
    ]
    assert cards[1][1:] == [
        "00:00:03,400 --> 00:00:05,000",
        "Participant 1: Is <b> &",
        "that safe?",
    ]
    assert cards[2][1:] == ["00:00:05,900 --> 01:02:05,125", "Grace <Hopper>: Yes --> it is."]


def test_long_paragraphs_are_cut_into_cards_that_respect_the_limits() -> None:
    words = "Less firefighting than people think, and more reading of graphs. " * 12
    cue = Cue(10.0, 70.0, "S", "Sunil Rao", words.strip(), 3)
    srt = [card.split("\n") for card in srt_text([cue]).strip().split("\n\n")]
    vtt = vtt_text([cue]).strip().split("\n\n")[1:]
    for cards, width, name_line in (
        (srt, 32, "Sunil Rao: "),
        ([c.split("\n") for c in vtt if c], 65, "<v Sunil Rao>"),
    ):
        assert len(cards) > 4
        texts = [card[2:] for card in cards]
        assert texts[0][0].startswith(name_line)
        assert not any(name_line in line for card in texts[1:] for line in card)
        shown = [line.replace("<v Sunil Rao>", "") for card in texts for line in card]
        assert all(1 <= len(card) <= 2 for card in texts)
        assert max(len(line) for line in shown) <= width
        # Nothing lost, nothing split inside a word.
        joined = " ".join(shown).removeprefix("Sunil Rao: ")
        assert joined.split() == words.split()
        # The paragraph's time is shared out without gaps, in proportion to the characters.
        times = [card[1].replace(",", ".").split(" --> ") for card in cards]
        assert times[0][0] == "00:00:10.000" and times[-1][1] == "00:01:10.000"
        assert all(a[1] == b[0] for a, b in zip(times, times[1:], strict=False))


def test_html_transcript_is_the_bare_podcasting_format() -> None:
    page = transcript_html(CUES, title="Ep <1>", language="en")
    tree = lxml.html.document_fromstring(page)
    body = tree.find("body")
    assert body is not None
    assert [e.tag for e in body] == ["cite", "time", "p"] * 3
    assert [e.text_content() for e in body.iter("cite")] == [
        "Narrator:",
        "Participant 1:",
        "Grace <Hopper>:",
    ]
    assert [e.text for e in body.iter("time")] == ["0:00", "0:03", "0:05"]
    assert [e.get("datetime") for e in body.iter("time")] == ["PT0M0S", "PT0M3S", "PT0M5S"]
    assert [e.text_content() for e in body.iter("p")][1] == "Is <b> & that safe?"
    assert tree.findtext(".//title") == "Ep <1>" and tree.get("lang") == "en"


def test_html_transcript_cites_a_turn_once() -> None:
    cues = [
        Cue(0.0, 1.0, "S", "Sunil", "One.", 2),
        Cue(1.0, 3725.0, "S", "Sunil", "Two.", 2),
        Cue(3725.0, 3726.0, "S", "Sunil", "Three.", 4),
    ]
    body = lxml.html.document_fromstring(transcript_html(cues)).find("body")
    assert body is not None
    assert [e.tag for e in body] == ["cite", "time", "p", "p", "cite", "time", "p"]
    assert [e.text for e in body.iter("time")] == ["0:00", "1:02:05"]


def test_podcasting_transcript_json() -> None:
    data = json.loads(transcript_json(CUES))
    assert data["version"] == "1.0.0"
    assert data["segments"][1] == {
        "speaker": "Participant 1",
        "startTime": 3.4,
        "endTime": 5.0,
        "body": "Is <b> & that safe?",
    }
    assert [s["speaker"] for s in data["segments"]] == [
        "Narrator",
        "Participant 1",
        "Grace <Hopper>",
    ]


def test_chapters_json() -> None:
    data = json.loads(chapters_json(CHAPTERS, title="Ep", podcast="Pod", file_name="ep-1.mp3"))
    assert data["version"] == "1.2.0"
    assert data["chapters"] == [
        {"startTime": 0.0, "title": "Introduction"},
        {"startTime": 3.4, "title": "Is that safe?"},
    ]
    assert (data["title"], data["podcastName"], data["fileName"]) == ("Ep", "Pod", "ep-1.mp3")


def test_audio_info_round_trip() -> None:
    assert audio_info_from_json(audio_info_json(INFO)) == INFO


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"version": 99}',
        '{"version": 1, "slug": "x"}',
        '{"version": 1, "slug": "x", "mp3_path": "a", "byte_length": '
        '"12", "duration": 1, "chapters": [], "cues": [], '
        '"sidecars": {}}',
    ],
)
def test_bad_audio_info_is_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        audio_info_from_json(text)


def test_load_audio_info_checks_the_mp3(tmp_path: Path) -> None:
    assert load_audio_info(tmp_path, "ep-1") is None
    (tmp_path / "audio").mkdir()
    (tmp_path / audio_info_path("ep-1")).write_text(audio_info_json(INFO), encoding="utf-8")
    assert load_audio_info(tmp_path, "ep-1") is None  # no MP3
    (tmp_path / mp3_path("ep-1")).write_bytes(b"x" * 12345)
    assert load_audio_info(tmp_path, "ep-1") == INFO
    (tmp_path / mp3_path("ep-1")).write_bytes(b"x" * 100)
    assert load_audio_info(tmp_path, "ep-1") is None  # MP3 changed since


def test_vtt_clock_rounds_to_milliseconds() -> None:
    text = vtt_text([Cue(59.9996, 61.0004, "S", "S", "x")])
    assert re.search(r"00:01:00\.000 --> 00:01:01\.000", text)
