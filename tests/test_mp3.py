"""The MP3 encoder and its Info tag, read back by independent decoders (ffmpeg, mutagen)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from fastcrc import crc16

from amacast.audio.lame import LAME_DELAY, LameError, LameWriter
from amacast.audio.mp3 import EncodeError, Mp3Encoder, decode_chunks, decode_mp3, ffmpeg_exe


def _signal(rate: int, seconds: float) -> npt.NDArray[np.int16]:
    """A gliding tone with a click at a known sample: where the audio lands is visible."""
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.3 * np.sin(2 * np.pi * (200 + 150 * t) * t)
    wave[rate // 3] = 0.95
    return np.rint(wave * 32767).astype(np.int16)


def _encode(path: Path, samples: npt.NDArray[np.int16], rate: int, kbps: int) -> None:
    encoder = Mp3Encoder(path, rate, kbps)
    try:
        # Uneven chunks, an odd number of samples among them.
        for start in range(0, samples.size, 7001):
            encoder.write(samples[start : start + 7001])
        encoder.close()
    except BaseException:
        encoder.abort()
        raise


def _lag(reference: npt.NDArray[np.floating[Any]], decoded: npt.NDArray[np.floating[Any]]) -> int:
    """The shift (samples) at which ``decoded`` best matches ``reference``."""
    window = slice(2000, reference.size - 2000)
    scores = {
        lag: float(np.dot(reference[window], decoded[window.start + lag : window.stop + lag]))
        for lag in range(-40, 41)
    }
    return max(scores, key=lambda lag: scores[lag])


@pytest.mark.parametrize(
    ("rate", "kbps"), [(22050, 64), (16000, 32), (24000, 160), (44100, 128), (48000, 320)]
)
def test_decoders_give_back_exactly_the_samples_encoded(
    tmp_path: Path, rate: int, kbps: int
) -> None:
    samples = _signal(rate, 2.5)
    path = tmp_path / "out.mp3"
    _encode(path, samples, rate, kbps)
    reference = samples.astype(np.float64) / 32768
    by_ffmpeg = decode_mp3(path).samples
    by_miniaudio = np.concatenate(list(decode_chunks(path, rate)))
    for decoded in (by_ffmpeg, by_miniaudio):
        assert decoded.size == samples.size
        assert _lag(reference, decoded) == 0
    import mutagen.mp3

    reader: Any = mutagen.mp3  # mutagen has no type hints
    info = reader.MP3(str(path)).info
    assert info.sample_rate == rate
    assert info.bitrate_mode == reader.BitrateMode.CBR
    assert info.encoder_info.startswith("LAME 3.100")
    assert info.length == pytest.approx(samples.size / rate, abs=1e-6)


def test_the_info_tag_counts_frames_and_bytes_and_passes_its_crcs(tmp_path: Path) -> None:
    rate, samples = 22050, _signal(22050, 4.0)
    path = tmp_path / "out.mp3"
    _encode(path, samples, rate, 64)
    data = path.read_bytes()
    tag_at = 4 + 9  # MPEG-2 mono: header, side information
    assert data[tag_at : tag_at + 4] == b"Info"
    frames = int.from_bytes(data[tag_at + 8 : tag_at + 12], "big")
    size = int.from_bytes(data[tag_at + 12 : tag_at + 16], "big")
    assert size == len(data)
    # Walk the frames after the tag by their headers.
    tag_size = 72 * 64000 // rate
    at, counted = tag_size, 0
    while at < len(data):
        assert data[at] == 0xFF and data[at + 1] & 0xE0 == 0xE0
        at += tag_size + (data[at + 2] >> 1 & 1)
        counted += 1
    assert at == len(data) and counted == frames
    lame = tag_at + 120
    assert data[lame : lame + 9] == b"LAME3.100"
    delay_padding = int.from_bytes(data[lame + 21 : lame + 24], "big")
    assert delay_padding >> 12 == LAME_DELAY
    assert frames * 576 - (delay_padding >> 12) - (delay_padding & 0xFFF) == samples.size
    assert int.from_bytes(data[lame + 32 : lame + 34], "big") == crc16.arc(data[tag_size:])
    assert int.from_bytes(data[lame + 34 : lame + 36], "big") == crc16.arc(data[: lame + 34])
    # ffmpeg names the encoder only when the tag's CRC holds.
    probe = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True
    )
    assert re.search(r"encoder\s*:\s*LAME3\.100", probe.stderr)


def test_encoder_failure_is_an_encode_error(tmp_path: Path) -> None:
    encoder = Mp3Encoder(tmp_path / "missing" / "out.mp3", 22050, 64)
    with pytest.raises(EncodeError, match="the MP3 encoder"):
        encoder.write(np.zeros(1 << 21, dtype=np.int16))
        encoder.close()
    encoder.abort()


def test_lame_writer_refuses_what_mp3_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(LameError, match="no MP3 sample rate 22000"):
        LameWriter(str(tmp_path / "a.mp3"), 22000, 64)
    with pytest.raises(LameError, match="no MP3 bitrate 320 kbit/s at 22050"):
        LameWriter(str(tmp_path / "b.mp3"), 22050, 320)
    writer = LameWriter(str(tmp_path / "c.mp3"), 22050, 64)
    writer.encode(b"\x00\x01\x02")
    with pytest.raises(LameError, match="inside a 16-bit sample"):
        writer.close()
