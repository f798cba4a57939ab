"""Transcripts, chapters and the AudioInfo file written beside each MP3."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from amacast.model import AudioInfo, Chapter, Cue
from amacast.sidecars import (
    MEDIA_TYPES,
    audio_info_from_json,
    audio_info_json,
    audio_info_path,
    chapters_json,
    load_audio_info,
    mp3_path,
    sidecar_paths,
    srt_text,
    transcript_json,
    vtt_text,
)

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
        "srt": "transcripts/a-b.srt",
        "json": "transcripts/a-b.json",
        "chapters": "chapters/a-b.json",
    }
    assert set(MEDIA_TYPES) == {"vtt", "srt", "json", "chapters"}


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
    cards = srt_text(CUES).strip().split("\n\n")
    assert [card.split("\n")[0] for card in cards] == ["1", "2", "3"]
    assert cards[0].split("\n")[1] == "00:00:00,000 --> 00:00:02,500"
    assert cards[2].split("\n")[1] == "00:00:05,900 --> 01:02:05,125"
    assert cards[1].split("\n")[2] == "Participant 1: Is <b> & that safe?"


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
