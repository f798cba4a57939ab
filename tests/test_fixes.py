"""`amacast validate --fix`: the repairs the warnings name, made in place and nothing else."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from amacast.cli import main
from amacast.transcript.fixes import fix_text
from amacast.transcript.parse import parse_episode
from tests.conftest import FIXTURES, SEED, fossassam, shared_file

OLD_NOW = 1_600_000_000  # a modification time no run of the test writes


def _copy(source: Path, folder: Path, name: str | None = None) -> Path:
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    os.utime(target, (OLD_NOW, OLD_NOW))
    return target


def _changes(old_bytes: bytes, new_bytes: bytes) -> list[tuple[str, str]]:
    """Every run of characters that differs between two versions of a file: (old, new)."""
    old, new = old_bytes.decode("utf-8"), new_bytes.decode("utf-8")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(old[a:b], new[c:d]) for tag, a, b, c, d in matcher.get_opcodes() if tag != "equal"]


def test_the_seed_gets_its_emoji_back_and_nothing_else(runner: CliRunner, tmp_path: Path) -> None:
    path = _copy(shared_file(SEED), tmp_path, "sayak.md")
    before = path.read_bytes()
    result = runner.invoke(main, ["validate", "--fix", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{path}:51:437: fixed[mojibake] ðŸ˜› → 😛"]
    after = path.read_bytes()
    assert _changes(before, after) == [("ðŸ˜›", "😛")]
    assert after == before.replace("ðŸ˜›".encode(), "😛".encode(), 1)
    assert "1 file checked: 0 errors, 0 warnings, 0 info, 1 fixed" in result.stderr
    # The repaired file has no warning left, and a second --fix leaves it alone.
    os.utime(path, (OLD_NOW, OLD_NOW))
    again = runner.invoke(main, ["validate", "--fix", str(path)])
    assert again.exit_code == 0
    assert again.stdout == ""
    assert "0 warnings, 0 info, 0 fixed" in again.stderr
    assert path.read_bytes() == after
    assert path.stat().st_mtime == OLD_NOW


def test_invisible_characters_leave_the_labels_of_a_real_post(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = _copy(fossassam("ashris"), tmp_path)
    before = path.read_bytes()
    turns_before = [(t.speaker, t.line) for t in parse_episode(path).turns]
    result = runner.invoke(main, ["validate", "--fix", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 7
    assert lines[0] == f"{path}:29:5: fixed[invisible-label-char] **P1<U+202C>:** → **P1:**"
    assert lines[1] == f"{path}:37:7: fixed[invisible-label-char] **P1**<U+202C>: → **P1**:"
    after = path.read_bytes()
    assert _changes(before, after) == [("\u202c", "")] * 7
    assert "\u202c" not in after.decode()
    assert [(t.speaker, t.line) for t in parse_episode(path).turns] == turns_before
    assert "0 warnings" in result.stderr


def test_a_byte_order_mark_is_dropped(runner: CliRunner, tmp_path: Path) -> None:
    path = _copy(FIXTURES / "bom.md", tmp_path)
    before = path.read_bytes()
    assert before.startswith(b"\xef\xbb\xbf")
    result = runner.invoke(main, ["validate", "--fix", str(path)])
    assert result.stdout.splitlines() == [f'{path}:1:1: fixed[bom] <U+FEFF> → ""']
    assert path.read_bytes() == before[3:]


def test_two_runs_on_one_line_are_the_one_repair_the_warning_names(tmp_path: Path) -> None:
    data = (FIXTURES / "mojibake.md").read_bytes()
    fixed, fixes = fix_text(data, "mojibake.md")
    assert [str(f) for f in fixes] == [
        "mojibake.md:18:25: fixed[mojibake] â€” and coffee ðŸ˜› → — and coffee 😛"
    ]
    assert _changes(data, fixed) == [("â€”", "—"), ("ðŸ˜›", "😛")]


def test_line_ends_and_every_other_byte_stay(tmp_path: Path) -> None:
    text = (FIXTURES / "invisible-label-char.md").read_text(encoding="utf-8")
    crlf = "\ufeff" + text.replace("\n", "\r\n").replace("a checklist", "a caf\u00c3\u00a9 list")
    data = crlf.encode("utf-8")
    fixed, fixes = fix_text(data, "crlf.md")
    assert [(f.code, f.line) for f in fixes] == [
        ("bom", 1),
        ("mojibake", 18),
        ("invisible-label-char", 20),
        ("invisible-label-char", 22),
    ]
    expected = crlf[1:].replace("caf\u00c3\u00a9", "café").replace("\u202c", "")
    assert fixed == expected.encode("utf-8")
    assert fixed.count(b"\r\n") == data.count(b"\r\n")


def test_a_file_with_nothing_to_fix_is_not_written(runner: CliRunner, tmp_path: Path) -> None:
    path = _copy(FIXTURES / "valid.md", tmp_path)
    before = path.read_bytes()
    inode = path.stat().st_ino
    result = runner.invoke(main, ["validate", "--fix", str(path)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert path.read_bytes() == before
    assert path.stat().st_mtime == OLD_NOW
    assert path.stat().st_ino == inode


def test_other_problems_are_left_for_the_reader(runner: CliRunner, tmp_path: Path) -> None:
    broken = _copy(FIXTURES / "not-utf8.md", tmp_path)
    speaker = _copy(FIXTURES / "unknown-speaker.md", tmp_path)
    before = {p: p.read_bytes() for p in (broken, speaker)}
    result = runner.invoke(main, ["validate", "--fix", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "error[not-utf8]" in result.stderr and "error[unknown-speaker]" in result.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert all(p.stat().st_mtime == OLD_NOW for p in before)


def test_json_stays_json_and_the_changes_go_to_stderr(runner: CliRunner, tmp_path: Path) -> None:
    path = _copy(FIXTURES / "mojibake.md", tmp_path)
    result = runner.invoke(main, ["validate", "--fix", "--format", "json", str(path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert f"{path}:18:25: fixed[mojibake]" in result.stderr


def test_the_file_is_replaced_whole_with_its_permissions(tmp_path: Path, runner: CliRunner) -> None:
    path = _copy(FIXTURES / "mojibake.md", tmp_path)
    path.chmod(0o640)
    result = runner.invoke(main, ["validate", "--fix", str(path)])
    assert result.exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mojibake.md"]


def test_a_file_that_cannot_be_replaced_is_an_error_and_stays(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(FIXTURES / "mojibake.md", tmp_path)
    before = path.read_bytes()

    def refuse(source: str, target: str) -> None:
        raise PermissionError(13, "Permission denied", target)

    monkeypatch.setattr("amacast.transcript.fixes.os.replace", refuse)
    result = runner.invoke(main, ["validate", "--fix", str(path)])
    assert result.exit_code == 3
    assert f"error: cannot fix {path.resolve()}: Permission denied" in result.stderr
    assert "Traceback" not in result.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mojibake.md"]
