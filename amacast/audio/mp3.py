"""MP3 in and out: a streaming LAME encoder, a decoder, and ID3v2 tags with chapters.

Encoding streams 16-bit PCM into LAME (PyPI ``lameenc``) in a child process
(:mod:`amacast.audio.lame`), so an episode of any length is encoded with a few
chunks in memory, on a second core.  The file starts with a LAME "Info" tag
(frame count, size, seek table, the encoder delay and padding), so that
decoders trim the encoder's delay and padding and give back exactly the
samples that went in.  Decoding for the loudness check uses miniaudio's MP3
decoder in this process.  ffmpeg (one on ``PATH``, else the binary PyPI ``imageio-ffmpeg``
ships; pydub is pointed at the same one) decodes other files, for checks and
tests: a decoder independent of the encoder's side.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from amacast.audio.engines.base import PCM
from amacast.errors import AmacastError
from amacast.model import Chapter

_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class EncodeError(AmacastError):
    """The MP3 could not be encoded, written or decoded."""


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The ffmpeg to use (system first, else imageio-ffmpeg's); pydub is set to it too."""
    found = shutil.which("ffmpeg")
    if found is None:
        try:
            import imageio_ffmpeg

            found = imageio_ffmpeg.get_ffmpeg_exe()
        except Exception as error:  # imageio-ffmpeg raises RuntimeError and others
            raise EncodeError(f"no ffmpeg found (install imageio-ffmpeg): {error}") from error
    with warnings.catch_warnings():
        # pydub warns at import when no ffmpeg is on PATH (it is about to get one)
        # and, on Python 3.11-3.12, that audioop is deprecated.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment

    AudioSegment.converter = found
    return found


# The pipe to the encoder holds this much (Linux; elsewhere the default), and
# the encoder reads this much at a time: few, large copies between the processes.
_PIPE_BYTES = 1 << 20


class Mp3Encoder:
    """Mono 16-bit PCM written in chunks, encoded by LAME (CBR) into ``path``.

    LAME runs in a child process (:mod:`amacast.audio.lame`) fed through a pipe, so
    encoding goes on while this process prepares the next samples: the two
    share the work over two cores.  Until :meth:`close` returns, ``path`` is
    not a complete file.
    """

    def __init__(self, path: Path, sample_rate: int, bitrate_kbps: int) -> None:
        self.path = path
        # The child's messages go to a file: a pipe nobody reads could fill and block it.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()/abort()
        command = [
            # -P: the current folder is not searched first (a project may hold an "amacast").
            sys.executable, "-P", "-m", "amacast.audio.lame",
            str(path), str(sample_rate), str(bitrate_kbps), str(_PIPE_BYTES),
        ]  # fmt: skip
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                bufsize=0,
            )
        except OSError as error:
            self._stderr.close()
            raise EncodeError(f"cannot start the MP3 encoder: {error}") from error
        stdin = self._process.stdin
        assert stdin is not None
        with contextlib.suppress(ImportError, AttributeError, OSError):
            import fcntl  # not on Windows; F_SETPIPE_SZ on Linux only

            fcntl.fcntl(stdin.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        self._stdin: IO[bytes] = stdin

    def write(self, samples: npt.NDArray[np.int16]) -> None:
        """Append samples (int16, mono)."""
        data = np.ascontiguousarray(samples, dtype="<i2").data.cast("B")
        try:
            while data:
                written = self._stdin.write(data)
                data = data[written or 0 :]
        except (BrokenPipeError, OSError) as error:
            code = self._process.wait()
            raise EncodeError(
                f"the MP3 encoder stopped (exit {code}): {self._error_text()}"
            ) from error

    def close(self) -> None:
        """Finish the file; EncodeError if the encoder failed."""
        with contextlib.suppress(BrokenPipeError, OSError):
            self._stdin.close()
        code = self._process.wait()
        message = self._error_text()
        self._stderr.close()
        if code != 0:
            raise EncodeError(f"the MP3 encoder failed (exit {code}): {message}")

    def abort(self) -> None:
        """Stop the encoder at once (on failure or interrupt); the file is left to the caller."""
        if self._process.poll() is None:
            self._process.kill()
        with contextlib.suppress(OSError):
            self._stdin.close()
        self._process.wait()
        self._stderr.close()

    def _error_text(self) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode("utf-8", "replace").strip()[-2000:]
        except (OSError, ValueError):
            return ""


@functools.lru_cache(maxsize=8)
def encoder_gain_db(sample_rate: int, bitrate_kbps: int) -> float:
    """How much encoding and decoding change the level (dB), measured once on a 1 kHz tone.

    Measured rather than assumed: encoders differ (libmp3lame as ffmpeg drives
    it scales its input by 0.95, −0.45 dB; LAME driven directly does not).
    """
    seconds = 2
    t = np.arange(sample_rate * seconds) / sample_rate
    tone = 0.25 * np.sin(2 * np.pi * 1000.0 * t)
    with tempfile.TemporaryDirectory(prefix="amacast-calibrate-") as scratch:
        path = Path(scratch) / "tone.mp3"
        encoder = Mp3Encoder(path, sample_rate, bitrate_kbps)
        try:
            encoder.write(np.rint(tone * 32767).astype(np.int16))
            encoder.close()
        except BaseException:
            encoder.abort()
            raise
        decoded = np.concatenate(list(decode_chunks(path, sample_rate)))
    middle = slice(sample_rate // 2, len(t) - sample_rate // 2)
    before = float(np.sqrt(np.mean(tone[middle] ** 2)))
    after = float(np.sqrt(np.mean(decoded[middle] ** 2))) if decoded.size >= len(t) else before
    return 20.0 * float(np.log10(max(after, 1e-9) / before))


def _decode_command(path: Path, sample_rate: int) -> list[str]:
    """ffmpeg arguments that decode ``path`` to mono 16-bit PCM on stdout."""
    return [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
        "-f", "s16le", "-ac", "1", "-ar", str(sample_rate), "pipe:1",
    ]  # fmt: skip


def decode_mp3(path: Path, sample_rate: int | None = None) -> PCM:
    """Decode an audio file to mono float32 PCM with ffmpeg (for checks and tests)."""
    rate = sample_rate
    if rate is None:
        import mutagen.mp3

        reader: Any = mutagen.mp3  # mutagen has no type hints
        rate = int(reader.MP3(str(path)).info.sample_rate)
    result = subprocess.run(_decode_command(path, rate), capture_output=True, check=False)
    if result.returncode != 0:
        raise EncodeError(result.stderr.decode("utf-8", "replace").strip())
    samples = np.frombuffer(result.stdout, dtype="<i2").astype(np.float32) / 32768.0
    return PCM(samples, rate)


def decode_chunks(
    path: Path, sample_rate: int, chunk: int = 1 << 17
) -> Iterator[npt.NDArray[np.float32]]:
    """Decode an MP3 (mono) in this process into float chunks, without holding it whole.

    miniaudio's decoder reads the Info tag and drops the encoder's delay and
    padding, as players do.  It decodes in a thread a few chunks ahead of the
    caller (it lets go of the GIL while it decodes), so decoding and whatever
    the caller does with the chunks share two cores.
    """
    import miniaudio

    chunks: queue.Queue[npt.NDArray[np.float32] | BaseException | None] = queue.Queue(8)
    stop = threading.Event()

    def put(item: npt.NDArray[np.float32] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def decode() -> None:
        try:
            info = miniaudio.mp3_get_file_info(str(path))
            if info.nchannels != 1 or info.sample_rate != sample_rate:
                stream = miniaudio.stream_file(
                    str(path), nchannels=1, sample_rate=sample_rate, frames_to_read=chunk
                )
            else:
                stream = miniaudio.mp3_stream_file(str(path), frames_to_read=chunk)
            for block in stream:
                samples = np.frombuffer(block, dtype=np.int16).astype(np.float32)
                if not put(samples * np.float32(1 / 32768)):
                    return
            put(None)
        except miniaudio.DecodeError as error:
            put(EncodeError(f"cannot decode {path}: {error}"))
        except BaseException as error:  # handed to the caller's thread, raised there
            put(error)

    worker = threading.Thread(target=decode, name="amacast-decode", daemon=True)
    worker.start()
    try:
        while (item := chunks.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def write_tags(
    path: Path,
    *,
    title: str,
    artist: str,
    album: str,
    date: str,
    chapters: Sequence[Chapter],
    cover: Path | None = None,
    comment: str = "",
) -> None:
    """Write ID3v2.3 tags: title, artist, album, date, cover art, CHAP/CTOC chapters.

    Chapter times are whole milliseconds; the table of contents is ordered
    and top-level, so players list the chapters in time order.
    """
    import mutagen.id3

    id3: Any = mutagen.id3  # mutagen has no type hints
    APIC, CHAP, COMM, CTOC, TALB, TDRC, TIT2, TPE1 = (
        id3.APIC,
        id3.CHAP,
        id3.COMM,
        id3.CTOC,
        id3.TALB,
        id3.TDRC,
        id3.TIT2,
        id3.TPE1,
    )
    CTOCFlags = id3.CTOCFlags
    tags = id3.ID3()
    tags.add(TIT2(encoding=3, text=[title]))
    if artist:
        tags.add(TPE1(encoding=3, text=[artist]))
    if album:
        tags.add(TALB(encoding=3, text=[album]))
    if date:
        tags.add(TDRC(encoding=3, text=[date]))
    if comment:
        tags.add(COMM(encoding=3, lang="eng", desc="", text=[comment]))
    if cover is not None:
        mime = _MIME.get(cover.suffix.lower())
        if mime is None:
            raise EncodeError(f"cover art must be PNG or JPEG: {cover}")
        try:
            data = cover.read_bytes()
        except OSError as error:
            raise EncodeError(f"cannot read cover art {cover}: {error}") from error
        tags.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=data))
    ids = [f"chp{number}" for number in range(len(chapters))]
    if chapters:
        tags.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=3, text=["Chapters"])],
            )
        )
    for element_id, chapter in zip(ids, chapters, strict=True):
        tags.add(
            CHAP(
                element_id=element_id,
                start_time=int(round(chapter.start * 1000)),
                end_time=int(round(chapter.end * 1000)),
                start_offset=0xFFFFFFFF,
                end_offset=0xFFFFFFFF,
                sub_frames=[TIT2(encoding=3, text=[chapter.title])],
            )
        )
    tags.save(str(path), v2_version=3)
