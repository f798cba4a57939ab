"""`amacast init`: a project that validates and builds at once, from nothing or from posts."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import feedparser
import png
import pytest
from click.testing import CliRunner

from amacast.cli import main
from amacast.cli.starter import (
    WORKFLOW_FILE,
    machine_language,
    machine_timezone,
    pages_url,
    title_for,
)
from amacast.cli.starter_files import LOCAL_BASE_URL, cover_png
from amacast.config import load_settings
from tests.conftest import CORPUS, FIXTURES, shared_file


@pytest.fixture(autouse=True)
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A known git identity, zone and language, whatever the machine's are."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ann Lee\n\temail = ann@example.org\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("AMACAST_BASE_URL", raising=False)


def init(runner: CliRunner, folder: Path, *args: str) -> tuple[int, str]:
    folder.mkdir(parents=True, exist_ok=True)
    result = runner.invoke(main, ["init", str(folder), *args])
    return result.exit_code, result.stderr


def test_init_in_an_empty_folder_then_validate_and_build_pass(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "my-ama_posts"
    folder.mkdir()
    monkeypatch.chdir(folder)
    made = runner.invoke(main, ["init"])
    assert made.exit_code == 0, made.output
    (episode,) = (folder / "episodes").glob("*.md")
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        WORKFLOW_FILE,
        ".gitignore",
        "amacast.toml",
        "cover.png",
        f"episodes/{episode.name}",
    ]
    assert f"  wrote episodes/{episode.name}\n" in made.stderr
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[1:] == [
        "output/",
        ".amacast-cache/",
    ]

    checked = runner.invoke(main, ["validate", "--strict"])
    assert checked.exit_code == 0, checked.output
    assert checked.stderr == "amacast.toml and 1 file checked: 0 errors, 0 warnings, 0 info\n"
    built = runner.invoke(main, ["build"])
    assert built.exit_code == 0, built.output
    assert "warning" not in built.stderr and "error" not in built.stderr
    feed = feedparser.parse((folder / "output" / "atom.xml").read_bytes())
    assert not feed.bozo
    assert feed.feed.title == "My ama posts"
    (entry,) = feed.entries
    assert entry.title == "Welcome to My ama posts"
    assert "Where do the episodes come from?" in entry.content[0].value
    assert (folder / "output" / "cover.png").read_bytes() == (folder / "cover.png").read_bytes()


def test_the_settings_are_found_out_not_asked(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "pod"
    code, _ = init(runner, folder)
    assert code == 0
    settings = tomllib.loads((folder / "amacast.toml").read_text(encoding="utf-8"))
    assert settings["title"] == "Pod"
    assert settings["author"] == "Ann Lee"
    assert settings["owner_email"] == "ann@example.org"
    assert settings["base_url"] == LOCAL_BASE_URL
    assert settings["timezone"] == "Asia/Kolkata"
    assert settings["language"] == "en"
    _, problems = load_settings(folder)
    assert problems == []
    date_line = next(
        line
        for line in next((folder / "episodes").glob("*.md")).read_text().splitlines()
        if line.startswith("date: ")
    )
    assert date_line.endswith("+05:30")


def test_the_base_url_comes_from_a_github_remote(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "blog"
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run(
        ["git", "-C", str(folder), "remote", "add", "origin", "git@github.com:AnnLee/blog.git"],
        check=True,
    )
    code, _ = init(runner, folder)
    assert code == 0
    settings = tomllib.loads((folder / "amacast.toml").read_text(encoding="utf-8"))
    assert settings["base_url"] == "https://annlee.github.io/blog/"


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("https://github.com/ann/blog.git", "https://ann.github.io/blog/"),
        ("ssh://git@github.com/ann/blog", "https://ann.github.io/blog/"),
        ("git@github.com:Ann/ann.github.io.git", "https://ann.github.io/"),
        ("https://gitlab.com/ann/blog.git", None),
        ("", None),
        ("not a url", None),
    ],
)
def test_pages_url(remote: str, url: str | None) -> None:
    assert pages_url(remote) == url


def test_language_and_timezone_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert machine_language() == "pt"
    monkeypatch.setenv("LC_ALL", "C")
    assert machine_language() == "en"
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    assert machine_timezone() == "America/Sao_Paulo"
    monkeypatch.setenv("TZ", "Etc/UTC")
    assert machine_timezone() == "UTC"
    assert title_for(Path("/x/fossasia-ama")) == "Fossasia ama"
    assert title_for(Path("/x/---")) == "My podcast"


def test_the_cover_meets_apples_rules() -> None:
    data = cover_png()
    width, height, rows, info = png.Reader(bytes=data).read()
    assert (width, height) == (1400, 1400)
    assert info["planes"] == 3 and not info["greyscale"] and info["bitdepth"] == 8
    assert not info.get("palette")
    pixels = [bytes(row) for row in rows]
    assert len(pixels) == 1400 and len({pixels[0], pixels[700]}) == 2  # not a flat square
    assert len(data) < 200_000


def test_init_refuses_to_overwrite_unless_forced(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "amacast.toml").write_text('title = "Mine"\n', encoding="utf-8")
    code, stderr = init(runner, folder)
    assert code == 1
    assert stderr == (
        f"error: not overwriting {folder / 'amacast.toml'} (use --force to replace them)\n"
    )
    assert (folder / "amacast.toml").read_text(encoding="utf-8") == 'title = "Mine"\n'
    assert sorted(p.name for p in folder.iterdir()) == ["amacast.toml"]  # nothing else written
    code, _ = init(runner, folder, "--force")
    assert code == 0
    assert 'title = "Show"' in (folder / "amacast.toml").read_text(encoding="utf-8")


def test_init_from_posts_copies_those_that_parse_and_lists_the_others(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = tmp_path / "content"
    (posts / "posts" / "bundle").mkdir(parents=True)
    shutil.copy(FIXTURES / "valid.md", posts / "posts" / "2026-01-01-valid.md")
    valid = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    (posts / "posts" / "bundle" / "index.md").write_text(
        valid.replace('title: "AMA', 'title: "Bundled AMA'), encoding="utf-8"
    )
    shutil.copy(FIXTURES / "unknown-speaker.md", posts / "posts" / "broken.md")
    shutil.copy(FIXTURES / "no-front-matter.md", posts / "about.md")
    (posts / ".hidden").mkdir()
    shutil.copy(FIXTURES / "valid.md", posts / ".hidden" / "skip.md")
    folder = tmp_path / "podcast"
    folder.mkdir()
    monkeypatch.chdir(folder)
    result = runner.invoke(main, ["init", "--from", "../content"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (folder / "episodes").iterdir()) == [
        "2026-01-01-valid.md",
        "bundle.md",
    ]
    lines = result.stderr.splitlines()
    assert "imported 2 posts from ../content; 2 posts did not parse and stayed where they are" in (
        lines
    )
    assert "../content/about.md:1:1: error[no-front-matter] the file does not start with YAML " in (
        result.stderr
    )
    assert "../content/posts/broken.md:22:1: error[unknown-speaker] the speaker `Q`" in (
        result.stderr
    )
    assert (posts / "posts" / "broken.md").is_file()  # left where it was
    assert runner.invoke(main, ["validate"]).exit_code == 0
    assert runner.invoke(main, ["build"]).exit_code == 0


def test_init_from_the_real_posts(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = shared_file(CORPUS)
    posts = sorted(p for p in corpus.glob("*.md"))
    folder = tmp_path / "podcast"
    folder.mkdir()
    monkeypatch.chdir(folder)
    result = runner.invoke(main, ["init", "--from", str(corpus)])
    assert result.exit_code == 0, result.output
    imported = sorted(p.name for p in (folder / "episodes").iterdir())
    # The four FOSSASSAM AMAs (and the draft stub of one) are in the format.
    assert [n for n in imported if "fossassam" in n] == imported
    assert {"joinalahmed__fossassam__ama-sayak.md", "joinalahmed__fossassam__ama-ali.md"} <= set(
        imported
    )
    rejected = {
        line.split(":", 1)[0]
        for line in result.stderr.splitlines()
        if ": error[" in line and not line.startswith(" ")
    }
    assert len(imported) + len(rejected) == len(posts)
    assert str(corpus / "thechangelog__transcripts__go-time-284.md") in rejected
    for name in imported:
        assert (folder / "episodes" / name).read_bytes() == (corpus / name).read_bytes()
    checked = runner.invoke(main, ["validate"])
    assert checked.exit_code == 0, checked.output
    built = runner.invoke(main, ["build"])
    assert built.exit_code == 0, built.output


def test_init_makes_a_missing_folder_and_leaves_outside_untouched(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["init", "new/show"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "show" / "amacast.toml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gitconfig", "new"]
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / ".gitignore").write_text("public/\n", encoding="utf-8")
    assert runner.invoke(main, ["init", "blog"]).exit_code == 0
    assert (tmp_path / "blog" / ".gitignore").read_text(encoding="utf-8") == "public/\n"
    assert "started the podcast 'Show' in new/show" in result.stderr


def test_init_works_outside_a_project_but_other_commands_do_not(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["build"]).exit_code == 2
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert runner.invoke(main, ["build"]).exit_code == 0
