"""The segment cache: keys, storage, and what a rebuild synthesises."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from amacast.audio.engines.base import PCM, Voice
from amacast.audio.render import RenderSettings, render_episode
from amacast.audio.segments import SegmentCache, quantize, segment_key
from amacast.model import Block, Episode, Speaker, Turn

VOICE = Voice("low", "tone", pitch=1.0)


class ToneEngine:
    """A stand-in engine: a tone whose pitch follows the voice, length follows the text."""

    name = "tone"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def version(self) -> str:
        return "tone 1"

    def synthesize(self, text: str, voice: Voice) -> PCM:
        self.calls.append(text)
        rate = 16000
        t = np.arange(int(rate * (0.3 + 0.01 * len(text)))) / rate
        tone = 0.4 * np.sin(2 * np.pi * 140.0 * voice.pitch * t) * np.hanning(t.size)
        return PCM(tone.astype(np.float32), rate)


def _block(text: str, line: int) -> Block:
    return Block("paragraph", text, f"<p>{text}</p>", text, line, line)


def episode(answers: tuple[str, ...] = ("First answer.", "Second answer.")) -> Episode:
    """A small hand-built episode: a question and an answer of several paragraphs."""
    speakers = (Speaker("G", "Grace", "guest", 8), Speaker("P1", "Participant 1", "participant", 9))
    turns = (
        Turn(0, "P1", (_block("What do you test?", 12),), 12, 12),
        Turn(1, "G", tuple(_block(text, 14 + 2 * i) for i, text in enumerate(answers)), 14, 18),
    )
    return Episode(
        "cache.md",
        "0" * 64,
        "Cache episode",
        None,
        False,
        "cache-episode",
        2,
        {},
        {},
        (),
        speakers,
        turns,
    )


VOICES = {"G": VOICE, "P1": Voice("high", "tone", pitch=1.5), "narrator": VOICE}
SETTINGS = RenderSettings(intro=False, outro=False, pause_turn=0.3, pause_paragraph=0.2)


def test_key_depends_on_every_input() -> None:
    base = segment_key("tone", "1", VOICE, "Hello.")
    assert base == segment_key("tone", "1", VOICE, "Hello.")
    variants = [
        segment_key("other", "1", VOICE, "Hello."),
        segment_key("tone", "2", VOICE, "Hello."),
        segment_key("tone", "1", VOICE, "Hello!"),
    ]
    changes: list[dict[str, Any]] = [
        {"id": "x"},
        {"engine": "x"},
        {"model": "m.onnx"},
        {"pitch": 1.1},
        {"tempo": 0.9},
        {"lang": "de"},
        {"tld": "co.uk"},
        {"options": (("noise_scale", "0.3"),)},
    ]
    for change in changes:
        variants.append(segment_key("tone", "1", dataclasses.replace(VOICE, **change), "Hello."))
    assert len(set(variants)) == len(variants)
    assert base not in variants


def test_put_get_round_trip_at_16_bit(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path)
    samples = np.linspace(-1.0, 1.0, 1001, dtype=np.float32)
    cache.put("ab" + "0" * 62, PCM(samples, 24000))
    back = cache.get("ab" + "0" * 62)
    assert back is not None
    assert back.sample_rate == 24000
    assert np.max(np.abs(back.samples - samples)) < 1.0 / 32767
    assert np.array_equal(quantize(back.samples), quantize(samples))
    assert cache.frames("ab" + "0" * 62) == 1001
    # Only the finished file is there: no temp files next to it.
    assert sorted(p.name for p in (tmp_path / "ab").iterdir()) == ["ab" + "0" * 62 + ".wav"]


def test_missing_or_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path)
    key = "cd" + "1" * 62
    assert cache.get(key) is None
    cache.path_for(key).parent.mkdir(parents=True)
    cache.path_for(key).write_bytes(b"RIFF\x00garbage")
    assert cache.get(key) is None
    calls: list[int] = []

    def synthesize() -> PCM:
        calls.append(1)
        return PCM(np.zeros(10, dtype=np.float32), 16000)

    assert cache.fetch(key, synthesize).samples.size == 10
    assert cache.fetch(key, synthesize).samples.size == 10
    assert calls == [1]
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


def test_rebuild_synthesises_nothing_and_an_edit_one_segment(tmp_path: Path) -> None:
    engine = ToneEngine()
    cache = SegmentCache(tmp_path / "cache")
    out = tmp_path / "out"
    first = render_episode(episode(), VOICES, lambda v: engine, SETTINGS, out, cache)
    assert len(engine.calls) == 3
    engine.calls.clear()
    again = render_episode(episode(), VOICES, lambda v: engine, SETTINGS, out, cache)
    assert engine.calls == []
    assert again.cues == first.cues
    edited = episode(("First answer.", "Second answer, edited."))
    render_episode(edited, VOICES, lambda v: engine, SETTINGS, out, cache)
    assert engine.calls == ["Second answer, edited."]


def test_same_text_in_another_voice_is_another_segment(tmp_path: Path) -> None:
    engine = ToneEngine()
    cache = SegmentCache(tmp_path / "cache")
    render_episode(episode(), VOICES, lambda v: engine, SETTINGS, tmp_path / "out", cache)
    engine.calls.clear()
    other = {**VOICES, "G": Voice("mid", "tone", pitch=1.2)}
    render_episode(episode(), other, lambda v: engine, SETTINGS, tmp_path / "out", cache)
    assert sorted(engine.calls) == ["First answer.", "Second answer."]


@pytest.mark.parametrize("rate", [16000, 24000])
def test_stored_rate_is_kept(tmp_path: Path, rate: int) -> None:
    cache = SegmentCache(tmp_path)
    cache.put("ee" + "2" * 62, PCM(np.zeros(rate // 10, dtype=np.float32), rate))
    pcm = cache.get("ee" + "2" * 62)
    assert pcm is not None and pcm.sample_rate == rate and pcm.duration == pytest.approx(0.1)
