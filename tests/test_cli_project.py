"""The command line inside and outside a project: the lookup, relative paths, messages."""

from __future__ import annotations

import datetime as dt
import shutil
import zoneinfo
from pathlib import Path

import pytest
from click.testing import CliRunner

from amacast.cli import main
from amacast.cli.progress import ProgressPrinter, clock
from amacast.cli.project import NOT_A_PROJECT, escape_control, find_project_root, shown_path
from tests.conftest import FIXTURES
from tests.test_publish import example_project
from tests.test_render import EPISODE

SETTINGS = 'title = "Ask Us Anything"\nbase_url = "https://example.org/pod/"\n'


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = example_project(tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.delenv("AMACAST_BASE_URL", raising=False)
    return folder


@pytest.fixture()
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with settings and an empty episodes/ folder."""
    (tmp_path / "amacast.toml").write_text(SETTINGS, encoding="utf-8")
    (tmp_path / "episodes").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AMACAST_BASE_URL", raising=False)
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", str(FIXTURES / "valid.md")],
        ["build"],
        ["publish", "--base-url", "https://x.example/"],
        ["render"],
        ["new", "A title"],
        ["serve"],
        ["voices"],
    ],
    ids=lambda args: args[0] + ("-paths" if len(args) > 1 and args[0] == "validate" else ""),
)
def test_outside_a_project_every_command_exits_2(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {NOT_A_PROJECT}\n"
    assert NOT_A_PROJECT == (
        "not an amacast project: no amacast.toml here or above (run amacast init)"
    )
    assert list(tmp_path.iterdir()) == []  # nothing written, no "Untitled podcast" site


def test_help_works_outside_a_project(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["build", "--help"]).exit_code == 0
    assert runner.invoke(main, ["--help"]).exit_code == 0


def test_the_lookup_walks_up_like_git(tmp_path: Path) -> None:
    (tmp_path / "amacast.toml").write_text(SETTINGS, encoding="utf-8")
    deep = tmp_path / "episodes" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project_root(deep) == tmp_path
    assert find_project_root(tmp_path) == tmp_path
    (tmp_path / "episodes" / "amacast.toml").mkdir()  # a folder of that name is no project
    assert find_project_root(deep) == tmp_path
    assert find_project_root(tmp_path.parent) is None or find_project_root(
        tmp_path.parent
    ) != find_project_root(tmp_path)


def test_commands_find_the_project_from_a_subfolder(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "episodes")
    checked = runner.invoke(main, ["validate"])
    assert checked.exit_code == 0, checked.output
    assert (
        "episodes/2026-04-11-ama-with-yusuf-demir.md:4:1: info[draft] this episode is a draft"
        in checked.stderr
    )
    assert "4 files checked: 0 errors, 0 warnings, 1 info" in checked.stderr
    built = runner.invoke(main, ["build"])
    assert built.exit_code == 0, built.output
    assert (project / "output" / "atom.xml").is_file()
    assert not (project / "episodes" / "output").exists()
    assert "built 3 episodes to output:" in built.stderr


def test_settings_problems_name_amacast_toml_from_a_subfolder(
    runner: CliRunner, bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (bare / "episodes" / "rin.md").write_text(EPISODE, encoding="utf-8")
    monkeypatch.chdir(bare / "episodes")
    result = runner.invoke(main, ["build", "--base-url", "https://x.example/"])
    assert result.exit_code == 0, result.output
    assert "amacast.toml: warning[config-missing-key] description is not set" in (
        result.stderr.splitlines()
    )
    assert "episodes/amacast.toml" not in result.stderr
    assert "episodes/(command line)" not in result.stderr


def test_validate_shows_a_file_given_from_a_subfolder_from_the_project(
    runner: CliRunner, bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(FIXTURES / "bad-date.md", bare / "episodes" / "x.md")
    monkeypatch.chdir(bare / "episodes")
    result = runner.invoke(main, ["validate", "x.md"])
    assert any(line.startswith("episodes/x.md:3:") for line in result.stderr.splitlines())


def test_duplicate_slug_names_both_files_relative_to_the_project(
    runner: CliRunner, bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(FIXTURES / "duplicate-slug-a.md", bare / "episodes" / "a.md")
    shutil.copy(FIXTURES / "duplicate-slug-b.md", bare / "episodes" / "b.md")
    monkeypatch.chdir(bare / "episodes")
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 1
    line = next(x for x in result.stderr.splitlines() if "duplicate-slug" in x)
    assert line.startswith("episodes/b.md:2:1: error[duplicate-slug] the slug `")
    assert line.endswith("is also used by episodes/a.md:2")
    assert str(bare) not in result.stderr


def test_a_newline_in_a_file_name_never_splits_a_line(runner: CliRunner, bare: Path) -> None:
    shutil.copy(FIXTURES / "unknown-speaker.md", bare / "episodes" / "two\nlines.md")
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 1
    lines = [x for x in result.stderr.splitlines() if not x.startswith("amacast.toml")]
    lines = [x for x in lines if "add it to amacast.toml" not in x]
    assert lines[0] == (
        "episodes/two\\nlines.md:22:1: error[unknown-speaker] the speaker `Q` is not in "
        "the Legend (known: R, P(n))"
    )
    assert lines[1].startswith("    hint: ")
    assert escape_control("a\tb\x1bc\u2028") == "a\\tb\\x1bc\\u2028"


def test_the_summary_counts_one_error_and_two_errors(runner: CliRunner, bare: Path) -> None:
    one = runner.invoke(main, ["validate", str(FIXTURES / "bad-date.md")])
    assert "amacast.toml and 1 file checked: 1 error, " in one.stderr
    two = runner.invoke(
        main, ["validate", str(FIXTURES / "bad-date.md"), str(FIXTURES / "missing-title.md")]
    )
    assert "amacast.toml and 2 files checked: 2 errors, " in two.stderr


def test_the_draft_info_says_it_is_in_under_drafts(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(main, ["build", "--drafts"])
    assert result.exit_code == 0, result.output
    assert "left out of the feeds" not in result.stderr
    assert (
        "episodes/2026-04-11-ama-with-yusuf-demir.md:4:1: info[draft] this episode is a "
        "draft: it is included because of --drafts"
    ) in result.stderr
    assert "built 4 episodes to output:" in result.stderr


def test_build_says_built_and_publish_says_published(runner: CliRunner, project: Path) -> None:
    built = runner.invoke(main, ["build"])
    assert "built 3 episodes to output: " in built.stderr
    assert "episode(s)" not in built.stderr


def test_new_dates_the_episode_in_the_project_timezone(runner: CliRunner, bare: Path) -> None:
    # UTC+14: the date differs from UTC's for ten hours a day, the offset always.
    (bare / "amacast.toml").write_text(
        SETTINGS + 'timezone = "Pacific/Kiritimati"\n', encoding="utf-8"
    )
    result = runner.invoke(main, ["new", "AMA with Ann"])
    assert result.exit_code == 0, result.output
    today = dt.datetime.now(zoneinfo.ZoneInfo("Pacific/Kiritimati")).date()
    assert result.stdout == f"episodes/{today:%Y-%m-%d}-ama-with-ann.md\n"
    text = (bare / result.stdout.strip()).read_text(encoding="utf-8")
    date_line = next(line for line in text.splitlines() if line.startswith("date: "))
    assert date_line.startswith(f"date: {today:%Y-%m-%d}T") and date_line.endswith("+14:00")


def test_new_from_a_subfolder_and_its_failure_are_relative(
    runner: CliRunner, bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bare / "episodes")
    first = runner.invoke(main, ["new", "Same", "--date", "2026-06-01"])
    assert first.stdout == "episodes/2026-06-01-same.md\n"
    assert (bare / "episodes" / "2026-06-01-same.md").is_file()
    again = runner.invoke(main, ["new", "Same", "--date", "2026-06-01"])
    assert again.exit_code == 1
    assert "Error: episodes/2026-06-01-same.md already exists" in again.stderr
    assert str(bare) not in again.stderr


def test_render_with_nothing_to_do_exits_1(runner: CliRunner, bare: Path) -> None:
    result = runner.invoke(main, ["render"])
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "error: nothing to render: episodes/ holds no transcripts "
        "(write one with `amacast new TITLE`)\n"
    )
    (bare / "episodes" / "draft.md").write_text(
        EPISODE.replace("draft: false", "draft: true"), encoding="utf-8"
    )
    only_drafts = runner.invoke(main, ["render", "draft.md"])
    assert only_drafts.exit_code == 1
    assert "skipped 1 draft: ama-with-rin-okafor (render drafts with --drafts)" in (
        only_drafts.stderr
    )
    assert "nothing to render: the episodes are drafts" in only_drafts.stderr
    assert not (bare / "output" / "audio").exists()


def test_render_takes_file_names_in_episodes_and_skips_drafts(
    runner: CliRunner, bare: Path
) -> None:
    (bare / "amacast.toml").write_text(
        SETTINGS + "\n[audio]\nintro = false\npause_turn = 0.5\n", encoding="utf-8"
    )
    (bare / "episodes" / "rin.md").write_text(EPISODE, encoding="utf-8")
    (bare / "episodes" / "draft.md").write_text(
        EPISODE.replace("draft: false", "draft: true").replace("Rin Okafor", "Drafty"),
        encoding="utf-8",
    )
    result = runner.invoke(main, ["render", "--jobs", "1", "rin.md", "draft.md"])
    assert result.exit_code == 0, result.output
    rendered = bare / ".amacast-cache" / "rendered" / "audio"
    assert (rendered / "ama-with-rin-okafor.mp3").is_file()
    assert not (rendered / "ama-with-drafty.mp3").exists()
    assert not (bare / "output").exists()  # output/ only changes by a build
    assert "\n.amacast-cache/rendered/audio/ama-with-rin-okafor.mp3: 0:" in result.stderr
    assert "skipped 1 draft: ama-with-drafty (render drafts with --drafts)" in result.stderr
    assert result.stderr.count("render: 1/1 episodes done ama-with-rin-okafor (") == 1


def test_progress_is_one_line_per_episode_without_a_terminal() -> None:
    lines: list[tuple[str, bool]] = []
    printer = ProgressPrinter("render", tty=False, write=lambda t, nl: lines.append((t, nl)))
    printer.update(0, 3, 0.1, 2.0, current="a")
    printer.update(0, 3, 0.2, 4.0, current="a")
    printer.update(1, 3, 0.4, 8.0, current="a")
    printer.update(1, 3, 0.5, 9.0, current="b")
    printer.update(3, 3, 1.0, 20.0, current="c")
    printer.finish()
    assert lines == [
        ("render: 1/3 episodes done a (0:08 elapsed, about 0:12 left)", True),
        ("render: 2/3 episodes done (0:20 elapsed, about 0:00 left)", True),
        ("render: 3/3 episodes done c (0:20 elapsed, about 0:00 left)", True),
    ]


def test_progress_on_a_terminal_is_a_bar_with_an_eta() -> None:
    lines: list[tuple[str, bool]] = []
    printer = ProgressPrinter("publish", tty=True, write=lambda t, nl: lines.append((t, nl)))
    printer.update(1, 4, 0.25, 30.0, detail="10/40 segments")
    printer.finish()
    assert lines[0] == (
        "\rpublish: [#######-----------------------]  25% 1/4 episodes, 10/40 segments, ETA 1:30 ",
        False,
    )
    assert lines[-1] == ("", True)
    assert clock(None) == "--:--" and clock(3725) == "1:02:05"


def test_shown_path_is_relative_inside_the_project_only(tmp_path: Path) -> None:
    assert shown_path(tmp_path / "episodes" / "a.md", tmp_path) == "episodes/a.md"
    assert shown_path("/elsewhere/a.md", tmp_path) == "/elsewhere/a.md"
