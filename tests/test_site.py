"""The static site: pages parsed back as HTML and checked for links, structure and safety."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import pytest

from amacast.config import Settings
from amacast.model import AudioInfo, Chapter, Cue, Episode
from amacast.site.links import episode_page_path
from amacast.site.pages import render_site
from amacast.site.views import format_duration, sanitize_html
from amacast.transcript.parse import parse_episode, parse_episode_text

SEEDS = Path("/work/shared/seeds")

FIRST = """\
---
title: "AMA with Ada - compilers"
date: 2026-01-10T19:00:00+00:00
description: "Ada on compilers."
---

An evening about compilers.

**Legend:**

- A: Ada
- H: Hal (host)
- P(n): Participants

---

**H:** Welcome, everyone.

**P1:** *Where do I start?*

**A:** With a small interpreter.

## A heading inside an answer

Then a compiler.

**P2:** *And after that?*

**A:** Read *Crafting Interpreters*. <script>alert("owned")</script>

<img src="https://example.org/x.png" onerror="alert(1)">
"""

SECOND = """\
---
title: "AMA with Bea <b>bold</b>"
date: 2026-03-01
---

Second session.

**Legend:**

- B: Bea
- P(n): Participants

---

**P1:** *Hello?*

**B:** Hello there.
"""

SETTINGS = Settings(
    title="Ask Us Anything",
    description="Community AMAs & more.",
    author="The example project",
    base_url="https://user.github.io/repo/",
    language="en-GB",
    image="art/cover.png",
    timezone="UTC",
)


class Page(HTMLParser):
    """A page parsed into what the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.headings: list[tuple[int, str]] = []
        self.text_by_class: dict[str, list[str]] = {}
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self.html_lang = ""
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "html":
            self.html_lang = attributes.get("lang", "")
        if tag not in {"meta", "link", "img", "br", "source", "input", "hr"}:
            self._open.append((tag, attributes, []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, attributes, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            if self._open:
                self._open[-1][2].append("".join(parts))
            if re.fullmatch(r"h[1-6]", open_tag):
                self.headings.append((int(open_tag[1]), text))
            for name in attributes.get("class", "").split():
                self.text_by_class.setdefault(name, []).append(text)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.elements if name == tag]

    def links(self) -> list[str]:
        found = [a["href"] for a in self.all("a") if "href" in a]
        found += [link["href"] for link in self.all("link") if "href" in link]
        found += [
            e["src"]
            for e in self.all("img") + self.all("source") + self.all("script")
            if "src" in e
        ]
        return found


def audio_for(episode: Episode) -> AudioInfo:
    """Audio as rendering would describe it: chapters at the questions, cues per turn."""
    chapters = [Chapter("Introduction", 0.0, 4.0, None)]
    cues = []
    at = 4.0
    for turn in episode.turns:
        cues.append(Cue(at, at + 5.0, turn.speaker, turn.speaker, turn.text, turn.index))
        if turn in episode.questions:
            chapters.append(Chapter(turn.text[:40], at, at + 5.0, turn.index))
        at += 5.0
    slug = episode.slug
    return AudioInfo(
        slug=slug,
        mp3_path=f"audio/{slug}.mp3",
        byte_length=12345,
        duration=at,
        chapters=tuple(chapters),
        cues=tuple(cues),
        sidecars={
            "vtt": f"transcripts/{slug}.vtt",
            "srt": f"transcripts/{slug}.srt",
            "json": f"transcripts/{slug}.json",
            "chapters": f"chapters/{slug}.json",
        },
    )


@pytest.fixture()
def episodes() -> list[Episode]:
    first = parse_episode_text(FIRST, "episodes/first.md")
    second = parse_episode_text(SECOND, "episodes/second.md")
    assert not [d for d in first.diagnostics + second.diagnostics if d.severity == "error"]
    return [first, second]


def files_with_audio(episodes: list[Episode]) -> set[str]:
    """Files the rest of a build puts beside the pages: feeds, cover, audio, sidecars."""
    files = {"atom.xml", "podcast.xml", "cover.png"}
    for episode in episodes:
        info = audio_for(episode)
        files.add(info.mp3_path)
        files.update(info.sidecars.values())
    return files


def resolve(page: str, href: str) -> str | None:
    """The output-relative file a relative link points to; None for absolute or in-page links."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith("#"):
        return None
    target = PurePosixPath(page).parent
    for piece in unquote(parts.path).split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            assert target != PurePosixPath("."), f"{href} climbs out of the site from {page}"
            target = target.parent
        else:
            target = target / piece
    path = target.as_posix()
    if unquote(parts.path).endswith("/") or path == ".":
        path = (target / "index.html").as_posix()
    return path


def test_every_relative_link_resolves(episodes: list[Episode]) -> None:
    audio = {e.slug: audio_for(e) for e in episodes}
    files = render_site(episodes, SETTINGS, audio, None)
    existing = set(files) | files_with_audio(episodes)
    checked = 0
    for path, content in files.items():
        if not path.endswith(".html"):
            continue
        for href in Page(content.decode("utf-8")).links():
            target = resolve(path, href)
            if target is None:
                assert href.startswith(("#", "https://")), href
                continue
            assert target in existing, f"{path}: {href} -> {target} is not in the site"
            checked += 1
    assert checked > 20


def test_absolute_urls_come_from_base_url(episodes: list[Episode]) -> None:
    files = render_site(episodes, SETTINGS, {}, None)
    page = Page(files[episode_page_path(episodes[0].slug)].decode())
    canonical = [link["href"] for link in page.all("link") if link.get("rel") == "canonical"]
    assert canonical == [f"https://user.github.io/repo/episodes/{episodes[0].slug}/"]
    images = [m["content"] for m in page.all("meta") if m.get("property") == "og:image"]
    assert images == ["https://user.github.io/repo/cover.png"]
    for link in page.all("link"):
        if "://" in link["href"]:
            assert link["href"].startswith("https://user.github.io/repo/"), link


def test_index_lists_episodes_newest_first_with_subscribe_links(episodes: list[Episode]) -> None:
    files = render_site(episodes, SETTINGS, {episodes[0].slug: audio_for(episodes[0])}, None)
    index = Page(files["index.html"].decode())
    assert index.html_lang == "en-GB"
    episode_links = [a["href"] for a in index.all("a") if a["href"].startswith("episodes/")]
    assert episode_links == [f"episodes/{episodes[1].slug}/", f"episodes/{episodes[0].slug}/"]
    hrefs = [a["href"] for a in index.all("a")]
    assert "podcast.xml" in hrefs and "atom.xml" in hrefs
    alternates = {
        link["type"]: link["href"] for link in index.all("link") if link.get("rel") == "alternate"
    }
    assert alternates == {"application/rss+xml": "podcast.xml", "application/atom+xml": "atom.xml"}
    (cover,) = index.all("img")
    assert cover["src"] == "cover.png"
    assert cover["alt"] == "Cover art of Ask Us Anything"
    assert index.headings[0] == (1, "Ask Us Anything")
    assert "Community AMAs & more." in index.text_by_class["show-description"]
    times = [t["datetime"] for t in index.all("time")]
    assert times == ["2026-03-01T00:00:00+00:00", "2026-01-10T19:00:00+00:00"]


def test_without_audio_no_page_links_a_podcast_feed(episodes: list[Episode]) -> None:
    # No episode has audio: the build writes no podcast.xml, so no page may link it.
    files = render_site(episodes, SETTINGS, {}, None)
    pages = [path for path in files if path.endswith(".html")]
    assert "index.html" in pages and len(pages) == 1 + len(episodes)
    for path in pages:
        page = Page(files[path].decode())
        hrefs = [a["href"] for a in page.all("a")]
        assert not any(h.endswith("podcast.xml") for h in hrefs), path
        assert any(h.endswith("atom.xml") for h in hrefs), path
        types = [link["type"] for link in page.all("link") if link.get("rel") == "alternate"]
        assert types == ["application/atom+xml"], path


def test_headings_never_skip_a_level(episodes: list[Episode]) -> None:
    audio = {e.slug: audio_for(e) for e in episodes}
    files = render_site(episodes, SETTINGS, audio, None)
    for path, content in files.items():
        if not path.endswith(".html"):
            continue
        levels = [level for level, _ in Page(content.decode()).headings]
        assert levels[0] == 1 and levels.count(1) == 1, path
        for before, after in zip(levels, levels[1:], strict=False):
            assert after <= before + 1, f"{path}: h{before} then h{after}"


def test_episode_page_structure(episodes: list[Episode]) -> None:
    first = episodes[0]
    files = render_site(episodes, SETTINGS, {first.slug: audio_for(first)}, None)
    page = Page(files[episode_page_path(first.slug)].decode())
    assert page.html_lang == "en-GB"
    assert page.headings[0] == (1, "AMA with Ada - compilers")
    sections = [text for level, text in page.headings if level == 2]
    assert sections == [
        "Listen",
        "About this episode",
        "Speakers",
        "Chapters",
        "Transcript",
        "Downloads",
    ]
    (time,) = page.all("time")
    assert time["datetime"] == "2026-01-10T19:00:00+00:00"
    assert page.text_by_class["speaker-name"] == ["Ada", "Hal", "Participants"]
    # The heading inside an answer sits below the turn headings.
    assert (4, "A heading inside an answer") in page.headings


def test_speaker_names_follow_the_turns_in_order(episodes: list[Episode]) -> None:
    first = episodes[0]
    page = Page(render_site([first], SETTINGS, {}, None)[episode_page_path(first.slug)].decode())
    spoken = [text for level, text in page.headings if level == 3]
    assert spoken == ["Hal", "Participant 1", "Ada", "Participant 2", "Ada"]
    turns = [s["id"] for s in page.all("section") if "turn" in s.get("class", "").split()]
    assert turns == [f"turn-{t.index}" for t in first.turns]


def test_audio_player_only_when_audio_exists(episodes: list[Episode]) -> None:
    first, second = episodes
    files = render_site(episodes, SETTINGS, {first.slug: audio_for(first)}, None)
    with_audio = Page(files[episode_page_path(first.slug)].decode())
    (player,) = with_audio.all("audio")
    assert "controls" in player and player["id"] == "player"
    (source,) = with_audio.all("source")
    assert source["src"] == f"../../audio/{first.slug}.mp3"
    assert source["type"] == "audio/mpeg"
    assert [s["src"] for s in with_audio.all("script")] == ["../../player.js"]

    without = Page(files[episode_page_path(second.slug)].decode())
    assert without.all("audio") == []
    assert without.all("script") == []
    assert "Chapters" not in [text for _, text in without.headings]
    assert "Downloads" not in [text for _, text in without.headings]
    assert "player.js" in files


def test_chapter_links_seek_the_player(episodes: list[Episode]) -> None:
    first = episodes[0]
    info = audio_for(first)
    files = render_site([first], SETTINGS, {first.slug: info}, None)
    page = Page(files[episode_page_path(first.slug)].decode())
    seek = [
        a
        for a in page.all("a")
        if "seek" in a.get("class", "").split() and "timestamp" not in a.get("class", "").split()
    ]
    assert [a["href"] for a in seek] == ["#t=0", "#t=9", "#t=19"]
    assert [float(a["data-start"]) for a in seek] == [c.start for c in info.chapters]
    assert page.text_by_class["seek"][:3] == [
        "0:00 Introduction",
        "0:09 Where do I start?",
        "0:19 And after that?",
    ]
    script = files["player.js"].decode()
    assert "currentTime" in script and "#t=" in script


def test_downloads_link_mp3_and_transcripts(episodes: list[Episode]) -> None:
    first = episodes[0]
    files = render_site([first], SETTINGS, {first.slug: audio_for(first)}, None)
    page = Page(files[episode_page_path(first.slug)].decode())
    downloads = [a["href"] for a in page.all("a") if "download" in a]
    slug = first.slug
    assert downloads == [
        f"../../audio/{slug}.mp3",
        f"../../transcripts/{slug}.vtt",
        f"../../transcripts/{slug}.srt",
        f"../../transcripts/{slug}.json",
        f"../../chapters/{slug}.json",
    ]


def test_audio_base_url_hosts_mp3_elsewhere(episodes: list[Episode]) -> None:
    first = episodes[0]
    settings = replace(SETTINGS, audio_base_url="https://cdn.example.org/releases/")
    files = render_site([first], settings, {first.slug: audio_for(first)}, None)
    page = Page(files[episode_page_path(first.slug)].decode())
    assert page.all("source")[0]["src"] == f"https://cdn.example.org/releases/{first.slug}.mp3"


def test_script_in_a_transcript_never_reaches_the_page(episodes: list[Episode]) -> None:
    files = render_site(episodes, SETTINGS, {}, None)
    for path, content in files.items():
        if path.endswith(".html"):
            text = content.decode()
            assert "<script>" not in text and "alert(" not in text, path
            assert "onerror" not in text, path
    page = Page(files[episode_page_path(episodes[0].slug)].decode())
    assert page.all("script") == []
    assert "Ada Read Crafting Interpreters." in " ".join(page.text_by_class["turn"])


def test_titles_are_escaped(episodes: list[Episode]) -> None:
    files = render_site(episodes, SETTINGS, {}, None)
    text = files[episode_page_path(episodes[1].slug)].decode()
    assert "<b>bold</b>" not in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text


def test_sanitize_html_keeps_markup_and_moves_headings() -> None:
    cleaned = sanitize_html('<h1 id="x">T</h1><p onclick="x()"><em>a</em></p><iframe></iframe>')
    assert str(cleaned) == "<h4>T</h4><p><em>a</em></p>"
    assert str(sanitize_html("<h2>a</h2><h3>b</h3>", top=3)) == "<h3>a</h3><h4>b</h4>"
    assert str(sanitize_html("<h1>a</h1><h6>deep</h6>")) == "<h4>a</h4><h6>deep</h6>"


def test_format_duration() -> None:
    assert format_duration(0) == "0:00"
    assert format_duration(75.4) == "1:15"
    assert format_duration(3723) == "1:02:03"


def test_user_template_overrides_the_packaged_one(episodes: list[Episode], tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Custom {{ site.title }}</h1>'
        "{% endblock %}",
        encoding="utf-8",
    )
    (templates / "style.css").write_text("body { color: red; }\n", encoding="utf-8")
    files = render_site(episodes, SETTINGS, {}, templates)
    index = Page(files["index.html"].decode())
    assert index.headings == [(1, "Custom Ask Us Anything")]
    assert files["style.css"] == b"body { color: red; }\n"
    # The episode pages still use the packaged template.
    page = Page(files[episode_page_path(episodes[0].slug)].decode())
    assert page.headings[0] == (1, "AMA with Ada - compilers")


def test_missing_template_folder_falls_back(episodes: list[Episode], tmp_path: Path) -> None:
    files = render_site(episodes, SETTINGS, {}, tmp_path / "no-such-folder")
    assert set(files) == {
        "index.html",
        "style.css",
        "player.js",
        "favicon.svg",
        *(episode_page_path(e.slug) for e in episodes),
    }


def test_output_is_deterministic(episodes: list[Episode]) -> None:
    audio = {e.slug: audio_for(e) for e in episodes}
    once = render_site(episodes, SETTINGS, audio, None)
    again = render_site(list(reversed(episodes)), SETTINGS, dict(reversed(audio.items())), None)
    assert once == again
    # Another episode changes the index but not the pages of the others.
    third = parse_episode_text(SECOND.replace("AMA with Bea", "AMA with Cy"), "episodes/third.md")
    more = render_site([*episodes, third], SETTINGS, audio, None)
    assert more[episode_page_path(episodes[0].slug)] == once[episode_page_path(episodes[0].slug)]
    assert more["index.html"] != once["index.html"]


def test_empty_site_renders() -> None:
    files = render_site([], SETTINGS, {}, None)
    index = Page(files["index.html"].decode())
    assert "No episodes yet." in files["index.html"].decode()
    assert index.headings[0] == (1, "Ask Us Anything")


def test_real_seed_transcript_renders() -> None:
    seed = SEEDS / "000_318488fdd57dc492.txt"
    if not seed.is_file():
        pytest.skip(f"seed transcripts not present at {SEEDS}")
    episode = parse_episode(seed)
    files = render_site([episode], SETTINGS, {episode.slug: audio_for(episode)}, None)
    page = Page(files[episode_page_path(episode.slug)].decode())
    assert page.text_by_class["speaker-name"] == ["Sayak", "Participants"]
    spoken = [text.split(" ")[0] for level, text in page.headings if level == 3]
    assert spoken.count("Sayak") == sum(1 for t in episode.turns if t.speaker == "S")
    assert len(page.all("section")) >= len(episode.turns)


@pytest.mark.parametrize("with_audio", [False, True])
def test_rendering_some_pages_leaves_the_rest_out_and_the_index_whole(
    episodes: list[Episode], with_audio: bool
) -> None:
    audio = {e.slug: audio_for(e) for e in episodes} if with_audio else {}
    everything = render_site(episodes, SETTINGS, audio, None)
    chosen = episodes[0].slug
    some = render_site(episodes, SETTINGS, audio, None, pages={chosen})
    others = {episode_page_path(e.slug) for e in episodes if e.slug != chosen}
    assert set(some) == set(everything) - others
    assert some == {name: everything[name] for name in some}
    assert render_site(episodes, SETTINGS, audio, None, pages=set()) == {
        name: content for name, content in everything.items() if not name.startswith("episodes/")
    }


def test_a_user_index_sees_every_episode_in_full_when_pages_are_limited(
    episodes: list[Episode], tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text(
        "{% for episode in episodes %}{{ episode.turns | length }};{% endfor %}", encoding="utf-8"
    )
    full = render_site(episodes, SETTINGS, {}, templates)
    assert (
        render_site(episodes, SETTINGS, {}, templates, pages=set())["index.html"]
        == (full["index.html"])
    )
    assert full["index.html"] != b"0;" * len(episodes)
