"""``publish``: output/ changed in place, all at once and only on success, incrementally."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import feedparser
import pytest

import amacast.build.output as output_module
import amacast.build.pack as pack_module
import amacast.build.pipeline as publish_module
import amacast.build.summary as summary_module
from amacast.audio.sidecars import audio_info_json, load_audio_info
from amacast.build.keys import audio_keyer
from amacast.build.lock import lock_output
from amacast.build.manifest import (
    MANIFEST,
    audio_info_from_dict,
    audio_info_to_dict,
    read_manifest,
)
from amacast.build.pack import Episodes
from amacast.build.pipeline import BuildError, build_all
from amacast.config import Settings
from amacast.model import AudioInfo, Chapter, Episode

ROOT = Path(__file__).resolve().parent.parent


def example_project(tmp_path: Path) -> Path:
    """A copy of the example project (settings, cover, episodes) to publish."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(ROOT / "amacast.toml", project / "amacast.toml")
    shutil.copytree(ROOT / "episodes", project / "episodes")
    settings_text = (ROOT / "amacast.toml").read_text(encoding="utf-8")
    for line in settings_text.splitlines():
        if line.startswith("image") and "=" in line:
            image = line.split("=", 1)[1].split("#")[0].strip().strip('"')
            (project / image).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / image, project / image)
    return project


class FakeRenderer:
    """Writes a small MP3-shaped file and a VTT per episode, and counts its calls."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.calls: list[str] = []
        self.fail_on = fail_on

    def __call__(
        self, episodes: Sequence[Episode], settings: Settings, output: Path
    ) -> dict[str, AudioInfo]:
        return {episode.slug: self.render_one(episode, output) for episode in episodes}

    def render_one(self, episode: Episode, output: Path) -> AudioInfo:
        self.calls.append(episode.slug)
        if self.fail_on is not None and len(self.calls) == self.fail_on:
            raise RuntimeError("the engine fell over")
        mp3 = output / "audio" / f"{episode.slug}.mp3"
        mp3.parent.mkdir(parents=True, exist_ok=True)
        mp3.write_bytes(b"ID3" + episode.source_hash.encode() * 50)
        vtt = output / "transcripts" / f"{episode.slug}.vtt"
        vtt.parent.mkdir(parents=True, exist_ok=True)
        vtt.write_text(f"WEBVTT\n\nNOTE {episode.slug}\n", encoding="utf-8")
        info = AudioInfo(
            slug=episode.slug,
            mp3_path=f"audio/{episode.slug}.mp3",
            byte_length=mp3.stat().st_size,
            duration=30.0,
            chapters=(Chapter("Introduction", 0.0, 10.0), Chapter("Q1", 10.0, 30.0, 1)),
            sidecars={"vtt": f"transcripts/{episode.slug}.vtt"},
        )
        (output / "audio" / f"{episode.slug}.json").write_text(audio_info_json(info), "utf-8")
        return info


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def read_info(output: Path, slug: str) -> AudioInfo:
    """The AudioInfo the manifest keeps for an episode."""
    return audio_info_from_dict(read_manifest(output)["episodes"][slug]["audio"])


def leftovers(parent: Path) -> list[str]:
    """What a build left beside the output (the spare belongs in the cache)."""
    return sorted(
        p.name
        for p in parent.iterdir()
        if ".amacast-" in p.name and p.is_dir() and p.name != ".amacast-cache"
    )


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path)


def slugs_of(project: Path) -> list[str]:
    from amacast.transcript.parse import parse_episode

    return sorted(
        e.slug for e in map(parse_episode, (project / "episodes").glob("*.md")) if not e.draft
    )


def test_publish_without_audio_writes_feeds_and_site(project: Path) -> None:
    output = project / "output"
    result = build_all(project, output, audio=False)
    assert result.ok, result.diagnostics
    files = snapshot(output)
    slugs = slugs_of(project)
    assert sorted(result.published) == slugs
    for name in ("index.html", "style.css", "player.js", "atom.xml", "cover.png"):
        assert name in files
    # No episode has audio: no podcast feed without items, and the index does not link one.
    assert "podcast.xml" not in files
    assert b"podcast.xml" not in files["index.html"]
    assert "no episode has audio: podcast.xml is not written" in " ".join(result.notes)
    for slug in slugs:
        assert f"episodes/{slug}/index.html" in files
        assert b"<audio" not in files[f"episodes/{slug}/index.html"]
    assert not any(name.startswith("audio/") for name in files)
    atom = feedparser.parse(files["atom.xml"])
    assert sorted(e.link.rstrip("/").rsplit("/", 1)[-1] for e in atom.entries) == slugs
    manifest = json.loads(files[MANIFEST])
    assert set(manifest["files"]) == set(files) - {MANIFEST}
    assert result.drafts_skipped  # the example project keeps one draft
    assert leftovers(project) == []


def test_publish_with_audio_then_incremental(project: Path) -> None:
    output = project / "output"
    renderer = FakeRenderer()
    first = build_all(project, output, audio=True, renderer=renderer)
    assert first.ok
    slugs = slugs_of(project)
    assert sorted(first.rendered) == slugs and first.reused == ()
    podcast = feedparser.parse((output / "podcast.xml").read_bytes())
    assert len(podcast.entries) == len(slugs)
    for entry in podcast.entries:
        (enclosure,) = entry.enclosures
        assert enclosure.type == "audio/mpeg"
        assert enclosure.href.startswith("https://example.github.io/amacast/audio/")
    page = (output / "episodes" / slugs[0] / "index.html").read_text(encoding="utf-8")
    assert f'src="../../audio/{slugs[0]}.mp3"' in page
    before = snapshot(output)

    # Nothing changed: nothing is rendered, every byte is the same.
    again = build_all(project, output, audio=True, renderer=renderer)
    assert again.ok
    assert again.rendered == () and sorted(again.reused) == slugs
    assert snapshot(output) == before
    assert len(renderer.calls) == len(slugs)
    for slug in slugs:
        assert load_audio_info(output, slug) == read_info(output, slug)

    # One transcript edited: only that episode is rendered again.
    edited = sorted((project / "episodes").glob("*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nThanks for joining!\n", "utf-8")
    third = build_all(project, output, audio=True, renderer=renderer)
    assert len(third.rendered) == 1
    assert len(third.reused) == len(slugs) - 1
    changed = third.rendered[0]
    after = snapshot(output)
    assert after[f"audio/{changed}.mp3"] != before[f"audio/{changed}.mp3"]
    for slug in slugs:
        if slug != changed:
            assert after[f"audio/{slug}.mp3"] == before[f"audio/{slug}.mp3"]
            assert after[f"episodes/{slug}/index.html"] == before[f"episodes/{slug}/index.html"]


def test_changed_voice_settings_render_again(project: Path) -> None:
    output = project / "output"
    renderer = FakeRenderer()
    build_all(project, output, audio=True, renderer=renderer)
    calls = len(renderer.calls)
    toml = project / "amacast.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[voices]\nnarrator = "joe"\n', "utf-8")
    result = build_all(project, output, audio=True, renderer=renderer)
    assert result.ok, result.diagnostics
    assert len(result.rendered) == len(slugs_of(project))
    assert len(renderer.calls) == 2 * calls


def test_new_podcast_title_renders_again(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=True, renderer=FakeRenderer())
    toml = project / "amacast.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("Ask Us Anything", "Ask Us"), "utf-8")
    result = build_all(project, output, audio=True, renderer=FakeRenderer())
    assert sorted(result.rendered) == slugs_of(project)
    assert result.reused == ()


def test_deleted_episode_files_disappear(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=True, renderer=FakeRenderer())
    from amacast.transcript.parse import parse_episode

    victim = sorted((project / "episodes").glob("*.md"))[0]
    slug = parse_episode(victim).slug
    assert (output / "audio" / f"{slug}.mp3").is_file()
    victim.unlink()
    result = build_all(project, output, audio=True, renderer=FakeRenderer())
    assert result.ok
    assert not (output / "episodes" / slug).exists()
    assert not (output / "audio" / f"{slug}.mp3").exists()
    assert not (output / "transcripts" / f"{slug}.vtt").exists()
    assert set(result.removed) == {
        f"audio/{slug}.mp3",
        f"audio/{slug}.json",
        f"transcripts/{slug}.vtt",
        f"episodes/{slug}/index.html",
    }
    assert slug not in (output / "index.html").read_text(encoding="utf-8")
    assert slug not in (output / "podcast.xml").read_text(encoding="utf-8")
    assert slug not in read_manifest(output)["episodes"]


def test_episode_with_an_error_leaves_output_byte_for_byte(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=True, renderer=FakeRenderer())
    before = snapshot(output)
    bad = project / "episodes" / "2026-05-01-broken.md"
    bad.write_text(
        '---\ntitle: "Broken"\ndate: 2026-05-01T10:00:00+00:00\n---\n\n**Legend:**\n\n'
        "- S: Sam\n\n---\n\n**X:** who is X?\n",
        encoding="utf-8",
    )
    renderer = FakeRenderer()
    result = build_all(project, output, audio=True, renderer=renderer)
    assert not result.ok and not result.swapped
    assert [d.code for d in result.errors] == ["unknown-speaker"]
    assert result.errors[0].path == "episodes/2026-05-01-broken.md"
    assert renderer.calls == []
    assert snapshot(output) == before
    assert leftovers(project) == []


def test_keep_going_publishes_the_rest(project: Path) -> None:
    output = project / "output"
    bad = project / "episodes" / "2026-05-01-broken.md"
    bad.write_text(
        '---\ntitle: "Broken"\ndate: 2026-05-01T10:00:00+00:00\n---\n\n**Legend:**\n\n'
        "- S: Sam\n\n---\n\n**X:** who is X?\n",
        encoding="utf-8",
    )
    result = build_all(project, output, audio=False, keep_going=True)
    assert result.swapped and not result.ok
    assert result.left_out == ("broken",)
    assert not (output / "episodes" / "broken").exists()
    assert sorted(result.published) == [s for s in slugs_of(project) if s != "broken"]
    assert "broken" in result.notes[0]


def test_engine_failing_midway_leaves_output_byte_for_byte(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    (output / ".gitkeep").write_bytes(b"")
    before = snapshot(output)
    renderer = FakeRenderer(fail_on=2)
    with pytest.raises(BuildError, match="the engine fell over") as caught:
        build_all(project, output, audio=True, renderer=renderer)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert len(renderer.calls) == 2
    assert snapshot(output) == before
    assert leftovers(project) == []


@pytest.mark.parametrize("failing", ["exchange", "put_tree", "put"])
def test_a_commit_failing_leaves_the_previous_output(
    project: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    before = snapshot(output)
    # An edit and a deleted episode: files to replace and a file to remove.
    first, second = sorted((project / "episodes").glob("*.md"))[:2]
    first.write_text(first.read_text(encoding="utf-8") + "\nOne more line.\n", "utf-8")
    second.unlink()

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        if failing == "exchange":
            patch.setattr(output_module, "exchange", full_disk)
            patch.setattr(os, "rename", full_disk)
        else:
            patch.setattr(output_module.Generation, failing, full_disk)
        with pytest.raises(BuildError, match="No space left"):
            build_all(project, output, audio=False)
    assert snapshot(output) == before
    assert leftovers(project) == []
    # The next build goes through and equals a first build of the same episodes.
    assert build_all(project, output, audio=False).ok
    fresh = project / "fresh"
    build_all(project, fresh, audio=False)
    site, fresh_site = snapshot(output), snapshot(fresh)
    del site[MANIFEST], fresh_site[MANIFEST]  # it records the pages' times
    assert site == fresh_site


def test_a_build_killed_half_way_leaves_nothing_behind(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    before = snapshot(output)
    # What a build killed before its commit leaves: a spare half changed, scratch files.
    cache = project / ".amacast-cache"
    with lock_output(output, cache):
        generation = output_module.Generation.open(output, cache, project)
        generation.put({"episodes/gone/index.html": b"half", "index.html": b"new"})
        (generation.scratch / "audio").mkdir()
        (generation.scratch / "audio" / "half.mp3").write_bytes(b"ID3")
        del generation
    assert snapshot(output) == before
    assert build_all(project, output, audio=False).ok
    assert snapshot(output) == before
    assert not (output / "episodes" / "gone").exists()
    assert leftovers(project) == []
    assert not [p for p in (project / ".amacast-cache").iterdir() if "scratch" in p.name]


def test_gitkeep_survives_and_first_publish_creates_output(project: Path) -> None:
    output = project / "site" / "out"
    result = build_all(project, output, audio=False)
    assert result.ok and (output / "index.html").is_file()
    (output / ".gitkeep").write_bytes(b"")
    build_all(project, output, audio=False)
    assert (output / ".gitkeep").is_file()


def test_settings_error_stops_before_anything(project: Path) -> None:
    output = project / "output"
    toml = project / "amacast.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('base_url = "', 'base_url = "ftp:'))
    result = build_all(project, output, audio=False)
    assert not result.ok and not result.swapped
    assert result.errors
    assert not output.exists()


def test_base_url_override_reaches_every_absolute_link(project: Path) -> None:
    output = project / "output"
    result = build_all(
        project, output, audio=False, overrides={"base_url": "https://me.github.io/show/"}
    )
    assert result.ok
    index = (output / "index.html").read_text(encoding="utf-8")
    assert 'href="https://me.github.io/show/"' in index
    assert "example.github.io" not in index
    atom = feedparser.parse((output / "atom.xml").read_bytes())
    assert all(e.link.startswith("https://me.github.io/show/episodes/") for e in atom.entries)


def test_size_guard_warns_near_the_limits(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summary_module, "PAGES_FILE_LIMIT", 1000)
    monkeypatch.setattr(summary_module, "PAGES_SITE_LIMIT", 10_000)
    result = build_all(project, project / "output", audio=True, renderer=FakeRenderer())
    assert result.ok
    joined = "\n".join(result.notes)
    assert "GitHub Pages allows at most" in joined
    assert "cover.png is" in joined
    assert "audio_base_url" in joined


def test_progress_reports_each_step(project: Path) -> None:
    messages: list[str] = []
    build_all(
        project, project / "output", audio=True, renderer=FakeRenderer(), progress=messages.append
    )
    count = len(slugs_of(project))
    assert f"audio: 0 unchanged, {count} to render" in messages
    assert any(m.startswith("site:") for m in messages)
    assert any(m.startswith("feeds:") for m in messages)


def test_audio_info_round_trips_through_the_manifest() -> None:
    original = AudioInfo(
        slug="s",
        mp3_path="audio/s.mp3",
        byte_length=10,
        duration=1.5,
        chapters=(Chapter("A", 0.0, 1.0, None), Chapter("B", 1.0, 1.5, 3)),
        sidecars={"vtt": "transcripts/s.vtt"},
    )
    data = json.loads(json.dumps(audio_info_to_dict(original)))
    assert audio_info_from_dict(data) == original


def test_missing_previous_audio_is_rendered_again(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=True, renderer=FakeRenderer())
    slug = slugs_of(project)[0]
    (output / "audio" / f"{slug}.mp3").unlink()
    renderer = FakeRenderer()
    result = build_all(project, output, audio=True, renderer=renderer)
    assert renderer.calls == [slug]
    assert (output / "audio" / f"{slug}.mp3").is_file()
    assert result.ok


# -- incremental builds ---------------------------------------------------------------------------


def page_inodes(output: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_ino for p in (output / "episodes").glob("*/index.html")}


def test_a_rebuild_with_nothing_changed_leaves_the_output_alone(project: Path) -> None:
    output = project / "output"
    first = build_all(project, output, audio=False)
    inodes = page_inodes(output)
    before = snapshot(output)
    messages: list[str] = []
    again = build_all(project, output, audio=False, progress=messages.append)
    assert again.ok and "output is up to date" in messages
    assert not any(m.startswith("site:") for m in messages)
    assert snapshot(output) == before and page_inodes(output) == inodes
    assert again.files == first.files and again.total_bytes == first.total_bytes
    assert again.published == first.published and again.notes == first.notes
    assert again.drafts_skipped == first.drafts_skipped
    assert leftovers(project) == []


def test_one_changed_episode_renders_one_page_and_equals_a_fresh_build(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    inodes = page_inodes(output)
    from amacast.transcript.parse import parse_episode

    edited = sorted((project / "episodes").glob("*.md"))[0]
    slug = parse_episode(edited).slug
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA new closing line.\n", "utf-8")
    messages: list[str] = []
    result = build_all(project, output, audio=False, progress=messages.append)
    assert result.ok
    assert f"site: 1 episode page(s), {len(inodes) - 1} unchanged" in messages
    after = page_inodes(output)
    assert after[slug] != inodes[slug]
    assert {s: i for s, i in after.items() if s != slug} == {
        s: i for s, i in inodes.items() if s != slug
    }
    assert "A new closing line." in (output / f"episodes/{slug}/index.html").read_text("utf-8")
    # Byte for byte what a build from nothing (no cache, no previous output) makes.
    shutil.rmtree(project / ".amacast-cache")
    fresh = build_all(project, project / "fresh", audio=False)
    assert fresh.ok and snapshot(project / "fresh") == snapshot(output)


def test_an_output_file_edited_by_hand_is_rebuilt(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    before = snapshot(output)
    page = sorted((output / "episodes").glob("*/index.html"))[0]
    page.write_bytes(page.read_bytes() + b"<!-- edited -->")
    (output / "style.css").unlink()
    assert build_all(project, output, audio=False).ok
    assert snapshot(output) == before


def test_new_settings_render_every_page_again(project: Path) -> None:
    output = project / "output"
    build_all(project, output, audio=False)
    toml = project / "amacast.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("title = ", 'title = "New " #', 1))
    messages: list[str] = []
    assert build_all(project, output, audio=False, progress=messages.append).ok
    count = len(slugs_of(project))
    assert f"site: {count} episode page(s), 0 unchanged" in messages


def test_publish_leaves_the_garbage_collector_as_it_found_it(project: Path) -> None:
    import gc

    assert gc.get_freeze_count() == 0
    assert build_all(project, project / "output", audio=False).ok
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_an_unchanged_rebuild_parses_nothing_and_reports_as_the_first(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = project / "output"
    broken = project / "episodes" / "2026-05-01-broken.md"
    broken.write_text(
        '---\ntitle: "Broken"\ndate: 2026-05-01T10:00:00+00:00\n---\n\n**Legend:**\n\n'
        "- S: Sam\n\n---\n\n**X:** who is X?\n",
        encoding="utf-8",
    )
    warned = project / "episodes" / "2026-05-02-warned.md"
    warned.write_text(
        '---\ntitle: "Warned"\ncolour: blue\ndate: 2026-05-02T10:00:00+00:00\n---\n\n'
        "**Legend:**\n\n- S: Sam\n- P(n): Participants\n\n---\n\n"
        "**P1:** *Why?*\n\n**S:** Because.\n",
        encoding="utf-8",
    )
    first = build_all(project, output, audio=False, keep_going=True)
    assert first.swapped and first.left_out == ("broken",)
    assert "error" in {d.severity for d in first.diagnostics if "broken" in d.path}
    assert {d.code for d in first.diagnostics if "warned" in d.path} == {"unknown-key"}

    def no_parsing(*_args: object, **_kwargs: object) -> Episodes:
        raise AssertionError("an unchanged rebuild loaded the episodes")

    with monkeypatch.context() as patch:
        patch.setattr(publish_module, "Episodes", no_parsing)
        messages: list[str] = []
        again = build_all(project, output, audio=False, keep_going=True, progress=messages.append)
    assert "output is up to date" in messages
    assert again.diagnostics == first.diagnostics and again.notes == first.notes
    assert again.left_out == first.left_out and again.drafts_skipped == first.drafts_skipped
    assert again.published == first.published and again.files == first.files
    assert again.swapped and not again.ok  # the broken episode is still an error

    # Another way of asking (drafts included, audio, or stopping at errors) reads them again.
    called: list[int] = []
    real = pack_module.Episodes

    def counting(*args: object, **kwargs: object) -> Episodes:
        called.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(publish_module, "Episodes", counting)
    assert build_all(project, output, audio=False, keep_going=True, drafts=True).swapped
    assert not build_all(project, output, audio=False).swapped
    assert len(called) == 2
    # An edited transcript is read again, and so is a touched output file.
    warned.write_text(warned.read_text(encoding="utf-8").replace("colour: blue\n", ""), "utf-8")
    fixed = build_all(project, output, audio=False, keep_going=True)
    assert len(called) == 3 and not any("warned" in d.path for d in fixed.diagnostics)
    (output / "index.html").write_text("edited", encoding="utf-8")
    assert build_all(project, output, audio=False, keep_going=True).swapped
    assert len(called) == 4 and "edited" not in (output / "index.html").read_text("utf-8")


def test_kept_audio_is_not_read_again(project: Path) -> None:
    output = project / "output"
    renderer = FakeRenderer()
    assert build_all(project, output, audio=True, renderer=renderer).ok
    before = read_manifest(output)["files"]
    mp3s = sorted(name for name in before if name.endswith(".mp3"))
    edited = sorted((project / "episodes").glob("*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more line.\n", "utf-8")
    # A byte of every MP3 changed behind the build's back, size and times kept: only a
    # build that reads a file again can tell.
    for name in mp3s:
        path = output / name
        times = path.stat()
        data = bytearray(path.read_bytes())
        data[-1] ^= 0xFF
        with path.open("r+b") as stream:
            stream.write(data)
        os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))
    result = build_all(project, output, audio=True, renderer=renderer)
    assert result.ok and len(result.rendered) == 1 and result.reused
    (slug,) = result.rendered
    after = read_manifest(output)["files"]
    for name in mp3s:
        on_disk = hashlib.sha256((output / name).read_bytes()).hexdigest()
        if slug in name:  # rendered again: its new bytes, hashed as written
            assert after[name] == on_disk != before[name]
        else:  # kept: trusted from the last manifest, never read
            assert after[name] == before[name] != on_disk


def test_project_templates_are_followed_and_no_compiled_code_is_kept(project: Path) -> None:
    output = project / "output"
    templates = project / "templates"
    templates.mkdir()
    (templates / "index.html").write_text("first {{ episodes | length }}", encoding="utf-8")
    assert build_all(project, output, audio=False).ok
    # The cache holds data only: no compiled templates that a build would run.
    kept = {p.name for p in (project / ".amacast-cache").iterdir()}
    data = {"state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm", "output-state.json"}
    assert kept <= {*data, "build.lock", "output-spare", "output-clock"}  # lock, spare, clock
    assert (output / "index.html").read_text(encoding="utf-8").startswith("first ")
    (templates / "index.html").write_text("second {{ episodes | length }}", encoding="utf-8")
    assert build_all(project, output, audio=False).ok
    assert (output / "index.html").read_text(encoding="utf-8").startswith("second ")


@pytest.mark.parametrize("title", ["Ask Us Anything", "A title with @source@ in it"])
def test_audio_keys_hash_the_sorted_json_of_their_inputs(title: str) -> None:
    import hashlib

    from amacast import __version__
    from amacast.audio.lame import MASTERING_VERSION

    settings = Settings(title=title, author="A", audio={"engine": "piper"}, voices={"S": "joe"})
    keyer = audio_keyer(settings, "cover-hash")
    for source in ("0" * 64, "f" * 64):
        inputs = {
            "source": source,
            "audio": {"engine": "piper"},
            "voices": {"S": "joe"},
            "podcast": [title, "A", "", "cover-hash"],
            "version": __version__,
            "mastering": MASTERING_VERSION,
        }
        text = json.dumps(inputs, sort_keys=True, ensure_ascii=True, default=str)
        assert keyer(source) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert keyer("0" * 64) != keyer("f" * 64)
