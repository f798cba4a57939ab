"""The CLI around the build layer: one build at a time, and an output that is never the project."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amacast.build.lock import lock_output
from amacast.cli import main
from amacast.transcript.parse import parse_episode
from tests.conftest import cli_runner
from tests.test_publish import example_project, snapshot


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = example_project(tmp_path)
    monkeypatch.chdir(project)
    return project


def test_a_second_build_while_one_runs_exits_3_and_names_it(project: Path) -> None:
    runner = cli_runner()
    assert runner.invoke(main, ["build"]).exit_code == 0
    before = snapshot(project / "output")
    with lock_output(project / "output", project / ".amacast-cache"):
        result = runner.invoke(main, ["build"])
    assert result.exit_code == 3
    assert f"error: another amacast build is running (pid {os.getpid()})" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project / "output") == before


def test_a_lock_left_by_a_killed_build_is_taken_over(project: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from amacast.build.lock import lock_output\n"
            "with lock_output(Path('output'), Path('.amacast-cache')):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert cli_runner().invoke(main, ["build"]).exit_code == 3
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    result = cli_runner().invoke(main, ["build"])
    assert result.exit_code == 0, result.stderr
    assert (project / "output" / "atom.xml").is_file()


@pytest.mark.parametrize("output", [".", "..", "episodes"])
def test_an_output_that_holds_the_project_is_refused(project: Path, output: str) -> None:
    before = sorted(p.relative_to(project.parent) for p in project.parent.rglob("*"))
    result = cli_runner().invoke(main, ["build", "--output", output])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert sorted(p.relative_to(project.parent) for p in project.parent.rglob("*")) == before


def test_sigterm_during_a_build_leaves_the_output_as_it_was(project: Path) -> None:
    """A build that renders for a while, terminated: the old output stays, nothing beside it."""
    assert cli_runner().invoke(main, ["build"]).exit_code == 0
    before = snapshot(project / "output")
    slow = (
        "import time, sys\n"
        "from pathlib import Path\n"
        "import amacast.build.pipeline as pipeline\n"
        "def renderer(episodes, settings, folder):\n"
        "    print('rendering', flush=True); time.sleep(60)\n"
        "pipeline.default_renderer = lambda *args: renderer\n"
        "from amacast.cli import main\n"
        "sys.argv = ['amacast', 'publish', '--audio']\n"
        "main()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", slow], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while (line := process.stdout.readline()).strip() != "rendering":
        assert line and time.monotonic() < deadline, process.communicate()
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert snapshot(project / "output") == before
    assert not [
        p
        for p in project.iterdir()
        if ".amacast-" in p.name and p.is_dir() and p.name != ".amacast-cache"
    ]
    assert not [p for p in (project / ".amacast-cache").iterdir() if "scratch" in p.name]


def test_a_dry_run_says_what_would_change_and_changes_nothing(project: Path) -> None:
    runner = cli_runner()
    assert runner.invoke(main, ["build"]).exit_code == 0
    before = snapshot(project / "output")
    first, second = sorted((project / "episodes").glob("*.md"))[:2]
    first.write_text(first.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    gone_slug = parse_episode(second).slug
    second.unlink()
    result = runner.invoke(main, ["build", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    edited = next(line for line in lines if line.startswith("would write: "))
    assert edited == "would write: ama-with-saoirse-delaney-maintaining-an-audio-library"
    assert f"would remove: episodes/{gone_slug}/index.html" in lines
    assert lines[-1].startswith("dry run: 0 episodes to render, 1 page(s) to write, 1 file(s)")
    assert snapshot(project / "output") == before
    # The real build then does just that.
    done = runner.invoke(main, ["build"])
    assert done.exit_code == 0
    assert "changed: ama-with-saoirse-delaney-maintaining-an-audio-library" in done.stderr
    assert not (project / "output" / "episodes" / gone_slug).exists()


def test_a_dry_run_of_a_new_project_names_the_audio_to_render(project: Path) -> None:
    result = cli_runner().invoke(main, ["publish", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    would = next(line for line in result.stderr.splitlines() if line.startswith("would render: "))
    assert len(would.split(", ")) == 3
    assert not (project / "output" / "atom.xml").exists()
    assert not (project / ".amacast-cache" / "segments").exists()


def test_problems_are_printed_before_the_audio_work_and_quiet_keeps_warnings(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import amacast.build.pipeline as pipeline

    toml = project / "amacast.toml"
    toml.write_text(toml.read_text("utf-8") + "\n[site]\nx = 1\n", "utf-8")

    def renderer(episodes: object, settings: object, folder: Path) -> dict[str, object]:
        raise RuntimeError("the engine fell over")

    monkeypatch.setattr(pipeline, "default_renderer", lambda *args: renderer)
    runner = cli_runner()
    result = runner.invoke(main, ["publish", "-q"])
    assert result.exit_code == 3  # a failing step is the environment's failure
    lines = result.stderr.splitlines()
    warning = next(i for i, line in enumerate(lines) if "warning[config-unknown-key]" in line)
    failure = next(i for i, line in enumerate(lines) if line.startswith("error: the build failed"))
    assert warning < failure  # the warning came before the (failed) audio work
