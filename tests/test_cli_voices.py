"""`amacast voices` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amacast.cli import main
from amacast.engines.gtts import decode_mp3
from amacast.pitch import median_pitch


def test_lists_engines_and_voices() -> None:
    result = CliRunner().invoke(main, ["voices"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("piper:") and "usable" in lines[0] and "offline" in lines[0]
    assert any(line.split()[:1] == ["joe-high"] and "pitch 1.12" in line for line in lines)
    gtts_line = next(line for line in lines if line.startswith("gtts:"))
    assert "online" in gtts_line
    assert any(line.split()[:1] == ["gtts-uk"] and "tld co.uk" in line for line in lines)


def test_lists_as_json() -> None:
    result = CliRunner().invoke(main, ["voices", "--format", "json"])
    assert result.exit_code == 0
    engines = {e["engine"]: e for e in json.loads(result.output)}
    assert engines["piper"]["usable"] is True and engines["piper"]["online"] is False
    assert engines["gtts"]["online"] is True
    assert [v["name"] for v in engines["piper"]["voices"]] == ["joe", "joe-high", "joe-higher"]


@pytest.mark.parametrize("name", ["hello.wav", "hello.mp3"])
def test_say_writes_a_sample(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = CliRunner().invoke(
        main,
        ["voices", "--say", "Hello there, *friend*.", "--voice", "joe-higher", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "joe-higher" in result.output
    pcm = decode_mp3(out.read_bytes(), 22050)
    assert 0.6 < pcm.duration < 3.0
    assert 85 < median_pitch(pcm) < 140


def test_say_with_a_custom_voice_from_amacast_toml(tmp_path: Path) -> None:
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        Path("amacast.toml").write_text(
            'title = "T"\nbase_url = "https://example.org/"\n\n'
            '[voices.custom.slow]\nbase = "joe"\ntempo = 0.8\n',
            encoding="utf-8",
        )
        result = runner.invoke(main, ["voices", "--say", "Slowly.", "--voice", "slow"])
        assert result.exit_code == 0, result.output
        assert Path("slow.wav").read_bytes()[:4] == b"RIFF"


def test_unknown_voice_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["voices", "--say", "Hi", "--voice", "nobody"])
    assert result.exit_code == 2
    assert "unknown voice 'nobody'" in result.output


def test_nothing_to_say_and_bad_suffix_are_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["voices", "--say", "😀 **"]).exit_code == 2
    result = runner.invoke(main, ["voices", "--say", "Hi", "--out", str(tmp_path / "a.ogg")])
    assert result.exit_code == 2 and ".wav or .mp3" in result.output
