"""Piper engine: real synthesis with the bundled Joe voice (short texts, one model load)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from amacast.engines.base import EngineError, Voice
from amacast.engines.piper import (
    PiperEngine,
    default_model_path,
    length_scale_for,
    pitch_ratio,
    shift_pitch,
)
from amacast.pitch import median_pitch

SENTENCE = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def engine() -> PiperEngine:
    return PiperEngine()


@pytest.fixture(scope="module")
def plain(engine: PiperEngine):  # type: ignore[no-untyped-def]
    return engine.synthesize(SENTENCE, Voice("joe", "piper"))


def test_bundled_voice_is_found_inside_the_installed_package() -> None:
    path = default_model_path()
    assert path.name == "en_US-joe-medium.onnx"
    assert path.is_file() and path.with_name(path.name + ".json").is_file()


def test_speech_is_audible_and_of_plausible_length(plain) -> None:  # type: ignore[no-untyped-def]
    assert plain.sample_rate == 22050
    assert plain.samples.dtype == np.float32
    assert 1.5 < plain.duration < 5.0  # nine words
    rms = float(np.sqrt(np.mean(plain.samples**2)))
    assert rms > 0.03
    assert float(np.max(np.abs(plain.samples))) <= 1.0
    assert 60 < median_pitch(plain) < 140  # a low male voice


def test_same_text_and_voice_give_identical_samples(engine: PiperEngine, plain) -> None:  # type: ignore[no-untyped-def]
    again = engine.synthesize(SENTENCE, Voice("joe", "piper"))
    assert np.array_equal(again.samples, plain.samples)


def test_pitch_factor_raises_f0_and_keeps_duration(engine: PiperEngine, plain) -> None:  # type: ignore[no-untyped-def]
    high = engine.synthesize(SENTENCE, Voice("joe-higher", "piper", pitch=1.25))
    ratio = median_pitch(high) / median_pitch(plain)
    assert 1.15 < ratio < 1.35
    assert abs(high.duration / plain.duration - 1) < 0.15


def test_tempo_makes_speech_shorter(engine: PiperEngine, plain) -> None:  # type: ignore[no-untyped-def]
    fast = engine.synthesize(SENTENCE, Voice("fast", "piper", tempo=1.25))
    assert 0.7 < fast.duration / plain.duration < 0.9
    assert abs(median_pitch(fast) / median_pitch(plain) - 1) < 0.08


def test_a_users_own_voice_file_is_accepted(engine: PiperEngine, plain) -> None:  # type: ignore[no-untyped-def]
    own = engine.synthesize(SENTENCE, Voice("own", "piper", model=str(default_model_path())))
    assert np.array_equal(own.samples, plain.samples)
    assert "voice sha256:" in engine.voice_version(
        Voice("own", "piper", model=str(default_model_path()))
    )


def test_missing_voice_file_is_an_engine_error(engine: PiperEngine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EngineError, match="not found"):
        engine.synthesize("Hello.", Voice("own", "piper", model=str(tmp_path / "nope.onnx")))


def test_bad_settings_are_engine_errors(engine: PiperEngine) -> None:
    with pytest.raises(EngineError, match="pitch"):
        engine.synthesize("Hello.", Voice("x", "piper", pitch=9.0))
    with pytest.raises(EngineError, match="tempo"):
        engine.synthesize("Hello.", Voice("x", "piper", tempo=0.0))
    with pytest.raises(EngineError, match="option"):
        engine.synthesize("Hello.", Voice("x", "piper", options=(("noise_scale", "loud"),)))


def test_text_without_words_gives_no_samples(engine: PiperEngine) -> None:
    assert engine.synthesize("   ", Voice("joe", "piper")).duration == 0.0


def test_version_names_library_model_and_resampler(engine: PiperEngine) -> None:
    version = engine.version()
    assert "piper-tts" in version and "sha256:" in version and "resample_poly" in version
    assert version == engine.version()


def test_pitch_ratio_is_a_small_fraction() -> None:
    assert pitch_ratio(1.25) == Fraction(5, 4)
    assert pitch_ratio(1.12) == Fraction(28, 25)
    with pytest.raises(EngineError):
        pitch_ratio(0.1)


def test_shift_pitch_shortens_by_the_ratio() -> None:
    samples = np.zeros(22050, dtype=np.float32)
    assert len(shift_pitch(samples, Fraction(5, 4))) == 22050 * 4 // 5
    assert shift_pitch(samples, Fraction(1)) is samples


def test_length_curve_is_monotonic_and_identity_at_one() -> None:
    assert length_scale_for(1.0) == pytest.approx(1.0)
    values = [length_scale_for(r) for r in np.arange(0.6, 2.0, 0.05)]
    assert all(b > a for a, b in zip(values, values[1:], strict=False))


def test_voice_version_falls_back_to_the_engine_version(engine: PiperEngine) -> None:
    from amacast.engines.base import voice_version
    from amacast.engines.gtts import GTTSEngine

    assert voice_version(engine, Voice("joe", "piper")) == engine.version()
    gtts = GTTSEngine()
    assert voice_version(gtts, Voice("gtts-us", "gtts")) == gtts.version()


def test_same_samples_in_another_process(engine: PiperEngine) -> None:
    import hashlib
    import subprocess
    import sys

    voice = Voice("joe-high", "piper", pitch=1.12)
    here = hashlib.sha256(engine.synthesize("Once more.", voice).samples.tobytes()).hexdigest()
    code = (
        "import hashlib\n"
        "from amacast.engines.base import Voice\n"
        "from amacast.engines.piper import PiperEngine\n"
        "pcm = PiperEngine().synthesize('Once more.', Voice('joe-high', 'piper', pitch=1.12))\n"
        "print(hashlib.sha256(pcm.samples.tobytes()).hexdigest())\n"
    )
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert there.stdout.strip() == here
