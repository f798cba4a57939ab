"""Piper engine: real synthesis with the bundled Joe voice (short texts, one model load)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from pitch import median_pitch

from amacast.audio.engines.base import EngineError, Voice
from amacast.audio.engines.phonemes import join_pieces, pitch_ratio, split_phonemes, voice_ratio
from amacast.audio.engines.piper import (
    PiperEngine,
    default_model_path,
    length_scale_for,
    shift_pitch,
)

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
    assert "piper-tts" in version and "sha256:" in version and "soxr" in version
    assert version == engine.version()


def test_pitch_ratio_is_a_small_fraction() -> None:
    assert pitch_ratio(1.25) == Fraction(5, 4)
    assert pitch_ratio(1.12) == Fraction(28, 25)
    with pytest.raises(EngineError):
        pitch_ratio(0.1)


def test_a_voice_ratio_needs_a_positive_tempo_and_a_pitch_in_range() -> None:
    assert voice_ratio(Voice("v", "piper", pitch=1.12, tempo=0.9)) == Fraction(28, 25)
    with pytest.raises(EngineError, match="tempo must be positive, not 0"):
        voice_ratio(Voice("v", "piper", tempo=0.0))
    with pytest.raises(EngineError, match="outside 0.25..4"):
        voice_ratio(Voice("v", "piper", pitch=5.0))


def test_shift_pitch_shortens_by_the_ratio() -> None:
    samples = np.zeros(22050, dtype=np.float32)
    assert len(shift_pitch(samples, Fraction(5, 4))) == 22050 * 4 // 5
    assert shift_pitch(samples, Fraction(1)) is samples


def test_shift_pitch_keeps_a_tone_in_place_and_scales_its_frequency() -> None:
    rate = 22050
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 200.0 * t) * np.hanning(t.size)).astype(np.float32)
    shifted = shift_pitch(tone, Fraction(5, 4))
    assert shifted.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(shifted * np.hanning(shifted.size)))
    # Played at the same rate, 4/5 as many samples: 200 Hz becomes 250 Hz.
    assert np.argmax(spectrum) * rate / shifted.size == pytest.approx(250.0, abs=2.0)
    # No delay: the envelope's peak stays in the middle.
    assert np.argmax(np.abs(shifted)) / shifted.size == pytest.approx(0.5, abs=0.01)
    assert float(np.max(np.abs(shifted))) == pytest.approx(0.5, abs=0.01)
    assert shift_pitch(np.zeros(0, dtype=np.float32), Fraction(5, 4)).size == 0


@pytest.mark.slow
def test_synthesis_imports_no_scipy_nor_the_mastering_side() -> None:
    """A synthesis worker holds the model only: scipy alone would add ~75 MiB to each."""
    import subprocess
    import sys

    code = (
        "import sys, tempfile\n"
        "from amacast.audio.engines.base import Voice\n"
        "from amacast.audio.engines.registry import get_engine\n"
        "from amacast.audio.workers import Pending, init_worker, synthesise_task\n"
        "with tempfile.TemporaryDirectory() as cache:\n"
        "    init_worker(get_engine, cache, None, 1)\n"
        "    voice = Voice('joe-high', 'piper', pitch=1.12)\n"
        "    synthesise_task([Pending('k' * 64, 'Once more, with feeling.', voice, 's', 'w')])\n"
        "loaded = ('scipy', 'pyloudnorm', 'amacast.audio.render', 'amacast.audio.mastering',\n"
        "          'onnxruntime')\n"
        "print(' '.join(name for name in loaded if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["onnxruntime"]


def test_length_curve_is_monotonic_and_identity_at_one() -> None:
    assert length_scale_for(1.0) == pytest.approx(1.0)
    values = [length_scale_for(r) for r in np.arange(0.6, 2.0, 0.05)]
    assert all(b > a for a, b in zip(values, values[1:], strict=False))


def test_voice_version_falls_back_to_the_engine_version(engine: PiperEngine) -> None:
    from amacast.audio.engines.base import voice_version
    from amacast.audio.engines.gtts import GTTSEngine

    assert voice_version(engine, Voice("joe", "piper")) == engine.version()
    gtts = GTTSEngine()
    assert voice_version(gtts, Voice("gtts-us", "gtts")) == gtts.version()


@pytest.mark.slow
def test_same_samples_in_another_process(engine: PiperEngine) -> None:
    import hashlib
    import subprocess
    import sys

    voice = Voice("joe-high", "piper", pitch=1.12)
    here = hashlib.sha256(engine.synthesize("Once more.", voice).samples.tobytes()).hexdigest()
    code = (
        "import hashlib\n"
        "from amacast.audio.engines.base import Voice\n"
        "from amacast.audio.engines.piper import PiperEngine\n"
        "pcm = PiperEngine().synthesize('Once more.', Voice('joe-high', 'piper', pitch=1.12))\n"
        "print(hashlib.sha256(pcm.samples.tobytes()).hexdigest())\n"
    )
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert there.stdout.strip() == here


# --------------------------------------------------------------------------
# Long sentences are spoken in bounded pieces


_CLAUSES = (
    "we trained the model on a small data set",
    "then we looked at the errors one by one",
    "most of them came from labels that were simply wrong",
    "so we fixed the labels and trained it again",
    "and the next version was much better than the first",
    "which surprised everyone on the team including me",
)


def _long_sentence(words: int, commas: bool) -> str:
    """A single sentence of ``words`` words, its clauses joined with or without commas."""
    chosen: list[str] = []
    clause = 0
    while len(chosen) < words:
        part = _CLAUSES[clause % len(_CLAUSES)].split()
        part = part[: words - len(chosen)]
        if commas and len(chosen) + len(part) < words:
            part[-1] += ","
        chosen.extend(part)
        clause += 1
    return " ".join(chosen).capitalize() + "."


def _phonemes(text: str) -> list[str]:
    from amacast.audio.engines.piper import _load

    sentences = _load(default_model_path(), 0).phonemize(text)
    assert len(sentences) == 1
    return list(sentences[0])


def _rejoin(pieces: list[tuple[list[str], bool]]) -> list[str]:
    joined: list[str] = []
    for piece, _ in pieces:
        if joined and joined[-1] != " ":
            joined.append(" ")
        joined.extend(piece)
    return joined


def test_split_keeps_a_short_sentence_whole() -> None:
    phonemes = list("hˈɛloʊ wˈɜːld.")
    assert split_phonemes(phonemes, 80) == [(phonemes, True)]


def test_split_bounds_a_long_sentence_without_commas_at_word_breaks() -> None:
    phonemes = _phonemes(_long_sentence(120, commas=False))
    assert "," not in phonemes and len(phonemes) > 500
    pieces = split_phonemes(phonemes, 60)
    assert all(len(piece) <= 60 for piece, _ in pieces)
    # Even pieces: no stray one-word tail.
    assert all(len(piece) >= 20 for piece, _ in pieces)
    assert [end for _, end in pieces] == [False] * (len(pieces) - 1) + [True]
    assert _rejoin(pieces) == phonemes  # cut only at spaces, nothing lost
    assert all(piece[0] != " " and piece[-1] != " " for piece, _ in pieces)


def test_split_prefers_the_last_phrase_break_before_the_limit() -> None:
    phonemes = _phonemes(_long_sentence(120, commas=True))
    pieces = split_phonemes(phonemes, 60)
    assert all(len(piece) <= 60 for piece, _ in pieces)
    assert _rejoin(pieces) == phonemes
    # Every clause fits the limit, so every piece but the last ends at a comma.
    assert all(piece[-1] == "," and end for piece, end in pieces[:-1])
    assert pieces[-1][0][-1] == "."


def test_split_cuts_a_word_longer_than_the_limit() -> None:
    phonemes = list("a" * 25)
    assert [len(piece) for piece, _ in split_phonemes(phonemes, 10)] == [10, 10, 5]
    with pytest.raises(ValueError):
        split_phonemes(phonemes, 0)


def test_a_phrase_break_too_early_is_not_used() -> None:
    phonemes = list("ab, ") + list("cd ef gh ij kl mn op qr")
    pieces = split_phonemes(phonemes, 12)
    assert pieces[0][0] != list("ab,")
    assert all(len(piece) <= 12 for piece, _ in pieces)


def test_word_join_trims_the_pause_and_fades_to_silence() -> None:
    rate = 22050
    tone = np.sin(np.arange(rate // 2) * 2 * np.pi * 120 / rate).astype(np.float32) * 0.5
    padded = np.concatenate([tone, np.zeros(rate // 5, dtype=np.float32)])
    joined = join_pieces([(padded, False), (tone, True)], rate)
    assert len(joined) == len(tone) + int(0.03 * rate) + len(tone)
    # Faded to silence where the pieces meet: no step, so no click.
    assert joined[len(tone) + int(0.03 * rate) - 1] == 0.0
    kept = join_pieces([(padded, True), (tone, True)], rate)
    assert len(kept) == len(padded) + len(tone)


@pytest.mark.slow
@pytest.mark.parametrize("commas", [False, True], ids=["no-commas", "commas"])
def test_a_120_word_sentence_is_spoken_in_bounded_calls_without_gaps(
    engine: PiperEngine, monkeypatch: pytest.MonkeyPatch, commas: bool
) -> None:
    from amacast.audio.engines.piper import MAX_PHONEMES, _load

    model = _load(default_model_path(), 0)
    calls: list[int] = []
    real = model.phoneme_ids_to_audio

    def counting(ids, config):  # type: ignore[no-untyped-def]
        calls.append(len(ids))
        return real(ids, config)

    monkeypatch.setattr(model, "phoneme_ids_to_audio", counting)
    text = _long_sentence(120, commas)
    pcm = engine.synthesize(text, Voice("joe", "piper"))
    # Piper's ids: BOS, then each phoneme followed by a pad, then EOS.
    assert len(calls) >= 5
    assert max(calls) <= 2 * MAX_PHONEMES + 2
    assert 30.0 < pcm.duration < 60.0  # 120 words at 2-4 words a second
    frame = pcm.sample_rate // 100
    frames = pcm.samples[: len(pcm.samples) // frame * frame].reshape(-1, frame)
    quiet = np.max(np.abs(frames), axis=1) < 0.01 * float(np.max(np.abs(pcm.samples)))
    longest = run = 0
    for flag in quiet:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    assert longest / 100 < 0.5
    monkeypatch.undo()
    again = engine.synthesize(text, Voice("joe", "piper"))
    assert np.array_equal(again.samples, pcm.samples)
