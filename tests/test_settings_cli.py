"""amacast.toml mistakes through the CLI: each reported once, at its own line, before any work.

Every test writes a real project folder and runs the command with CliRunner,
asserting on the exact diagnostic lines (path:line:col, code, message, hint).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click.testing
import pytest

from amacast.cli import main
from tests.conftest import cli_runner

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
title = "Ask Us Anything"
description = "Test podcast."
author = "Hosts"
owner_email = "owner@example.org"
image = "https://cdn.example.org/cover.png"
category = "Technology"
base_url = "https://example.org/pod/"
"""

EPISODE = """\
---
title: "AMA with Sam"
date: 2026-01-01T18:00:00+05:30
{extra}---

Intro.

**Legend:**

- S: Sam
- P(n): Participants

---

**P1:** *First question?*

**S:** First answer.
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean project folder (settings and one episode); the current folder."""
    root = tmp_path / "project"
    (root / "episodes").mkdir(parents=True)
    (root / "amacast.toml").write_text(GOOD, encoding="utf-8")
    (root / "episodes" / "sam.md").write_text(EPISODE.format(extra=""), encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.delenv("AMACAST_BASE_URL", raising=False)
    return root


def run(*args: str) -> click.testing.Result:
    return cli_runner().invoke(main, list(args), catch_exceptions=False)


def settings(project: Path, text: str) -> None:
    (project / "amacast.toml").write_text(text, encoding="utf-8")


def lines_of(result: click.testing.Result) -> list[str]:
    return result.stderr.splitlines()


def test_a_clean_project_validates(project: Path) -> None:
    result = run("validate")
    assert result.exit_code == 0, result.stderr
    assert lines_of(result) == ["amacast.toml and 1 file checked: 0 errors, 0 warnings, 0 info"]


def test_misspelt_title_is_a_warning_and_the_missing_title_an_error(project: Path) -> None:
    settings(project, GOOD.replace("title =", "tittle ="))
    result = run("validate")
    assert result.exit_code == 1
    assert lines_of(result) == [
        "amacast.toml: error[config-missing-key] title is required",
        "    hint: line 1 has 'tittle': did you mean 'title'?",
        "amacast.toml:1:1: warning[config-unknown-key] unknown setting 'tittle'",
        "    hint: did you mean 'title'?",
        "amacast.toml and 1 file checked: 1 error, 1 warning, 0 info",
    ]


def test_build_stops_on_a_missing_title_instead_of_publishing_untitled(project: Path) -> None:
    settings(project, GOOD.replace('title = "Ask Us Anything"\n', ""))
    result = run("build")
    assert result.exit_code == 1
    assert "amacast.toml: error[config-missing-key] title is required" in lines_of(result)
    assert not (project / "output").exists()


def test_audio_keys_and_values_at_their_lines(project: Path) -> None:
    settings(
        project,
        GOOD + '\n[audio]\npause_trun = 2\nloudness = "loud"\nsample_rate = 8000\nenabled = 1\n',
    )
    result = run("validate")
    assert result.exit_code == 1
    assert lines_of(result)[:8] == [
        "amacast.toml:10:1: warning[audio-unknown-key] audio.pause_trun: unknown setting",
        "    hint: did you mean 'pause_turn'?",
        "amacast.toml:11:1: error[audio-bad-value] audio.loudness: "
        "must be a number from -40 to -5, not 'loud'",
        "    hint: integrated loudness in LUFS; podcasts use -16",
        "amacast.toml:12:1: error[audio-bad-value] audio.sample_rate: "
        "must be one of 16000, 22050, 24000, 32000, 44100, 48000, not 8000",
        "    hint: 22050 is Piper's own rate",
        "amacast.toml:13:1: error[audio-bad-value] audio.enabled: "
        "expected a boolean (true or false), got an integer",
        "amacast.toml and 1 file checked: 3 errors, 1 warning, 0 info",
    ]


def test_unknown_voice_at_its_own_line_with_the_nearest_name(project: Path) -> None:
    settings(project, GOOD + '\n[voices]\nnarrator = "joe"\nS = "joe-hihg"\n')
    result = run("validate")
    assert result.exit_code == 1
    assert lines_of(result) == [
        "amacast.toml:11:1: error[voices-unknown-voice] voices.S: unknown voice 'joe-hihg'",
        "    hint: did you mean 'joe-high'? (`amacast voices` lists them all)",
        "amacast.toml and 1 file checked: 1 error, 0 warnings, 0 info",
    ]


def test_custom_voice_problems_at_their_lines(project: Path) -> None:
    settings(
        project,
        GOOD
        + '\n[voices]\nS = "alan"\n\n[voices.custom.alan]\nbase = "joe"\n'
        + "pitchh = 1.1\ntempo = 9\n",
    )
    result = run("validate")
    assert result.exit_code == 1
    assert lines_of(result) == [
        # the custom voice is broken, so the mapping to it is reported too
        "amacast.toml:10:1: error[voices-unknown-voice] voices.S: unknown voice 'alan'",
        "    hint: known voices: gtts-au, gtts-ca, gtts-ie, gtts-in, gtts-uk, gtts-us, "
        "gtts-za, heart, heart-low, joe, joe-high, joe-higher (see `amacast voices`)",
        "amacast.toml:14:1: warning[voices-unknown-key] voices.custom.alan.pitchh: unknown setting",
        "    hint: did you mean 'pitch'?",
        "amacast.toml:15:1: error[voices-bad-value] voices.custom.alan.tempo: "
        "must be a number from 0.5 to 2, not 9",
        "    hint: 1.0 is the voice's own; measured good factors: 1.0 to 1.25",
        "amacast.toml and 1 file checked: 2 errors, 1 warning, 0 info",
    ]


def test_front_matter_voices_are_checked_against_the_legend(project: Path) -> None:
    extra = "voices:\n  S: joe-hihg\n  Q: joe\n"
    (project / "episodes" / "sam.md").write_text(EPISODE.format(extra=extra), encoding="utf-8")
    result = run("validate")
    assert result.exit_code == 1
    assert lines_of(result) == [
        "episodes/sam.md:5:1: error[voices-unknown-voice] voices.S: unknown voice 'joe-hihg'",
        "    hint: did you mean 'joe-high'? (`amacast voices` lists them all)",
        "episodes/sam.md:6:1: warning[voices-unknown-speaker] voices.Q: "
        "names no speaker code, pattern or name of this episode",
        "    hint: use a code from the Legend (S, P(n)) or a speaker's name",
        "amacast.toml and 1 file checked: 1 error, 1 warning, 0 info",
    ]


def test_settings_problems_in_json_and_github_formats(project: Path) -> None:
    settings(project, GOOD + '\n[voices]\nS = "joe-hihg"\n')
    result = run("validate", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "path": "amacast.toml",
            "line": 10,
            "column": 1,
            "code": "voices-unknown-voice",
            "severity": "error",
            "message": "voices.S: unknown voice 'joe-hihg'",
            "hint": "did you mean 'joe-high'? (`amacast voices` lists them all)",
        }
    ]
    result = run("validate", "--format", "github")
    assert result.stdout.splitlines() == [
        "::error file=amacast.toml,line=10,col=1,title=voices-unknown-voice::"
        "voices.S: unknown voice 'joe-hihg' "
        "(hint: did you mean 'joe-high'? (`amacast voices` lists them all))"
    ]
    settings(project, GOOD.replace('title = "Ask Us Anything"\n', ""))
    result = run("validate", "--format", "github")
    assert result.stdout.splitlines()[0] == (
        "::error file=amacast.toml,title=config-missing-key::title is required "
        '(hint: add title = "…" to amacast.toml)'
    )


def test_build_and_render_stop_on_a_voice_at_its_line(project: Path) -> None:
    settings(project, GOOD + '\n[voices]\nS = "joe-hihg"\n')
    expected = "amacast.toml:10:1: error[voices-unknown-voice] voices.S: unknown voice 'joe-hihg'"
    build = run("build")
    assert build.exit_code == 1 and expected in lines_of(build)
    render = run("render", "--jobs", "1")
    assert render.exit_code == 1 and expected in lines_of(render)
    assert "amacast.toml:1:1" not in render.stderr + build.stderr
    assert not (project / "output").exists()


def test_render_leaves_out_an_episode_whose_front_matter_names_an_unknown_voice(
    project: Path,
) -> None:
    extra = "voices:\n  S: joe-hihg\n"
    (project / "episodes" / "sam.md").write_text(EPISODE.format(extra=extra), encoding="utf-8")
    result = run("render", "--jobs", "1")
    assert result.exit_code == 1
    assert any(
        line.endswith("sam.md:5:1: error[voices-unknown-voice] voices.S: unknown voice 'joe-hihg'")
        for line in lines_of(result)
    ), result.stderr
    assert "left out (errors): ama-with-sam" in lines_of(result)
    assert not (project / "output").exists()


def test_a_syntax_error_is_one_error_without_follow_ons(project: Path) -> None:
    settings(project, 'title = "T"\nexplicit = \nbase_url = "https://example.org/"\n')
    result = run("validate")
    assert result.exit_code == 1
    assert lines_of(result) == [
        "amacast.toml:2:12: error[config-syntax-error] TOML syntax error: Invalid value",
        "    hint: see https://toml.io for the syntax",
        "amacast.toml and 1 file checked: 1 error, 0 warnings, 0 info",
    ]


def test_a_key_followed_by_garbage_is_a_syntax_error_at_its_place(project: Path) -> None:
    settings(project, 'title = "T"\nbase_url\\ = "https://example.org/"\n')
    result = run("validate")
    assert lines_of(result) == [
        "amacast.toml:2:9: error[config-syntax-error] TOML syntax error: "
        "Expected '=' after a key in a key/value pair",
        "    hint: see https://toml.io for the syntax",
        "amacast.toml and 1 file checked: 1 error, 0 warnings, 0 info",
    ]


def test_a_duplicate_key_is_named_at_its_line(project: Path) -> None:
    settings(project, GOOD + 'base_url = "https://example.org/other/"\n')
    result = run("build")
    assert result.exit_code == 1
    assert lines_of(result)[:2] == [
        "amacast.toml:8:1: error[config-duplicate-key] duplicate key 'base_url' "
        "(first given on line 7)",
        "    hint: keep one 'base_url' and remove the other",
    ]
    assert "base_url is required" not in result.stderr


def test_a_duplicate_table_is_named_at_its_line(project: Path) -> None:
    settings(project, GOOD + "[audio]\nintro = false\n[audio]\noutro = false\n")
    result = run("validate")
    assert lines_of(result)[:2] == [
        "amacast.toml:10:1: error[config-duplicate-key] duplicate table [audio] "
        "(first given on line 8)",
        "    hint: keep one [audio] and put everything it holds there",
    ]


def test_without_amacast_toml_nothing_points_into_a_file_that_does_not_exist(
    project: Path,
) -> None:
    (project / "amacast.toml").unlink()
    result = cli_runner().invoke(main, ["build", "--base-url", "https://example.org/"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: not an amacast project: no amacast.toml here or above (run amacast init)"
    ]
    assert "amacast.toml:1:1" not in result.stderr
    assert not (project / "output").exists()


def test_validate_warns_about_a_base_url_that_build_must_be_given(project: Path) -> None:
    settings(project, GOOD.replace('base_url = "https://example.org/pod/"\n', ""))
    result = run("validate")
    assert result.exit_code == 0, result.stderr
    assert lines_of(result) == [
        "amacast.toml: warning[config-missing-key] base_url is not set: build and publish need it",
        '    hint: add base_url = "…" to amacast.toml, set AMACAST_BASE_URL or pass --base-url',
        "amacast.toml and 1 file checked: 0 errors, 1 warning, 0 info",
    ]
    assert run("validate", "--strict").exit_code == 1
    result = run("validate", "--base-url", "https://example.org/pod/")
    assert lines_of(result) == ["amacast.toml and 1 file checked: 0 errors, 0 warnings, 0 info"]
    assert run("build").exit_code == 1


def test_validate_outside_a_project_says_so(project: Path) -> None:
    (project / "amacast.toml").unlink()
    result = run("validate")
    assert result.exit_code == 2
    assert "not an amacast project" in result.stderr


# -- a YAML alias bomb ---------------------------------------------------------------------


def alias_bomb() -> str:
    """A 'billion laughs' front matter: nine levels of nine aliases, under 1 KB."""
    rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":
        rows.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
        previous = name
    rows.append("tags: *i")
    return EPISODE.format(extra="\n".join(rows) + "\n")


@pytest.mark.parametrize("command", ["validate", "build"])
def test_an_alias_bomb_is_refused_quickly(project: Path, command: str) -> None:
    bomb = alias_bomb()
    assert len(bomb.encode()) < 1024
    (project / "episodes" / "bomb.md").write_text(bomb, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AMACAST_BASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "amacast", command],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1
    assert (
        "episodes/bomb.md:4:4: error[front-matter-alias] the front matter uses a YAML anchor "
        "or alias (`&name` / `*name`); amacast does not expand them"
    ) in result.stderr.splitlines()
    assert len(result.stderr) < 2000


def test_messages_quote_long_values_briefly(project: Path) -> None:
    extra = f"tags: {'x' * 100_000}\n"
    (project / "episodes" / "sam.md").write_text(EPISODE.format(extra=extra), encoding="utf-8")
    settings(project, GOOD + f'\n[audio]\nloudness = "{"y" * 100_000}"\n')
    result = run("validate")
    assert result.exit_code == 1
    legend = "".join(f"- S{n}: Speaker {n}\n" for n in range(40))
    (project / "episodes" / "long.md").write_text(
        f"---\ntitle: Long\ndate: 2026-01-01{'9' * 100_000}\n---\n\n**Legend:**\n\n"
        f"{legend}\n---\n\n**S1:** Hello.\n\n**ZZ:** Who am I?\n",
        encoding="utf-8",
    )
    result = run("validate")
    assert result.exit_code == 1
    found = lines_of(result)
    for what in ("bad-key-type", "audio.loudness", "bad-date", "unknown-speaker"):
        assert len([line for line in found if what in line]) == 1, what
    assert "S10, S11 and 28 more)" in result.stderr
    assert max(len(line) for line in found) < 300
