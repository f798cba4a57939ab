"""Changing the output in place: pending files, one commit, and undoing either."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import amacast.staging as staging_module
from amacast.staging import Target, Update, interrupted, pending_name, write_files


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def folders_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


def inodes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()
    }


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def beside(folder: Path) -> list[str]:
    """What a build left next to the output: scratch, backup or marker."""
    return sorted(p.name for p in folder.parent.iterdir() if p != folder)


def build(output: Path, files: dict[str, bytes], removed: tuple[str, ...] = ()) -> dict[str, str]:
    update = Update(output)
    hashes = update.write(files)
    update.remove(removed)
    update.commit()
    return hashes


@pytest.fixture()
def output(tmp_path: Path) -> Path:
    return tmp_path / "site" / "output"


FIRST = {
    "index.html": b"index",
    "episodes/a/index.html": b"a",
    "episodes/b/index.html": b"b",
}


def test_a_first_build_writes_straight_into_a_new_folder(output: Path) -> None:
    hashes = build(output, FIRST)
    assert files_in(output) == FIRST
    assert hashes == {name: sha(content) for name, content in FIRST.items()}
    assert beside(output) == []
    assert not interrupted(output)


def test_a_failed_first_build_leaves_no_folder(output: Path) -> None:
    update = Update(output)
    update.write(FIRST)
    update.discard()
    assert not output.exists() and beside(output) == []


def test_a_rebuild_replaces_changed_files_keeps_the_rest_and_removes_the_gone(
    output: Path,
) -> None:
    build(output, FIRST)
    before = inodes(output)
    update = Update(output)
    update.write({"index.html": b"index 2", "episodes/a/index.html": b"a", "new.xml": b"n"})
    # Until the commit, the output is as it was, the new bytes waiting beside.
    assert files_in(output)["index.html"] == b"index"
    assert (output / pending_name("index.html")).read_bytes() == b"index 2"
    assert not (output / pending_name("episodes/a/index.html")).exists()  # same bytes
    update.remove(["episodes/b/index.html"])
    update.commit()
    assert files_in(output) == {
        "index.html": b"index 2",
        "episodes/a/index.html": b"a",
        "new.xml": b"n",
    }
    after = inodes(output)
    assert after["episodes/a/index.html"] == before["episodes/a/index.html"]
    assert after["index.html"] != before["index.html"]
    assert folders_in(output) == ["episodes", "episodes/a"]  # b's folder went with its page
    assert beside(output) == []


def test_unchanged_bytes_are_not_written_and_still_hashed(output: Path) -> None:
    build(output, FIRST)
    written = write_files(Target(output), {"index.html": b"index", "x.html": b"x"})
    assert written == {"index.html": None, "x.html": sha(b"x")}
    update = Update(output)
    assert update.took(written) == {"index.html": sha(b"index"), "x.html": sha(b"x")}
    update.commit()
    assert files_in(output)["x.html"] == b"x"


@pytest.mark.parametrize("failing", [1, 2, 3])
def test_a_commit_that_fails_half_way_puts_everything_back(
    output: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    build(output, FIRST)
    before, before_inodes = files_in(output), inodes(output)
    update = Update(output)
    update.write({"index.html": b"index 2", "episodes/a/index.html": b"a 2", "new/c.html": b"c"})
    update.remove(["episodes/b/index.html"])
    real_replace = os.replace
    calls: list[str] = []

    def replace(source: str | Path, target: str | Path) -> None:
        calls.append(str(target))
        if len(calls) == failing:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(staging_module.os, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        update.commit()
    monkeypatch.setattr(staging_module.os, "replace", real_replace)
    assert files_in(output) == before and inodes(output) == before_inodes
    assert folders_in(output) == ["episodes", "episodes/a", "episodes/b"]
    assert beside(output) == [] and not interrupted(output)


def test_discard_removes_pending_files_and_their_new_folders(output: Path) -> None:
    build(output, FIRST)
    before = files_in(output)
    update = Update(output)
    update.write({"index.html": b"index 2", "episodes/new/index.html": b"new"})
    (update.scratch / "audio").mkdir()
    (update.scratch / "audio" / "x.mp3").write_bytes(b"mp3")
    update.bring_scratch()
    update.discard()
    assert files_in(output) == before
    assert folders_in(output) == ["episodes", "episodes/a", "episodes/b"]
    assert beside(output) == []


def test_files_made_elsewhere_are_brought_in_at_the_commit(output: Path) -> None:
    build(output, FIRST)
    update = Update(output)
    (update.scratch / "audio").mkdir()
    (update.scratch / "audio" / "x.mp3").write_bytes(b"mp3")
    brought = update.bring_scratch()
    assert list(brought) == ["audio/x.mp3"]
    assert brought["audio/x.mp3"].read_bytes() == b"mp3"
    assert not (output / "audio").exists()
    update.commit()
    assert files_in(output)["audio/x.mp3"] == b"mp3"
    assert beside(output) == []


def test_the_last_file_is_put_in_place_after_everything_else(
    output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(output, FIRST)
    update = Update(output)
    update.write({"manifest.json": b"m", "index.html": b"index 2", "z.html": b"z"})
    update.remove(["episodes/b/index.html"])
    order: list[str] = []
    real_replace = os.replace

    def replace(source: str | Path, target: str | Path) -> None:
        order.append(Path(target).name if Path(target).is_relative_to(output) else "aside")
        real_replace(source, target)

    monkeypatch.setattr(staging_module.os, "replace", replace)
    update.commit(last="manifest.json")
    assert order[-1] == "manifest.json" and order[0] == "aside"


def test_a_build_killed_before_its_commit_is_cleaned_up_by_the_next(output: Path) -> None:
    build(output, FIRST)
    before = files_in(output)
    killed = Update(output)
    killed.write({"index.html": b"half", "episodes/z/index.html": b"z"})
    assert interrupted(output)
    del killed  # no commit, no discard: as if the process died
    update = Update(output)
    assert files_in(output) == before
    assert folders_in(output) == ["episodes", "episodes/a", "episodes/b"]
    update.commit()
    assert not interrupted(output)


def test_pending_names_are_hidden_files_beside_their_place() -> None:
    assert pending_name("index.html") == ".index.html.amacast-new"
    assert pending_name("episodes/a/index.html") == "episodes/a/.index.html.amacast-new"


def test_discarding_after_a_failed_commit_walks_the_output_no_more(
    output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(output, FIRST)
    update = Update(output)
    update.write({"index.html": b"index 2"})
    walks: list[str] = []
    real_walk = os.walk

    def walk(top: str | Path, *args: object, **kwargs: object) -> object:
        walks.append(str(top))
        return real_walk(top, *args, **kwargs)  # type: ignore[call-overload]

    def replace(source: str | Path, target: str | Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(staging_module.os, "walk", walk)
    monkeypatch.setattr(staging_module.os, "replace", replace)
    with pytest.raises(OSError):
        update.commit()
    update.discard()  # as publish does when a build ends without its commit
    assert walks == [str(output)]  # the commit's own undo walked it once
    monkeypatch.undo()
    assert files_in(output) == FIRST
