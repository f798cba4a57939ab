"""amacast.build.output: an output folder that is always whole, and the build lock."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from output_builds import build, is_generation, sha, tree

from amacast.build import fs, trees
from amacast.build import output as output_module
from amacast.build.fs import CLOCK, DIRTY, MANIFEST, SPARE, STATE, OutputError, read_manifest
from amacast.build.lock import BuildRunning, lock_output
from amacast.build.output import Generation
from amacast.build.places import OutputRefused
from amacast.build.signals import BuildInterrupted, terminate_as_exception

BUILDS = Path(__file__).resolve().parent / "output_builds.py"
CACHE_FILES = {"build.lock", SPARE, STATE}


def site(episodes: int, version: str = "a") -> dict[str, bytes]:
    """The amacast files of a small site: pages, feeds, and an MP3 for every third episode."""
    files = {
        "index.html": f"<h1>index {version}</h1>".encode(),
        "atom.xml": f"<feed>{version}</feed>".encode(),
        "podcast.xml": f"<rss>{version}</rss>".encode(),
        "static/style.css": b"body{}",
    }
    for number in range(episodes):
        files[f"episodes/e{number}/index.html"] = f"episode {number} {version}".encode()
        if number % 3 == 0:
            files[f"episodes/e{number}/e{number}.mp3"] = f"ID3 {number}".encode() * 50
    return files


def changed(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """``files`` with an episode changed, one added (with audio), one removed and the feeds new."""
    new = dict(files)
    new["episodes/e1/index.html"] = b"episode 1, corrected"
    new["episodes/new/index.html"] = b"a new episode"
    new["episodes/new/new.mp3"] = b"ID3 new" * 40
    for relative in [p for p in new if p.startswith("episodes/e2/")]:
        del new[relative]
    new["atom.xml"] = new["atom.xml"] + b"<entry/>"
    new["index.html"] = new["index.html"] + b"<li>new</li>"
    return new


def beside(project: Path) -> tuple[set[str], set[str]]:
    """What is in the project folder and in its cache (the sources of the test are none).

    Without the cache's clock file (:func:`amacast.build.fs.fs_time`), which some tests replace.
    """
    return set(os.listdir(project)), set(os.listdir(project / ".amacast-cache")) - {CLOCK}


def assert_clean(project: Path) -> None:
    """Nothing is left beside the output; the cache holds the lock, the spare and the state."""
    assert beside(project) == ({"output", ".amacast-cache"}, CACHE_FILES)


FOREIGN = {"CNAME": b"podcast.example.org\n", ".nojekyll": b"", "extra/notes/readme.txt": b"mine"}


def add_foreign(output: Path, foreign: Mapping[str, bytes] = FOREIGN) -> None:
    for relative, content in foreign.items():
        (output / relative).parent.mkdir(parents=True, exist_ok=True)
        (output / relative).write_bytes(content)


# --- first builds, foreign files ---------------------------------------------------------------


def test_first_build_into_no_folder(tmp_path: Path) -> None:
    files = site(4)
    build(tmp_path, files, durable=True)
    mode = os.stat(tmp_path / "output" / "index.html").st_mode & 0o777
    umask = os.umask(0o022)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # as readable as any file the user makes
    assert is_generation(tree(tmp_path / "output"), files, {})
    assert beside(tmp_path) == ({"output", ".amacast-cache"}, {"build.lock", STATE})
    build(tmp_path, changed(files))  # the second build makes the spare
    assert is_generation(tree(tmp_path / "output"), changed(files), {})
    assert_clean(tmp_path)


def test_first_build_into_the_shipped_output_keeps_gitkeep(tmp_path: Path) -> None:
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / ".gitkeep").write_bytes(b"")
    files = site(3)
    build(tmp_path, files)
    assert is_generation(tree(tmp_path / "output"), files, {".gitkeep": b""})
    manifest = read_manifest(tmp_path / "output")
    assert ".gitkeep" not in manifest["files"]
    build(tmp_path, changed(files))
    assert is_generation(tree(tmp_path / "output"), changed(files), {".gitkeep": b""})
    assert_clean(tmp_path)


@pytest.mark.parametrize("manifest", ["kept", "missing", "corrupt", "not-an-object"])
def test_foreign_files_survive_every_build(tmp_path: Path, manifest: str) -> None:
    output = tmp_path / "output"
    files = site(5)
    build(tmp_path, files)
    add_foreign(output)
    os.symlink("CNAME", output / "cname-link")
    foreign = {**FOREIGN, "cname-link": b"-> CNAME"}
    if manifest == "missing":
        (output / MANIFEST).unlink()
    elif manifest == "corrupt":
        (output / MANIFEST).write_bytes(b'{"files": {"CNAME": ')
    elif manifest == "not-an-object":
        (output / MANIFEST).write_bytes(b'["CNAME", ".nojekyll"]')
    if manifest != "kept":
        # Without a manifest every file is foreign, amacast's old ones too; those at paths
        # the new generation writes are replaced, the others stay.
        foreign |= {"episodes/e2/index.html": files["episodes/e2/index.html"]}
    for version in (changed(files), site(5, "b"), site(5, "c")):
        build(tmp_path, version)
        gone = {p: c for p, c in foreign.items() if p.startswith("episodes/e2/") and p in version}
        assert is_generation(
            tree(output), version, {k: v for k, v in foreign.items() if k not in gone}
        )
        assert (output / "cname-link").is_symlink()
    assert (output / "extra" / "notes").is_dir()
    assert_clean(tmp_path)


def test_a_foreign_file_at_an_amacast_path_is_replaced(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.mkdir()
    (output / "atom.xml").write_bytes(b"a user's feed")
    (output / "episodes").write_bytes(b"a file where amacast needs a folder")
    (output / "podcast.xml").mkdir()  # a folder where amacast writes a file
    (output / "podcast.xml" / "inside").write_bytes(b"x")
    files = site(2)
    build(tmp_path, files)
    assert is_generation(tree(output), files, {})


def test_empty_folders_of_removed_episodes_go_but_a_users_stay(tmp_path: Path) -> None:
    output = tmp_path / "output"
    files = site(4)
    build(tmp_path, files)
    (output / "uploads").mkdir()  # a user's empty folder
    (output / "episodes" / "e3" / "user.txt").write_bytes(b"kept")
    smaller = {p: c for p, c in files.items() if not p.startswith(("episodes/e2/", "episodes/e3/"))}
    build(tmp_path, smaller)
    assert not (output / "episodes" / "e2").exists()
    assert (output / "uploads").is_dir()
    assert is_generation(tree(output), smaller, {"episodes/e3/user.txt": b"kept"})


def test_put_of_unchanged_bytes_keeps_the_live_file(tmp_path: Path) -> None:
    files = site(2)
    build(tmp_path, files)
    inode = (tmp_path / "output" / "index.html").stat().st_ino
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    with lock_output(output, cache):
        generation = Generation.open(output, cache, tmp_path, durable=False)
        generation.put(dict(files))  # every file, changed or not
        generation.commit({p: sha(c) for p, c in files.items()}, {"version": 1})
    assert (output / "index.html").stat().st_ino == inode
    assert is_generation(tree(output), files, {})


def built_flushing_early(
    project: Path, files: Mapping[str, bytes], durable: bool, meanwhile: Callable[[], None]
) -> None:
    """Build ``files``, asking twice for an early flush; ``meanwhile`` runs before the commit."""
    output, cache = project / "output", project / ".amacast-cache"
    with lock_output(output, cache):
        generation = Generation.open(output, cache, project, durable=durable)
        generation.put(dict(files))
        generation.flush_early()
        generation.flush_early()  # one flush at a time
        meanwhile()
        generation.commit({p: sha(c) for p, c in files.items()}, {"version": 1})


def test_an_early_flush_ends_before_the_flush_that_precedes_the_swap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushes: list[tuple[str, str]] = []
    release = threading.Event()

    def slow_syncfs(path: Path) -> None:
        if not flushes:  # the early flush: still running while the build goes on
            flushes.append(("early starts", str(path)))
            release.wait(5)
            flushes.append(("early ends", str(path)))
        else:
            flushes.append(("before swap", str(path)))

    monkeypatch.setattr(output_module, "_syncfs", slow_syncfs)
    files = site(2)
    built_flushing_early(tmp_path, files, True, threading.Timer(0.2, release.set).start)
    assert [step for step, _path in flushes] == ["early starts", "early ends", "before swap"]
    assert is_generation(tree(tmp_path / "output"), files, {})


def test_no_early_flush_without_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flushed: list[Path] = []
    monkeypatch.setattr(output_module, "_syncfs", flushed.append)
    built_flushing_early(tmp_path, site(1), False, lambda: None)
    assert flushed == []


def test_files_put_into_a_folder_after_it_moved_in_whole_go_live(tmp_path: Path) -> None:
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    build(tmp_path, site(1))
    with lock_output(output, cache):
        generation = Generation.open(output, cache, tmp_path, durable=False)
        made = generation.scratch / "episodes" / "new" / "index.html"
        made.parent.mkdir(parents=True)
        made.write_bytes(b"page")
        (made.parent / "deep").mkdir()
        (made.parent / "deep" / "a.txt").write_bytes(b"a")
        generation.put_tree(generation.scratch)  # episodes/new/ moves in whole
        generation.put({"episodes/new/notes.txt": b"notes", "episodes/new/deep/b.txt": b"b"})
        later = generation.scratch / "episodes" / "new" / "more" / "c.txt"
        later.parent.mkdir(parents=True)
        later.write_bytes(b"c")
        generation.put_tree(generation.scratch)  # a folder into the one moved whole
        files = {
            **{p: sha(c) for p, c in site(1).items()},
            "episodes/new/index.html": sha(b"page"),
            "episodes/new/deep/a.txt": sha(b"a"),
            "episodes/new/deep/b.txt": sha(b"b"),
            "episodes/new/notes.txt": sha(b"notes"),
            "episodes/new/more/c.txt": sha(b"c"),
        }
        generation.commit(files, {"version": 1})
    now = tree(output)
    assert {p: sha(c) for p, c in now.items() if p.startswith("episodes/new/")} == {
        p: h for p, h in files.items() if p.startswith("episodes/new/")
    }


def test_manifest_keeps_the_callers_data(tmp_path: Path) -> None:
    files = site(1)
    build(tmp_path, files, manifest={"version": 3, "episodes": {"e0": {"key": "k"}}})
    manifest = read_manifest(tmp_path / "output")
    assert manifest["version"] == 3
    assert manifest["episodes"] == {"e0": {"key": "k"}}
    assert manifest["files"] == {p: sha(c) for p, c in files.items()}
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    with lock_output(output, cache):
        generation = Generation.open(output, cache, tmp_path)
        assert generation.manifest == manifest
        assert generation.previous == manifest["files"]
        generation.discard()


def test_read_manifest_is_empty_when_missing_or_corrupt(tmp_path: Path) -> None:
    assert read_manifest(tmp_path) == {}
    (tmp_path / MANIFEST).write_bytes(b"\xff{")
    assert read_manifest(tmp_path) == {}
    (tmp_path / MANIFEST).write_bytes(b"[1]")
    assert read_manifest(tmp_path) == {}


def test_a_deleted_live_file_is_not_previous(tmp_path: Path) -> None:
    files = site(3)
    build(tmp_path, files)
    (tmp_path / "output" / "episodes" / "e1" / "index.html").unlink()
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    with lock_output(output, cache):
        generation = Generation.open(output, cache, tmp_path)
        assert "episodes/e1/index.html" not in generation.previous
        assert "episodes/e0/index.html" in generation.previous
        with pytest.raises(ValueError, match="episodes/e1/index.html: neither put"):
            generation.commit({p: sha(c) for p, c in files.items()}, {})
    build(tmp_path, files)  # the pipeline puts it again
    assert is_generation(tree(output), files, {})


def test_discard_leaves_output_and_nothing_else(tmp_path: Path) -> None:
    files = site(3)
    build(tmp_path, files)
    build(tmp_path, changed(files))
    before = tree(tmp_path / "output")
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    with lock_output(output, cache):
        generation = Generation.open(output, cache, tmp_path)
        generation.put({"index.html": b"never", "episodes/zz/index.html": b"never"})
        (generation.scratch / "audio.mp3").write_bytes(b"ID3")
        generation.put_file("episodes/zz/zz.mp3", generation.scratch / "audio.mp3")
        generation.discard()
    assert tree(output) == before
    assert_clean(tmp_path)
    build(tmp_path, site(3, "b"))
    assert is_generation(tree(output), site(3, "b"), {})


def test_a_failed_commit_changes_nothing(tmp_path: Path) -> None:
    build(tmp_path, site(2))
    before = tree(tmp_path / "output")
    with pytest.raises(ValueError, match="not among its files"):
        build_with_stray(tmp_path)
    assert tree(tmp_path / "output") == before
    # The spare the failed build began is marked dirty; the next build redoes it.
    assert beside(tmp_path) == ({"output", ".amacast-cache"}, CACHE_FILES | {DIRTY})
    build(tmp_path, site(2, "b"))
    with pytest.raises(ValueError, match="not among its files"):
        build_with_stray(tmp_path)
    assert beside(tmp_path) == ({"output", ".amacast-cache"}, CACHE_FILES)  # a trusted spare
    build(tmp_path, site(2, "c"))
    assert is_generation(tree(tmp_path / "output"), site(2, "c"), {})
    assert_clean(tmp_path)


def build_with_stray(project: Path) -> None:
    output, cache = project / "output", project / ".amacast-cache"
    with lock_output(output, cache):
        generation = Generation.open(output, cache, project)
        generation.put({"stray.html": b"x"})
        generation.commit(dict(read_manifest(output)["files"]), {})


def test_bad_paths_are_refused(tmp_path: Path) -> None:
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    with lock_output(output, cache):
        generation = Generation.open(output, cache, tmp_path)
        for bad in ("../x", "/etc/passwd", "a//b", "a/./b", "", MANIFEST):
            with pytest.raises(ValueError, match="not a path amacast can write"):
                generation.put({bad: b"x"})
        generation.discard()
    assert not (tmp_path / "x").exists()


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", [".", "..", "/"])
def test_an_output_holding_the_project_is_refused(tmp_path: Path, where: str) -> None:
    project = tmp_path / "podcast"
    project.mkdir()
    (project / "amacast.toml").write_text('title = "x"\n')
    output = Path(os.path.normpath(project / where)) if where != "/" else Path("/")
    with pytest.raises(OutputRefused, match="holds the project"):
        Generation.open(output, project / ".amacast-cache", project)
    assert set(os.listdir(project)) == {"amacast.toml"}


def test_an_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "output").write_bytes(b"not a folder")
    with pytest.raises(OutputRefused, match="is not a folder"):
        build(tmp_path, site(1))
    assert (tmp_path / "output").read_bytes() == b"not a folder"


def test_an_output_holding_amacast_toml_or_transcripts_is_refused(tmp_path: Path) -> None:
    project, other = tmp_path / "podcast", tmp_path / "other"
    (other / "episodes").mkdir(parents=True)
    (other / "amacast.toml").write_text("")
    with pytest.raises(OutputRefused, match="holds amacast.toml: it is a project, not a site"):
        Generation.open(other, project / ".amacast-cache", project)
    (other / "amacast.toml").unlink()
    (other / "episodes" / "2024-ama.md").write_text("---\n")
    with pytest.raises(OutputRefused, match=r"holds transcripts \(episodes/\*\.md\)"):
        Generation.open(other, project / ".amacast-cache", project)


# --- the lock ----------------------------------------------------------------------------------


HOLD = """
import sys, time
from pathlib import Path
from amacast.build.lock import lock_output
with lock_output(Path(sys.argv[1]), Path(sys.argv[2])):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A process holding the build lock of ``tmp_path/output``."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "output"), str(tmp_path / ".amacast-cache")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "locked\n"
    yield child
    child.kill()
    child.wait()


def test_a_second_build_is_refused_with_the_holders_pid(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(BuildRunning) as caught:
        build(tmp_path, site(1))
    assert str(caught.value) == f"another amacast build is running (pid {holder.pid})"
    assert caught.value.pid == holder.pid
    assert not (tmp_path / "output").exists()


def test_a_killed_builds_lock_is_taken_over(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (tmp_path / ".amacast-cache" / "build.lock").read_text() == f"{holder.pid}\n"
    build(tmp_path, site(2))
    assert is_generation(tree(tmp_path / "output"), site(2), {})


def test_a_generation_needs_the_lock(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    with pytest.raises(RuntimeError, match="needs the build lock"):
        Generation.open(output, cache, tmp_path)  # held, but by another process
    holder.kill()
    holder.wait()
    with pytest.raises(RuntimeError, match="needs the build lock"):
        Generation.open(output, cache, tmp_path)  # held by nobody
    with lock_output(output, cache):
        Generation.open(output, cache, tmp_path).discard()


def test_the_lock_is_released_after_a_build_and_on_error(tmp_path: Path) -> None:
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    with lock_output(output, cache):
        assert (cache / "build.lock").read_text() == f"{os.getpid()}\n"
    with pytest.raises(RuntimeError), lock_output(output, cache):
        raise RuntimeError
    with lock_output(output, cache):
        pass


def test_two_builds_at_once_give_one_result(tmp_path: Path) -> None:
    """Two processes build at once, again and again: one builds, the other is refused."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[3]); from pathlib import Path\n"
        "from output_builds import build\nfrom amacast.build.lock import BuildRunning\n"
        "files = {f'p{n}/index.html': sys.argv[2].encode() * 50 for n in range(200)}\n"
        "try:\n    build(Path(sys.argv[1]), files)\nexcept BuildRunning as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    outcomes = []
    for trial in range(3):
        args = [str(tmp_path), str(BUILDS.parent)]
        children = [
            subprocess.Popen(
                [sys.executable, "-c", script, args[0], f"{trial}{who}", args[1]],
                stdout=subprocess.PIPE,
                text=True,
            )
            for who in "xy"
        ]
        results = [(c.wait(), c.stdout.read() if c.stdout else "") for c in children]
        outcomes.append(sorted(code for code, _ in results))
        for code, text in results:
            assert code in (0, 3)
            if code == 3:
                assert text.startswith("another amacast build is running (pid ")
        winners = [f"{trial}{w}" for (code, _), w in zip(results, "xy", strict=True) if code == 0]
        found = tree(tmp_path / "output")
        assert winners and found["p0/index.html"] in {w.encode() * 50 for w in winners}
        assert len(set(found.values()) - {found[MANIFEST]}) == 1  # one build's files, all of them
    assert_clean(tmp_path)


# --- SIGTERM -----------------------------------------------------------------------------------


def test_sigterm_becomes_an_exception_and_the_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(BuildInterrupted, match="stopped"), terminate_as_exception():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_in_a_commit_stops_the_build_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(tmp_path, site(3))
    build(tmp_path, site(3, "b"))
    before = tree(tmp_path / "output")
    handler = signal.getsignal(signal.SIGTERM)
    original = os.link

    def link(*arguments: object, **keywords: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        original(*arguments, **keywords)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", link)
    with pytest.raises(BuildInterrupted):
        build(tmp_path, changed(site(3, "b")))
    monkeypatch.undo()
    assert tree(tmp_path / "output") == before
    assert signal.getsignal(signal.SIGTERM) is handler
    assert beside(tmp_path) == ({"output", ".amacast-cache"}, CACHE_FILES)
    build(tmp_path, changed(site(3, "b")))
    assert is_generation(tree(tmp_path / "output"), changed(site(3, "b")), {})


# --- killed builds -----------------------------------------------------------------------------


def run_child(project: Path, files: Mapping[str, bytes], **spec: object) -> dict[str, object]:
    payload = {"project": str(project), "files": {p: c.decode() for p, c in files.items()}, **spec}
    child = subprocess.run(
        [sys.executable, str(BUILDS), json.dumps(payload)], capture_output=True, text=True
    )
    if spec.get("signal", "KILL") == "KILL" and spec.get("kill_at"):
        assert child.returncode == -signal.SIGKILL, child.stderr
        return {}
    assert child.returncode in (0, 3), child.stderr
    result: dict[str, object] = json.loads(child.stdout)
    return result


def kills(
    tmp_path: Path,
    start: list[dict[str, bytes]],
    new: dict[str, bytes],
    signal_name: str,
    exchange: bool,
    points: int = 0,
) -> int:
    """Build ``start`` in turn, then ``new`` in a child killed before each step: old or new.

    With ``points``, only that many steps spread over the build, and its last four.
    Returns the number of steps.
    """

    def prepare(project: Path) -> dict[str, bytes]:
        for number, files in enumerate(start):
            build(project, files)
            if number == 0:
                add_foreign(project / "output")
        found: dict[str, bytes] = tree(project / "output")
        return found

    dry = tmp_path / "dry"
    prepare(dry)
    steps = run_child(dry, new, exchange=exchange)["steps"]
    assert isinstance(steps, int) and steps > 3
    assert is_generation(tree(dry / "output"), new, FOREIGN)
    every = max(1, steps // points) if points else 1
    chosen = sorted({*range(1, steps + 1, every), *range(max(1, steps - 3), steps + 1)})
    outcomes = {"old": 0, "new": 0, "absent": 0}
    for step in chosen:
        project = tmp_path / f"kill-{step}"
        old = prepare(project)
        result = run_child(project, new, kill_at=step, signal=signal_name, exchange=exchange)
        if signal_name == "TERM":
            assert result["interrupted"] is True
        found = tree(project / "output") if (project / "output").exists() else None
        if found == old:
            outcomes["old"] += 1
        elif found is None and not exchange:
            # The fallback's instant between its two renames: the old tree is parked.
            assert tree(project / ".output.amacast-old") == old, f"step {step}"
            outcomes["absent"] += 1
        else:
            assert found is not None
            assert is_generation(found, new, FOREIGN), f"step {step}: a mix"
            outcomes["new"] += 1
        if signal_name == "TERM":  # the build cleaned up after itself
            assert beside(project)[0] == {"output", ".amacast-cache"}, f"step {step}"
        build(project, new)  # the next build repairs whatever was left
        assert is_generation(tree(project / "output"), new, FOREIGN), f"step {step}"
        assert_clean(project)
        build(project, changed(new))
        assert is_generation(tree(project / "output"), changed(new), FOREIGN), f"step {step}"
    assert outcomes["old"] > 0 and outcomes["new"] > 0
    if not exchange and signal_name == "KILL":
        assert outcomes["absent"] > 0
    return steps


@pytest.mark.slow
@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "fallback"])
@pytest.mark.parametrize("signal_name", ["KILL", "TERM"])
def test_a_killed_build_leaves_the_old_or_the_new_output(
    tmp_path: Path, signal_name: str, exchange: bool
) -> None:
    files = site(6)
    kills(tmp_path, [files, site(6, "b")], changed(site(6, "b")), signal_name, exchange)


def test_a_killed_build_leaves_the_old_or_the_new_output_quick(tmp_path: Path) -> None:
    """The fast lane's share of the test above: SIGKILL, every third step."""
    files = site(4)
    kills(tmp_path, [files, site(4, "b")], changed(site(4, "b")), "KILL", True, points=6)


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["KILL", "TERM"])
@pytest.mark.parametrize("spare", ["trusted", "none"])
def test_a_killed_build_of_hundreds_of_files(tmp_path: Path, signal_name: str, spare: str) -> None:
    files = site(300)
    start = [files, site(300, "b")] if spare == "trusted" else [files]
    steps = kills(tmp_path, start, changed(site(300, "b")), signal_name, True, points=5)
    if spare == "none":
        assert steps > 300  # the spare was made by a link for each file


@pytest.mark.slow
def test_a_killed_first_build_leaves_no_output_or_a_whole_one(tmp_path: Path) -> None:
    files = site(4)
    steps = run_child(tmp_path / "dry", files)["steps"]
    assert isinstance(steps, int) and steps > 5
    for step in range(1, steps + 1):
        project = tmp_path / f"kill-{step}"
        project.mkdir()
        run_child(project, files, kill_at=step)
        if (project / "output").exists():
            assert is_generation(tree(project / "output"), files, {}), f"step {step}"
        build(project, files)
        build(project, changed(files))
        assert is_generation(tree(project / "output"), changed(files), {}), f"step {step}"
        assert_clean(project)


# --- the spare ---------------------------------------------------------------------------------


def test_a_dirty_spare_is_rebuilt(tmp_path: Path) -> None:
    files = site(4)
    build(tmp_path, files)
    build(tmp_path, site(4, "b"))
    spare = tmp_path / ".amacast-cache" / SPARE
    (spare / "junk.html").write_bytes(b"junk")
    (spare / "episodes" / "e0" / "index.html").write_bytes(b"stale")
    (tmp_path / ".amacast-cache" / DIRTY).touch()
    build(tmp_path, site(4, "c"))
    assert is_generation(tree(tmp_path / "output"), site(4, "c"), {})
    assert_clean(tmp_path)


@pytest.fixture(params=["racy", "trusted"])
def mtimes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Folder mtimes never trusted, or trusted at once (the file system's clock read as late)."""
    since = 0 if request.param == "racy" else 2**62
    monkeypatch.setattr(trees, "fs_time", lambda folder: since)
    return str(request.param)


def touched(folder: Path) -> None:
    """Give a changed folder an mtime of now, as any later change has (the clock moved on)."""
    now = time.time_ns()
    os.utime(folder, ns=(now, now))


def test_a_spare_edited_behind_the_builds_back_does_not_leak(tmp_path: Path, mtimes: str) -> None:
    files = site(4)
    build(tmp_path, files)
    build(tmp_path, site(4, "b"))
    spare = tmp_path / ".amacast-cache" / SPARE
    # The spare holds generation a: break it in every way a hand could.
    (spare / "episodes" / "e1" / "index.html").unlink()
    os.replace(spare / "atom.xml", spare / "atom.old")
    (spare / "static" / "style.css").unlink()
    (spare / "static" / "style.css").write_bytes(b"body{color:red}")
    (spare / "episodes" / "e9").mkdir()
    (spare / "episodes" / "e9" / "index.html").write_bytes(b"injected")
    for folder in (spare, spare / "episodes", spare / "episodes" / "e1", spare / "static"):
        touched(folder)
    build(tmp_path, site(4, "b") | {"static/style.css": b"body{}"})
    assert is_generation(tree(tmp_path / "output"), site(4, "b"), {})
    build(tmp_path, changed(site(4, "b")))  # the old live tree is the spare again
    assert is_generation(tree(tmp_path / "output"), changed(site(4, "b")), {})


def test_foreign_files_added_between_builds_are_carried(tmp_path: Path, mtimes: str) -> None:
    output = tmp_path / "output"
    build(tmp_path, site(5))
    build(tmp_path, site(5, "b"))
    (output / "episodes" / "e3" / "transcript.pdf").write_bytes(b"%PDF")
    (output / "CNAME").write_bytes(b"x.org")
    (output / "episodes" / "e0" / "index.html").unlink()  # a user removed one of amacast's
    for folder in (output, output / "episodes" / "e3", output / "episodes" / "e0"):
        touched(folder)
    build(tmp_path, site(5, "b"))
    extra = {"episodes/e3/transcript.pdf": b"%PDF", "CNAME": b"x.org"}
    assert is_generation(tree(output), site(5, "b"), extra)
    build(tmp_path, site(5, "c"))
    assert is_generation(tree(output), site(5, "c"), extra)


def failed_build(project: Path, files: Mapping[str, bytes], chance: random.Random) -> None:
    """A build that writes some files, then fails and is discarded."""
    output, cache = project / "output", project / ".amacast-cache"
    with lock_output(output, cache):
        generation = Generation.open(output, cache, project, durable=False)
        for relative in chance.sample(sorted(files), k=min(3, len(files))):
            generation.put({relative: b"never live"})
        generation.put({"episodes/zz/f0": b"never live", "f9": b"never live"})
        (generation.scratch / "a.mp3").write_bytes(b"never live")
        generation.put_file("episodes/a/never.mp3", generation.scratch / "a.mp3")
        generation.discard()


def failing_link(original: Any, at: int) -> Any:
    """``os.link`` failing with EIO at its ``at``th call."""
    calls = [0]

    def link(*arguments: Any, **keywords: Any) -> None:
        calls[0] += 1
        if calls[0] == at:
            raise OSError(errno.EIO, "input/output error")
        original(*arguments, **keywords)

    return link


def test_random_builds_match_a_model(
    tmp_path: Path, mtimes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many builds with random changes, users' files, hands in the spare and failed builds."""
    chance = random.Random(11)
    output, spare = tmp_path / "output", tmp_path / ".amacast-cache" / SPARE
    files: dict[str, bytes] = {}
    foreign: dict[str, bytes] = {}
    failures = 0
    for round_ in range(25):
        for _ in range(chance.randint(0, 6)):
            folder = chance.choice(["", "episodes/a", "episodes/b", "episodes/c/d", "x"])
            files[f"{folder}/f{chance.randint(0, 9)}".lstrip("/")] = f"{round_}".encode()
        for relative in chance.sample(sorted(files), k=min(len(files), chance.randint(0, 3))):
            del files[relative]
        files = {p: c for p, c in files.items() if not any(p.startswith(f + "/") for f in files)}
        if round_ % 4 == 3 and output.exists():
            folder = chance.choice(["", "episodes", "user"])
            name = f"{folder}/u{round_}".lstrip("/")
            if name not in files and not any(p.startswith(name + "/") for p in files):
                add_foreign(output, {name: b"user"})
                foreign[name] = b"user"
                touched((output / name).parent)
        if round_ % 5 == 4 and spare.is_dir():
            victims = sorted(p for p in tree(spare) if p != MANIFEST)
            if victims:
                victim = spare / chance.choice(victims)
                victim.unlink()
                touched(victim.parent)
        if round_ % 6 == 5:
            before = tree(output)
            failed_build(tmp_path, files, chance)
            assert tree(output) == before
        if round_ % 7 == 6:  # a build failing in the middle of its commit
            before = tree(output)
            with monkeypatch.context() as patch:
                patch.setattr(os, "link", failing_link(os.link, 1))
                try:
                    build(tmp_path, files)
                except OutputError as error:
                    assert "input/output error" in str(error)
                    assert tree(output) == before
                    failures += 1
        build(tmp_path, files)
        foreign = {p: c for p, c in foreign.items() if p not in files}
        assert is_generation(tree(output), files, foreign), f"round {round_}"
    assert_clean(tmp_path)
    assert failures > 0


def folders_listed(monkeypatch: pytest.MonkeyPatch) -> list[str | Path]:
    """The folders the trees list from now on (their paths, in order)."""
    listed: list[str | Path] = []
    original = fs._list

    def counting(path: str | Path) -> dict[str, tuple[bool, int]] | None:
        listed.append(path)
        return original(path)

    monkeypatch.setattr(trees, "_list", counting)
    return listed


def test_an_unchanged_rebuild_lists_only_the_folders_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With trusted folder mtimes, a one-page rebuild reads a handful of folders, not 300."""
    monkeypatch.setattr(trees, "fs_time", lambda folder: 2**62)
    files = site(300)
    build(tmp_path, files)
    build(tmp_path, site(300, "b"))
    build(tmp_path, site(300, "b"))
    build(tmp_path, site(300, "b"))  # both trees now recorded with the folders' final mtimes
    listed = folders_listed(monkeypatch)
    new = site(300, "b") | {"episodes/e7/index.html": b"episode 7, corrected"}
    build(tmp_path, new)
    assert is_generation(tree(tmp_path / "output"), new, {})
    relative = {os.path.basename(p) for p in listed}
    assert len(listed) <= 8, listed
    assert "e7" in relative


def test_folders_changed_before_a_build_started_are_trusted_however_soon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file system's own clock, not a two-second wait: back-to-back rebuilds stay small."""
    started = time.monotonic()
    files = site(300)
    for version in ["a", "b", "b", "b"]:
        build(tmp_path, site(300, version))
        time.sleep(0.03)  # a few ticks of the kernel's coarse clock: the next build starts later
    listed = folders_listed(monkeypatch)
    files = site(300, "b") | {"episodes/e7/index.html": b"episode 7, corrected"}
    build(tmp_path, files)
    assert time.monotonic() - started < fs.RACY_NS / 1e9  # sooner than the old margin
    assert is_generation(tree(tmp_path / "output"), files, {})
    assert len(listed) <= 8, listed
    assert "e7" in {os.path.basename(p) for p in listed}


def test_folders_written_a_tick_before_the_commit_are_trusted_by_the_next_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    files = site(50)
    with lock_output(output, cache):
        generation = Generation.open(output, cache, tmp_path, durable=False)
        generation.put(files)
        time.sleep(0.03)  # the pages are written a few ticks of the clock before the commit
        generation.commit({p: sha(c) for p, c in files.items()}, {"version": 1})
    listed = folders_listed(monkeypatch)
    with lock_output(output, cache):
        generation = Generation.open(output, cache, tmp_path, durable=False)
        assert generation.previous == {p: sha(c) for p, c in files.items()}
        generation.discard()
    assert len(listed) <= 2, listed  # not the 50 episode folders


def test_the_file_system_clock_is_read_from_a_file_touched_now(tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    since = fs.fs_time(tmp_path)
    assert (tmp_path / fs.CLOCK).stat().st_mtime_ns == since
    assert before.stat().st_mtime_ns <= since
    time.sleep(0.03)
    after = tmp_path / "after"
    after.mkdir()
    assert after.stat().st_mtime_ns > since  # changed later: never taken for unchanged
    assert fs.fs_time(tmp_path) > since  # touched again, not only made
    assert fs.fs_time(tmp_path / "no such folder") <= time.time_ns() - fs.RACY_NS


# --- the fallback ------------------------------------------------------------------------------


def test_the_fallback_without_rename_exchange(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fs, "use_rename_exchange", False)
    calls: list[tuple[Path, Path]] = []
    original = os.rename

    def rename(source: str | Path, target: str | Path) -> None:
        calls.append((Path(source), Path(target)))
        original(source, target)

    monkeypatch.setattr(os, "rename", rename)
    files = site(3)
    build(tmp_path, files)
    add_foreign(tmp_path / "output")
    build(tmp_path, changed(files))
    assert is_generation(tree(tmp_path / "output"), changed(files), FOREIGN)
    old = tmp_path / ".output.amacast-old"
    assert (tmp_path / "output", old) in calls
    build(tmp_path, site(3, "c"))
    assert is_generation(tree(tmp_path / "output"), site(3, "c"), FOREIGN)
    assert_clean(tmp_path)


def test_the_fallback_killed_between_its_renames_is_put_back(tmp_path: Path) -> None:
    files = site(3)
    build(tmp_path, files)
    build(tmp_path, site(3, "b"))
    before = tree(tmp_path / "output")
    # What a build killed after the fallback's first rename leaves: output parked, spare new.
    (tmp_path / ".amacast-cache" / DIRTY).touch()
    os.rename(tmp_path / "output", tmp_path / ".output.amacast-old")
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    with lock_output(output, cache):
        Generation.open(output, cache, tmp_path).discard()
    assert tree(output) == before
    build(tmp_path, site(3, "c"))
    assert is_generation(tree(output), site(3, "c"), {})
    assert_clean(tmp_path)


def test_a_cache_on_another_file_system_keeps_the_spare_beside_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_stat = os.stat

    def stat(path: str | Path, *arguments: object, **keywords: object) -> os.stat_result:
        result = real_stat(path, *arguments, **keywords)  # type: ignore[arg-type]
        if Path(path).name == ".amacast-cache":
            fields = list(result)
            fields[2] = result.st_dev + 1  # st_dev
            return os.stat_result(fields)
        return result

    monkeypatch.setattr(os, "stat", stat)
    build(tmp_path, site(2))
    build(tmp_path, site(2, "b"))
    assert is_generation(tree(tmp_path / "output"), site(2, "b"), {})
    assert (tmp_path / ".output.amacast-spare").is_dir()
    assert set(os.listdir(tmp_path)) == {"output", ".amacast-cache", ".output.amacast-spare"}


def test_a_symbolic_link_output_is_followed(tmp_path: Path) -> None:
    (tmp_path / "www").mkdir()
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "output").symlink_to(tmp_path / "www")
    build(tmp_path / "project", site(2))
    build(tmp_path / "project", site(2, "b"))
    assert (tmp_path / "project" / "output").is_symlink()
    assert is_generation(tree(tmp_path / "www"), site(2, "b"), {})


# --- the same, killed by the kernel's hand -------------------------------------------------------


def strace_works() -> bool:
    try:
        probe = subprocess.run(
            ["strace", "-qq", "-o", "/dev/null", "true"], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not strace_works(), reason="strace is absent or may not trace here")
def test_a_build_killed_at_each_system_call_that_changes_files(tmp_path: Path) -> None:
    """strace sends SIGKILL at the Nth rename, link, unlink or mkdir of the whole process."""
    calls = "rename,renameat,renameat2,link,linkat,unlink,unlinkat,mkdir,mkdirat"
    new = changed(site(6, "b"))
    spec = {"files": {p: c.decode() for p, c in new.items()}}
    outcomes = {"old": 0, "new": 0}
    for step in range(1, 200):
        project = tmp_path / f"kill-{step}"
        build(project, site(6))
        add_foreign(project / "output")
        build(project, site(6, "b"))
        old = tree(project / "output")
        child = subprocess.run(
            ["strace", "-qq", "-f", "-o", "/dev/null", "-e", f"trace={calls}"]
            + ["-e", f"inject={calls}:signal=KILL:when={step}"]
            + [sys.executable, str(BUILDS), json.dumps({"project": str(project), **spec})],
            capture_output=True,
            text=True,
        )
        if child.returncode == 0:
            break  # the build made fewer changes than ``step``: every one was tried
        found = tree(project / "output")
        if found == old:
            outcomes["old"] += 1
        else:
            assert is_generation(found, new, FOREIGN), f"step {step}: a mix"
            outcomes["new"] += 1
        build(project, new)
        assert is_generation(tree(project / "output"), new, FOREIGN), f"step {step}"
        assert_clean(project)
    assert outcomes["old"] > 5 and outcomes["new"] > 0


def test_put_tree_moves_a_new_folder_whole_and_merges_into_one_there(tmp_path: Path) -> None:
    files = site(3)
    build(tmp_path, files)
    build(tmp_path, site(3, "b"))  # a trusted spare: it has episodes/e0/ and the others
    output, cache = tmp_path / "output", tmp_path / ".amacast-cache"
    (output / "episodes" / "fresh").write_bytes(b"a foreign file where a folder goes")
    new = dict(site(3, "c"))
    made = {
        "episodes/e1/index.html": b"e1 again",  # into a folder the spare has
        "episodes/new/index.html": b"new page",  # a folder the spare lacks
        "episodes/new/audio/new.mp3": b"ID3 new",
        "episodes/fresh/index.html": b"fresh page",
    }
    with lock_output(output, cache):
        generation = Generation.open(output, cache, tmp_path)
        for relative, content in made.items():
            (generation.scratch / relative).parent.mkdir(parents=True, exist_ok=True)
            (generation.scratch / relative).write_bytes(content)
        (generation.scratch / "episodes" / "empty" / "nothing").mkdir(parents=True)
        inode = (generation.scratch / "episodes/new/audio/new.mp3").stat().st_ino
        moved = generation.put_tree(generation.scratch)
        assert {p: size for p, (_place, size) in moved.items()} == {
            p: len(c) for p, c in made.items()
        }
        for relative, (place, _size) in moved.items():
            assert Path(place).read_bytes() == made[relative]
        assert not (generation.spare / "episodes" / "empty").exists()  # nothing to bring
        new.update(made)
        generation.put({p: c for p, c in new.items() if p not in made})
        generation.commit({p: sha(c) for p, c in new.items()}, {"version": 1})
    found = tree(output)
    assert is_generation(found, new, {})
    assert (output / "episodes/new/audio/new.mp3").stat().st_ino == inode  # moved, not copied
    assert not list(cache.glob("output-scratch-*"))
    build(tmp_path, changed(new))
    assert is_generation(tree(output), changed(new), {})
