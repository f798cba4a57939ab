"""What earlier versions left in and beside output/: removed by the next build, and only that."""

from __future__ import annotations

from pathlib import Path

import pytest

from amacast.cli import main
from tests.conftest import cli_runner
from tests.test_publish import example_project, snapshot


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = example_project(tmp_path)
    monkeypatch.chdir(project)
    monkeypatch.delenv("AMACAST_BASE_URL", raising=False)
    return project


def put(path: Path, content: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, "utf-8")


def notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "earlier amacast" in line]


def test_a_build_removes_the_old_layouts_leftovers_beside_the_output(project: Path) -> None:
    assert cli_runner().invoke(main, ["build"]).exit_code == 0
    put(project / ".output.old-k2x_9abc" / "removed-0")
    put(project / ".output.old-k2x_9abc" / "3")
    put(project / ".output.tmp-0aq7zz1m" / "audio" / "a.mp3")
    put(project / ".output.amacast-building", "")
    # Look-alikes amacast never wrote stay.
    survivors = [
        project / ".output.old-mine" / "removed-0",  # not a temporary name
        project / ".output.old-abcdefgh" / "notes.txt",  # not what an old build set aside
        project / ".output.amacast-building.bak",
        project / ".site.old-k2x_9abc" / "1",  # beside another output
        project / "output" / ".atom.xml.amacast-new",  # inside an output this version wrote
    ]
    for path in survivors:
        put(path)

    dry = cli_runner().invoke(main, ["build", "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert notes(dry.stderr) == [
        "note: would remove what an earlier amacast left: .output.amacast-building, "
        ".output.old-k2x_9abc/, .output.tmp-0aq7zz1m/"
    ]
    assert (project / ".output.old-k2x_9abc").is_dir()

    first = cli_runner().invoke(main, ["build"])
    assert first.exit_code == 0, first.stderr
    assert notes(first.stderr) == [
        "note: removed what an earlier amacast left: .output.amacast-building, "
        ".output.old-k2x_9abc/, .output.tmp-0aq7zz1m/"
    ]
    for name in (".output.old-k2x_9abc", ".output.tmp-0aq7zz1m", ".output.amacast-building"):
        assert not (project / name).exists()
    assert all(path.read_text("utf-8") == "x" for path in survivors)
    again = cli_runner().invoke(main, ["build"])
    assert again.exit_code == 0 and notes(again.stderr) == []  # said once


def test_the_first_build_over_an_old_layout_output_removes_its_pending_files(
    project: Path,
) -> None:
    output = project / "output"
    put(output / ".gitkeep", "")
    put(output / "CNAME", "podcast.example.org\n")
    put(output / ".atom.xml.amacast-new")
    put(output / "episodes" / "gone" / ".index.html.amacast-new")  # its folder made for it
    put(output / "episodes" / "kept" / ".index.html.amacast-new")
    put(output / "episodes" / "kept" / "mine.txt")
    put(output / "notes.amacast-new")  # not a pending name: no leading dot
    result = cli_runner().invoke(main, ["build"])
    assert result.exit_code == 0, result.stderr
    assert notes(result.stderr) == [
        "note: removed what an earlier amacast left: output/.atom.xml.amacast-new, "
        "output/episodes/gone/.index.html.amacast-new, "
        "output/episodes/kept/.index.html.amacast-new"
    ]
    files = snapshot(output)
    assert not [name for name in files if name.endswith(".amacast-new") and "/." in f"/{name}"]
    assert files["CNAME"] == b"podcast.example.org\n" and files[".gitkeep"] == b""
    assert files["episodes/kept/mine.txt"] == b"x" and files["notes.amacast-new"] == b"x"
    assert not (output / "episodes" / "gone").exists()
    assert "atom.xml" in files
    again = cli_runner().invoke(main, ["build"])
    assert again.exit_code == 0 and notes(again.stderr) == []


def test_many_leftovers_make_one_short_note(project: Path) -> None:
    for number in range(8):
        put(project / "output" / "episodes" / f"e{number}" / ".index.html.amacast-new")
    result = cli_runner().invoke(main, ["build"])
    assert result.exit_code == 0, result.stderr
    assert notes(result.stderr) == [
        "note: removed what an earlier amacast left: "
        + ", ".join(f"output/episodes/e{n}/.index.html.amacast-new" for n in range(5))
        + " and 3 more"
    ]
    assert not (project / "output" / "episodes" / "e7").exists()
