"""`amacast voices` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pitch import median_pitch

from amacast.audio.engines.gtts import decode_mp3
from amacast.cli import main
from tests.conftest import cli_runner


def test_lists_engines_and_voices(monkeypatch: pytest.MonkeyPatch) -> None:
    from amacast.audio.engines import gtts

    monkeypatch.setattr(gtts, "PROBE_ADDRESS", ("127.0.0.1", _closed_port()))
    result = CliRunner().invoke(main, ["voices"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("piper:") and "[usable, offline]" in lines[0]
    assert any(line.split()[:1] == ["joe-high"] and "pitch 1.12" in line for line in lines)
    hibari_line = next(line for line in lines if line.startswith("hibari:"))
    assert "Apache-2.0" in hibari_line and "[usable, offline]" in hibari_line
    assert any(
        line.split() == ["heart-low", "hibari", "voice", "heart,", "pitch", "0.85"]
        for line in lines
    )
    gtts_line = lines.index(next(line for line in lines if line.startswith("gtts:")))
    assert lines[gtts_line].endswith("[usable, online, unreachable now]")
    assert lines[gtts_line + 1].startswith("  note: unreachable now (127.0.0.1:")
    assert any(line.split()[:1] == ["gtts-uk"] and "tld co.uk" in line for line in lines)


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_lists_as_json() -> None:
    result = CliRunner().invoke(main, ["voices", "--format", "json"])
    assert result.exit_code == 0
    engines = {e["engine"]: e for e in json.loads(result.output)}
    assert engines["piper"]["usable"] is True and engines["piper"]["online"] is False
    assert engines["gtts"]["online"] is True
    assert [v["name"] for v in engines["piper"]["voices"]] == ["joe", "joe-high", "joe-higher"]
    assert [v["name"] for v in engines["hibari"]["voices"]] == ["heart", "heart-low"]
    assert engines["gtts"]["reachable"] in (True, False)


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
        result = runner.invoke(
            main, ["voices", "--say", "Slowly.", "--voice", "slow", "--out", "slow.wav"]
        )
        assert result.exit_code == 0, result.output
        assert Path("slow.wav").read_bytes()[:4] == b"RIFF"


def test_say_without_out_never_writes_into_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample goes to a folder of the temp dir, and the command says where."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr("tempfile.tempdir", None)
    work = tmp_path / "work"
    work.mkdir()
    (work / "amacast.toml").write_text('title = "T"\n', encoding="utf-8")
    monkeypatch.chdir(work)
    result = cli_runner().invoke(main, ["voices", "--say", "Hello"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in work.iterdir()] == ["amacast.toml"]
    sample = temp / "amacast-samples" / "joe.wav"
    assert sample.read_bytes()[:4] == b"RIFF"
    assert result.stderr.startswith(f"wrote {sample} (")


def test_an_unknown_voice_gets_a_did_you_mean() -> None:
    result = cli_runner().invoke(main, ["voices", "--say", "Hi", "--voice", "heart-lwo"])
    assert result.exit_code == 2
    assert "unknown voice 'heart-lwo'; did you mean 'heart-low'?" in result.stderr


def test_say_without_words_and_without_an_episode_is_a_usage_error() -> None:
    result = cli_runner().invoke(main, ["voices", "--say"])
    assert result.exit_code == 2
    assert "give the words to say" in result.stderr


CAST_EPISODE = """\
---
title: "AMA with Rin Okafor"
date: 2026-03-14T18:00:00+01:00
voices:
  P2: joe
---

**Legend:**

- R: Rin Okafor
- H: Hema (host)
- P(n): Participants

---

**H:** *Welcome, Rin.*

**P1:** *How do you plan a release?*

**R:** With a checklist, and a calm afternoon. Then we ship it on a Tuesday.

**P2:** *What breaks most often?*

**R:** The changelog.
"""


def _cast_project(root: Path) -> Path:
    (root / "episodes").mkdir()
    episode = root / "episodes" / "rin.md"
    episode.write_text(CAST_EPISODE, encoding="utf-8")
    (root / "amacast.toml").write_text(
        'title = "T"\nbase_url = "https://example.org/"\n\n[voices]\nhost = "joe-higher"\n',
        encoding="utf-8",
    )
    return episode


def test_voices_episode_prints_each_speaker_with_voice_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    episode = _cast_project(tmp_path)
    result = cli_runner().invoke(main, ["voices", str(episode)])
    assert result.exit_code == 0, result.stderr
    rows = [line.split(None, 1)[0:2] for line in result.stdout.splitlines()[1:]]
    assert [code for code, _ in rows] == ["R", "H", "P1", "P2", "narrator"]
    lines = {line.split()[0]: " ".join(line.split()) for line in result.stdout.splitlines()[1:]}
    assert lines["R"] == "R Rin Okafor guest heart (hibari) default cast of piper: guest"
    assert lines["H"] == "H Hema host joe-higher (piper) amacast.toml [voices] host"
    assert lines["P1"].endswith("joe-high (piper) default cast of piper: participant")
    assert lines["P2"].endswith("joe (piper) front matter voices.P2")
    assert lines["narrator"].endswith("joe (piper) default cast of piper: narrator")
    as_json = cli_runner().invoke(main, ["voices", str(episode), "--format", "json"])
    rows_json = {row["code"]: row for row in json.loads(as_json.stdout)}
    assert rows_json["R"] == {
        "code": "R",
        "name": "Rin Okafor",
        "role": "guest",
        "voice": "heart",
        "engine": "hibari",
        "reason": "default cast of piper: guest",
    }


def test_voices_episode_reports_a_bad_voice_with_file_line_and_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    episode = _cast_project(tmp_path)
    episode.write_text(CAST_EPISODE.replace("P2: joe", "P2: jo"), encoding="utf-8")
    result = cli_runner().invoke(main, ["voices", str(episode)])
    assert result.exit_code == 1
    first, hint = result.stderr.splitlines()[:2]
    assert first == f"{episode}:5:1: error[voices-unknown-voice] voices.P2: unknown voice 'jo'"
    assert hint.strip().startswith("hint: did you mean 'joe'?")


def test_voices_episode_say_writes_a_sample_per_speaker_in_its_voice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    episode = _cast_project(tmp_path)
    out = tmp_path / "samples"
    result = cli_runner().invoke(main, ["voices", str(episode), "--say", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "H.wav",
        "P1.wav",
        "P2.wav",
        "R.wav",
        "narrator.wav",
    ]
    assert f"wrote {out / 'R.wav'} (" in result.stderr and "R, voice heart)" in result.stderr
    pitch = {p.stem: median_pitch(_read_wav(p)) for p in out.iterdir()}
    # The guest is another person: far above every questioner and the narrator.
    assert all(pitch["R"] > 1.25 * pitch[code] for code in ("H", "P1", "P2", "narrator"))
    # Rin's sample is the first words Rin says.
    assert _read_wav(out / "R.wav").duration > 1.5


def _read_wav(path: Path):  # type: ignore[no-untyped-def]
    import wave

    import numpy as np

    from amacast.audio.engines.base import PCM

    with wave.open(str(path), "rb") as handle:
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
        return PCM((data / 32768.0).astype(np.float32), handle.getframerate())


def test_unknown_voice_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["voices", "--say", "Hi", "--voice", "nobody"])
    assert result.exit_code == 2
    assert "unknown voice 'nobody'" in result.output


def test_nothing_to_say_and_bad_suffix_are_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["voices", "--say", "😀 **"]).exit_code == 2
    result = runner.invoke(main, ["voices", "--say", "Hi", "--out", str(tmp_path / "a.ogg")])
    assert result.exit_code == 2 and ".wav or .mp3" in result.output


def test_voices_episode_reports_the_transcripts_own_errors(tmp_path: Path) -> None:
    episode = tmp_path / "bare.md"
    episode.write_text("Just some words.\n", encoding="utf-8")
    result = cli_runner().invoke(main, ["voices", str(episode), "--say"])
    assert result.exit_code == 1
    assert f"{episode}:1:1: error[no-legend] " in result.stderr
    assert "wrote" not in result.stderr  # no samples for a transcript that will not render
