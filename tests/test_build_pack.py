"""What a build keeps for the next (listings, feed and index entries, noted sources), as data."""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import amacast.build.pack as build_pack
import amacast.build.sources as episode_cache
from amacast.build import codec, state
from amacast.build.manifest import MANIFEST
from amacast.build.pack import BuildPack, load_pack, pack_key, save_pack
from amacast.build.pipeline import build_all
from amacast.build.sources import read_sources
from tests.test_publish import example_project, snapshot

OLD = 1_600_000_000  # a modification time long past: the file is settled


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path)


def site_of(folder: Path) -> dict[str, bytes]:
    """The output's files but the manifest."""
    files = snapshot(folder)
    del files[MANIFEST]
    return files


def loaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the transcripts a build loads whole (parsed, or decoded from the state)."""
    calls: list[str] = []
    real = episode_cache.load_episodes

    def counting(paths: list[Path], *args: object, **kwargs: object) -> object:
        calls.extend(Path(p).name for p in paths)
        return real(paths, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_pack, "load_episodes", counting)
    return calls


def edit(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", "utf-8")


def settled_transcripts(folder: Path, names: list[str]) -> list[Path]:
    """Small transcripts named ``names`` in ``folder``, modified long ago (settled)."""
    folder.mkdir()
    paths = []
    for name in names:
        path = folder / name
        path.write_text(f"---\ntitle: {name}\n---\n", "utf-8")
        os.utime(path, ns=(OLD * 10**9, OLD * 10**9))
        paths.append(path)
    return paths


def traced(cache: Path) -> list[str]:
    """The SQL statements the state's connection in ``cache`` runs from now on."""
    statements: list[str] = []
    state.connect(cache).set_trace_callback(statements.append)
    return statements


def test_a_rebuild_loads_only_the_changed_episode_and_equals_a_fresh_build(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    edited = sorted((project / "episodes").glob("*.md"))[1]
    edit(edited, "A line added later.")
    calls = loaded(monkeypatch)
    assert build_all(project, output, audio=False).ok
    # The edited one is parsed; its page is rendered from it, the feeds and index too.
    assert calls == [edited.name]
    assert "A line added later." in (output / "atom.xml").read_text("utf-8")
    monkeypatch.undo()
    shutil.rmtree(project / ".amacast-cache")
    assert build_all(project, project / "fresh", audio=False).ok
    assert site_of(output) == site_of(project / "fresh")


def test_an_episode_whose_page_is_deleted_is_loaded_to_render_it_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    expected = site_of(output)
    page = sorted(output.glob("episodes/*/index.html"))[-1]
    page.unlink()
    calls = loaded(monkeypatch)
    assert build_all(project, output, audio=False).ok
    assert site_of(output) == expected
    assert len(calls) == 1  # that one episode, for its page; the rest from the pack


def test_a_page_edited_by_hand_is_rendered_again_from_the_cached_episode(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    expected = site_of(output)
    page = sorted(output.glob("episodes/*/index.html"))[0]
    page.write_bytes(page.read_bytes().replace(b"</main>", b"<p>mine</p></main>"))
    calls = loaded(monkeypatch)
    assert build_all(project, output, audio=False).ok
    assert site_of(output) == expected
    assert len(calls) == 1  # that one episode, for its page


def test_new_settings_start_from_an_empty_pack(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    toml = project / "amacast.toml"
    toml.write_text(toml.read_text("utf-8") + "\natom_entries = 2\n", "utf-8")
    assert build_all(project, output, audio=False).ok
    shutil.rmtree(project / ".amacast-cache")
    assert build_all(project, project / "fresh", audio=False).ok
    assert site_of(output) == site_of(project / "fresh")
    assert (output / "atom.xml").read_bytes().count(b"<entry>") == 2


def test_a_damaged_state_is_started_anew(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    expected = site_of(output)
    state.close_all()
    state_file = project / ".amacast-cache" / state.STATE_FILE
    state_file.write_bytes(b"not a database at all" * 100)
    edit(sorted((project / "episodes").glob("*.md"))[0], "Edited.")
    assert build_all(project, output, audio=False).ok
    assert b"Edited." in (output / "atom.xml").read_bytes()
    assert set(site_of(output)) == set(expected)
    with sqlite3.connect(state_file) as connection:
        assert connection.execute("SELECT count(*) FROM listings").fetchone()[0] == 4


#: A pickle that, once unpickled, creates the file named by its last argument.
_PAYLOAD = """
import os, pickle, sys
class Run:
    def __reduce__(self):
        return (os.system, ("touch " + sys.argv[1],))
sys.stdout.buffer.write(pickle.dumps(Run()))
"""


def test_a_poisoned_cache_runs_no_code(project: Path, tmp_path: Path) -> None:
    """Pickles planted where earlier versions kept their cache, and rows that are not data."""
    output = project / "output"
    marker = tmp_path / "ran"
    payload = subprocess.run(
        [sys.executable, "-c", _PAYLOAD, str(marker)], check=True, capture_output=True
    ).stdout
    cache = project / ".amacast-cache"
    for name in ("sources.pickle", "build.pickle", "parsed/x.pickle", "templates/x.cache"):
        (cache / name).parent.mkdir(parents=True, exist_ok=True)
        (cache / name).write_bytes(payload)
    assert build_all(project, output, audio=False).ok
    expected = site_of(output)
    state.close_all()
    with sqlite3.connect(cache / state.STATE_FILE) as connection:
        for table, column in (("parsed", "episode"), ("listings", "listing"), ("views", "view")):
            connection.execute(f"UPDATE {table} SET {column} = ?", (payload,))
    for episode in (project / "episodes").glob("*.md"):
        edit(episode, "Edited again.")
    assert build_all(project, output, audio=False).ok
    assert not marker.exists()
    assert site_of(output).keys() == expected.keys()
    assert (output / "atom.xml").read_bytes().count(b"Edited again.") == 3


def test_save_adds_what_is_new_and_drops_what_nothing_uses(tmp_path: Path) -> None:
    key = pack_key("site")
    first = BuildPack(key, fragments={("atom", str(n)): b"x" * 100 for n in range(100)})
    save_pack(tmp_path, first, load_pack(tmp_path, key))
    kept = load_pack(tmp_path, key)
    assert kept.fragments == first.fragments
    second = BuildPack(key, fragments={**first.fragments, ("atom", "new"): b"y"})
    save_pack(tmp_path, second, kept)
    assert load_pack(tmp_path, key).fragments == second.fragments
    small = BuildPack(key, fragments={("atom", "only"): b"z"})
    save_pack(tmp_path, small, load_pack(tmp_path, key))
    assert load_pack(tmp_path, key).fragments == small.fragments
    with sqlite3.connect(tmp_path / state.STATE_FILE) as connection:
        assert connection.execute("SELECT count(*) FROM fragments").fetchone()[0] == 1
    # Another key: nothing kept.
    assert load_pack(tmp_path, pack_key("other site")).fragments == {}


def test_a_save_after_one_entry_changed_writes_and_drops_that_entry_only(tmp_path: Path) -> None:
    key = pack_key("site")
    first = BuildPack(key, fragments={(f"entry-{n}",): b"x" for n in range(100)})
    save_pack(tmp_path, first, load_pack(tmp_path, key))
    fragments = {**first.fragments, ("entry-new",): b"y"}
    del fragments[("entry-7",)]
    statements = traced(tmp_path)
    save_pack(tmp_path, BuildPack(key, fragments=fragments), load_pack(tmp_path, key))
    state.connect(tmp_path).set_trace_callback(None)
    assert [s for s in statements if s.startswith(("INSERT", "DELETE", "CREATE"))] == [
        "INSERT OR REPLACE INTO fragments VALUES ('entry-new', x'79')",
        "DELETE FROM fragments WHERE key = 'entry-7'",
    ]  # and the meta rows, which hold what they should already, are left alone
    assert load_pack(tmp_path, key).fragments == fragments


def test_listings_are_decoded_with_the_collector_off_and_left_as_they_were(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build_all(project, project / "output", audio=False).ok
    key = (
        state.connect(project / ".amacast-cache")
        .execute("SELECT value FROM meta WHERE name = 'pack'")
        .fetchone()[0]
    )
    seen: list[bool] = []

    def watching(kind: object, data: bytes) -> object:
        seen.append(gc.isenabled())
        return codec.loads(kind, data)  # type: ignore[arg-type]

    monkeypatch.setattr(build_pack, "loads", watching)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            seen.clear()
            pack = load_pack(project / ".amacast-cache", key)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
        assert len(pack.listings) == len(seen) == 4 and not any(seen)


def test_a_row_that_does_not_decode_is_dropped_by_the_next_save(tmp_path: Path) -> None:
    key = pack_key("site")
    save_pack(tmp_path, BuildPack(key, views={("a",): "<li>a</li>"}), BuildPack(key))
    with sqlite3.connect(tmp_path / state.STATE_FILE) as connection:
        connection.execute("INSERT INTO listings VALUES ('junk', X'00ff')")
        connection.execute("INSERT INTO views VALUES ('b', X'ff')")
    kept = load_pack(tmp_path, key)
    assert kept.listings == {} and kept.views == {("a",): "<li>a</li>"}
    save_pack(tmp_path, BuildPack(key, views=dict(kept.views)), kept)
    with sqlite3.connect(tmp_path / state.STATE_FILE) as connection:
        assert connection.execute("SELECT count(*) FROM listings").fetchone()[0] == 0
        assert connection.execute("SELECT key FROM views").fetchall() == [("a",)]


def settle() -> None:
    """Wait until files written now count as settled (their change time cannot be set back)."""
    time.sleep(episode_cache.SETTLED_NS / 1e9 + 0.2)


def test_noted_sources_are_not_read_again_until_they_change(tmp_path: Path) -> None:
    paths = settled_transcripts(tmp_path / "episodes", ["a.md", "b.md"])
    cache = tmp_path / "cache"
    settle()
    first = read_sources(paths, cache_dir=cache)
    assert all(source.data is not None for source in first)
    assert (cache / state.STATE_FILE).is_file()
    second = read_sources(paths, cache_dir=cache)
    assert [s.key for s in second] == [s.key for s in first]
    assert all(source.data is None for source in second)
    # Same size, same modification time set back: the change time still tells.
    paths[0].write_text(paths[0].read_text("utf-8").replace("a.md", "x.md"), "utf-8")
    os.utime(paths[0], ns=(OLD * 10**9, OLD * 10**9))
    settle()
    third = read_sources(paths, cache_dir=cache)
    assert third[0].data is not None and third[0].key != first[0].key
    assert third[1].data is None and third[1].key == first[1].key


def test_a_rebuild_writes_the_notes_of_the_changed_and_removed_sources_only(
    tmp_path: Path,
) -> None:
    paths = settled_transcripts(tmp_path / "episodes", [f"{n}.md" for n in range(5)])
    cache = tmp_path / "cache"
    settle()
    first = read_sources(paths, cache_dir=cache)
    paths[1].write_text("---\ntitle: changed\n---\n", "utf-8")
    os.utime(paths[1], ns=(OLD * 10**9, OLD * 10**9))
    settle()
    statements = traced(cache)
    second = read_sources([p for p in paths if p != paths[3]], cache_dir=cache)
    state.connect(cache).set_trace_callback(None)
    written = [
        s
        for s in statements
        if s.startswith(("DELETE FROM sources", "INSERT OR REPLACE INTO sources"))
    ]
    assert len(written) == 2
    assert written[0] == f"DELETE FROM sources WHERE path = '{paths[3]}'"
    assert written[1].startswith(f"INSERT OR REPLACE INTO sources VALUES ('{paths[1]}',")
    assert second[1].key != first[1].key
    noted = state.source_notes(cache, episode_cache.parser_fingerprint())
    assert sorted(noted) == sorted(str(p) for p in paths if p != paths[3])
    assert noted[str(paths[1])][1] == second[1].key
    assert all(noted[str(paths[n])][1] == first[n].key for n in (0, 2, 4))


def test_a_file_changed_just_now_is_not_noted(tmp_path: Path) -> None:
    path = tmp_path / "fresh.md"
    path.write_text("---\ntitle: t\n---\n", "utf-8")
    cache = tmp_path / "cache"
    read_sources([path], cache_dir=cache)
    again = read_sources([path], cache_dir=cache)
    assert again[0].data is not None  # read again: it may change within the same clock tick


def test_the_pages_noted_follow_the_last_build(tmp_path: Path) -> None:
    key = pack_key("site")
    pages = {f"episodes/{n}/index.html": (100 + n, 10**9 + n) for n in range(200)}
    first = BuildPack(key, output="/out", pages=pages)
    save_pack(tmp_path, first, load_pack(tmp_path, key))
    kept = load_pack(tmp_path, key)
    assert kept.pages == pages and kept.output == "/out"
    changed = {**pages, "episodes/7/index.html": (999, 2 * 10**9)}
    save_pack(tmp_path, BuildPack(key, output="/out", pages=changed), kept)
    assert load_pack(tmp_path, key).pages == changed
    # Only the note that changed is written, the others left as they are.
    statements = traced(tmp_path)
    moved = {**changed, "episodes/8/index.html": (5, 6)}
    del moved["episodes/9/index.html"]
    save_pack(tmp_path, BuildPack(key, output="/out", pages=moved), load_pack(tmp_path, key))
    state.connect(tmp_path).set_trace_callback(None)
    assert [s for s in statements if " pages " in s and not s.startswith("SELECT")] == [
        "DELETE FROM pages WHERE path = 'episodes/9/index.html'",
        "INSERT OR REPLACE INTO pages VALUES ('episodes/8/index.html', 5, 6)",
    ]
    assert load_pack(tmp_path, key).pages == moved
    # Another output folder: its pages replace the others whole.
    elsewhere = {"episodes/x/index.html": (1, 2)}
    save_pack(tmp_path, BuildPack(key, output="/other", pages=elsewhere), load_pack(tmp_path, key))
    again = load_pack(tmp_path, key)
    assert again.output == "/other" and again.pages == elsewhere


#: Prints which of these a build in this process imported.
_IMPORTS_OF_A_BUILD = """
import sys
from pathlib import Path
from amacast.build.pipeline import build_all
assert build_all(Path(sys.argv[1]), Path(sys.argv[1]) / "output", audio=False).ok
heavy = ("feedgen", "lxml", "jinja2", "nh3", "pyromark", "yaml", "numpy", "pydub", "mutagen",
         "multiprocessing", "concurrent.futures")
print(" ".join(name for name in heavy if name in sys.modules))
"""


def _imported_by_a_build(project: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS_OF_A_BUILD, str(project)],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_a_build_imports_only_the_libraries_its_work_needs(project: Path) -> None:
    cold = _imported_by_a_build(project)
    assert {"feedgen", "lxml", "jinja2", "nh3", "pyromark", "yaml"} <= cold  # it checks itself
    assert not cold & {"numpy", "pydub", "mutagen"}  # no audio: nothing of the audio side
    assert _imported_by_a_build(project) == set()  # nothing changed: nothing to make
    edit(sorted((project / "episodes").glob("*.md"))[0], "A line added later.")
    one = _imported_by_a_build(project)
    assert one == {"feedgen", "lxml", "jinja2", "nh3", "pyromark", "yaml"}  # no worker pool


@pytest.mark.parametrize(
    ("name", "template"),
    [
        # An index of its own, as written before entries were a template of their own.
        (
            "index.html",
            "{% for episode in episodes %}"
            "{{ episode.title }}: {{ episode.turns | length }}\n{% endfor %}",
        ),
        ("index_entry.html", "<li>{{ episode.title }} ({{ episode.turns | length }} turns)</li>"),
    ],
)
def test_a_project_index_template_gives_after_a_rebuild_what_a_fresh_build_gives(
    project: Path, name: str, template: str
) -> None:
    (project / "templates").mkdir()
    (project / "templates" / name).write_text(template, encoding="utf-8")
    output = project / "output"
    assert build_all(project, output, audio=False).ok
    edit(sorted((project / "episodes").glob("*.md"))[0], "A line added later.")
    assert build_all(project, output, audio=False).ok
    shutil.rmtree(project / ".amacast-cache")
    assert build_all(project, project / "fresh", audio=False).ok
    assert site_of(output) == site_of(project / "fresh")
    index = (output / "index.html").read_text("utf-8")
    assert " turns)</li>" in index if name == "index_entry.html" else index.count(": ") >= 2
    assert "0 turns" not in index and ": 0\n" not in index  # each entry sees its transcript


_FROZEN_AT_EXIT = """
import atexit, gc, sys
from pathlib import Path
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0))  # runs last
from amacast.build.pipeline import build_all
assert build_all(Path(sys.argv[1]), Path(sys.argv[1]) / "output", audio=False).ok
print("frozen after the build:", gc.get_freeze_count() > 0)
"""


def test_a_build_leaves_the_collector_as_it_was_and_spares_it_the_walk_at_exit(
    project: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FROZEN_AT_EXIT, str(project)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == ["frozen after the build: False", "frozen at exit: True"]


def test_a_build_that_folds_the_log_keeps_the_parsed_episodes_of_its_transcripts_only(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, cache = project / "output", project / ".amacast-cache"
    assert build_all(project, output, audio=False).ok
    transcript = sorted((project / "episodes").glob("*.md"))[0]
    edit(transcript, "One more line.")
    monkeypatch.setattr(state, "LOG_LIMIT", -1)  # fold at the end of every build
    assert build_all(project, output, audio=False).ok
    current = {s.key for s in read_sources(sorted((project / "episodes").glob("*.md")))}
    stored = {key for (key,) in state.connect(cache).execute("SELECT key FROM parsed")}
    assert stored == current
    assert (cache / f"{state.STATE_FILE}-wal").stat().st_size == 0
