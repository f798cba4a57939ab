"""Packed values: a parsed episode LZ4-compressed for the state store, and back."""

from __future__ import annotations

from pathlib import Path

import lz4.block
import pytest

from amacast.build.codec import DecodeError, dumps, loads, packed, unpacked
from amacast.model import Episode, Listing
from amacast.transcript.parse import parse_episode

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "episodes").glob("*.md"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_a_packed_episode_unpacks_to_itself_and_is_smaller(path: Path) -> None:
    episode = parse_episode(path)
    stored = packed(episode)
    assert unpacked(Episode, stored) == episode
    assert unpacked(Episode, stored).diagnostics == episode.diagnostics
    assert len(stored) < len(dumps(episode)) / 2
    assert loads(Episode, dumps(episode)) == episode


def test_packed_data_of_another_type_is_not_one() -> None:
    episode = parse_episode(EXAMPLES[0])
    with pytest.raises(DecodeError):
        unpacked(Episode, packed(episode.listing()))
    assert unpacked(Listing, packed(episode.listing())) == episode.listing()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"abc",
        dumps({"not": "packed"}),
        packed("cut short")[:-2],
        # A size no LZ4 data this short can make: refused before any memory is set aside.
        b"\xff\xff\xff\x7f" + packed("asks for 2 GiB")[4:],
        (10_000).to_bytes(4, "little") + b"\x00" * 30,
    ],
)
def test_data_that_is_not_packed_is_a_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        unpacked(Episode, data)


def test_a_size_beyond_what_lz4_makes_is_refused_before_decompressing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = lz4.block.decompress

    def counting(data: bytes) -> bytes:
        calls.append(len(data))
        result: bytes = real(data)
        return result

    monkeypatch.setattr(lz4.block, "decompress", counting)
    stored = packed("x" * 5000)
    assert unpacked(str, stored) == "x" * 5000
    assert calls == [len(stored)]
    with pytest.raises(DecodeError):
        unpacked(str, (256 * len(stored)).to_bytes(4, "little") + stored[4:])
    assert calls == [len(stored)]
