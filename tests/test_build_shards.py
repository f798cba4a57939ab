"""Sharded rendering: shards partition the episodes, stay put, and merge into the same output."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from amacast.build.keys import audio_key, cover_hash
from amacast.build.manifest import MANIFEST, read_manifest, write_audio_manifest
from amacast.build.pipeline import build_all
from amacast.build.shards import in_shard, parse_shard, shard_of
from amacast.cli import main
from amacast.config import Settings, load_settings
from amacast.config.schema import DEFAULT_CACHE_DIR
from amacast.model import AudioInfo, Episode
from amacast.transcript.parse import parse_episode

ROOT = Path(__file__).resolve().parent.parent

GENERATED = [f"episode-{number:04d}" for number in range(300)] + [
    "ama-with-ünïcødé",
    "a",
    "2026-01-01-new-year",
]


def example_slugs() -> list[str]:
    """The slugs of the example project's episodes (drafts too)."""
    return [parse_episode(path).slug for path in sorted((ROOT / "episodes").glob("*.md"))]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------
# The shard function


def test_shard_of_is_the_slug_hash_modulo_the_count() -> None:
    for slug in ["ama-with-ada", "ama-with-cy", *GENERATED[:20]]:
        number = int(hashlib.sha256(slug.encode("utf-8")).hexdigest()[:16], 16)
        for count in range(1, 9):
            assert shard_of(slug, count) == number % count + 1
    # Pinned: a change here would move every published show's episodes.
    assert [shard_of("ama-with-ada", n) for n in range(1, 6)] == [1, 1, 3, 3, 1]
    assert [shard_of("ama-with-cy", n) for n in range(1, 6)] == [1, 2, 2, 2, 1]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_shards_partition_the_episodes(count: int) -> None:
    slugs = example_slugs() + GENERATED
    assert len(slugs) > len(GENERATED)
    shards = [in_shard(slugs, str, shard, count) for shard in range(1, count + 1)]
    # Every episode in exactly one shard, each shard keeping the input's order.
    assert sorted(slug for shard in shards for slug in shard) == sorted(slugs)
    for slug in slugs:
        assert sum(slug in shard for shard in shards) == 1
    for shard in shards:
        assert shard == [slug for slug in slugs if slug in set(shard)]
    # And roughly even: no shard has less than half or more than twice its share.
    share = len(slugs) / count
    assert all(share / 2 < len(shard) < share * 2 for shard in shards), [len(s) for s in shards]


@pytest.mark.parametrize("count", [2, 3, 4, 5])
def test_adding_episodes_moves_none_of_the_others(count: int) -> None:
    before = example_slugs() + GENERATED[:100]
    after = ["0000-first", *before[:3], "new-in-the-middle", *before[3:], *GENERATED[100:]]
    for shard in range(1, count + 1):
        old = in_shard(before, str, shard, count)
        new = in_shard(after, str, shard, count)
        assert [slug for slug in new if slug in set(before)] == old


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1/1", (1, 1)), ("2/4", (2, 4)), (" 4 / 4 ", (4, 4)), ("10/12", (10, 12))],
)
def test_parse_shard_accepts_k_of_n(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/4", "between 1 and 4"),
        ("5/4", "between 1 and 4"),
        ("1/0", "at least 1"),
        ("2", "is not K/N"),
        ("a/b", "is not K/N"),
        ("-1/4", "is not K/N"),
        ("", "is not K/N"),
    ],
)
def test_parse_shard_rejects_the_rest(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_shard(text)


# --------------------------------------------------------------------------
# The CLI

SETTINGS_TOML = """\
title = "Tiny Talks"
author = "The amacast tests"
base_url = "https://example.org/tiny/"
image = "cover.png"

[audio]
outro = false
pause_turn = 0.3
pause_paragraph = 0.2
"""

EPISODE = """\
---
title: "AMA with {name}"
date: 2026-0{month}-01T18:00:00+00:00
---

**Legend:**

- G: {name}
- P(n): Participants

**P1:** *{question}*

**G:** {answer}
"""


def tiny_project(root: Path) -> Path:
    """Two one-question episodes, one in each of two shards (ama-with-ada: 1, ama-with-cy: 2)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "amacast.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    shutil.copy2(ROOT / "cover.png", root / "cover.png")
    episodes = root / "episodes"
    episodes.mkdir()
    (episodes / "ada.md").write_text(
        EPISODE.format(name="Ada", month=1, question="Tabs?", answer="Spaces."), encoding="utf-8"
    )
    (episodes / "cy.md").write_text(
        EPISODE.format(name="Cy", month=2, question="Why?", answer="Because."), encoding="utf-8"
    )
    return root


def invoke(runner: CliRunner, args: Sequence[str]) -> tuple[int, str]:
    """Exit code and everything printed (stdout and stderr)."""
    result = runner.invoke(main, list(args))
    text = result.output
    with contextlib.suppress(ValueError):  # click < 8.2 without mix_stderr=False
        text += result.stderr
    return result.exit_code, text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0/4", "between 1 and 4"),
        ("5/4", "between 1 and 4"),
        ("1/0", "at least 1"),
        ("two", "is not K/N"),
        ("1:2", "is not K/N"),
    ],
)
def test_cli_bad_shard_is_a_usage_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.chdir(tiny_project(tmp_path / "project"))
    code, text = invoke(runner, ["render", "--shard", value])
    assert code == 2
    assert "--shard" in text and message in text
    assert not (tmp_path / "project" / "output").exists()
    assert not list((tmp_path / "project").glob("shard-*"))


def test_cli_shard_with_nothing_to_render_writes_an_empty_manifest(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tiny_project(tmp_path / "project")
    (project / "episodes" / "cy.md").unlink()  # ama-with-ada alone: shard 1 of 2
    monkeypatch.chdir(project)
    code, text = invoke(runner, ["render", "--shard", "2/2", "--jobs", "1"])
    assert code == 0, text
    assert "shard 2/2: 0 episodes rendered into shard-2, 1 in other shards" in text
    manifest = read_manifest(project / "shard-2")
    assert manifest["episodes"] == {} and manifest["files"] == {}
    assert sorted(p.name for p in (project / "shard-2").iterdir()) == [MANIFEST]
    assert not (project / "output").exists()


# --------------------------------------------------------------------------
# Merging shard outputs


@pytest.mark.slow
def test_merged_shards_equal_a_single_machine_publish_byte_for_byte(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tiny_project(tmp_path / "project")
    monkeypatch.chdir(project)

    # Two machines, each with its own (empty) segment cache.
    for shard in (1, 2):
        code, text = invoke(
            runner,
            ["render", "--shard", f"{shard}/2", "--jobs", "1", "--cache-dir", f"cache-{shard}"],
        )
        assert code == 0, text
        assert f"shard {shard}/2: 1 episode rendered into shard-{shard}" in text
    for shard, slug in ((1, "ama-with-ada"), (2, "ama-with-cy")):
        manifest = read_manifest(project / f"shard-{shard}")
        assert list(manifest["episodes"]) == [slug]
        assert sorted(manifest["files"]) == sorted(
            [
                f"audio/{slug}.mp3",
                f"audio/{slug}.json",
                f"transcripts/{slug}.vtt",
                f"transcripts/{slug}.html",
                f"transcripts/{slug}.srt",
                f"transcripts/{slug}.json",
                f"chapters/{slug}.json",
            ]
        )

    # The final job: nothing is rendered (there is no default cache afterwards).
    code, text = invoke(
        runner, ["publish", "--audio-from", "shard-1", "--audio-from", "shard-2", "-o", "merged"]
    )
    assert code == 0, text
    assert "0 rendered, 0 unchanged, 2 adopted" in text
    assert not (project / DEFAULT_CACHE_DIR).exists()  # the segment cache
    merged = snapshot(project / "merged")
    for slug, shard in (("ama-with-ada", 1), ("ama-with-cy", 2)):
        assert (
            merged[f"audio/{slug}.mp3"]
            == (project / f"shard-{shard}/audio/{slug}.mp3").read_bytes()
        )

    # One machine, rendering everything itself.
    single = build_all(project, project / "single")
    assert single.ok and sorted(single.rendered) == ["ama-with-ada", "ama-with-cy"]
    assert single.adopted == ()
    expected = snapshot(project / "single")
    assert sorted(merged) == sorted(expected)
    assert "audio/ama-with-ada.mp3" in merged and MANIFEST in merged
    assert [name for name in expected if merged[name] != expected[name]] == []

    # A shard that never arrived: its episode is rendered, the result is the same.
    partial = build_all(
        project, project / "partial", audio_from=[project / "shard-2", project / "gone"]
    )
    assert partial.ok
    assert partial.adopted == ("ama-with-cy",) and partial.rendered == ("ama-with-ada",)
    assert any("gone" in note and "nothing adopted" in note for note in partial.notes)
    assert snapshot(project / "partial") == expected


class FakeRenderer:
    """A small MP3-shaped file per episode; counts its calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(
        self, episodes: Sequence[Episode], settings: Settings, output: Path
    ) -> dict[str, AudioInfo]:
        infos = {}
        for episode in episodes:
            self.calls.append(episode.slug)
            mp3 = output / "audio" / f"{episode.slug}.mp3"
            mp3.parent.mkdir(parents=True, exist_ok=True)
            mp3.write_bytes(b"ID3" + episode.source_hash.encode() * 20)
            infos[episode.slug] = AudioInfo(
                episode.slug, f"audio/{episode.slug}.mp3", mp3.stat().st_size, 3.0
            )
        return infos


def fake_shard(project: Path, folder: Path) -> FakeRenderer:
    """A shard folder as `amacast render --shard` leaves it, made with the fake renderer."""
    settings, _ = load_settings(project)
    episodes = [parse_episode(p) for p in sorted((project / "episodes").glob("*.md"))]
    renderer = FakeRenderer()
    infos = renderer(episodes, settings, folder)
    digest = cover_hash(project, settings)
    write_audio_manifest(folder, {e.slug: audio_key(e, settings, digest) for e in episodes}, infos)
    return renderer


def test_stale_or_damaged_shard_audio_is_rendered_again(tmp_path: Path) -> None:
    project = tiny_project(tmp_path / "project")
    fake_shard(project, project / "shard-1")
    renderer = FakeRenderer()

    first = build_all(
        project, project / "output", renderer=renderer, audio_from=[project / "shard-1"]
    )
    assert first.ok and sorted(first.adopted) == ["ama-with-ada", "ama-with-cy"]
    assert renderer.calls == []
    # Hard-linked where the file system allows it: no second copy of the audio.
    mp3 = project / "output" / "audio" / "ama-with-ada.mp3"
    assert os.path.samefile(mp3, project / "shard-1" / "audio" / "ama-with-ada.mp3")

    # An edited transcript no longer matches the shard's key; a damaged MP3 is not adopted.
    edited = project / "episodes" / "ada.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nThanks!\n", encoding="utf-8")
    (project / "shard-1" / "audio" / "ama-with-cy.mp3").write_bytes(b"ID3")
    second = build_all(
        project, tmp_path / "fresh", renderer=renderer, audio_from=[project / "shard-1"]
    )
    assert second.ok and second.adopted == ()
    assert sorted(renderer.calls) == ["ama-with-ada", "ama-with-cy"]

    # The previous output comes first: unchanged episodes count as reused, not adopted.
    third = build_all(
        project, tmp_path / "fresh", renderer=renderer, audio_from=[project / "shard-1"]
    )
    assert sorted(third.reused) == ["ama-with-ada", "ama-with-cy"] and third.adopted == ()


def test_shard_manifest_is_the_publish_manifest_format(tmp_path: Path) -> None:
    project = tiny_project(tmp_path / "project")
    fake_shard(project, project / "shard-1")
    manifest = json.loads((project / "shard-1" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest == read_manifest(project / "shard-1")
    entry = manifest["episodes"]["ama-with-ada"]
    assert entry["files"] == ["audio/ama-with-ada.mp3"]
    assert entry["audio"]["mp3_path"] == "audio/ama-with-ada.mp3"
    digest = hashlib.sha256((project / "shard-1/audio/ama-with-ada.mp3").read_bytes()).hexdigest()
    assert manifest["files"]["audio/ama-with-ada.mp3"] == digest
