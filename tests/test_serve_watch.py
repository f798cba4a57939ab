"""`amacast serve --watch`: edit a transcript, and the served page changes and reloads."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from amacast.cli.preview import RELOAD_SCRIPT, VERSION_PATH, with_reload_script
from amacast.cli.watch import is_input
from tests.test_publish import example_project

SLUG = "ama-with-sunil-rao-life-on-call"
TRANSCRIPT = "episodes/2026-03-14-ama-with-sunil-rao.md"


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - a local server
        return str(answer.read().decode("utf-8"))


class Server:
    """`amacast serve --watch --port 0` in a child process, its stderr read line by line."""

    def __init__(self, project: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "amacast", "serve", "--watch", "--port", "0"],
            cwd=project,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, start: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if line.startswith(start):
                return line
        raise AssertionError(f"no line starting {start!r}; stderr so far: {self.seen}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, Server, str]]:
    project = example_project(tmp_path)
    server = Server(project)
    try:
        line = server.wait_for("serving ")
        url = line.split(" at ", 1)[1].split(",", 1)[0].split(" ", 1)[0]
        yield project, server, url
    finally:
        server.stop()


def test_a_changed_transcript_is_rebuilt_and_the_page_reloads(
    served: tuple[Path, Server, str],
) -> None:
    project, server, url = served
    page_url = f"{url}episodes/{SLUG}/"
    page = fetch(page_url)
    assert "Less firefighting than people think." in page
    assert RELOAD_SCRIPT in page  # in what is served ...
    on_disk = (project / "output" / "episodes" / SLUG / "index.html").read_text(encoding="utf-8")
    assert VERSION_PATH not in on_disk  # ... never in the built file
    assert "Less firefighting than people think." in on_disk
    version = fetch(url + VERSION_PATH.lstrip("/"))

    transcript = project / TRANSCRIPT
    text = transcript.read_text(encoding="utf-8")
    transcript.write_text(
        text.replace("Less firefighting than people think.", "Fewer pagers than you fear."),
        encoding="utf-8",
    )
    server.wait_for("rebuilt: ", timeout=60)
    deadline = time.monotonic() + 10
    while fetch(url + VERSION_PATH.lstrip("/")) == version and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fetch(url + VERSION_PATH.lstrip("/")) != version  # open pages reload
    page = fetch(page_url)
    assert "Fewer pagers than you fear." in page
    assert "Less firefighting" not in page
    assert any(line == f"changed: {TRANSCRIPT}" for line in server.seen)


def test_a_broken_transcript_keeps_the_site_and_says_why(
    served: tuple[Path, Server, str],
) -> None:
    project, server, url = served
    version = fetch(url + VERSION_PATH.lstrip("/"))
    transcript = project / TRANSCRIPT
    transcript.write_text(
        transcript.read_text(encoding="utf-8").replace("**S:** Less", "**Q:** Less"),
        encoding="utf-8",
    )
    line = server.wait_for("not rebuilt: ", timeout=60)
    assert line == "not rebuilt: 1 error; the served site is as it was"
    assert any(
        s.startswith(f"{TRANSCRIPT}:") and "error[unknown-speaker]" in s for s in server.seen
    )
    assert fetch(url + VERSION_PATH.lstrip("/")) == version
    assert "Less firefighting than people think." in fetch(f"{url}episodes/{SLUG}/")


def test_only_inputs_trigger_a_rebuild(tmp_path: Path) -> None:
    assert is_input(tmp_path / "amacast.toml", tmp_path)
    assert is_input(tmp_path / "episodes" / "a.md", tmp_path)
    assert is_input(tmp_path / "templates" / "episode.html", tmp_path)
    assert is_input(tmp_path / "cover.png", tmp_path)
    assert not is_input(tmp_path / "output" / "index.html", tmp_path)
    assert not is_input(tmp_path / ".amacast-cache" / "build.pickle", tmp_path)
    assert not is_input(tmp_path / ".git" / "index", tmp_path)
    assert not is_input(tmp_path.parent / "elsewhere.md", tmp_path)


def test_the_script_goes_before_the_body_ends() -> None:
    assert with_reload_script(b"<html><body>x</body></html>") == (
        b"<html><body>x" + RELOAD_SCRIPT.encode() + b"</body></html>"
    )
    assert with_reload_script(b"x") == b"x" + RELOAD_SCRIPT.encode()
