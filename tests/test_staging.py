"""The build folder: unchanged files linked, the old output's folders kept as a skeleton."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import amacast.staging as staging_module
from amacast.staging import (
    finish,
    link_unchanged,
    open_staging,
    swap,
    write_files,
)


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def folders_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def build(output: Path, skeleton: Path, files: dict[str, bytes]) -> dict[str, str]:
    staging = open_staging(output, skeleton)
    hashes = write_files(staging, files, output)
    assert finish(staging) == sorted(files)
    swap(staging, output, skeleton)
    return hashes


def test_a_first_build_writes_everything(tmp_path: Path) -> None:
    output, skeleton = tmp_path / "output", tmp_path / "cache" / "skeleton"
    files = {"index.html": b"<p>index</p>", "episodes/a/index.html": b"a"}
    hashes = build(output, skeleton, files)
    assert files_in(output) == files
    assert hashes == {name: sha(content) for name, content in files.items()}
    assert not skeleton.exists()  # there was no previous output to keep
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_unchanged_files_are_linked_and_changed_ones_written(tmp_path: Path) -> None:
    output, skeleton = tmp_path / "output", tmp_path / "cache" / "skeleton"
    build(output, skeleton, {"same.html": b"same", "edited.html": b"old"})
    same_inode = (output / "same.html").stat().st_ino
    edited_inode = (output / "edited.html").stat().st_ino
    build(output, skeleton, {"same.html": b"same", "edited.html": b"new"})
    assert files_in(output) == {"same.html": b"same", "edited.html": b"new"}
    assert (output / "same.html").stat().st_ino == same_inode
    assert (output / "edited.html").stat().st_ino != edited_inode


def test_the_old_output_becomes_a_skeleton_of_empty_folders(tmp_path: Path) -> None:
    output, skeleton = tmp_path / "output", tmp_path / "cache" / "skeleton"
    build(output, skeleton, {"episodes/a/index.html": b"a", "episodes/b/index.html": b"b"})
    build(output, skeleton, {"episodes/a/index.html": b"a2", "episodes/b/index.html": b"b"})
    # The previous output, kept whole: its files go when the next build starts from it.
    assert files_in(skeleton) == {"episodes/a/index.html": b"a", "episodes/b/index.html": b"b"}
    assert folders_in(skeleton) == ["episodes", "episodes/a", "episodes/b"]
    # The next build starts from it: b's folder is gone with b, c's is new.
    build(output, skeleton, {"episodes/a/index.html": b"a2", "episodes/c/index.html": b"c"})
    assert files_in(output) == {"episodes/a/index.html": b"a2", "episodes/c/index.html": b"c"}
    assert folders_in(output) == ["episodes", "episodes/a", "episodes/c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "output"]


def test_a_skeleton_with_files_left_in_it_is_emptied(tmp_path: Path) -> None:
    output, skeleton = tmp_path / "output", tmp_path / "skeleton"
    (skeleton / "episodes" / "x").mkdir(parents=True)
    (skeleton / "episodes" / "x" / "stale.html").write_bytes(b"stale")
    (skeleton / "stray.txt").write_bytes(b"stray")
    staging = open_staging(output, skeleton)
    assert files_in(staging) == {}
    assert not skeleton.exists()
    write_files(staging, {"index.html": b"i"})
    assert finish(staging) == ["index.html"]
    assert folders_in(staging) == []


def test_a_failed_swap_puts_the_previous_output_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, skeleton = tmp_path / "output", tmp_path / "skeleton"
    build(output, skeleton, {"index.html": b"old"})
    staging = open_staging(output, skeleton)
    write_files(staging, {"index.html": b"new"}, output)
    real_rename = staging_module.os.rename

    def failing(source: str | Path, target: str | Path) -> None:
        if Path(source) == staging:
            raise OSError(28, "No space left on device")
        real_rename(source, target)

    monkeypatch.setattr(staging_module.os, "rename", failing)
    with pytest.raises(OSError, match="No space left"):
        swap(staging, output, skeleton)
    assert files_in(output) == {"index.html": b"old"}


def test_link_unchanged_leaves_out_edited_and_missing_files(tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    (previous / "episodes" / "a").mkdir(parents=True)
    (previous / "episodes" / "a" / "index.html").write_bytes(b"a")
    (previous / "edited.html").write_bytes(b"edited by hand")
    staging = tmp_path / "staging"
    staging.mkdir()
    expected = {
        "episodes/a/index.html": sha(b"a"),
        "edited.html": sha(b"as built"),
        "missing.html": sha(b"missing"),
    }
    linked = link_unchanged(staging, previous, expected)
    assert linked == {"episodes/a/index.html": sha(b"a")}
    assert files_in(staging) == {"episodes/a/index.html": b"a"}
    assert (staging / "episodes/a/index.html").stat().st_ino == (
        previous / "episodes/a/index.html"
    ).stat().st_ino


def test_many_files_are_written_and_linked_over_threads(tmp_path: Path) -> None:
    output, skeleton = tmp_path / "output", tmp_path / "cache" / "skeleton"
    count = 10 * staging_module.FILE_THREADS
    first = {f"episodes/e{n}/index.html": f"page {n}".encode() for n in range(count)}
    build(output, skeleton, first)
    inodes = {name: (output / name).stat().st_ino for name in first}
    second = {
        name: content + (b" edited" if n % 2 else b"")
        for n, (name, content) in enumerate(first.items())
    }
    hashes = build(output, skeleton, second)
    assert files_in(output) == second
    assert hashes == {name: sha(content) for name, content in second.items()}
    for n, name in enumerate(second):
        assert ((output / name).stat().st_ino == inodes[name]) == (n % 2 == 0)
    # Linking checks every file's hash, the edited one is left out.
    staging = tmp_path / "staging"
    staging.mkdir()
    (output / "episodes/e0/index.html").write_bytes(b"edited by hand")
    expected = {name: sha(content) for name, content in second.items()}
    linked = link_unchanged(staging, output, expected)
    assert set(linked) == set(second) - {"episodes/e0/index.html"}
    assert files_in(staging) == {name: second[name] for name in linked}
