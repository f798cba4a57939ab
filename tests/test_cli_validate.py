"""`amacast validate` through click's CliRunner: formats, exit codes, help."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from amacast.cli import main
from tests.conftest import FIXTURES, SEED, fossassam, shared_file


def test_clean_file_exits_zero(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", str(FIXTURES / "valid.md")])
    assert result.exit_code == 0, result.output
    assert "1 file checked: 0 errors, 0 warnings, 0 info" in result.stderr


def test_errors_exit_one_with_file_line_code_and_hint(runner: CliRunner) -> None:
    path = FIXTURES / "unknown-speaker.md"
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    # Relative to the project (this repository, whose amacast.toml is found).
    assert "tests/fixtures/unknown-speaker.md:22:1: error[unknown-speaker]" in result.stderr
    assert "hint: add `- Q: Name` to the Legend" in result.stderr
    assert "Traceback" not in result.output


def test_warnings_only_exit_zero_but_strict_exits_one(runner: CliRunner) -> None:
    path = str(FIXTURES / "naive-date.md")
    assert runner.invoke(main, ["validate", path]).exit_code == 0
    result = runner.invoke(main, ["validate", "--strict", path])
    assert result.exit_code == 1
    assert "error[naive-date]" in result.stderr


def test_json_format_is_a_list_of_objects_on_stdout(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        ["validate", "--format", "json", str(FIXTURES / "bad-date.md"), str(FIXTURES / "draft.md")],
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {tuple(sorted(item)) for item in data} == {
        ("code", "column", "hint", "line", "message", "path", "severity")
    }
    # Both fixtures have the same title, hence the same slug.
    assert [(d["code"], d["severity"], d["line"]) for d in data] == [
        ("bad-date", "error", 3),
        ("duplicate-slug", "error", 2),
        ("draft", "info", 4),
    ]


def test_github_format_writes_workflow_annotations(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        [
            "validate",
            "--format",
            "github",
            str(FIXTURES / "unknown-speaker.md"),
            str(FIXTURES / "draft.md"),
            str(FIXTURES / "naive-date.md"),
        ],
    )
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("::error file=") and ",line=22,col=1,title=unknown-speaker::" in line
        for line in lines
    )
    assert any(line.startswith("::notice ") and "title=draft" in line for line in lines)
    assert any(line.startswith("::warning ") and "title=naive-date" in line for line in lines)


def test_folder_default_is_episodes(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    episodes = tmp_path / "episodes"
    episodes.mkdir()
    shutil.copy(FIXTURES / "duplicate-slug-a.md", episodes / "a.md")
    shutil.copy(FIXTURES / "duplicate-slug-b.md", episodes / "b.md")
    (episodes / "notes.txt").write_text("not a transcript")
    (tmp_path / "amacast.toml").write_text('title = "T"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["validate", "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [d["code"] for d in data if d["path"] != "amacast.toml"] == ["duplicate-slug"]
    [dup] = [d for d in data if d["code"] == "duplicate-slug"]
    assert dup["path"] == str(Path("episodes") / "b.md")
    assert "2 files checked" in result.stderr


def test_usage_errors_exit_two(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(main, ["validate", "no/such/file.md"]).exit_code == 2
    assert (
        runner.invoke(main, ["validate", "--format", "xml", str(FIXTURES / "valid.md")]).exit_code
        == 2
    )
    result = runner.invoke(
        main, ["validate", "--timezone", "Mars/Olympus", str(FIXTURES / "naive-date.md")]
    )
    assert result.exit_code == 2 and "unknown timezone" in result.stderr
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["validate"]).exit_code == 2


def test_timezone_option_is_used_in_the_message(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["validate", "--timezone", "Asia/Kolkata", str(FIXTURES / "naive-date.md")]
    )
    assert "read as Asia/Kolkata" in result.stderr


def test_help_documents_formats_codes_and_exit_codes(runner: CliRunner) -> None:
    text = runner.invoke(main, ["validate", "--help"]).output
    for word in (
        "--format",
        "json",
        "github",
        "--strict",
        "--timezone",
        "Exit codes",
        "unknown-speaker",
        "mojibake",
        "duplicate-slug",
        "naive-date",
        "invisible-label-char",
        "draft",
    ):
        assert word in text


def test_real_posts_validate_without_errors(runner: CliRunner) -> None:
    paths = [str(fossassam(n)) for n in ("sayak", "ali", "ashris", "srijan")]
    result = runner.invoke(main, ["validate", "--format", "json", *paths])
    assert result.exit_code == 0, result.output
    codes = sorted({d["code"] for d in json.loads(result.stdout)})
    assert codes == ["invisible-label-char"]
    seed = runner.invoke(main, ["validate", "--format", "json", str(shared_file(SEED))])
    assert seed.exit_code == 0
    assert [d["code"] for d in json.loads(seed.stdout)] == ["mojibake"]
    # The seed is an older copy of the Sayak post: together they share a slug.
    both = runner.invoke(main, ["validate", "--format", "json", str(SEED), paths[0]])
    assert both.exit_code == 1
    assert "duplicate-slug" in {d["code"] for d in json.loads(both.stdout)}


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "amacast", "validate", str(FIXTURES / "bad-date.md")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "error[bad-date]" in done.stderr


def test_front_matter_the_podcast_feed_cannot_use_is_a_warning_with_line_and_hint(
    runner: CliRunner,
) -> None:
    expected = {
        "bad-image.md": "5:1: warning[bad-image] `image` is not an http(s) URL of a .jpg or "
        ".png file: 'images/rin.jpeg'",
        "bad-people.md": "5:1: warning[bad-people] `people` names `X`, who is not in the Legend",
        "bad-soundbite.md": "5:1: warning[bad-soundbite] soundbite 2 needs `start` (0 or more) "
        "and `duration` (more than 0) in seconds",
    }
    for name, line in expected.items():
        path = FIXTURES / name
        result = runner.invoke(main, ["validate", str(path)])
        assert result.exit_code == 0, result.output
        lines = result.stderr.splitlines()
        assert f"tests/fixtures/{name}:{line}" in lines  # relative to the project found above
        assert "1 file checked: 0 errors, 1 warning, 0 info" in result.stderr
        assert runner.invoke(main, ["validate", "--strict", str(path)]).exit_code == 1
