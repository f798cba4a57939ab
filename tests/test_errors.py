"""Exit codes and the environment's failures: one enum, one hierarchy, documented once."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import click
import pytest

from amacast.audio.engines.base import EngineError
from amacast.audio.mastering import MasteringError
from amacast.audio.mp3 import EncodeError
from amacast.build.fs import OutputError
from amacast.build.lock import BuildRunning
from amacast.build.pipeline import BuildError
from amacast.build.places import OutputRefused
from amacast.build.signals import BuildInterrupted
from amacast.cli import main
from amacast.errors import AmacastError, ExitCode
from tests.conftest import cli_runner
from tests.test_publish import example_project, snapshot

README = Path(__file__).resolve().parent.parent / "README.md"


def test_exit_codes_are_the_documented_numbers() -> None:
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0,
        "INPUT": 1,
        "USAGE": 2,
        "ENVIRONMENT": 3,
        "TERMINATED": 143,
    }


def test_the_readme_table_lists_every_exit_code_once() -> None:
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| ", README.read_text(encoding="utf-8"), re.M)
    assert [(int(number), name) for number, name in rows] == [
        (int(code), code.name) for code in ExitCode
    ]


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (OutputError, ExitCode.ENVIRONMENT),
        (OutputRefused, ExitCode.USAGE),
        (BuildRunning, ExitCode.ENVIRONMENT),
        (BuildInterrupted, ExitCode.TERMINATED),
        (BuildError, ExitCode.ENVIRONMENT),
        (EngineError, ExitCode.ENVIRONMENT),
        (EncodeError, ExitCode.ENVIRONMENT),
        (MasteringError, ExitCode.ENVIRONMENT),
    ],
)
def test_every_environment_failure_is_one_hierarchy_apart_from_click(
    failure: type[AmacastError], code: ExitCode
) -> None:
    assert issubclass(failure, AmacastError)
    assert not issubclass(failure, click.ClickException)
    assert failure.exit_code is code


def test_a_build_step_that_fails_exits_3_and_leaves_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = example_project(tmp_path)
    monkeypatch.chdir(project)
    runner = cli_runner()
    assert runner.invoke(main, ["build"]).exit_code == ExitCode.OK
    before = snapshot(project / "output")
    # A file where the output's folder should be: the build cannot make it.
    result = runner.invoke(main, ["build", "--output", "amacast.toml/out"])
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith("error: the build failed, amacast.toml/out is unchanged: ")
    assert "Traceback" not in result.stderr
    assert snapshot(project / "output") == before


def test_serve_on_a_port_in_use_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "amacast.toml").write_text('title = "T"\n', encoding="utf-8")
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "index.html").write_text("<p>hi</p>\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli_runner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == ExitCode.ENVIRONMENT, result.output
    assert f"Error: cannot listen on 127.0.0.1:{port}: " in result.stderr
    assert "Traceback" not in result.stderr
