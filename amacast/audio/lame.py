"""LAME encoding into an MP3 file that decoders trim exactly: the frames and their Info tag.

:class:`LameWriter` feeds 16-bit mono PCM (bytes) to LAME (PyPI ``lameenc``,
which bundles LAME 3.100), writes the frames it returns and, on close, puts a
Xing "Info" tag with LAME's extension in front: frame count, size, seek table,
and the encoder delay and padding, by which decoders drop the samples LAME
adds at both ends and give back exactly those that went in.  lameenc writes
no such tag itself.

``python -m amacast.audio.lame PATH RATE KBPS [READ_BYTES]`` encodes the PCM on
standard input into PATH: :class:`amacast.audio.mp3.Mp3Encoder` runs it as a child
process, so that encoding takes a core of its own.  Imports nothing of
amacast and no numpy: the child stays small.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any

#: What, besides its inputs, makes an episode's MP3 bytes: the encoder and the
#: mastering around it.  Part of each episode's audio key, so audio made by
#: another version of them is made again rather than adopted; change it when
#: the same segments and settings give other bytes.
MASTERING_VERSION = "lame3.100-q7-infotag-1"

# LAME's algorithm quality (0 best .. 9 fastest): 7 encodes speech about 2.5x
# faster than the default 3 at the same bitrate, with no audible loss on speech.
LAME_QUALITY = 7
# The LAME that lameenc bundles, named in the Info tag, and its encoder delay in
# samples (ENCDELAY in LAME's sources), which the tag tells decoders to drop.
LAME_VERSION = "LAME3.100"
LAME_DELAY = 576

# MPEG audio layer III: bitrates (kbit/s) by index, for MPEG-1 and for MPEG-2/2.5.
_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
# Sample rate -> (MPEG version bits, rate index, 1 for MPEG-1 else 2).
_RATES = {
    44100: (0b11, 0, 1), 48000: (0b11, 1, 1), 32000: (0b11, 2, 1),
    22050: (0b10, 0, 2), 24000: (0b10, 1, 2), 16000: (0b10, 2, 2),
    11025: (0b00, 0, 2), 12000: (0b00, 1, 2), 8000: (0b00, 2, 2),
}  # fmt: skip
# The Xing part of the tag: "Info", flags, frames, bytes, a 100-byte seek table
# and a quality field; then LAME's 36-byte extension.
_XING_BYTES = 4 + 4 + 4 + 4 + 100 + 4
_LAME_BYTES = 36


class LameError(Exception):
    """LAME refused the settings or produced something that is not MP3 frames."""


class LameWriter:
    """Mono 16-bit PCM (little-endian bytes) encoded at a constant bitrate into ``path``."""

    def __init__(self, path: str, sample_rate: int, bitrate_kbps: int) -> None:
        import lameenc

        if sample_rate not in _RATES:
            raise LameError(f"no MP3 sample rate {sample_rate} Hz")
        version, rate_index, kind = _RATES[sample_rate]
        if bitrate_kbps not in _BITRATES[kind]:
            raise LameError(f"no MP3 bitrate {bitrate_kbps} kbit/s at {sample_rate} Hz")
        self.path = path
        self.sample_rate = sample_rate
        self.bitrate = bitrate_kbps
        self._per_frame = 1152 if kind == 1 else 576
        factor = 144 if kind == 1 else 72
        self._frame_bytes = factor * bitrate_kbps * 1000 // sample_rate
        self._side = 17 if kind == 1 else 9  # side information of a mono frame
        # The tag is a frame of its own, at a bitrate whose frame holds it.
        needed = 4 + self._side + _XING_BYTES + _LAME_BYTES
        index = _BITRATES[kind].index(bitrate_kbps)
        while factor * _BITRATES[kind][index] * 1000 // sample_rate < needed:
            index += 1
        self._tag_size = factor * _BITRATES[kind][index] * 1000 // sample_rate
        # Sync, version, layer III, no CRC; bitrate, rate; mono.
        self._header = bytes((0xFF, 0xE3 | version << 3, index << 4 | rate_index << 2, 0xC0))
        try:
            self._lame: Any = lameenc.Encoder()
            self._lame.set_in_sample_rate(sample_rate)
            self._lame.set_out_sample_rate(sample_rate)
            self._lame.set_channels(1)
            self._lame.set_bit_rate(bitrate_kbps)
            self._lame.set_quality(LAME_QUALITY)
        except (RuntimeError, ValueError) as error:
            raise LameError(f"LAME refused the settings: {error}") from error
        self._file: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._file.write(bytes(self._tag_size))  # the tag's place, filled in by close()
        self._samples = 0
        self._frames = 0
        self._audio_bytes = 0
        self._next_frame = 0  # where the next frame header starts, in audio bytes
        self._tail = b""  # a frame header cut off at the end of the last output
        self._crc = 0
        self._odd = b""  # half a sample left from the last input

    def encode(self, data: bytes) -> None:
        """Append PCM: 16-bit little-endian mono samples (any number of bytes)."""
        if self._odd:
            data = self._odd + data
        self._odd = data[len(data) - len(data) % 2 :]
        data = data[: len(data) - len(self._odd)]
        if data:
            self._samples += len(data) // 2
            self._emit(bytes(self._lame.encode(data)))

    def close(self) -> None:
        """Encode what LAME still holds and write the Info tag in front."""
        try:
            if self._odd:
                raise LameError("the input ended inside a 16-bit sample")
            self._emit(bytes(self._lame.flush()))
            if self._next_frame != self._audio_bytes:
                raise LameError("LAME's last frame is incomplete")
            self._file.seek(0)
            self._file.write(self._info_tag())
        finally:
            self._file.close()

    def _emit(self, data: bytes) -> None:
        """Write LAME's output, counting its frames (by their headers) and its CRC."""
        from fastcrc import crc16

        if not data:
            return
        self._file.write(data)
        self._crc = crc16.arc(data, initial=self._crc)
        view = self._tail + data
        base = self._audio_bytes - len(self._tail)
        self._audio_bytes += len(data)
        at = self._next_frame - base
        size = self._frame_bytes
        while at + 2 < len(view):
            if view[at] != 0xFF or view[at + 1] & 0xE0 != 0xE0:
                raise LameError(f"LAME wrote no frame header at byte {base + at}")
            at += size + (view[at + 2] >> 1 & 1)  # the padding bit adds a byte
            self._frames += 1
        self._next_frame = base + at
        self._tail = view[at:] if at < len(view) else b""

    def _info_tag(self) -> bytes:
        """The first frame: a Xing "Info" tag (constant bitrate) with LAME's extension.

        The extension's encoder delay and padding let decoders drop the
        samples LAME added; the seek table is that of a constant bitrate; the
        two CRC-16s are of the frames after the tag and of the tag's own
        bytes before that field, as LAME's format defines them.
        """
        from fastcrc import crc16

        delay = LAME_DELAY
        padding = self._frames * self._per_frame - self._samples - delay
        if not 0 <= padding < 4096:
            raise LameError(f"unexpected MP3 padding of {padding} samples")
        total = self._tag_size + self._audio_bytes
        average = self._audio_bytes / max(1, self._frames)
        toc = bytes(
            min(255, int(256 * (self._tag_size + int(i * self._frames / 100) * average) / total))
            for i in range(100)
        )
        frame = bytearray(self._tag_size)
        frame[:4] = self._header
        at = 4 + self._side
        xing = b"Info" + (0x0F).to_bytes(4, "big") + self._frames.to_bytes(4, "big")
        frame[at : at + _XING_BYTES] = xing + total.to_bytes(4, "big") + toc + bytes(4)
        at += _XING_BYTES
        source = 0 if self.sample_rate <= 32000 else 1 if self.sample_rate == 44100 else 2
        lame = bytearray(_LAME_BYTES)
        lame[:9] = LAME_VERSION.encode("ascii")
        lame[9] = 0x01  # tag revision 0, constant bitrate
        lame[20] = min(255, self.bitrate)
        lame[21:24] = (delay << 12 | padding).to_bytes(3, "big")
        lame[24] = source << 6
        lame[28:32] = total.to_bytes(4, "big")
        lame[32:34] = self._crc.to_bytes(2, "big")
        frame[at : at + _LAME_BYTES] = lame
        frame[at + 34 : at + 36] = crc16.arc(bytes(frame[: at + 34])).to_bytes(2, "big")
        return bytes(frame)


def main(argv: list[str]) -> int:
    """Encode standard input into the file named by ``argv``; 0 on success."""
    try:
        path, rate, kbps = argv[0], int(argv[1]), int(argv[2])
        chunk = int(argv[3]) if len(argv) > 3 else 1 << 20
    except (IndexError, ValueError):
        sys.stderr.write("usage: python -m amacast.audio.lame PATH RATE KBPS [READ_BYTES]\n")
        return 2
    try:
        writer = LameWriter(path, rate, kbps)
        stdin = sys.stdin.fileno()
        while data := os.read(stdin, chunk):
            writer.encode(data)
        writer.close()
    except (LameError, OSError) as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
