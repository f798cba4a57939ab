"""`amacast render` never touches output/: it renders beside it, and the next build adopts it."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_probe import tone_factory

from amacast.audio import jobs as render_jobs
from amacast.build.lock import lock_output
from amacast.cli import main
from tests.conftest import cli_runner
from tests.test_publish import example_project, snapshot

CACHE = ".amacast-cache"
RENDERED = f"{CACHE}/rendered"
SLUGS = (
    "ama-with-saoirse-delaney-maintaining-an-audio-library",
    "riverside-python-meetup-qa",
    "ama-with-sunil-rao-life-on-call",
)


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = example_project(tmp_path)
    monkeypatch.chdir(project)
    monkeypatch.delenv("AMACAST_BASE_URL", raising=False)
    return project


@pytest.fixture()
def tones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Narration by the tone engine: fast, and unlike any real voice's bytes."""
    monkeypatch.setattr(
        render_jobs,
        "render_episodes",
        functools.partial(render_jobs.render_episodes, engine_factory=tone_factory),
    )


def slow_render(*arguments: str) -> subprocess.Popen[str]:
    """`amacast render` whose narration writes half an MP3, says so and waits to be killed."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "import amacast.audio.jobs as jobs\n"
        "def render_episodes(episodes, voices, settings, folder, cache, **options):\n"
        "    (Path(folder) / 'audio').mkdir(parents=True, exist_ok=True)\n"
        "    (Path(folder) / 'audio' / f'{episodes[0].slug}.mp3').write_bytes(b'ID3 half')\n"
        "    print('rendering', flush=True); time.sleep(60)\n"
        "jobs.render_episodes = render_episodes\n"
        "from amacast.cli import main\n"
        f"sys.argv = ['amacast', 'render', {', '.join(map(repr, arguments))}]\n"
        "main()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while (line := process.stdout.readline()).strip() != "rendering":
        assert line and time.monotonic() < deadline, process.communicate()
    return process


def test_render_then_build_publishes_the_rendered_audio_without_rendering_again(
    project: Path, tones: None
) -> None:
    assert cli_runner().invoke(main, ["build"]).exit_code == 0
    before = snapshot(project / "output")
    rendered = cli_runner().invoke(main, ["render", "--jobs", "1"])
    assert rendered.exit_code == 0, rendered.stderr
    assert snapshot(project / "output") == before  # output/ only changes by a build
    mp3s = {slug: (project / RENDERED / "audio" / f"{slug}.mp3").read_bytes() for slug in SLUGS}
    assert all(data.startswith(b"ID3") for data in mp3s.values())
    assert f"{RENDERED}/audio/{SLUGS[0]}.mp3: 1:" in rendered.stderr
    assert rendered.stderr.endswith(
        f"rendered 3 episodes into {RENDERED}: the next `amacast build` or `publish` "
        "puts them in output/\n"
    )

    built = cli_runner().invoke(main, ["build"])
    assert built.exit_code == 0, built.stderr
    assert "0 rendered, 0 unchanged, 3 adopted" in built.stderr
    for slug, data in mp3s.items():
        assert (project / "output" / "audio" / f"{slug}.mp3").read_bytes() == data
    assert not (project / RENDERED).exists()  # taken: the next build has nothing to adopt
    # A publish (which renders with the configured voices) finds every MP3 current:
    # the tone engine's bytes stay, which no real voice would give.
    published = cli_runner().invoke(main, ["publish"])
    assert published.exit_code == 0, published.stderr
    assert "0 rendered, 3 unchanged" in published.stderr
    for slug, data in mp3s.items():
        assert (project / "output" / "audio" / f"{slug}.mp3").read_bytes() == data


def test_a_second_render_keeps_what_the_first_rendered(project: Path, tones: None) -> None:
    first = cli_runner().invoke(main, ["render", "--jobs", "1", SLUGS[0]])
    assert first.exit_code == 0, first.stderr
    kept = (project / RENDERED / "audio" / f"{SLUGS[0]}.mp3").read_bytes()
    second = cli_runner().invoke(main, ["render", "--jobs", "1", SLUGS[1]])
    assert second.exit_code == 0, second.stderr
    assert (project / RENDERED / "audio" / f"{SLUGS[0]}.mp3").read_bytes() == kept
    assert (project / RENDERED / "audio" / f"{SLUGS[1]}.mp3").is_file()
    assert not [p for p in (project / CACHE).iterdir() if p.name.startswith("rendered.new-")]
    built = cli_runner().invoke(main, ["build"])
    assert "0 rendered, 0 unchanged, 2 adopted" in built.stderr, built.stderr


def test_a_killed_render_leaves_output_and_rendered_audio_as_they_were(
    project: Path, tones: None
) -> None:
    assert cli_runner().invoke(main, ["render", "--jobs", "1", SLUGS[0]]).exit_code == 0
    assert cli_runner().invoke(main, ["build"]).exit_code == 0
    assert cli_runner().invoke(main, ["render", "--jobs", "1", SLUGS[1]]).exit_code == 0
    output, waiting = snapshot(project / "output"), snapshot(project / RENDERED)

    process = slow_render(SLUGS[2])
    # While it runs, a build (or another render) is turned away.
    for command in (["build"], ["render", SLUGS[2]]):
        busy = cli_runner().invoke(main, command)
        assert busy.exit_code == 3, busy.stderr
        assert busy.stderr == f"error: another amacast build is running (pid {process.pid})\n"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert snapshot(project / "output") == output
    assert snapshot(project / RENDERED) == waiting

    # The next build adopts what was rendered before the kill; nothing half made goes live.
    built = cli_runner().invoke(main, ["build"])
    assert built.exit_code == 0, built.stderr
    assert "1 adopted" in built.stderr
    assert (project / "output" / "audio" / f"{SLUGS[1]}.mp3").read_bytes() == waiting[
        f"audio/{SLUGS[1]}.mp3"
    ]
    assert not (project / "output" / "audio" / f"{SLUGS[2]}.mp3").exists()
    again = cli_runner().invoke(main, ["render", "--jobs", "1", SLUGS[2]])
    assert again.exit_code == 0, again.stderr
    assert not [p for p in (project / CACHE).iterdir() if p.name.startswith("rendered.new-")]


def test_sigterm_stops_a_render_and_says_so(project: Path) -> None:
    process = slow_render()
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert err.endswith(
        "error: the build was stopped (SIGTERM); the rendered audio is as it was\n"
    ), err
    assert not (project / "output").exists() and not (project / RENDERED).exists()
    assert not [p for p in (project / CACHE).iterdir() if p.name.startswith("rendered.new-")]


def test_render_while_a_build_runs_exits_3(project: Path) -> None:
    with lock_output(project / "output", project / CACHE):
        result = cli_runner().invoke(main, ["render", "--jobs", "1"])
    assert result.exit_code == 3
    assert result.stderr == f"error: another amacast build is running (pid {os.getpid()})\n"
    assert not (project / "output").exists() and not (project / RENDERED).exists()


@pytest.mark.parametrize("output", ["output", "site"])
def test_render_into_a_build_output_is_refused(project: Path, output: str) -> None:
    assert cli_runner().invoke(main, ["build", "--output", "site"]).exit_code == 0
    before = snapshot(project / "site")
    result = cli_runner().invoke(main, ["render", "--output", output])
    assert result.exit_code == 2, result.stderr
    assert result.stderr == (
        f"error: {output} is a build's output, which only a build changes: render "
        "without --output (the next build adopts the audio), or choose a folder of its own\n"
    )
    assert snapshot(project / "site") == before
    assert not (project / "output").exists() or output == "site"
