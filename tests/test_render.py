"""Rendering narrated MP3s: real Piper speech, decoded and measured."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pyloudnorm
import pytest
from engine_probe import ToneEngine, tone_factory
from pitch import median_pitch
from scipy.signal import resample_poly

from amacast.audio.engines.base import PCM, Engine, EngineError, Voice
from amacast.audio.engines.piper import PiperEngine
from amacast.audio.engines.registry import get_engine
from amacast.audio.jobs import RenderProgress, render_episodes
from amacast.audio.mp3 import decode_mp3
from amacast.audio.plan import PodcastMeta, RenderError, plan_segments
from amacast.audio.render import RenderSettings, render_episode, segment_cache_key
from amacast.audio.segments import SegmentCache
from amacast.audio.sidecars import load_audio_info
from amacast.audio.voices import assign_voices
from amacast.config import scan_keys
from amacast.model import AudioInfo, Episode
from amacast.transcript.parse import parse_episode_text

EPISODE = """\
---
title: "AMA with Rin Okafor"
date: 2026-03-14T18:00:00+01:00
draft: false
---

We talked to Rin about release engineering.

**Legend:**

- R: Rin
- P(n): Participants

---

**P1:** *How do you plan a release?*

**R:** With a checklist, and a calm afternoon.

Then we ship it on a Tuesday.

**P2:** *What breaks most often?*

**R:** The changelog, every single time.
"""
SETTINGS = RenderSettings(pause_turn=0.7, pause_paragraph=0.35)
PODCAST = PodcastMeta("Ask Us Anything", "The amacast team")


def parse(text: str = EPISODE) -> Episode:
    return parse_episode_text(text, "rin.md")


class CountingEngine:
    """Piper, counting calls; optionally failing on the n-th call (or interrupting)."""

    def __init__(self, fail_at: int | None = None, error: BaseException | None = None) -> None:
        self.inner = PiperEngine()
        self.name = self.inner.name
        self.calls: list[str] = []
        self.fail_at = fail_at
        self.error = error or EngineError("the engine broke")

    def version(self) -> str:
        return self.inner.version()

    def synthesize(self, text: str, voice: Voice) -> PCM:
        self.calls.append(text)
        if self.fail_at is not None and len(self.calls) >= self.fail_at:
            raise self.error
        return self.inner.synthesize(text, voice)


def render(
    episode: Episode,
    out: Path,
    cache: SegmentCache,
    engine: Engine | None,
    settings: RenderSettings = SETTINGS,
) -> AudioInfo:
    """Render with the default cast: each voice's own engine, or ``engine`` for all."""
    voices, problems = assign_voices(episode, {})
    assert problems == []

    def engine_for(voice: Voice) -> Engine:
        return engine if engine is not None else get_engine(voice.engine)

    return render_episode(episode, voices, engine_for, settings, out, cache, podcast=PODCAST)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[AudioInfo, Path, SegmentCache]:
    """The episode with the real default cast: Rin in hibari's heart, the rest in Piper's joe."""
    base = tmp_path_factory.mktemp("render")
    cache = SegmentCache(base / "cache")
    info = render(parse(), base / "out", cache, None)
    return info, base / "out", cache


@pytest.fixture(scope="module")
def decoded(rendered: tuple[AudioInfo, Path, SegmentCache]) -> PCM:
    info, out, _ = rendered
    return decode_mp3(out / info.mp3_path)


def test_files_land_where_feeds_expect_them(rendered: tuple[AudioInfo, Path, SegmentCache]) -> None:
    info, out, _ = rendered
    assert info.mp3_path == "audio/ama-with-rin-okafor.mp3"
    assert (out / info.mp3_path).stat().st_size == info.byte_length
    for kind in ("vtt", "srt", "json", "chapters"):
        assert (out / info.sidecars[kind]).is_file()
    assert load_audio_info(out, info.slug) == info
    leftovers = [p.name for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_duration_is_segments_plus_pauses(
    rendered: tuple[AudioInfo, Path, SegmentCache], decoded: PCM
) -> None:
    info, _, cache = rendered
    episode = parse()
    voices, _ = assign_voices(episode, {})
    segments = plan_segments(episode, voices, SETTINGS, PODCAST)
    lengths = []
    for segment in segments:
        pcm = cache.get(segment_cache_key(get_engine(segment.voice.engine), segment))
        assert pcm is not None
        lengths.append(pcm.duration)
    pauses = sum(
        SETTINGS.pause_paragraph if a.group == b.group else SETTINGS.pause_turn
        for a, b in zip(segments, segments[1:], strict=False)
    )
    expected = sum(lengths) + pauses
    assert len(segments) == 6 + 1  # intro, 5 paragraphs, outro
    assert decoded.duration == pytest.approx(expected, abs=0.05)
    assert info.duration == pytest.approx(expected, abs=0.05)
    # Each cue is exactly as long as its segment.
    for cue, length in zip(info.cues, lengths, strict=True):
        assert cue.end - cue.start == pytest.approx(length, abs=0.001)


def test_speakers_have_distinct_pitch(
    rendered: tuple[AudioInfo, Path, SegmentCache], decoded: PCM
) -> None:
    info, _, _ = rendered
    rate = decoded.sample_rate
    pieces: dict[str, list[np.ndarray]] = {}
    for cue in info.cues:
        if cue.speaker == "narrator":
            continue
        pieces.setdefault(cue.speaker, []).append(
            decoded.samples[int(cue.start * rate) : int(cue.end * rate)]
        )
    pitches = {s: median_pitch(PCM(np.concatenate(p), rate)) for s, p in pieces.items()}
    assert set(pitches) == {"R", "P1", "P2"}
    values = sorted(pitches.values())
    assert values[0] > 60
    for low, high in zip(values, values[1:], strict=False):
        assert high / low > 1.05, pitches
    # The guest (hibari's heart) is another person: at least 25% away from each questioner.
    for speaker in ("P1", "P2"):
        assert abs(pitches["R"] - pitches[speaker]) / pitches[speaker] >= 0.25, pitches


def test_vtt_cues_ordered_inside_duration(
    rendered: tuple[AudioInfo, Path, SegmentCache], decoded: PCM
) -> None:
    info, out, _ = rendered
    text = (out / info.sidecars["vtt"]).read_text(encoding="utf-8")
    assert text.startswith("WEBVTT")
    times = re.findall(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)", text)
    spans = []
    for parts in times:
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, parts)
        spans.append((h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000))
    assert len(spans) == len(info.cues) == 7
    previous_end = 0.0
    for start, end in spans:
        assert previous_end <= start < end <= decoded.duration + 0.001
        previous_end = end
    voices = re.findall(r"<v ([^>]+)>", text)
    assert voices == ["Narrator", "Participant 1", "Rin", "Rin", "Participant 2", "Rin", "Narrator"]


def test_id3_tags_and_chapters(rendered: tuple[AudioInfo, Path, SegmentCache]) -> None:
    import mutagen.id3

    info, out, _ = rendered
    tags: Any = mutagen.id3.ID3(str(out / info.mp3_path))  # type: ignore[no-untyped-call]
    assert tags.version[:2] == (2, 3)
    assert str(tags["TIT2"]) == "AMA with Rin Okafor"
    assert str(tags["TPE1"]) == "The amacast team"
    assert str(tags["TALB"]) == "Ask Us Anything"
    assert "2026" in str(tags.get("TDRC") or tags.get("TYER"))
    toc = tags.getall("CTOC")[0]
    chapters = [tags[f"CHAP:{element}"] for element in toc.child_element_ids]
    titles = [str(chapter.sub_frames["TIT2"]) for chapter in chapters]
    assert titles == ["Introduction", "How do you plan a release?", "What breaks most often?"]
    questions = [cue for cue in info.cues if cue.speaker.startswith("P")]
    assert chapters[0].start_time == 0
    for chapter, cue in zip(chapters[1:], questions, strict=True):
        assert chapter.start_time == round(cue.start * 1000)
    assert chapters[-1].end_time == round(info.duration * 1000)
    assert [c.start for c in info.chapters] == [0.0] + [q.start for q in questions]


def test_loudness_and_true_peak_of_the_mp3(decoded: PCM) -> None:
    """Measured on the MP3 as ffmpeg decodes it, with pyloudnorm and scipy's own resampler."""
    x = decoded.samples.astype(np.float64)
    loudness = pyloudnorm.Meter(decoded.sample_rate).integrated_loudness(x)
    assert abs(loudness - SETTINGS.loudness) <= 0.5
    peak = np.max(np.abs(resample_poly(x, 4, 1)))
    assert 20 * np.log10(peak) <= SETTINGS.true_peak


@pytest.mark.slow
def test_second_render_synthesises_nothing_and_an_edit_one(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache")
    engine = CountingEngine()
    first = render(parse(), tmp_path / "out", cache, engine)
    assert len(engine.calls) == 7
    engine.calls.clear()
    second = render(parse(), tmp_path / "out", cache, engine)
    assert engine.calls == []
    assert second.cues == first.cues
    edited = EPISODE.replace("Then we ship it on a Tuesday.", "Then we ship it on a Wednesday.")
    render(parse(edited), tmp_path / "out", cache, engine)
    assert engine.calls == ["Then we ship it on a Wednesday."]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("error", [EngineError("the engine broke"), KeyboardInterrupt()])
def test_failure_midway_keeps_previous_files(
    tmp_path: Path, rendered: tuple[AudioInfo, Path, SegmentCache], error: BaseException
) -> None:
    info, good_out, good_cache = rendered
    out = tmp_path / "out"
    for path, data in _snapshot(good_out).items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    before = _snapshot(out)
    cache = SegmentCache(tmp_path / "cache")
    edited = parse(EPISODE.replace("calm afternoon", "quiet morning"))
    engine = CountingEngine(fail_at=4, error=error)
    expected = RenderError if isinstance(error, EngineError) else KeyboardInterrupt
    with pytest.raises(expected) as caught:
        render(edited, out, cache, engine)
    if expected is RenderError:
        assert "ama-with-rin-okafor" in str(caught.value)
        assert "line" in str(caught.value)
    assert _snapshot(out) == before
    assert [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []
    # A re-run resumes: the three segments made before the failure come from the cache.
    engine = CountingEngine()
    render(edited, out, cache, engine)
    assert len(engine.calls) == 7 - 3


def test_empty_turn_makes_no_segment() -> None:
    text = EPISODE.replace("**R:** The changelog, every single time.", "**R:**")
    episode = parse(text)
    voices, _ = assign_voices(episode, {})
    segments = plan_segments(episode, voices, RenderSettings(intro=False, outro=False))
    assert [s.speaker for s in segments] == ["P1", "R", "R", "P2"]
    assert [s.turn_index for s in segments] == [0, 1, 1, 2]


def test_settings_from_table_names_bad_keys() -> None:
    toml = (
        '[audio]\npause_turn = -1\nbitrate = "65k"\nsample_rate = 8000\nintro = "{nope}"\n'
        'loudness = "loud"\nvolume = 3\nengine = "espeak"\n'
    )
    table = {
        "pause_turn": -1,
        "bitrate": "65k",
        "sample_rate": 8000,
        "intro": "{nope}",
        "loudness": "loud",
        "volume": 3,
        "engine": "espeak",
    }
    settings, problems = RenderSettings.from_table(table, lines=scan_keys(toml))
    assert settings == RenderSettings()
    found = {(p.code, p.message.split(":")[0], p.line) for p in problems}
    assert found == {
        ("audio-bad-value", "audio.pause_turn", 2),
        ("audio-bad-value", "audio.bitrate", 3),
        ("audio-bad-value", "audio.sample_rate", 4),
        ("audio-bad-value", "audio.intro", 5),
        ("audio-bad-value", "audio.loudness", 6),
        ("audio-unknown-key", "audio.volume", 7),
        ("audio-bad-value", "audio.engine", 8),
    }
    assert all(p.severity == "warning" for p in problems if p.code == "audio-unknown-key")


def test_settings_from_table_accepts_good_values() -> None:
    settings, problems = RenderSettings.from_table(
        {
            "intro": "Welcome to {podcast}.",
            "outro": False,
            "pause_turn": 1,
            "bitrate": "96k",
            "sample_rate": 24000,
            "loudness": -19,
            "true_peak": -2,
            "cache_dir": "ci-cache",
            "engine": "gtts",
            "enabled": True,
        }
    )
    assert problems == ()
    assert settings == RenderSettings(
        intro="Welcome to {podcast}.",
        outro=False,
        pause_turn=1.0,
        bitrate=96,
        sample_rate=24000,
        loudness=-19.0,
        true_peak=-2.0,
        cache_dir="ci-cache",
        engine="gtts",
    )


@pytest.mark.slow
def test_render_episodes_in_worker_processes(tmp_path: Path) -> None:
    episodes = [parse(), parse(EPISODE.replace("Rin Okafor", "Ada Obi"))]
    assert episodes[1].slug != episodes[0].slug
    voices = {e.slug: assign_voices(e, {})[0] for e in episodes}
    seen: list[RenderProgress] = []
    results = render_episodes(
        episodes,
        voices,
        SETTINGS,
        tmp_path / "out",
        tmp_path / "cache",
        podcast=PODCAST,
        jobs=2,
        engine_factory=tone_factory,
        progress=seen.append,
    )
    assert list(results) == [e.slug for e in episodes]
    for slug, info in results.items():
        assert load_audio_info(tmp_path / "out", slug) == info
        assert decode_mp3(tmp_path / "out" / info.mp3_path).duration == pytest.approx(
            info.duration, abs=0.05
        )
    last = seen[-1]
    assert (last.episodes_done, last.episodes_total) == (2, 2)
    assert last.segments_done == last.segments_total == 14
    assert last.fraction == pytest.approx(1.0)
    # Same inputs in one process: the same audio, all from the cache.
    again = render_episodes(
        episodes,
        voices,
        SETTINGS,
        tmp_path / "out2",
        tmp_path / "cache",
        podcast=PODCAST,
        jobs=1,
        engine_factory=tone_factory,
    )
    for slug in results:
        assert again[slug].cues == results[slug].cues
        assert (tmp_path / "out2" / again[slug].mp3_path).read_bytes() == (
            tmp_path / "out" / results[slug].mp3_path
        ).read_bytes()


@pytest.mark.slow
def test_workers_that_synthesise_never_assemble(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Synthesis workers import nothing of mastering; assembly workers synthesise nothing.

    The second and third episodes share a paragraph with the first (same
    voice), which the first one's tasks synthesise: they are assembled only
    once it is in the cache.
    """
    import json
    import os

    from engine_probe import LOG_VARIABLE, probe_factory

    log = tmp_path / "synthesis.jsonl"
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    episodes = [
        parse(),
        parse(EPISODE.replace("Rin Okafor", "Ada Obi")),
        parse(EPISODE.replace("Rin Okafor", "Bo Lind")),
    ]
    voices = {e.slug: assign_voices(e, {})[0] for e in episodes}
    results = render_episodes(
        episodes,
        voices,
        SETTINGS,
        tmp_path / "out",
        tmp_path / "cache",
        podcast=PODCAST,
        jobs=2,
        engine_factory=probe_factory,
    )
    assert list(results) == [e.slug for e in episodes]
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    texts = [call["text"] for call in calls]
    assert "The changelog, every single time." in texts
    assert len(texts) == len(set(texts))  # each text once, in a synthesis worker
    assert all(call["loaded"] == [] for call in calls)
    assert os.getpid() not in {call["pid"] for call in calls}


def test_a_cast_of_two_engines_gets_a_synthesis_pool_per_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guest in one engine, the questioners in another: no worker holds both models."""
    import json

    from engine_probe import LOG_VARIABLE, probe_factory

    log = tmp_path / "synthesis.jsonl"
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    episodes = [parse(), parse(EPISODE.replace("Rin Okafor", "Ada Obi"))]
    table = {"guest": "heart", "participants": ["joe-high", "joe-higher"], "narrator": "joe"}
    voices = {e.slug: assign_voices(e, table)[0] for e in episodes}
    assert {v.engine for v in voices[episodes[0].slug].values()} == {"hibari", "piper"}
    results = render_episodes(
        episodes,
        voices,
        SETTINGS,
        tmp_path / "out",
        tmp_path / "cache",
        podcast=PODCAST,
        jobs=2,
        engine_factory=probe_factory,
    )
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    # Every segment went to the engine of its own voice ...
    assert all(call["engine"] == call["voice"] for call in calls)
    by_engine = {
        call["engine"]: {c["text"] for c in calls if c["engine"] == call["engine"]}
        for call in calls
    }
    assert "The changelog, every single time." in by_engine["hibari"]
    assert "How do you plan a release?" in by_engine["piper"]
    # ... and no process made the segments of two engines.
    engines_of: dict[int, set[str]] = {}
    for call in calls:
        engines_of.setdefault(call["pid"], set()).add(call["engine"])
    assert all(len(names) == 1 for names in engines_of.values()), engines_of
    # The cues keep each speaker's voice: the guest's text between the questions.
    cues = results[episodes[0].slug].cues
    assert [c.speaker for c in cues] == ["narrator", "P1", "R", "R", "P2", "R", "narrator"]


def test_missing_voice_is_reported(tmp_path: Path) -> None:
    episode = parse()
    with pytest.raises(RenderError, match="no voice for speaker 'R'"):
        plan_segments(episode, {"P1": Voice("x", "piper")}, RenderSettings())


@pytest.mark.slow
def test_cli_render_writes_the_episode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from amacast.cli import main

    (tmp_path / "episodes").mkdir()
    (tmp_path / "episodes" / "rin.md").write_text(EPISODE, encoding="utf-8")
    (tmp_path / "episodes" / "draft.md").write_text(
        EPISODE.replace("draft: false", "draft: true").replace("Rin Okafor", "Drafty"),
        encoding="utf-8",
    )
    (tmp_path / "amacast.toml").write_text(
        'title = "Ask Us Anything"\nauthor = "The team"\n\n[audio]\nintro = false\n'
        "pause_turn = 0.5\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["render", "--jobs", "1", "--cache-dir", "seg"])
    assert result.exit_code == 0, result.output
    info = load_audio_info(tmp_path / ".amacast-cache" / "rendered", "ama-with-rin-okafor")
    assert info is not None and info.cues[0].speaker == "P1"  # no intro
    assert not (tmp_path / ".amacast-cache" / "rendered" / "audio" / "ama-with-drafty.mp3").exists()
    assert any((tmp_path / "seg").rglob("*.wav"))
    # Not a terminal: one line per episode, naming it.
    assert "render: 1/1 episodes done ama-with-rin-okafor (" in result.output
    assert "skipped 1 draft: ama-with-drafty (render drafts with --drafts)" in result.output

    result = CliRunner().invoke(main, ["render", "--jobs", "1", "no-such-episode"])
    assert result.exit_code == 1
    assert "unknown-episode" in result.output


def test_cli_render_reports_bad_audio_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from amacast.cli import main

    (tmp_path / "episodes").mkdir()
    (tmp_path / "episodes" / "rin.md").write_text(EPISODE, encoding="utf-8")
    (tmp_path / "amacast.toml").write_text(
        'title = "T"\n\n[audio]\nbitrate = 65\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["render", "--jobs", "1"])
    assert result.exit_code == 1
    assert "amacast.toml:4:1: error[audio-bad-value] audio.bitrate" in result.output
    assert not (tmp_path / "output").exists()


def failing_factory(name: str) -> Engine:
    """A module-level factory whose engine fails on one paragraph."""
    return FailingToneEngine()


class FailingToneEngine(ToneEngine):  # type: ignore[misc]  # engine_probe is found at run time
    def synthesize(self, text: str, voice: Voice) -> PCM:
        if "Tuesday" in text:
            raise EngineError("no network")
        pcm: PCM = super().synthesize(text, voice)
        return pcm


@pytest.mark.slow
def test_render_episodes_failure_names_episode_and_turn(tmp_path: Path) -> None:
    episode = parse()
    voices = {episode.slug: assign_voices(episode, {})[0]}
    where = r"ama-with-rin-okafor: turn 2 \(R\), line 20: no network"
    with pytest.raises(RenderError, match=where):
        render_episodes(
            [episode],
            voices,
            SETTINGS,
            tmp_path / "out",
            tmp_path / "cache",
            jobs=2,
            engine_factory=failing_factory,
        )
    assert not (tmp_path / "out" / "audio" / "ama-with-rin-okafor.mp3").exists()
    assert [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []


def test_episode_with_nothing_to_say_is_an_error(tmp_path: Path) -> None:
    text = EPISODE.split("**P1:**")[0] + "**P1:**\n\n**R:**\n"
    with pytest.raises(RenderError, match="nothing to say"):
        render(
            parse(text),
            tmp_path / "out",
            SegmentCache(tmp_path / "cache"),
            PiperEngine(),
            RenderSettings(intro=False, outro=False),
        )
    assert not any((tmp_path / "out").rglob("*.mp3"))


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def test_plans_of_the_real_corpus() -> None:
    """Every real transcript plans into speakable segments with a chapter per question."""
    from amacast.transcript.files import find_episode_files
    from amacast.transcript.parse import parse_episode

    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    files = find_episode_files([CORPUS])
    assert files
    for path in files:
        episode = parse_episode(path)
        voices, _ = assign_voices(episode, {})
        segments = plan_segments(episode, voices, SETTINGS, PODCAST)
        assert all(
            s.text.strip() and "**" not in s.text and "http" not in s.text for s in segments
        ), path
        spoken_questions = {s.turn_index for s in segments if s.chapter}
        asked = {
            t.index for t in episode.questions if any(s.turn_index == t.index for s in segments)
        }
        assert spoken_questions == asked, path
        assert all(len(s.chapter) <= 91 for s in segments), path
        assert all(s.line > 0 for s in segments if s.turn_index is not None), path


def test_cover_art_is_embedded(
    tmp_path: Path, rendered: tuple[AudioInfo, Path, SegmentCache]
) -> None:
    import mutagen.id3

    from amacast.audio.mp3 import EncodeError, write_tags

    info, out, _ = rendered
    copy = tmp_path / "copy.mp3"
    copy.write_bytes((out / info.mp3_path).read_bytes())
    cover = tmp_path / "cover.png"
    cover.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    write_tags(
        copy,
        title="T",
        artist="A",
        album="B",
        date="2026-03-14",
        chapters=info.chapters,
        cover=cover,
    )
    tags: Any = mutagen.id3.ID3(str(copy))  # type: ignore[no-untyped-call]
    picture = tags.getall("APIC")[0]
    assert (picture.mime, picture.type, picture.data) == ("image/png", 3, cover.read_bytes())
    assert decode_mp3(copy).duration == pytest.approx(info.duration, abs=0.05)
    with pytest.raises(EncodeError, match="PNG or JPEG"):
        write_tags(
            copy, title="T", artist="", album="", date="", chapters=(), cover=tmp_path / "cover.gif"
        )
