"""Identities that never change: a built feed keeps GUIDs, numbers and URLs across edits."""

from __future__ import annotations

import re
from pathlib import Path

import podcastparser
import pytest

from amacast.build import state
from amacast.build.pipeline import build_all
from tests.test_publish import FakeRenderer, example_project


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    project = example_project(tmp_path)
    for episode in (project / "episodes").glob("*.md"):  # numbered by date, as most posts are
        text = episode.read_text("utf-8")
        episode.write_text(re.sub(r"(?m)^episode: \d+\n", "", text), "utf-8")
    return project


def items(output: Path) -> dict[str, dict[str, object]]:
    """podcast.xml's items by title: GUID, number and enclosure URL."""
    with open(output / "podcast.xml", "rb") as stream:
        parsed = podcastparser.parse("https://example.org/podcast.xml", stream)
    return {
        e["title"]: {
            "guid": e["guid"],
            "number": e.get("number"),
            "url": e["enclosures"][0]["url"],
            "link": e["link"],
        }
        for e in parsed["episodes"]
    }


def test_a_title_edit_keeps_guid_number_and_urls_and_warns(project: Path) -> None:
    output = project / "output"
    renderer = FakeRenderer()
    assert build_all(project, output, audio=True, renderer=renderer).ok
    before = items(output)
    assert len(before) == 3 and {i["number"] for i in before.values()} == {1, 2, 3}
    path = project / "episodes" / "2026-03-14-ama-with-sunil-rao.md"
    text = path.read_text("utf-8")
    path.write_text(text.replace("life on call", "life on-call, revisited"), "utf-8")
    result = build_all(project, output, audio=True, renderer=renderer)
    assert result.ok
    after = items(output)
    old = before["AMA with Sunil Rao - life on call"]
    assert after["AMA with Sunil Rao - life on-call, revisited"] == old
    [warning] = [d for d in result.diagnostics if d.code == "slug-kept"]
    assert (warning.path, warning.line) == ("episodes/2026-03-14-ama-with-sunil-rao.md", 2)
    assert "ama-with-sunil-rao-life-on-call/" in warning.message


def test_an_older_episode_added_later_renumbers_none(project: Path) -> None:
    output = project / "output"
    renderer = FakeRenderer()
    assert build_all(project, output, audio=True, renderer=renderer).ok
    before = {title: i["number"] for title, i in items(output).items()}
    older = project / "episodes" / "2025-12-01-an-older-ama.md"
    first = (project / "episodes" / "2026-01-17-ama-with-saoirse-delaney.md").read_text("utf-8")
    older.write_text(
        re.sub(r"(?m)^title: .*$", 'title: "An older AMA"', first).replace(
            "date: 2026-01-17", "date: 2025-12-01"
        ),
        "utf-8",
    )
    assert build_all(project, output, audio=True, renderer=renderer).ok
    after = {title: i["number"] for title, i in items(output).items()}
    assert {t: n for t, n in after.items() if t in before} == before
    assert after["An older AMA"] == 4


def test_a_slug_moved_on_purpose_leaves_a_redirect(project: Path) -> None:
    output = project / "output"
    assert build_all(project, output, audio=False).ok
    path = project / "episodes" / "2026-03-14-ama-with-sunil-rao.md"
    text = path.read_text("utf-8")
    path.write_text(text.replace("draft: false\n", "draft: false\nslug: sunil-rao\n"), "utf-8")
    result = build_all(project, output, audio=False)
    assert result.ok
    page = (output / "episodes/ama-with-sunil-rao-life-on-call/index.html").read_text("utf-8")
    assert 'content="0; url=../sunil-rao/"' in page
    assert (output / "episodes/sunil-rao/index.html").is_file()


def test_validate_says_what_a_build_would_of_a_published_episode(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amacast.cli import main
    from tests.conftest import cli_runner

    monkeypatch.chdir(project)
    runner = cli_runner()
    before = runner.invoke(main, ["validate"])
    assert "slug-kept" not in before.stderr  # nothing published yet
    assert runner.invoke(main, ["build"]).exit_code == 0
    path = project / "episodes" / "2026-03-14-ama-with-sunil-rao.md"
    path.write_text(path.read_text("utf-8").replace("life on call", "on call"), "utf-8")
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.stderr
    assert (
        "episodes/2026-03-14-ama-with-sunil-rao.md:2:1: warning[slug-kept] the title changed; "
        "the URL stays https://example.github.io/amacast/episodes/ama-with-sunil-rao-life-on-call/"
    ) in result.stderr.splitlines()


def test_identities_are_written_to_the_state_only_when_they_change(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[dict[str, object]] = []
    real = state.remember_identities

    def remember(cache: Path, known: dict[str, object]) -> None:
        written.append(dict(known))
        real(cache, known)

    monkeypatch.setattr(state, "remember_identities", remember)
    output = project / "output"
    result = build_all(project, output, audio=False)
    assert result.ok and len(result.published) == 3
    assert len(written) == 1 and len(written[0]) == 3  # every episode, as first published
    first = sorted((project / "episodes").glob("*.md"))[0]
    first.write_text(first.read_text("utf-8") + "\nA line added later.\n", "utf-8")
    assert build_all(project, output, audio=False).ok
    assert len(written) == 1  # the same GUIDs, numbers and slugs: nothing to write
    text = first.read_text("utf-8").replace("title: ", "title: Renamed ", 1)
    first.write_text(text, "utf-8")
    assert build_all(project, output, audio=False).ok
    assert len(written) == 1  # a title edit: the slug it was published under is kept
    (project / "episodes" / "added.md").write_text(text.replace("Renamed", "Added"), "utf-8")
    assert build_all(project, output, audio=False).ok
    assert len(written) == 2 and len(written[1]) == 4  # a new episode: a new GUID and number
    assert state.identities(project / ".amacast-cache") == written[1]
