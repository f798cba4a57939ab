"""One front half: `validate` reports what `build` and `publish` stop on, line for line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from amacast.build.checks import check_project
from amacast.cli import main
from tests.conftest import cli_runner
from tests.test_publish import example_project, snapshot

FIRST = "episodes/2026-01-17-ama-with-saoirse-delaney.md"
DRAFT = "episodes/2026-04-11-ama-with-yusuf-demir.md"
SLUG = "ama-with-saoirse-delaney-maintaining-an-audio-library"
FIRST_TITLE = 'title: "AMA with Saoirse Delaney - maintaining an audio library"'
_DIAGNOSTIC = re.compile(r"^\S.*: (error|warning|info)\[[a-z0-9-]+\] ")


def diagnostic_lines(stderr: str) -> list[str]:
    """The diagnostics a command printed, each with its hint, in order."""
    lines = stderr.splitlines()
    found = []
    for at, line in enumerate(lines):
        if _DIAGNOSTIC.match(line):
            hint = lines[at + 1] if at + 1 < len(lines) else ""
            found.append(line + ("\n" + hint if hint.startswith("    hint: ") else ""))
    return found


def edit(project: Path, relative: str, change: Callable[[str], str]) -> None:
    path = project / relative
    path.write_text(change(path.read_text("utf-8")), "utf-8")


def built_first(project: Path) -> None:
    """A build, so that the state knows the published identities."""
    result = cli_runner().invoke(main, ["build"])
    assert result.exit_code == 0, result.stderr


def retitled(project: Path) -> None:
    built_first(project)
    edit(project, FIRST, lambda t: t.replace(FIRST_TITLE, 'title: "Saoirse Delaney, again"'))


def slug_taken(project: Path) -> None:
    """The first episode moves away; a new one takes the URL that now redirects to it."""
    built_first(project)
    original = (project / FIRST).read_text("utf-8")
    edit(project, FIRST, lambda t: t.replace("draft: false\n", "draft: false\nslug: moved\n"))
    newcomer = original.replace("episode: 1\n", "").replace("2026-01-17T", "2026-05-01T")
    (project / "episodes" / "2026-05-01-newcomer.md").write_text(newcomer, "utf-8")


def copied(project: Path) -> None:
    """The first episode again, under another file name and number."""
    text = (project / FIRST).read_text("utf-8").replace("episode: 1\n", "episode: 9\n")
    (project / "episodes" / "2026-05-01-copy.md").write_text(text, "utf-8")


def settings_add(text: str) -> Callable[[Path], None]:
    return lambda project: edit(project, "amacast.toml", lambda t: t + text)


# (id, mistake, command compared with validate, expected line, exit code)
CASES: list[tuple[str, Callable[[Path], None], str, str, int]] = [
    (
        "misspelt-setting",
        settings_add('tittle = "Other"\n'),
        "build",
        "amacast.toml:31:1: warning[config-unknown-key] unknown setting 'tittle'\n"
        "    hint: did you mean 'title'?",
        0,
    ),
    (
        "missing-title",
        lambda p: edit(p, "amacast.toml", lambda t: t.replace('title = "Ask Us Anything"\n', "")),
        "build",
        "amacast.toml: error[config-missing-key] title is required\n"
        '    hint: add title = "…" to amacast.toml',
        1,
    ),
    (
        "audio-misspelt-key",
        settings_add("\n[audio]\npause_trun = 2\n"),
        "build",
        "amacast.toml:33:1: warning[audio-unknown-key] audio.pause_trun: unknown setting\n"
        "    hint: did you mean 'pause_turn'?",
        0,
    ),
    (
        "audio-bad-value",
        settings_add("\n[audio]\nbitrate = 65\n"),
        "build",
        "amacast.toml:33:1: error[audio-bad-value] audio.bitrate: must be an MP3 bitrate in "
        "kbit/s, not 65\n    hint: one of 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, "
        '256, 320 (e.g. 64 or "64k")',
        1,
    ),
    (
        "voices-unknown-voice",
        settings_add('\n[voices]\nS = "joe-hihg"\n'),
        "build",
        "amacast.toml:33:1: error[voices-unknown-voice] voices.S: unknown voice 'joe-hihg'\n"
        "    hint: did you mean 'joe-high'? (`amacast voices` lists them all)",
        1,
    ),
    (
        "episode-voices-unknown-speaker",
        lambda p: edit(
            p, FIRST, lambda t: t.replace("draft: false\n", "draft: false\nvoices:\n  Q: joe\n")
        ),
        "publish",
        f"{FIRST}:6:1: warning[voices-unknown-speaker] voices.Q: names no speaker code, "
        "pattern or name of this episode\n"
        "    hint: use a code from the Legend (S, P(n)) or a speaker's name",
        0,
    ),
    (
        "unknown-speaker",
        lambda p: edit(p, FIRST, lambda t: t.replace("- S: Saoirse\n", "")),
        "build",
        f"{FIRST}:30:1: error[unknown-speaker] the speaker `S` is not in the Legend (known: P(n))\n"
        "    hint: add `- S: Name` to the Legend, or fix the label",
        1,
    ),
    (
        "duplicate-slug",
        copied,
        "build",
        f"episodes/2026-05-01-copy.md:2:1: error[duplicate-slug] the slug `{SLUG}` is also used "
        f"by {FIRST}:2\n    hint: give one of them a different `slug:` (or title) so each has "
        "its own page and feed entry",
        1,
    ),
    (
        "slug-kept",
        retitled,
        "build",
        f"{FIRST}:2:1: warning[slug-kept] the title changed; the URL stays "
        f"https://example.github.io/amacast/episodes/{SLUG}/\n    hint: set "
        f"`slug: saoirse-delaney-again` to move it (the old URL then redirects), or `slug: {SLUG}` "
        "to keep it and silence this warning",
        0,
    ),
    (
        "slug-taken",
        slug_taken,
        "build",
        f"episodes/2026-05-01-newcomer.md:2:1: error[slug-taken] the slug `{SLUG}` is a URL that "
        f"redirects to it: {FIRST} has it\n"
        f"    hint: give this episode its own `slug:` (e.g. `slug: {SLUG}-2`)",
        1,
    ),
]


@pytest.mark.parametrize(
    ("mistake", "command", "expected", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_validate_reports_what_a_build_reports(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mistake: Callable[[Path], None],
    command: str,
    expected: str,
    code: int,
) -> None:
    project = example_project(tmp_path)
    monkeypatch.chdir(project)
    monkeypatch.delenv("AMACAST_BASE_URL", raising=False)
    # validate checks drafts too (a build leaves them out): none here, to compare the rest.
    (project / DRAFT).unlink()
    mistake(project)
    before = snapshot(project / "output")
    validated = cli_runner().invoke(main, ["validate"])
    built = cli_runner().invoke(main, [command, "--dry-run"])
    assert "Traceback" not in validated.stderr + built.stderr
    assert (validated.exit_code, built.exit_code) == (code, code), built.stderr
    shown = diagnostic_lines(validated.stderr)
    assert expected in shown, validated.stderr
    assert shown == diagnostic_lines(built.stderr)
    assert snapshot(project / "output") == before  # a dry run, and validate, write nothing


def test_the_front_half_writes_nothing_before_a_first_build(tmp_path: Path) -> None:
    project = example_project(tmp_path)
    checked, episodes = check_project(project)
    assert len(episodes) == 4 and len(checked.published) == 3
    assert checked.drafts_skipped == ("ama-with-yusuf-demir-how-type-checkers-think",)
    assert not checked.errors and not checked.stops(keep_going=False)
    assert sorted(p.name for p in project.iterdir()) == ["amacast.toml", "cover.png", "episodes"]


def test_identities_are_remembered_anew_only_when_one_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = example_project(tmp_path)
    monkeypatch.chdir(project)
    built_first(project)
    checked, _episodes = check_project(project)
    assert checked.remembered is None  # the state holds them as they are
    edit(project, FIRST, lambda t: t.replace("draft: false\n", "draft: false\nslug: moved\n"))
    moved, _episodes = check_project(project)
    assert moved.remembered is not None
    record = moved.remembered[FIRST]
    assert record["slug"] == "moved" and record["former_slugs"] == [SLUG]
    others = {path: r for path, r in moved.remembered.items() if path != FIRST}
    assert len(others) == 2 and all(r["former_slugs"] == [] for r in others.values())
