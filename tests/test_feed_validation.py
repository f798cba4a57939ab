"""The feeds of the example project, built with real audio, as the outside world checks them.

- the W3C Feed Validation Service (its source in ``../shared/tools/feedvalidator``,
  run offline in this process): no error, no warning;
- podcastparser and feedparser (what gPodder and most readers use);
- the Podcast Index's own parser, ``podcast-partytime`` (npm), under Node.js from
  ``tests/node`` (installed there from its package-lock.json, as the workflow lint is);
- the caption files and the HTML transcript of each rendered episode, parsed with
  webvtt-py, srt and lxml.

The audio is the example project's, narrated by a tone engine (``engine_probe``)
through the real renderer: real MP3s, real timings, real sidecars.
"""

from __future__ import annotations

import dataclasses
import html
import importlib
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import feedparser
import lxml.etree
import lxml.html
import podcastparser
import pytest
import srt
import webvtt
from engine_probe import tone_factory

from amacast.audio.jobs import render_episodes
from amacast.audio.plan import PodcastMeta
from amacast.audio.render import RenderSettings
from amacast.audio.voices import assign_voices
from amacast.build.pipeline import build_all
from amacast.config import Settings, load_settings
from amacast.config.show_options import FundingSetting, PersonSetting
from amacast.feeds import build_feeds
from amacast.feeds.podcast_namespace import PODCAST_NS
from amacast.model import AudioInfo
from amacast.transcript.parse import parse_episode_text
from tests.conftest import SHARED, node_script
from tests.test_publish import example_project

FEEDVALIDATOR = SHARED / "tools" / "feedvalidator" / "src"
NS = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "podcast": PODCAST_NS}


@dataclass(frozen=True)
class Built:
    """The example project published with audio."""

    output: Path
    settings: Settings


def _tone_renderer(cache: Path) -> Any:
    def render(episodes: Any, settings: Settings, output: Path) -> dict[str, AudioInfo]:
        audio, _ = RenderSettings.from_table(settings.audio)
        voices = {e.slug: assign_voices(e, settings.voices, audio.engine)[0] for e in episodes}
        return render_episodes(
            episodes,
            voices,
            audio,
            output,
            cache,
            podcast=PodcastMeta(settings.title, settings.author),
            engine_factory=tone_factory,
        )

    return render


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("example")
    project = example_project(root)
    output = project / "output"
    result = build_all(project, output, audio=True, renderer=_tone_renderer(root / "segments"))
    assert result.ok, result.diagnostics
    settings, problems = load_settings(project)
    assert not [p for p in problems if p.severity == "error"]
    return Built(output, settings)


@pytest.fixture(scope="module")
def feedvalidator() -> Iterator[ModuleType]:
    """The W3C Feed Validation Service's package, from ../shared (skips when absent)."""
    if not (FEEDVALIDATOR / "feedvalidator" / "__init__.py").is_file():
        pytest.skip(f"the W3C feed validator is not present at {FEEDVALIDATOR} (../shared absent)")
    sys.path.insert(0, str(FEEDVALIDATOR))
    try:
        yield importlib.import_module("feedvalidator")
    finally:
        sys.path.remove(str(FEEDVALIDATOR))


def w3c_problems(validator: ModuleType, xml: bytes, url: str) -> list[str]:
    """Every error and warning the W3C validator logs for a feed served at ``url``."""
    events = validator.validateString(xml.decode("utf-8"), firstOccurrenceOnly=1, base=url)
    logging = validator.logging
    return [
        f"{type(event).__name__} {event.params.get('element', '')} line {event.params.get('line')}"
        for event in events["loggedEvents"]
        if isinstance(event, (logging.Error, logging.Warning))
    ]


# -- the W3C Feed Validation Service --------------------------------------------------------


def test_the_podcast_feed_with_audio_passes_the_w3c_validator(
    built: Built, feedvalidator: ModuleType
) -> None:
    xml = (built.output / "podcast.xml").read_bytes()
    assert xml.count(b"<item>") == 3  # the example's three published episodes, all with audio
    assert w3c_problems(feedvalidator, xml, built.settings.feed_url) == []


def test_the_atom_feed_passes_the_w3c_validator(built: Built, feedvalidator: ModuleType) -> None:
    xml = (built.output / "atom.xml").read_bytes()
    assert w3c_problems(feedvalidator, xml, built.settings.atom_url) == []


def test_the_validator_finds_what_feedgen_wrote_before(
    built: Built, feedvalidator: ModuleType
) -> None:
    # The check can fail: feedgen's own itunes:explicit ("no") is an error to it.
    xml = (built.output / "podcast.xml").read_bytes()
    old = xml.replace(b"<itunes:explicit>false<", b"<itunes:explicit>no<", 1)
    assert old != xml
    problems = w3c_problems(feedvalidator, old, built.settings.feed_url)
    assert [p.rsplit(" line ", 1)[0] for p in problems] == ["InvalidTrueFalse itunes:explicit"]


def every_tag() -> tuple[bytes, Settings]:
    """A podcast feed with every optional tag amacast writes."""
    settings = Settings(
        title="Every Tag",
        description="A show that uses every setting.",
        author="The Hosts",
        owner_email="owner@example.org",
        base_url="https://new.example.org/show/",
        image="https://new.example.org/show/cover.png",
        category="Technology",
        explicit=True,
        copyright="© 2026 The Hosts, CC BY 4.0",
        hosts=(
            PersonSetting(
                "Hema Iyer", "https://hema.example.org/", "https://hema.example.org/h.jpg"
            ),
            PersonSetting("Kofi Mensah"),
        ),
        funding=(FundingSetting("https://new.example.org/support", "Support the show"),),
        medium="podcast",
        previous_base_urls=("https://old.example.org/show/",),
        complete=True,
        block=True,
    )
    episode = parse_episode_text(
        """---
title: "AMA with Sunil Rao"
date: 2026-03-14T16:00:00+05:30
image: https://new.example.org/show/sunil.jpg
explicit: false
people:
  S: {name: Sunil Rao, href: "https://sunil.example.org/", img: "https://sunil.example.org/s.png"}
  H: Hema Iyer
soundbites:
  - {start: 3.5, duration: 20, title: "The first ten minutes"}
---

Sunil keeps [payments](https://pay.example.org/) running.

**Legend:**

- S: Sunil
- H: Hema (host)
- P(n): Participants

---

**P1:** *What happens first?*

**S:** We acknowledge the page.
""",
        "episodes/sunil.md",
    )
    assert [d for d in episode.diagnostics if d.severity != "info"] == []
    audio = AudioInfo(
        slug=episode.slug,
        mp3_path=f"audio/{episode.slug}.mp3",
        byte_length=123_456,
        duration=60.0,
        sidecars={
            "vtt": f"transcripts/{episode.slug}.vtt",
            "html": f"transcripts/{episode.slug}.html",
        },
    )
    feeds = build_feeds([episode], settings, {episode.slug: audio})
    assert feeds.podcast is not None and feeds.notes == []
    return feeds.podcast, settings


def test_a_feed_with_every_optional_tag_passes_the_w3c_validator(
    feedvalidator: ModuleType,
) -> None:
    xml, settings = every_tag()
    # Apple documents itunes:complete; the validator's itunes list predates it.
    problems = w3c_problems(feedvalidator, xml, settings.feed_url)
    assert [p.rsplit(" line ", 1)[0] for p in problems] == ["UndefinedElement itunes:complete"]
    without = xml.replace(b"    <itunes:complete>yes</itunes:complete>\n", b"")
    assert without != xml
    assert w3c_problems(feedvalidator, without, settings.feed_url) == []


def test_every_optional_tag_is_written() -> None:
    xml, settings = every_tag()
    channel = lxml.etree.fromstring(xml).find("channel")
    assert channel is not None

    def texts(path: str, node: Any = channel) -> list[str]:
        return [e.text for e in node.xpath(path, namespaces=NS)]

    assert texts("itunes:explicit") == ["true"]
    assert texts("itunes:new-feed-url") == ["https://new.example.org/show/podcast.xml"]
    assert texts("itunes:complete") == ["yes"] and texts("itunes:block") == ["yes"]
    assert texts("podcast:license") == ["cc-by-4.0"]
    funding = channel.xpath("podcast:funding", namespaces=NS)
    assert [(f.get("url"), f.text) for f in funding] == [
        ("https://new.example.org/support", "Support the show")
    ]
    hosts = [
        (p.text, p.get("role"), p.get("href"), p.get("img"))
        for p in channel.xpath("podcast:person", namespaces=NS)
    ]
    assert hosts == [
        ("Hema Iyer", "host", "https://hema.example.org/", "https://hema.example.org/h.jpg"),
        ("Kofi Mensah", "host", None, None),
    ]
    # The show moved: its GUID stays the one its first address gave it.
    assert texts("podcast:guid") == [
        dataclasses.replace(
            settings, base_url="https://old.example.org/show/", previous_base_urls=()
        ).podcast_guid
    ]
    item = channel.find("item")
    assert item is not None
    assert texts("itunes:explicit", item) == ["false"]
    assert item.xpath("itunes:image/@href", namespaces=NS) == [
        "https://new.example.org/show/sunil.jpg"
    ]
    soundbite = item.xpath("podcast:soundbite", namespaces=NS)
    assert [(s.get("startTime"), s.get("duration"), s.text) for s in soundbite] == [
        ("3.5", "20.0", "The first ten minutes")
    ]
    people = [
        (p.text, p.get("role"), p.get("href"), p.get("img"))
        for p in item.xpath("podcast:person", namespaces=NS)
    ]
    assert people == [
        ("Sunil Rao", "guest", "https://sunil.example.org/", "https://sunil.example.org/s.png"),
        ("Hema Iyer", "host", None, None),
    ]
    assert [t.get("type") for t in item.xpath("podcast:transcript", namespaces=NS)] == [
        "text/vtt",
        "text/html",
    ]


# -- podcastparser and feedparser --------------------------------------------------------------


def test_podcastparser_and_feedparser_read_every_episode(built: Built) -> None:
    xml = (built.output / "podcast.xml").read_bytes()
    parsed = podcastparser.parse(built.settings.feed_url, io.BytesIO(xml))
    assert parsed["explicit"] is False
    episodes = parsed["episodes"]
    assert [e["number"] for e in episodes] == [3, 2, 1]
    for episode in episodes:
        (enclosure,) = episode["enclosures"]
        relative = enclosure["url"].removeprefix(built.settings.base_url)
        assert enclosure["file_size"] == (built.output / relative).stat().st_size
        assert episode["explicit"] is False
        assert episode["total_time"] > 0
    sunil = episodes[0]
    assert '<a href="https://sunil-rao.example.org/"' in sunil["description_html"]
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.bozo_exception
    assert [e.itunes_episode for e in feed.entries] == ["3", "2", "1"]


# -- the Podcast Index's parser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def partytime() -> Path:
    """The partytime script with its npm dependency installed; skips without node/npm."""
    return node_script(
        "podcast-partytime/package.json", "partytime.mjs", "to run the Podcast Index's partytime"
    )


def run_partytime(script: Path, *files: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["node", str(script), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    parsed = json.loads(result.stdout)
    assert isinstance(parsed, list)
    return parsed


def test_podcast_partytime_reads_every_podcast_tag(built: Built, partytime: Path) -> None:
    (feed,) = run_partytime(partytime, built.output / "podcast.xml")
    assert feed is not None
    assert feed["guid"] == built.settings.podcast_guid
    assert feed["explicit"] is False and feed["medium"] == "podcast"
    assert feed["license"]["identifier"] == "cc-by-sa-4.0"
    assert [item["itunesEpisode"] for item in feed["items"]] == [3, 2, 1]
    sunil = feed["items"][0]
    assert [t["type"] for t in sunil["podcastTranscripts"]] == [
        "text/vtt",
        "text/html",
        "application/srt",
        "application/json",
    ]
    assert [(p["name"], p["role"]) for p in sunil["podcastPeople"]] == [
        ("Sunil Rao", "Guest"),
        ("Hema", "Host"),
    ]
    assert sunil["podcastChapters"]["type"] == "application/json+chapters"


def test_podcast_partytime_reads_every_optional_tag(tmp_path: Path, partytime: Path) -> None:
    xml, settings = every_tag()
    (tmp_path / "podcast.xml").write_bytes(xml)
    (feed,) = run_partytime(partytime, tmp_path / "podcast.xml")
    assert feed["explicit"] is True and feed["itunesComplete"] is True
    assert feed["itunesNewFeedUrl"] == settings.feed_url
    assert feed["podcastFunding"] == [
        {"url": "https://new.example.org/support", "message": "Support the show"}
    ]
    assert [p["name"] for p in feed["podcastPeople"]] == ["Hema Iyer", "Kofi Mensah"]
    (item,) = feed["items"]
    assert item["explicit"] is False
    assert item["image"] == "https://new.example.org/show/sunil.jpg"
    assert item["podcastSoundbites"] == [
        {"startTime": 3.5, "duration": 20, "title": "The first ten minutes"}
    ]
    assert item["podcastPeople"][0] == {
        "name": "Sunil Rao",
        "role": "Guest",
        "group": "Cast",
        "img": "https://sunil.example.org/s.png",
        "href": "https://sunil.example.org/",
    }


# -- the sidecars of the rendered episodes ------------------------------------------------------


def _infos(built: Built) -> list[AudioInfo]:
    from amacast.audio.sidecars import load_audio_info

    slugs = sorted(p.stem for p in (built.output / "audio").glob("*.mp3"))
    infos = [load_audio_info(built.output, slug) for slug in slugs]
    assert len(infos) == 3 and all(info is not None for info in infos)
    return [info for info in infos if info is not None]


def _segments(built: Built, info: AudioInfo) -> list[dict[str, Any]]:
    data = json.loads((built.output / info.sidecars["json"]).read_text(encoding="utf-8"))
    segments = data["segments"]
    assert isinstance(segments, list) and segments
    return segments


def test_webvtt_cues_respect_the_limits_and_name_each_paragraphs_speaker(built: Built) -> None:
    for info in _infos(built):
        cues = webvtt.read(str(built.output / info.sidecars["vtt"])).captions
        assert len(cues) > len(_segments(built, info))  # long paragraphs were cut
        for cue in cues:
            lines = html.unescape(cue.text).split("\n")
            assert 1 <= len(lines) <= 2, cue.text
            assert max(len(line) for line in lines) <= 65, cue.text
            assert cue.start < cue.end  # HH:MM:SS.mmm strings order as times
        # Each paragraph's cues, joined, are its text; its first cue names the speaker.
        raw = (built.output / info.sidecars["vtt"]).read_text(encoding="utf-8")
        voiced = [line for line in raw.splitlines() if line.startswith("<v ")]
        segments = _segments(built, info)
        assert len(voiced) == len(segments)
        assert [v[3 : v.index(">")] for v in voiced] == [s["speaker"] for s in segments]
        spoken = " ".join(" ".join(html.unescape(c.text).split()) for c in cues)
        assert spoken == " ".join(" ".join(s["body"].split()) for s in segments)


def test_srt_cards_respect_the_limits_and_name_each_paragraphs_speaker(built: Built) -> None:
    for info in _infos(built):
        text = (built.output / info.sidecars["srt"]).read_text(encoding="utf-8")
        cards = list(srt.parse(text))
        segments = _segments(built, info)
        assert len(cards) > len(segments)
        for card in cards:
            lines = card.content.split("\n")
            assert 1 <= len(lines) <= 2, card.content
            assert max(len(line) for line in lines) <= 32, card.content
        named = [
            c for c in cards if any(c.content.startswith(s["speaker"] + ": ") for s in segments)
        ]
        assert len(named) == len(segments)
        # The cards follow one another and span the paragraphs' time, to the millisecond.
        assert all(a.end <= b.start for a, b in zip(cards, cards[1:], strict=False))
        assert abs(cards[0].start.total_seconds() - segments[0]["startTime"]) < 0.002
        assert abs(cards[-1].end.total_seconds() - segments[-1]["endTime"]) < 0.002


def test_the_html_transcript_is_a_bare_document_of_cite_time_and_p(built: Built) -> None:
    for info in _infos(built):
        page = (built.output / info.sidecars["html"]).read_text(encoding="utf-8")
        tree = lxml.html.document_fromstring(page)
        body = tree.find("body")
        assert body is not None
        assert {e.tag for e in body} == {"cite", "time", "p"}
        assert len(body.findall("cite")) == len(body.findall("time"))
        segments = _segments(built, info)
        assert [p.text_content() for p in body.iter("p")] == [s["body"] for s in segments]
        assert "<header" not in page and "<nav" not in page


def test_rendered_episodes_list_every_sidecar_in_the_feed(built: Built) -> None:
    channel = lxml.etree.fromstring((built.output / "podcast.xml").read_bytes()).find("channel")
    assert channel is not None
    for item in channel.findall("item"):
        urls = item.xpath("podcast:transcript/@url", namespaces=NS)
        assert [u.rsplit(".", 1)[1] for u in urls] == ["vtt", "html", "srt", "json"]
        for url in urls:
            assert (built.output / url.removeprefix("https://example.github.io/amacast/")).is_file()


def test_legend_links_give_the_person_a_page(built: Built) -> None:
    channel = lxml.etree.fromstring((built.output / "podcast.xml").read_bytes()).find("channel")
    assert channel is not None
    people = channel.xpath("item/podcast:person[@role='guest']", namespaces=NS)
    assert ("Sunil Rao", "https://sunil-rao.example.org/") in [
        (p.text, p.get("href")) for p in people
    ]
