"""The hibari engine: the upstream contract, a fake model for the logic, the real voice (slow)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pitch import median_pitch

from amacast.audio.engines import hibari as hibari_engine
from amacast.audio.engines.base import EngineError, Voice
from amacast.audio.engines.hibari import (
    MAX_PHONEMES,
    OUTPUT_RATE,
    PEAK,
    SEED,
    HibariEngine,
    bundled_voices,
    model_digest,
    model_path,
)

HEART = Voice("heart", "hibari")
SENTENCE = "Start by picking up problems that are relatively new but still within your range."


# --------------------------------------------------------------------------
# The contract with hibari-tts: what this engine relies on, checked against the
# installed package so that an upstream change fails here, not in a render.


def test_contract_version_in_the_tested_range_and_apache_licence() -> None:
    version = tuple(int(part) for part in metadata.version("hibari-tts").split(".")[:3])
    assert (0, 2, 1) <= version < (0, 3, 0)
    assert metadata.metadata("hibari-tts")["License"] == "Apache-2.0"
    requires = metadata.requires("hibari-tts") or []
    # Two runtime dependencies, both already ours: nothing else comes with it.
    assert sorted(r.split(">")[0].split(";")[0].strip() for r in requires if "extra" not in r) == [
        "numpy",
        "onnxruntime",
    ]


def test_contract_heart_is_bundled_with_the_hash_the_registry_names() -> None:
    from hibari.voices import VOICES

    assert bundled_voices() == ("heart",)
    entry = VOICES["heart"]
    assert entry["bundled"] is True and entry["gender"] == "female"
    assert model_path("heart").stat().st_size == entry["bytes"]
    assert model_digest("heart") == entry["sha256"]


def test_contract_api_names_and_sample_rate() -> None:
    import importlib
    import inspect

    import hibari

    for dotted in hibari_engine.REQUIRED_API:
        head, *rest = dotted.split(".")
        try:
            found: Any = getattr(hibari, head)
        except AttributeError:
            found = importlib.import_module(f"hibari.{head}")
        for part in rest:
            found = getattr(found, part)
        assert found is not None, dotted

    assert hibari.SAMPLE_RATE == 24000
    parameters = inspect.signature(hibari.Hibari).parameters
    assert {"voice", "model", "threads"} <= set(parameters)
    for name in ("phonemize", "ids", "from_ids"):
        assert callable(getattr(hibari.Hibari, name)), name
    assert list(inspect.signature(hibari.Hibari.from_ids).parameters) == [
        "self",
        "ids",
        "speed",
        "rng",
    ]


def test_contract_the_g2p_speaks_in_sentences_of_known_phonemes() -> None:
    model = hibari_engine._load("heart", 1)
    sentences = model.phonemize("Hello there. How are you, today?")
    assert len(sentences) == 2
    vocab = set(model.vocab)
    assert all(set(sentence) <= vocab for sentence in sentences)
    assert model.ids(sentences[0])[0] == 0 and model.ids(sentences[0])[-1] == 0


# --------------------------------------------------------------------------
# Offline only.


def test_a_voice_that_is_not_bundled_is_an_error_naming_the_bundled_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import urllib.request

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the hibari engine reached for the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    engine = HibariEngine()
    with pytest.raises(EngineError) as raised:
        engine.synthesize("Hello.", Voice("deep", "hibari", model="fenrir"))
    assert str(raised.value) == (
        "hibari voice 'fenrir' is not bundled with hibari-tts; amacast works offline and "
        "never downloads voices (bundled: heart)"
    )
    with pytest.raises(EngineError, match="'nobody' is not a hibari voice.*bundled: heart"):
        engine.synthesize("Hello.", Voice("x", "hibari", model="nobody"))


def test_a_custom_voice_naming_an_unbundled_hibari_voice_is_a_diagnostic() -> None:
    from amacast.audio.voices import assign_voices
    from amacast.transcript.parse import parse_episode_text

    episode = parse_episode_text(
        "---\ntitle: T\ndate: 2026-01-01\n---\n\n**Legend:**\n\n- S: Sam\n\n**S:** Hi.\n", "a.md"
    )
    table = {"custom": {"deep": {"engine": "hibari", "model": "fenrir"}}, "S": "deep"}
    _, problems = assign_voices(episode, table, config_line=3)
    first = problems[0]
    assert (first.code, first.line, first.severity) == ("voices-missing-model", 3, "error")
    assert "'fenrir' is not bundled" in first.message
    assert first.hint == "bundled hibari voices: heart"
    fine, problems = assign_voices(
        episode, {"custom": {"calm": {"engine": "hibari", "model": "heart", "tempo": 0.9}}}
    )
    assert problems == []


def test_settings_and_the_engine_agree_on_the_bundled_voices() -> None:
    from amacast.config.voices import bundled_hibari_voices

    assert bundled_hibari_voices() == hibari_engine.bundled_voices() == ("heart",)


def test_version_names_the_package_the_model_hash_and_changes_with_the_split() -> None:
    from hibari.voices import VOICES

    version = HibariEngine().version()
    assert f"hibari-tts {metadata.version('hibari-tts')}" in version
    assert f"model sha256:{VOICES['heart']['sha256'][:16]}" in version
    assert HibariEngine(max_phonemes=80).version() != version


# --------------------------------------------------------------------------
# The engine's own logic, on a fake model (no onnxruntime).


class FakeModel:
    """Stands in for ``hibari.Hibari``: a tone per piece, as long as its phonemes."""

    sample_rate = 24000

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    def phonemize(self, text: str) -> list[str]:
        # One "phoneme string" per sentence: the text itself, lower case.
        return [part.strip().lower() for part in text.split(".") if part.strip()]

    def ids(self, phonemes: str) -> list[int]:
        return [0, *[ord(c) for c in phonemes], 0]

    def from_ids(self, ids: list[int], speed: float, rng: np.random.Generator) -> np.ndarray:
        text = "".join(chr(i) for i in ids[1:-1])
        self.calls.append((text, speed))
        n = int(len(ids) * 240 / speed)
        t = np.arange(n) / self.sample_rate
        noise = rng.standard_normal(n) * 0.01
        return (0.3 * np.sin(2 * np.pi * 200 * t) + noise).astype(np.float32)


def fake_seconds(piece: str, speed: float = 1.0) -> float:
    """How long the fake model's audio of one piece is."""
    return int((len(piece) + 2) * 240 / speed) / FakeModel.sample_rate


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    model = FakeModel()
    monkeypatch.setattr(hibari_engine, "_load", lambda name, threads: model)
    return model


def test_fake_pieces_stay_under_the_limit_and_split_at_phrases(fake: FakeModel) -> None:
    clause = "this clause is long enough to count, "
    text = clause * 8 + "and it ends here."
    pcm = HibariEngine().synthesize(text, HEART)
    assert len(fake.calls) > 1
    assert all(len(piece) <= MAX_PHONEMES for piece, _ in fake.calls)
    # Cut after a comma where there is one.
    assert all(piece.endswith(",") for piece, _ in fake.calls[:-1])
    assert "".join(piece + " " for piece, _ in fake.calls).split() == text.lower()[:-1].split()
    assert pcm.sample_rate == OUTPUT_RATE == 22050
    assert float(np.max(np.abs(pcm.samples))) == pytest.approx(PEAK, abs=1e-4)


def test_fake_is_deterministic_by_the_seed(fake: FakeModel) -> None:
    engine = HibariEngine()
    first = engine.synthesize("Same words. Same noise.", HEART)
    second = engine.synthesize("Same words. Same noise.", HEART)
    assert np.array_equal(first.samples, second.samples)
    assert SEED == 0


def test_fake_pitch_and_tempo_reach_the_speed_and_the_resampler(fake: FakeModel) -> None:
    engine = HibariEngine()
    plain = engine.synthesize("A sentence of some length.", HEART)
    # 24 kHz in, 22.05 kHz out: the same tone, the same length.
    assert median_pitch(plain) == pytest.approx(200.0, rel=0.03)
    assert plain.duration == pytest.approx(fake_seconds(fake.calls[-1][0]), rel=0.01)
    low = engine.synthesize("A sentence of some length.", Voice("low", "hibari", pitch=0.8))
    assert fake.calls[-1][1] == pytest.approx(1.25)  # spoken faster, then slowed by resampling
    assert low.duration == pytest.approx(plain.duration, rel=0.02)
    assert median_pitch(low) == pytest.approx(0.8 * median_pitch(plain), rel=0.05)
    engine.synthesize("Quick.", Voice("quick", "hibari", tempo=1.5))
    assert fake.calls[-1][1] == pytest.approx(1.5)
    with pytest.raises(EngineError, match="outside hibari's 0.5..2.0"):
        engine.synthesize("Too slow.", Voice("slow", "hibari", pitch=2.0, tempo=0.6))
    with pytest.raises(EngineError, match="tempo must be positive"):
        engine.synthesize("No.", Voice("zero", "hibari", tempo=0.0))


def test_fake_failures_become_engine_errors(
    fake: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ids: list[int], speed: float, rng: np.random.Generator) -> np.ndarray:
        raise RuntimeError("onnxruntime fell over")

    monkeypatch.setattr(fake, "from_ids", broken)
    with pytest.raises(EngineError, match="hibari could not speak 'Hello.': onnxruntime fell over"):
        HibariEngine().synthesize("Hello.", HEART)


def test_fake_nothing_to_say_is_empty_audio(fake: FakeModel) -> None:
    pcm = HibariEngine().synthesize("  ", HEART)
    assert pcm.duration == 0.0 and pcm.sample_rate == OUTPUT_RATE


# --------------------------------------------------------------------------
# The real voice.


@pytest.mark.slow
def test_real_heart_speaks_a_womans_voice_at_the_output_rate() -> None:
    engine = HibariEngine(threads=1)
    pcm = engine.synthesize(SENTENCE, HEART)
    assert pcm.sample_rate == OUTPUT_RATE
    # About 13 words: a few seconds of speech, not silence, not a runaway.
    assert 3.0 < pcm.duration < 8.0
    assert float(np.max(np.abs(pcm.samples))) == pytest.approx(PEAK, abs=1e-3)
    assert 160 < median_pitch(pcm) < 230
    low = engine.synthesize(SENTENCE, Voice("heart-low", "hibari", pitch=0.85))
    assert median_pitch(low) / median_pitch(pcm) == pytest.approx(0.85, abs=0.05)
    model = hibari_engine._load("heart", 1)
    assert model.sess.get_session_options().intra_op_num_threads == 1


@pytest.mark.slow
def test_real_heart_gives_the_same_samples_in_another_process() -> None:
    here = hashlib.sha256(HibariEngine(threads=1).synthesize(SENTENCE, HEART).samples.tobytes())
    code = (
        "import hashlib\n"
        "from amacast.audio.engines.base import Voice\n"
        "from amacast.audio.engines.hibari import HibariEngine\n"
        f"pcm = HibariEngine(threads=1).synthesize({SENTENCE!r}, Voice('heart', 'hibari'))\n"
        "print(hashlib.sha256(pcm.samples.tobytes()).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == here.hexdigest()


@pytest.mark.slow
def test_real_long_paragraph_in_pieces_keeps_its_words(tmp_path: Path) -> None:
    """A long sentence is spoken piece by piece: as long as the words need, no gaps."""
    text = ", ".join(["the build passed on every machine we tried"] * 6) + "."
    pcm = HibariEngine(threads=1).synthesize(text, HEART)
    words = len(text.split())
    # 2 to 4 words a second: neither pieces lost nor long silences added.
    assert 2.0 < words / pcm.duration < 4.0
    loud = np.abs(pcm.samples) > 0.01 * PEAK
    blocks = np.asarray(loud[: loud.size // 2400 * 2400]).reshape(-1, 2400)  # 0.1 s frames
    frames = [bool(f) for f in np.asarray(blocks.any(axis=1))]
    longest_quiet = max(len(run) for run in "".join("1" if f else "0" for f in frames).split("1"))
    assert longest_quiet <= 8  # no silence over 0.8 s inside the paragraph
