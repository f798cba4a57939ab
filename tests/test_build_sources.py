"""Parsed episodes cached by content: hits, misses, corrupt entries, versions, the worker pool."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

import amacast.markup
import amacast.transcript.parse
from amacast.build import state
from amacast.build.codec import packed, unpacked
from amacast.build.sources import (
    POOL_THRESHOLD,
    cache_key,
    load_episodes,
    map_episodes,
    parser_fingerprint,
    project_cache_folder,
    read_sources,
)
from amacast.model import Episode
from amacast.transcript.files import find_episode_files, project_episodes
from amacast.transcript.parse import parse_episode

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "episodes").glob("*.md"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def stored_count(cache: Path) -> int:
    """How many parsed episodes the state in ``cache`` holds."""
    with sqlite3.connect(cache / state.STATE_FILE) as connection:
        count: int = connection.execute("SELECT count(*) FROM parsed").fetchone()[0]
    return count


@pytest.fixture()
def episodes_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "episodes"
    folder.mkdir()
    for source in EXAMPLES:
        shutil.copy2(source, folder / source.name)
    # One with diagnostics, so they are cached too.
    shutil.copy2(FIXTURES / "unknown-speaker.md", folder / "unknown-speaker.md")
    return folder


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the parser record calls instead of parsing; returns the record."""
    calls: list[str] = []
    real = amacast.transcript.parse.parse_episode

    def counting(path: Path | str, data: bytes | None = None) -> Episode:
        calls.append(Path(path).name)
        return real(path, data)

    monkeypatch.setattr(amacast.transcript.parse, "parse_episode", counting)
    return calls


def test_a_hit_returns_an_equal_episode_without_parsing(
    episodes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = sorted(episodes_dir.glob("*.md"))
    cache = tmp_path / "cache"
    first = load_episodes(paths, cache, jobs=1)
    assert stored_count(cache) == len(paths)
    calls = no_parsing(monkeypatch)
    again = load_episodes(paths, cache, jobs=1)
    assert calls == []
    assert again == first == [parse_episode(p) for p in paths]
    # Diagnostics do not take part in Episode equality: compare them too.
    assert [e.diagnostics for e in again] == [parse_episode(p).diagnostics for p in paths]
    assert any(e.diagnostics for e in again)


def test_editing_a_file_misses(
    episodes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = sorted(episodes_dir.glob("*.md"))
    cache = tmp_path / "cache"
    load_episodes(paths, cache, jobs=1)
    edited = paths[0]
    text = edited.read_text(encoding="utf-8").replace('title: "', 'title: "Edited: ', 1)
    edited.write_text(text, encoding="utf-8")
    calls = no_parsing(monkeypatch)
    episodes = load_episodes(paths, cache, jobs=1)
    assert calls == [edited.name]
    assert episodes[0].title.startswith("Edited: ")
    assert episodes[0] == parse_episode(edited)
    assert stored_count(cache) == len(paths) + 1


def test_the_same_bytes_at_another_path_miss(episodes_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    original = sorted(episodes_dir.glob("*.md"))[0]
    copy = episodes_dir / "renamed.md"
    shutil.copy2(original, copy)
    first, second = load_episodes([original, copy], cache, jobs=1)
    assert first.path == str(original) and second.path == str(copy)


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not json at all",
        b'{"path": "truncated',
        b'{"path": "x"}',
        b"[1, 2, 3]",
        packed([1, 2, 3]),
        packed({"path": "x"}),
        packed("not an episode")[:-3],
        b"\xff\xff\xff\x7f" + packed("asks for 2 GiB")[4:],
    ],
)
def test_a_corrupt_cache_file_is_ignored_and_rewritten(
    episodes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: bytes
) -> None:
    path = sorted(episodes_dir.glob("*.md"))[0]
    cache = tmp_path / "cache"
    [expected] = load_episodes([path], cache, jobs=1)
    key = cache_key(str(path), path.read_bytes(), parser_fingerprint())
    state.close_all()
    with sqlite3.connect(cache / state.STATE_FILE) as connection:
        assert connection.execute("UPDATE parsed SET episode = ? WHERE key = ?", (damage, key))
        assert connection.total_changes == 1
    calls = no_parsing(monkeypatch)
    assert load_episodes([path], cache, jobs=1) == [expected]
    assert calls == [path.name]
    with sqlite3.connect(cache / state.STATE_FILE) as connection:
        (stored,) = connection.execute(
            "SELECT episode FROM parsed WHERE key = ?", (key,)
        ).fetchone()
    assert unpacked(Episode, stored) == expected
    calls.clear()
    assert load_episodes([path], cache, jobs=1) == [expected]
    assert calls == []


def test_another_amacast_version_misses(
    episodes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = sorted(episodes_dir.glob("*.md"))
    cache = tmp_path / "cache"
    load_episodes(paths, cache, jobs=1, version="0.0.1")
    calls = no_parsing(monkeypatch)
    assert load_episodes(paths, cache, jobs=1, version="0.0.2") == [parse_episode(p) for p in paths]
    assert sorted(calls) == sorted(p.name for p in paths)
    assert parser_fingerprint("0.0.1") != parser_fingerprint("0.0.2")


def test_no_cache_folder_parses_and_stores_nothing(episodes_dir: Path, tmp_path: Path) -> None:
    paths = sorted(episodes_dir.glob("*.md"))
    assert load_episodes(paths, None) == [parse_episode(p) for p in paths]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["episodes"]


def test_an_unreadable_file_is_reported_and_not_cached(tmp_path: Path) -> None:
    missing = tmp_path / "episodes" / "gone.md"
    cache = tmp_path / "cache"
    [episode] = load_episodes([missing], cache, jobs=1)
    assert [d.code for d in episode.diagnostics] == ["unreadable"]
    assert not (cache / state.STATE_FILE).exists()


def test_the_worker_pool_gives_the_same_episodes_as_one_process(tmp_path: Path) -> None:
    folder = tmp_path / "episodes"
    folder.mkdir()
    count = POOL_THRESHOLD + 8
    sources = [*EXAMPLES, FIXTURES / "naive-date.md", FIXTURES / "unknown-speaker.md"]
    for at in range(count):
        shutil.copy2(sources[at % len(sources)], folder / f"{at:03d}.md")
    paths = sorted(folder.glob("*.md"))
    serial = load_episodes(paths, None, jobs=1)
    parallel = load_episodes(paths, tmp_path / "cache", jobs=2)
    assert parallel == serial
    assert [e.diagnostics for e in parallel] == [e.diagnostics for e in serial]
    assert [e.path for e in parallel] == [str(p) for p in paths]
    # What the workers stored is served back as it is.
    assert load_episodes(paths, tmp_path / "cache", jobs=2) == serial


def test_map_episodes_in_workers_gives_what_one_process_gives_and_stores_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "episodes"
    folder.mkdir()
    sources = [*EXAMPLES, FIXTURES / "naive-date.md", FIXTURES / "unknown-speaker.md"]
    for at in range(POOL_THRESHOLD + 8):
        shutil.copy2(sources[at % len(sources)], folder / f"{at:03d}.md")
    paths = sorted(folder.glob("*.md"))
    cache = tmp_path / "cache"
    read = read_sources(paths)
    assert all(source.data is not None for source in read)  # the workers inherit these bytes
    made = map_episodes(read, cache, lambda e: (e, e.diagnostics), jobs=2)
    expected = [parse_episode(path) for path in paths]
    assert [episode for episode, _ in made] == expected
    assert [diagnostics for _, diagnostics in made] == [e.diagnostics for e in expected]
    assert stored_count(cache) == len(paths)
    assert load_episodes(paths, cache, jobs=1) == expected


def test_the_state_says_which_keys_it_holds(episodes_dir: Path, tmp_path: Path) -> None:
    paths = sorted(episodes_dir.glob("*.md"))
    cache = tmp_path / "cache"
    load_episodes(paths, cache, jobs=1)
    keys = keys_of(paths)
    others = [f"{n:064x}" for n in range(1200)]  # more than one query's worth
    assert state.stored_parsed(cache, [*others, *keys, keys[0]]) == frozenset(keys)
    assert state.stored_parsed(cache, others) == frozenset()
    assert state.stored_parsed(cache, []) == frozenset()


def test_project_cache_folder_follows_the_segment_cache_setting(tmp_path: Path) -> None:
    assert project_cache_folder(tmp_path, {}) == tmp_path / ".amacast-cache"
    moved = {"cache_dir": "build/cache/segments"}
    assert project_cache_folder(tmp_path, moved) == tmp_path / "build" / "cache"
    absolute = {"cache_dir": str(tmp_path / "elsewhere" / "segments")}
    assert project_cache_folder(Path("/project"), absolute) == tmp_path / "elsewhere"


def test_a_build_and_validate_list_the_same_transcripts(tmp_path: Path) -> None:
    folder = tmp_path / "episodes"
    folder.mkdir()
    for name in ["b.md", "a.markdown", "notes.txt", "c.MD.bak", "draft.md~"]:
        (folder / name).write_text("x", "utf-8")
    (folder / "d.md").mkdir()  # a folder named like a transcript is not one
    listed = project_episodes(tmp_path)
    assert [p.name for p in listed] == ["a.markdown", "b.md"]
    assert find_episode_files([folder]) == listed
    assert project_episodes(tmp_path / "nowhere") == []


def test_episodes_from_the_state_give_the_transcript_html_of_a_fresh_parse(
    episodes_dir: Path, tmp_path: Path
) -> None:
    from amacast.markup import transcript_html

    paths = sorted(episodes_dir.glob("*.md"))
    cache = tmp_path / "cache"
    load_episodes(paths, cache, jobs=1)
    loaded = load_episodes(paths, cache, jobs=1)
    for episode, path in zip(loaded, paths, strict=True):
        assert transcript_html(episode) == transcript_html(parse_episode(path))
    assert "<strong>" in transcript_html(parse_episode(EXAMPLES[0]))


def keys_of(paths: list[Path]) -> list[str]:
    """The cache keys of the transcripts at ``paths`` as they are now."""
    return [cache_key(str(p), p.read_bytes(), parser_fingerprint()) for p in paths]


def stored_in(cache: Path, episodes_dir: Path) -> list[Path]:
    """The transcripts of ``episodes_dir``, parsed and stored in the state in ``cache``."""
    paths = sorted(episodes_dir.glob("*.md"))
    load_episodes(paths, cache, jobs=1)
    return paths


def test_a_long_write_ahead_log_is_folded_into_the_database(
    episodes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    paths = stored_in(cache, episodes_dir)
    log = cache / f"{state.STATE_FILE}-wal"
    written = log.stat().st_size
    assert written > 0
    monkeypatch.setattr(state, "LOG_LIMIT", written)  # not over the limit: left as it is
    state.fold_log(cache)
    assert log.stat().st_size == written
    monkeypatch.setattr(state, "LOG_LIMIT", written - 1)
    state.fold_log(cache)
    assert log.stat().st_size == 0
    state.close_all()  # a new process: what was folded is in the database itself
    assert state.stored_parsed(cache, keys_of(paths)) == frozenset(keys_of(paths))


def test_folding_the_log_drops_the_parsed_episodes_of_transcripts_no_longer_there(
    episodes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    paths = stored_in(cache, episodes_dir)
    before = keys_of(paths)
    paths[0].write_text(paths[0].read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    load_episodes(paths, cache, jobs=1)
    now = keys_of(paths)
    assert state.stored_parsed(cache, before + now) == frozenset(before + now)
    monkeypatch.setattr(state, "LOG_LIMIT", -1)
    state.fold_log(cache)  # no current keys given: nothing is dropped
    assert state.stored_parsed(cache, before + now) == frozenset(before + now)
    state.fold_log(cache, current=now)
    assert state.stored_parsed(cache, before + now) == frozenset(now)
    assert (cache / f"{state.STATE_FILE}-wal").stat().st_size == 0
