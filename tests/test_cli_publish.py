"""``amacast publish``, ``amacast new`` and ``amacast serve`` through click's CliRunner."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

import amacast.build.pipeline as publish_module
from amacast.cli import main
from amacast.cli.preview import make_server, server_url
from amacast.transcript.parse import parse_episode
from amacast.transcript.validate import validate_episodes
from tests.test_publish import FakeRenderer, example_project, snapshot


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = example_project(tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.delenv("AMACAST_BASE_URL", raising=False)
    monkeypatch.delenv("AMACAST_AUDIO_BASE_URL", raising=False)
    return folder


def test_publish_writes_the_site_and_reports(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(
        main, ["publish", "--no-audio", "--base-url", "https://me.github.io/show/"]
    )
    assert result.exit_code == 0, result.output
    assert "published 3 episodes to output: 0 rendered, 0 unchanged" in result.stderr
    assert "site: 3 episode page(s)" in result.stderr
    assert result.stdout == ""
    atom = feedparser.parse((project / "output" / "atom.xml").read_bytes())
    assert atom.feed.link.startswith("https://me.github.io/show/")
    assert (project / "output" / "index.html").is_file()


def test_publish_renders_audio_by_default(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = FakeRenderer()
    monkeypatch.setattr(publish_module, "default_renderer", lambda *args: renderer)
    result = runner.invoke(main, ["publish", "--quiet"])
    assert result.exit_code == 0, result.output
    assert len(renderer.calls) == 3
    assert "rendering" not in result.stderr  # --quiet hides progress
    podcast = feedparser.parse((project / "output" / "podcast.xml").read_bytes())
    assert len(podcast.entries) == 3
    again = runner.invoke(main, ["publish"])
    assert "0 rendered, 3 unchanged" in again.stderr
    assert len(renderer.calls) == 3


def test_publish_with_an_error_exits_1_and_keeps_output(runner: CliRunner, project: Path) -> None:
    assert runner.invoke(main, ["publish", "--no-audio"]).exit_code == 0
    before = snapshot(project / "output")
    (project / "episodes" / "2026-05-01-broken.md").write_text(
        '---\ntitle: "Broken"\ndate: 2026-05-01T10:00:00+00:00\n---\n\n**Legend:**\n\n'
        "- S: Sam\n\n---\n\n**X:** who is X?\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["publish", "--no-audio"])
    assert result.exit_code == 1
    assert "episodes/2026-05-01-broken.md:12:1: error[unknown-speaker]" in result.stderr
    assert "stopped: 1 error; output left as it was" in result.stderr
    assert snapshot(project / "output") == before


def test_publish_engine_failure_exits_3_without_traceback(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(main, ["publish", "--no-audio"]).exit_code == 0
    before = snapshot(project / "output")
    failing = FakeRenderer(fail_on=2)
    monkeypatch.setattr(publish_module, "default_renderer", lambda *args: failing)
    result = runner.invoke(main, ["publish", "--audio"])
    assert result.exit_code == 3
    assert "error: the build failed, output is unchanged: the engine fell over" in result.stderr
    assert "the engine fell over" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(project / "output") == before


def test_new_writes_a_valid_draft(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(main, ["new", "AMA with Ann: open data", "--date", "2026-06-01"])
    assert result.exit_code == 0, result.output
    # Printed relative to the project.
    assert result.stdout == "episodes/2026-06-01-ama-with-ann-open-data.md\n"
    path = project / result.stdout.strip()
    episode = parse_episode(path)
    assert episode.title == "AMA with Ann: open data"
    assert episode.draft
    assert [s.code for s in episode.speakers if not s.pattern] == ["G", "H"]
    assert [t.speaker for t in episode.turns] == ["H", "P1", "G", "P2", "G"]
    codes = {d.code for d in validate_episodes([episode]) if d.severity != "info"}
    assert codes == set()
    # Drafts stay out of a publish until draft: false.
    published = runner.invoke(main, ["publish", "--no-audio"])
    assert published.exit_code == 0, published.output
    assert not (project / "output" / "episodes" / episode.slug).exists()


def test_new_refuses_to_overwrite(runner: CliRunner, project: Path) -> None:
    first = runner.invoke(main, ["new", "Same title", "--date", "2026-06-01"])
    path = project / first.stdout.strip()
    path.write_text("my edits", encoding="utf-8")
    again = runner.invoke(main, ["new", "Same title", "--date", "2026-06-01"])
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert path.read_text(encoding="utf-8") == "my edits"


def test_new_rejects_a_bad_date_and_an_empty_title(runner: CliRunner, project: Path) -> None:
    assert runner.invoke(main, ["new", "X", "--date", "yesterday"]).exit_code == 2
    assert runner.invoke(main, ["new", "  "]).exit_code == 2


def test_serve_needs_a_published_site(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(main, ["serve"])
    assert result.exit_code == 1
    assert "run `amacast publish`" in result.stderr


def test_serve_starts_the_preview_server(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(main, ["publish", "--no-audio"]).exit_code == 0
    made: list[tuple[Path, str, int]] = []

    class StopAtOnce:
        server_address = ("127.0.0.1", 8123)

        def serve_forever(self) -> None:
            raise KeyboardInterrupt

        def server_close(self) -> None:
            made.append((Path("closed"), "", 0))

    def fake_make_server(
        directory: Path, host: str, port: int, *, quiet: bool, live: object = None
    ) -> StopAtOnce:
        assert live is None  # no reload script without --watch
        made.append((directory, host, port))
        return StopAtOnce()

    monkeypatch.setattr("amacast.cli.preview.make_server", fake_make_server)
    result = runner.invoke(main, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert made[0] == (project / "output", "127.0.0.1", 8123)
    assert made[-1][0] == Path("closed")
    assert "at http://127.0.0.1:8123/" in result.stderr


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>x</title>", encoding="utf-8")
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "a.mp3").write_bytes(bytes(range(256)) * 4)
    server = make_server(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_url(server)
    finally:
        server.shutdown()
        server.server_close()


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, _lower(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers.items()), error.read()


def test_preview_server_answers_files_and_types(served: str) -> None:
    assert served.startswith("http://127.0.0.1:")
    status, headers, body = _get(served)
    assert status == 200 and body.startswith(b"<!DOCTYPE html>")
    status, headers, body = _get(served + "audio/a.mp3")
    assert status == 200 and len(body) == 1024
    assert headers["content-type"] == "audio/mpeg"
    assert headers["accept-ranges"] == "bytes"
    assert _get(served + "missing.html")[0] == 404


def test_preview_server_answers_byte_ranges(served: str) -> None:
    status, headers, body = _get(served + "audio/a.mp3", {"Range": "bytes=10-19"})
    assert status == 206
    assert headers["content-range"] == "bytes 10-19/1024"
    assert body == bytes(range(10, 20))
    status, headers, body = _get(served + "audio/a.mp3", {"Range": "bytes=1000-"})
    assert status == 206 and body == (bytes(range(256)) * 4)[1000:]
    status, headers, body = _get(served + "audio/a.mp3", {"Range": "bytes=-4"})
    assert status == 206 and body == bytes([252, 253, 254, 255])
    status, headers, _ = _get(served + "audio/a.mp3", {"Range": "bytes=5000-"})
    assert status == 416 and headers["content-range"] == "bytes */1024"
