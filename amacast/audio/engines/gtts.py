"""gTTS: Google's voices, online.  Accent by ``Voice.tld``, language by ``Voice.lang``.

Requests that fail with HTTP 429, a 5xx or a network error are retried with
exponential backoff and jitter; anything else (or running out of attempts)
raises ``EngineError`` naming the text.  The MP3 that comes back is decoded to
mono PCM by the ffmpeg that ``imageio-ffmpeg`` ships.
"""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from io import BytesIO

import numpy as np

from amacast.audio.engines.base import PCM, EngineError, Voice

SAMPLE_RATE = 24000
# Where ``reachable()`` knocks: gTTS speaks through translate.google.<tld>.
PROBE_ADDRESS = ("translate.google.com", 443)
PROBE_TIMEOUT = 2.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_ENGINE_REVISION = "1"


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped by imageio-ffmpeg."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def decode_mp3(data: bytes, sample_rate: int = SAMPLE_RATE) -> PCM:
    """Decode MP3 bytes to mono float32 PCM at ``sample_rate`` with ffmpeg."""
    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", "pipe:0",
        "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", str(sample_rate), "pipe:1",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, input=data, capture_output=True, check=False)
    except OSError as error:
        raise EngineError(f"cannot run ffmpeg: {error}") from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise EngineError(f"ffmpeg could not decode the MP3: {message[-1] if message else ''}")
    samples = np.frombuffer(done.stdout, dtype="<i2").astype(np.float32) / 32768.0
    return PCM(samples, sample_rate)


def _status_of(error: BaseException) -> int | None:
    """The HTTP status behind a gTTS error, None for a network failure."""
    response = getattr(error, "rsp", None)
    status = getattr(response, "status_code", None)
    return int(status) if isinstance(status, int) else None


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class GTTSEngine:
    """Google Translate's text-to-speech through the ``gTTS`` package (needs the network)."""

    name = "gtts"

    def __init__(
        self,
        attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        """Retry up to ``attempts`` times, waiting ``base_delay * 2**n`` (+ jitter, capped)."""
        self.attempts = max(1, attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.sleep = sleep
        self.jitter = jitter

    def version(self) -> str:
        """The gTTS version and decode settings."""
        try:
            gtts_version = metadata.version("gTTS")
        except metadata.PackageNotFoundError:  # pragma: no cover
            gtts_version = "unknown"
        decode = f"decode ffmpeg s16le {SAMPLE_RATE} Hz mono"
        return f"gtts {gtts_version}; {decode}; rev {_ENGINE_REVISION}"

    def available(self) -> bool:
        """True when gTTS is installed (whether the network answers is not checked)."""
        try:
            import gtts  # noqa: F401
        except ImportError:  # pragma: no cover
            return False
        return True

    def reachable(
        self, timeout: float = PROBE_TIMEOUT, address: tuple[str, int] | None = None
    ) -> tuple[bool, str]:
        """Whether Google's server answers now: a TCP connection within ``timeout`` seconds.

        Name lookup included, so the whole probe never takes much longer than
        ``timeout``; returns ``(reachable, why not)``.
        """
        import socket
        import threading

        host, port = address or PROBE_ADDRESS
        outcome: list[tuple[bool, str]] = []

        def knock() -> None:
            try:
                with socket.create_connection((host, port), timeout=timeout):
                    outcome.append((True, ""))
            except OSError as error:
                outcome.append((False, f"{host}:{port}: {error.strerror or error}"))

        # A daemon thread: a name lookup that hangs cannot hold the process.
        probe = threading.Thread(target=knock, daemon=True)
        probe.start()
        probe.join(timeout + 0.5)
        if not outcome:
            return False, f"{host}:{port}: no answer within {timeout:g} s"
        return outcome[0]

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return float(
            min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * (1 + self.jitter())
        )

    def fetch_mp3(self, text: str, voice: Voice) -> bytes:
        """The MP3 bytes Google returns for ``text``, with retries."""
        from gtts import gTTS, gTTSError

        last = ""
        for attempt in range(1, self.attempts + 1):
            try:
                speech = gTTS(
                    text, tld=voice.tld, lang=voice.lang, lang_check=False, timeout=self.timeout
                )
                buffer = BytesIO()
                speech.write_to_fp(buffer)
                data = buffer.getvalue()
            except gTTSError as error:
                status = _status_of(error)
                last = str(error)
                retryable = status is None or status in RETRY_STATUSES or status >= 500
            except (AssertionError, ValueError) as error:
                raise EngineError(
                    f"gTTS cannot speak {_excerpt(text)!r} in voice {voice.id!r}: {error}"
                ) from error
            except OSError as error:  # a network failure outside gTTS's own handling
                status, last, retryable = None, str(error), True
            except Exception as error:  # an answer gTTS could not read: not worth retrying
                raise EngineError(
                    f"gTTS got an unreadable answer for {_excerpt(text)!r} "
                    f"(voice {voice.id!r}): {error}"
                ) from error
            else:
                if not data:
                    raise EngineError(f"gTTS returned no audio for {_excerpt(text)!r}")
                return data
            if not retryable:
                raise EngineError(
                    f"gTTS failed for {_excerpt(text)!r} (voice {voice.id!r}, tld {voice.tld}): "
                    f"{last}"
                )
            if attempt < self.attempts:
                self.sleep(self.delay(attempt))
        raise EngineError(
            f"gTTS failed for {_excerpt(text)!r} (voice {voice.id!r}, tld {voice.tld}) after "
            f"{self.attempts} attempts: {last}"
        )

    def synthesize(self, text: str, voice: Voice) -> PCM:
        """Speak ``text`` with Google's voice for ``voice.lang``/``voice.tld``."""
        if not text.strip():
            return PCM(np.zeros(0, dtype=np.float32), SAMPLE_RATE)
        pcm = decode_mp3(self.fetch_mp3(text, voice))
        if voice.tempo != 1.0 or voice.pitch != 1.0:
            pcm = _retime(pcm, voice.pitch, voice.tempo)
        return pcm

    def synthesize_many(
        self, texts: Sequence[str], voice: Voice, max_workers: int = 4
    ) -> list[PCM]:
        """Speak many texts with at most ``max_workers`` requests in flight, in order.

        The first failure raises its EngineError once the running requests end.
        """
        if not texts:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(texts)))) as pool:
            return list(pool.map(lambda text: self.synthesize(text, voice), texts))


def _retime(pcm: PCM, pitch: float, tempo: float) -> PCM:
    """Apply pitch (with tempo following) and tempo with ffmpeg's filters."""
    filters = []
    if pitch != 1.0:
        filters.append(f"asetrate={pcm.sample_rate * pitch:.3f},aresample={pcm.sample_rate}")
    speed = tempo / pitch
    while speed > 2.0 or speed < 0.5:
        step = 2.0 if speed > 2.0 else 0.5
        filters.append(f"atempo={step}")
        speed /= step
    if abs(speed - 1.0) > 1e-6:
        filters.append(f"atempo={speed:.6f}")
    if not filters:
        return pcm
    raw = (np.clip(pcm.samples, -1, 1) * 32767).astype("<i2").tobytes()
    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
        "-f", "s16le", "-ar", str(pcm.sample_rate), "-ac", "1", "-i", "pipe:0",
        "-af", ",".join(filters), "-f", "s16le", "-ac", "1", "pipe:1",
    ]  # fmt: skip
    done = subprocess.run(command, input=raw, capture_output=True, check=False)
    if done.returncode != 0:
        raise EngineError(f"ffmpeg could not change pitch/tempo: {done.stderr[-200:]!r}")
    samples = np.frombuffer(done.stdout, dtype="<i2").astype(np.float32) / 32768.0
    return PCM(samples, pcm.sample_rate)
