"""Shared test fixtures: the real transcripts in ../shared (when present) and fixture files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_318488fdd57dc492.txt"
CORPUS = SHARED / "corpus"
FOSSASSAM = ("sayak", "ali", "ashris", "srijan")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def shared_file(path: Path) -> Path:
    """A file of ../shared, or skip the test saying it is absent."""
    if not path.exists():
        pytest.skip(f"real transcript {path} is not present (../shared is absent on this machine)")
    return path


def fossassam(name: str) -> Path:
    """One of the four FOSSASSAM AMA posts in ../shared/corpus."""
    return shared_file(CORPUS / f"joinalahmed__fossassam__ama-{name}.md")


def fixture(name: str) -> Path:
    """A file of tests/fixtures."""
    return FIXTURES / name


def cli_runner() -> CliRunner:
    """A CliRunner that keeps stderr apart from stdout (click 8.1 and 8.2+)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg,unused-ignore]
    except TypeError:  # click >= 8.2 keeps stderr apart by default
        return CliRunner()


@pytest.fixture
def runner() -> CliRunner:
    """:func:`cli_runner` as a fixture."""
    return cli_runner()


NODE_DIR = Path(__file__).resolve().parent / "node"


def node_script(package_file: str, script: str, purpose: str) -> Path:
    """``tests/node/<script>`` with the npm packages of ``tests/node`` installed.

    ``package_file`` (under ``node_modules``) tells whether they are; without
    node and npm, or when ``npm ci`` fails (offline), the test skips saying
    ``purpose``.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(f"node and npm are needed {purpose}")
    if not (NODE_DIR / "node_modules" / package_file).is_file():
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            pytest.skip(f"npm ci in tests/node failed (offline?): {result.stderr.strip()[-300:]}")
    return NODE_DIR / script
