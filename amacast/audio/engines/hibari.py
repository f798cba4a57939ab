"""hibari: offline neural speech with the voices bundled in the ``hibari-tts`` wheel.

``hibari-tts`` (Apache-2.0) ships one voice, *heart* (American English,
female, distilled from Kokoro-82M's af_heart), with its own
grapheme-to-phoneme rules, so it needs neither espeak nor a download.  Its
other voices come from a model hub on first use; this engine never asks for
them.  hibari honours no offline environment variable (it fetches with
urllib), so the engine never lets hibari find a file itself: it passes the
bundled model's path, and a voice that is not in the wheel is an EngineError
naming the bundled voices (:func:`bundled_voices`).

Determinism: hibari adds Gaussian noise to every frame's spectrum; the noise
generator is seeded with :data:`SEED` for each call, so the same text gives
the same samples run after run, as the segment cache and the tests rely on.

Pitch and tempo work as Piper's do: hibari speaks ``tempo / pitch`` times
as fast and the audio is resampled by ``pitch`` (libsoxr), so the pitch moves
and the duration stays natural.  The same resampling step brings hibari's
24 kHz to :data:`OUTPUT_RATE`, Piper's rate and the default ``[audio]
sample_rate``: segments are cached at the rate the episode is assembled at,
so a render resamples nothing (measured on the 3-hour benchmark episode: a
warm render took 158 s of CPU resampling 24 kHz segments in every pass).

Memory: like Piper, onnxruntime's peak grows with the audio one call makes
(measured over 15 long paragraphs of a real post, one process: 312 MiB with
hibari's own 400-phoneme pieces, 274 at 200, 240 at 120; about 205 MiB for
the model, its lexicons and libraries alone), so a sentence is spoken in
pieces of at most :data:`MAX_PHONEMES`, split at a phrase break or a word
with Piper's rules (:func:`amacast.audio.engines.phonemes.split_phonemes`).
"""

from __future__ import annotations

import hashlib
import threading
from fractions import Fraction
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from amacast.audio.engines.base import PCM, EngineError, Voice
from amacast.audio.engines.phonemes import join_pieces, split_phonemes, voice_ratio

DEFAULT_VOICE = "heart"
# The rate of the PCM this engine returns (hibari itself speaks at 24 kHz).
OUTPUT_RATE = 22050
SEED = 0
# Peak level of a synthesised segment (render normalises loudness later).
PEAK = 0.9
# Longest phoneme string (hibari's misaki alphabet, stress marks and spaces
# included) one inference call speaks at natural speed; see the module's note.
MAX_PHONEMES = 120
# hibari's speed input accepts 0.5 (slow) to 2.0 (fast).
SPEED_RANGE = (0.5, 2.0)
# The API names of hibari-tts this module relies on (a contract test checks them).
REQUIRED_API = ("Hibari", "SAMPLE_RATE", "voices.VOICES", "Hibari.phonemize", "Hibari.from_ids")
_ENGINE_REVISION = "1"

_models: dict[tuple[str, int], Any] = {}
_lock = threading.Lock()


def hibari_version() -> str:
    """The installed hibari-tts version, or ``unknown``."""
    try:
        return metadata.version("hibari-tts")
    except metadata.PackageNotFoundError:
        return "unknown"


def _registry() -> dict[str, dict[str, Any]]:
    """hibari's voice registry (``assets/voices.json``): name -> file, sha256, bundled."""
    try:
        from hibari.voices import VOICES
    except ImportError as error:
        raise EngineError("the hibari-tts package is not installed") from error
    return {str(name): dict(entry) for name, entry in VOICES.items()}


def bundled_voices() -> tuple[str, ...]:
    """The hibari voices inside the installed wheel (no download needed), e.g. ``("heart",)``."""
    try:
        registry = _registry()
    except EngineError:
        return ()
    return tuple(name for name, entry in registry.items() if entry.get("bundled"))


def model_path(name: str) -> Path:
    """The bundled model file of hibari voice ``name``; EngineError for any other voice."""
    registry = _registry()
    entry = registry.get(name)
    bundled = ", ".join(bundled_voices()) or "none"
    if entry is None or not entry.get("bundled"):
        what = "is not bundled with hibari-tts" if entry is not None else "is not a hibari voice"
        raise EngineError(
            f"hibari voice {name!r} {what}; amacast works offline and never downloads "
            f"voices (bundled: {bundled})"
        )
    path = Path(str(resources.files("hibari").joinpath("assets", str(entry["file"]))))
    if not path.is_file():
        raise EngineError(f"hibari voice {name!r}: its model {path} is missing from the package")
    return path


def _voice_name(voice: Voice) -> str:
    return voice.model or DEFAULT_VOICE


def _load(name: str, threads: int) -> Any:
    """The ``hibari.Hibari`` of a bundled voice, loaded once per process."""
    key = (name, threads)
    with _lock:
        model = _models.get(key)
        if model is not None:
            return model
        path = model_path(name)
        try:
            from hibari import Hibari

            # ``model=`` makes hibari use this file and never look for a download.
            model = Hibari(voice=name, model=str(path), threads=threads)
        except Exception as error:  # onnxruntime raises many kinds
            raise EngineError(f"cannot load hibari voice {name!r}: {error}") from error
        _models[key] = model
        return model


class HibariEngine:
    """Offline speech with hibari; ``Voice.model`` names a bundled hibari voice (default heart)."""

    name = "hibari"

    def __init__(self, threads: int = 0, max_phonemes: int = MAX_PHONEMES) -> None:
        """``threads`` caps onnxruntime's threads per process (0: its default).

        ``max_phonemes`` bounds what one inference call speaks (0: hibari's own
        sentence pieces; for measurements only).
        """
        self.threads = threads
        self.max_phonemes = max_phonemes

    def version(self) -> str:
        """hibari-tts version, the default voice's model hash, resampler, seed, pieces."""
        return (
            f"hibari-tts {hibari_version()}; {self._model_tag(DEFAULT_VOICE)}; "
            f"resample soxr VHQ {_soxr_version()} to {OUTPUT_RATE} Hz; seed {SEED}; peak {PEAK}; "
            f"split {self.max_phonemes} phonemes; "
            f"rev {_ENGINE_REVISION}"
        )

    def voice_version(self, voice: Voice) -> str:
        """Like ``version()``, with the hash of the voice's own model."""
        name = _voice_name(voice)
        if name == DEFAULT_VOICE:
            return self.version()
        return f"{self.version()}; voice {name} {self._model_tag(name)}"

    @staticmethod
    def _model_tag(name: str) -> str:
        entry = _registry().get(name, {})
        return f"model sha256:{str(entry.get('sha256', 'unknown'))[:16]}"

    def available(self) -> bool:
        """True when hibari, onnxruntime and the bundled heart voice can be found."""
        try:
            import onnxruntime  # noqa: F401

            return model_path(DEFAULT_VOICE).is_file()
        except Exception:
            return False

    def synthesize(self, text: str, voice: Voice) -> PCM:
        """Speak ``text`` in ``voice`` as mono float32 PCM at :data:`OUTPUT_RATE`."""
        ratio = voice_ratio(voice)
        speed = voice.tempo / float(ratio)
        low, high = SPEED_RANGE
        if not low <= speed <= high:
            raise EngineError(
                f"voice {voice.id!r}: tempo/pitch {speed:.2f} is outside hibari's {low}..{high}"
            )
        model = _load(_voice_name(voice), self.threads)
        rate = int(model.sample_rate)
        limit = max(8, round(self.max_phonemes * speed))
        rng = np.random.default_rng(SEED)
        pieces: list[tuple[npt.NDArray[np.float32], bool]] = []
        try:
            for sentence in model.phonemize(text):
                parts = (
                    split_phonemes(list(sentence), limit)
                    if self.max_phonemes > 0
                    else [(list(sentence), True)]
                )
                for phonemes, phrase_end in parts:
                    audio = model.from_ids(model.ids("".join(phonemes)), speed, rng)
                    pieces.append((np.asarray(audio, dtype=np.float32).reshape(-1), phrase_end))
        except Exception as error:  # the G2P and onnxruntime raise many kinds
            raise EngineError(f"hibari could not speak {text[:60]!r}: {error}") from error
        if not pieces:
            return PCM(np.zeros(0, dtype=np.float32), OUTPUT_RATE)
        samples = resample(join_pieces(pieces, rate), rate * ratio)
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        if peak > 1e-6:
            samples = samples * np.float32(PEAK / peak)
        return PCM(np.clip(samples, -1.0, 1.0).astype(np.float32), OUTPUT_RATE)


def resample(samples: npt.NDArray[np.float32], rate: Fraction) -> npt.NDArray[np.float32]:
    """Samples taken as being at ``rate`` Hz, resampled to :data:`OUTPUT_RATE` (libsoxr, VHQ).

    Taking 24 kHz speech as ``24000 * p`` Hz plays it ``p`` times faster: pitch
    and rate change in one step.
    """
    if rate == OUTPUT_RATE or samples.size == 0:
        return samples
    import soxr

    out = soxr.resample(samples.astype(np.float64), float(rate), OUTPUT_RATE, quality="VHQ")
    return np.asarray(out, dtype=np.float32)


def _soxr_version() -> str:
    try:
        return metadata.version("soxr")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def model_digest(name: str = DEFAULT_VOICE) -> str:
    """The SHA-256 of a bundled voice's model file as read from disk (for the contract test)."""
    digest = hashlib.sha256()
    with model_path(name).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
