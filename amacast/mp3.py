"""MP3 in and out: a streaming ffmpeg encoder and ID3v2 tags with chapters.

The ffmpeg used is one on ``PATH`` when there is one, else the binary that PyPI
``imageio-ffmpeg`` ships (no system package needed); pydub is pointed at the
same binary.  Encoding streams 16-bit PCM into ffmpeg's stdin, so an episode of
any length is encoded with a few chunks in memory (pydub's ``export`` needs
the whole episode as one ``AudioSegment``).
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from amacast.engines.base import PCM
from amacast.errors import AmacastError
from amacast.model import Chapter

# LAME's algorithm quality (0 best .. 9 fastest): 7 encodes speech about 2.5x
# faster than the default 3 at the same bitrate, with no audible loss on speech.
LAME_QUALITY = 7

_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class EncodeError(AmacastError):
    """ffmpeg could not be started or failed to encode."""


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


class Mp3Encoder:
    """Mono 16-bit PCM written in chunks, encoded by ffmpeg (libmp3lame, CBR) into ``path``."""

    def __init__(self, path: Path, sample_rate: int, bitrate_kbps: int) -> None:
        self.path = path
        # ffmpeg's messages go to a file: a pipe nobody reads could fill and block it.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()/abort()
        command = [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-loglevel",
            "error",
            "-f",
            "s16le",
            "-ar",
            str(sample_rate),
            "-ac",
            "1",
            "-i",
            "pipe:0",
            "-c:a",
            "libmp3lame",
            "-b:a",
            f"{bitrate_kbps}k",
            "-ac",
            "1",
            "-compression_level",
            str(LAME_QUALITY),
            # No ID3 of ffmpeg's own (mutagen writes the tags); keep the Xing/LAME
            # header so decoders trim the encoder delay and padding exactly.
            "-id3v2_version",
            "0",
            "-write_xing",
            "1",
            "-f",
            "mp3",
            "-y",
            str(path),
        ]
        try:
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr
            )
        except OSError as error:
            self._stderr.close()
            raise EncodeError(f"cannot start ffmpeg: {error}") from error

    def write(self, samples: npt.NDArray[np.int16]) -> None:
        """Append samples (int16, mono)."""
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(np.ascontiguousarray(samples, dtype="<i2").tobytes())
        except (BrokenPipeError, OSError) as error:
            raise EncodeError(f"ffmpeg stopped while encoding: {self._error_text()}") from error

    def close(self) -> None:
        """Finish the file; EncodeError if ffmpeg failed."""
        stdin = self._process.stdin
        assert stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            stdin.close()
        code = self._process.wait()
        message = self._error_text()
        self._stderr.close()
        if code != 0:
            raise EncodeError(f"ffmpeg failed (exit {code}): {message}")

    def abort(self) -> None:
        """Stop ffmpeg at once (on failure or interrupt); the output file is left to the caller."""
        if self._process.poll() is None:
            self._process.kill()
        try:
            if self._process.stdin is not None:
                self._process.stdin.close()
        except OSError:
            pass
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
    """How much the encoder changes the level (dB), measured once on a 1 kHz tone.

    libmp3lame as ffmpeg drives it scales its input by 0.95 (−0.45 dB); other
    builds may not, so this is measured rather than assumed.
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
        decoded = decode_mp3(path, sample_rate).samples.astype(np.float64)
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
    path: Path, sample_rate: int, chunk: int = 1 << 16
) -> Iterator[npt.NDArray[np.float64]]:
    """Decode an audio file with ffmpeg into mono float chunks, without holding it whole."""
    process = subprocess.Popen(
        _decode_command(path, sample_rate),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        while True:
            data = process.stdout.read(chunk * 2)
            if not data:
                break
            usable = len(data) - len(data) % 2
            yield np.frombuffer(data[:usable], dtype="<i2").astype(np.float64) / 32768.0
    finally:
        if process.poll() is None:
            process.kill()
        _, errors = process.communicate()
    if process.returncode != 0:
        raise EncodeError(
            f"ffmpeg could not decode {path}: {errors.decode('utf-8', 'replace').strip()[-2000:]}"
        )


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
