"""``amacast build`` through click's CliRunner: feeds and site, no rendering, all or nothing."""

from __future__ import annotations

import io
from pathlib import Path

import click.testing
import feedparser
import podcastparser
import pytest

from amacast.build import keys
from amacast.build.pipeline import build_all
from amacast.cli import main
from tests.conftest import cli_runner
from tests.test_config import png_bytes
from tests.test_publish import FakeRenderer

ROOT = Path(__file__).resolve().parent.parent

SETTINGS = """\
title = "Ask Us Anything"
description = "Test podcast."
author = "Hosts"
owner_email = "owner@example.org"
base_url = "https://example.github.io/amacast"
image = "cover.png"
category = "Technology"
timezone = "Asia/Kolkata"
"""


def transcript(title: str, date: str, *, draft: bool = False, answer_label: str = "G") -> str:
    return f"""---
title: "{title}"
date: {date}
draft: {"true" if draft else "false"}
---

Intro to {title}.

**Legend:**

- G: Guest of {title}
- P(n): Participants

---

**P1:** *First question?*

**{answer_label}:** First answer.
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with settings, a cover, two episodes and a draft; the current folder."""
    root = tmp_path / "project"
    (root / "episodes").mkdir(parents=True)
    (root / "amacast.toml").write_text(SETTINGS, encoding="utf-8")
    (root / "cover.png").write_bytes(png_bytes(1400, 1400))
    episodes = root / "episodes"
    (episodes / "one.md").write_text(transcript("AMA one", "2026-01-01T18:00:00"), "utf-8")
    (episodes / "two.md").write_text(transcript("AMA two", "2026-02-01T18:00:00"), "utf-8")
    (episodes / "three.md").write_text(
        transcript("AMA draft", "2026-03-01T18:00:00", draft=True), "utf-8"
    )
    monkeypatch.chdir(root)
    monkeypatch.delenv("AMACAST_BASE_URL", raising=False)
    return root


def invoke(*args: str, env: dict[str, str] | None = None) -> click.testing.Result:
    return cli_runner().invoke(main, ["build", *args], env=env, catch_exceptions=False)


def titles(path: Path) -> list[str]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.title for entry in parsed.entries]


def add_bad_episode(project: Path) -> None:
    (project / "episodes" / "bad.md").write_text(
        transcript("AMA bad", "2026-01-15T18:00:00", answer_label="X"), "utf-8"
    )


def test_build_without_audio_writes_the_atom_feed_and_the_cover_but_no_podcast_feed(
    project: Path,
) -> None:
    result = invoke()
    assert result.exit_code == 0, result.stderr
    output = project / "output"
    assert titles(output / "atom.xml") == ["AMA two", "AMA one"]
    assert not (output / "podcast.xml").exists()
    assert "no episode has audio: podcast.xml is not written" in result.stderr
    assert (output / "cover.png").read_bytes() == (project / "cover.png").read_bytes()
    assert "2 episodes have no audio yet: left out of podcast.xml" in result.stderr
    assert "built 2 episodes to output" in result.stderr and "0 rendered" in result.stderr
    assert result.stdout == ""
    names = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    assert {
        "atom.xml",
        "cover.png",
        "index.html",
        "episodes/ama-one/index.html",
        "episodes/ama-two/index.html",
    } <= names
    assert not any(name.startswith("audio/") for name in names)


def test_drafts_only_with_the_option(project: Path) -> None:
    assert invoke("--drafts").exit_code == 0
    assert titles(project / "output" / "atom.xml") == ["AMA draft", "AMA two", "AMA one"]


def test_an_episode_with_errors_stops_the_build_and_leaves_output_alone(project: Path) -> None:
    output = project / "output"
    output.mkdir()
    (output / "atom.xml").write_bytes(b"previous build")
    add_bad_episode(project)
    result = invoke()
    assert result.exit_code == 1
    assert (output / "atom.xml").read_bytes() == b"previous build"
    assert not (output / "podcast.xml").exists()
    assert "episodes/bad.md:" in result.stderr and "unknown-speaker" in result.stderr
    assert "left as it was" in result.stderr


def test_keep_going_builds_the_rest_and_still_fails(project: Path) -> None:
    add_bad_episode(project)
    result = invoke("--keep-going")
    assert result.exit_code == 1
    assert titles(project / "output" / "atom.xml") == ["AMA two", "AMA one"]
    assert "left out 1 episode(s) with errors: ama-bad" in result.stderr


def test_a_draft_with_errors_does_not_block_the_build(project: Path) -> None:
    (project / "episodes" / "bad-draft.md").write_text(
        transcript("AMA bad draft", "2026-01-15T18:00:00", draft=True, answer_label="X"), "utf-8"
    )
    assert invoke().exit_code == 0
    assert invoke("--drafts").exit_code == 1


def test_base_url_option_overrides_the_file(project: Path) -> None:
    result = invoke("--base-url", "https://user.github.io/other")
    assert result.exit_code == 0, result.stderr
    parsed = feedparser.parse((project / "output" / "atom.xml").read_bytes())
    assert parsed.feed.link == "https://user.github.io/other/"


def test_missing_base_url_is_an_error_naming_the_key_and_the_ways_to_give_it(
    project: Path,
) -> None:
    (project / "amacast.toml").write_text(SETTINGS.replace("base_url", "# base_url"), "utf-8")
    result = invoke()
    assert result.exit_code == 1
    assert "config-missing-key" in result.stderr and "base_url is required" in result.stderr
    assert not (project / "output").exists()
    with_env = invoke(env={"AMACAST_BASE_URL": "https://ci.example.org/pod"})
    assert with_env.exit_code == 0, with_env.stderr
    assert feedparser.parse((project / "output" / "atom.xml").read_bytes()).feed.link == (
        "https://ci.example.org/pod/"
    )


def test_a_settings_error_stops_the_build(project: Path) -> None:
    (project / "amacast.toml").write_text(SETTINGS + "explicit = 'no'\n", "utf-8")
    result = invoke()
    assert result.exit_code == 1
    assert "amacast.toml:9:1: error[config-wrong-type] explicit:" in result.stderr
    assert not (project / "output").exists()


def test_output_option(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "site"
    assert invoke("--output", str(target)).exit_code == 0
    assert titles(target / "atom.xml") == ["AMA two", "AMA one"]


def test_rebuild_is_byte_identical_and_leaves_no_temp_files(project: Path) -> None:
    assert invoke().exit_code == 0
    output = project / "output"
    first = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert invoke().exit_code == 0
    assert {p: p.read_bytes() for p in output.rglob("*") if p.is_file()} == first
    # .amacast-cache keeps the parsed episodes between builds.
    assert sorted(p.name for p in project.iterdir()) == [
        ".amacast-cache",
        "amacast.toml",
        "cover.png",
        "episodes",
        "output",
    ]


def test_build_after_publish_keeps_unchanged_audio(project: Path) -> None:
    renderer = FakeRenderer()
    first = build_all(project, project / "output", audio=True, renderer=renderer)
    assert first.ok and renderer.calls == ["ama-one", "ama-two"]
    mp3 = (project / "output" / "audio" / "ama-one.mp3").read_bytes()
    # Edit one episode: build renders nothing, keeps the other's audio, drops the stale one.
    edited = project / "episodes" / "two.md"
    edited.write_text(edited.read_text("utf-8").replace("First answer.", "Edited."), "utf-8")
    result = invoke()
    assert result.exit_code == 0, result.stderr
    assert "0 rendered, 1 unchanged" in result.stderr
    assert (project / "output" / "audio" / "ama-one.mp3").read_bytes() == mp3
    assert not (project / "output" / "audio" / "ama-two.mp3").exists()
    podcast = podcastparser.parse(
        "x", io.BytesIO((project / "output" / "podcast.xml").read_bytes())
    )
    [episode] = podcast["episodes"]
    assert episode["title"] == "AMA one" and episode["total_time"] == 30
    assert episode["enclosures"][0]["url"] == "https://example.github.io/amacast/audio/ama-one.mp3"
    assert "1 episode has no audio yet: left out of podcast.xml (ama-two)" in result.stderr


def test_the_example_project_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = invoke("--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    parsed = feedparser.parse((tmp_path / "out" / "atom.xml").read_bytes())
    assert not parsed.bozo and len(parsed.entries) == 3
    assert parsed.feed.title == "Ask Us Anything"


def test_the_summary_names_the_first_ten_changed_pages_and_counts_the_rest(project: Path) -> None:
    episodes = project / "episodes"
    for number in range(1, 11):
        text = transcript(f"AMA extra {number}", f"2026-04-{number:02d}T18:00:00")
        (episodes / f"extra-{number:02d}.md").write_text(text, "utf-8")
    result = invoke()
    assert result.exit_code == 0, result.stderr
    changed = [line for line in result.stderr.splitlines() if line.startswith("changed: ")]
    first = ", ".join(f"ama-extra-{n}" for n in range(1, 11))  # in the files' order
    assert changed == [f"changed: {first} and 2 more"]
    edited = episodes / "extra-03.md"
    edited.write_text(edited.read_text("utf-8") + "\nOne more answer.\n", "utf-8")
    result = invoke()
    assert result.exit_code == 0, result.stderr
    assert "changed: ama-extra-3" in result.stderr.splitlines()


def test_a_writing_build_reads_the_cover_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[Path] = []
    real = Path.read_bytes

    def counted(path: Path) -> bytes:
        if path.name == "cover.png":
            reads.append(path)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    result = build_all(project, project / "output", audio=False)
    assert result.ok and result.changed  # a build that writes
    assert len(reads) == 1
    assert (project / "output" / "cover.png").read_bytes() == real(project / "cover.png")
    assert keys.cover_hash(project, result.settings)  # the same file, hashed
