"""Atom and podcast feeds, read back with real clients: feedparser, podcastparser, lxml."""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import podcastparser
import pytest

from amacast.config import Settings, podcast_guid_for_url
from amacast.config.show_options import FundingSetting, PersonSetting
from amacast.feeds import Feeds, build_feeds, episode_guid
from amacast.feeds.metadata import license_of
from amacast.feeds.podcast_namespace import PODCAST_NS
from amacast.markup import transcript_html
from amacast.model import AudioInfo, Episode, Listing
from amacast.transcript.parse import parse_episode, parse_episode_text
from tests.conftest import FOSSASSAM, fossassam

GOLDEN = Path(__file__).resolve().parent / "golden"

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": PODCAST_NS,
}

SETTINGS = Settings(
    title="Ask Us Anything",
    description="Community AMA sessions.",
    author="The Hosts",
    owner_name="Owner",
    owner_email="owner@example.org",
    base_url="https://example.github.io/amacast/",
    language="en",
    image="cover.png",
    category="Education",
    subcategory="How To",
    explicit=False,
    copyright="CC BY-SA 4.0",
    timezone="Asia/Kolkata",
    type="episodic",
    locked=True,
)


def transcript(
    title: str = "AMA with Ann",
    date: str = "2026-01-17T18:00:00+05:30",
    slug: str = "ama-with-ann",
    body: str = "Ann answers.",
    extra: str = "",
) -> str:
    """A small transcript with a guest, a host and two participants."""
    return f"""---
title: {title!r}
date: {date}
slug: {slug}
description: "Ann on testing."
{extra}---

An introduction with a [link](https://example.org/ann).

**Legend:**

- A: Ann (guest)
- H: Hal (host)
- P(n): Participants

---

**H:** Welcome, Ann.

**P1:** *What do you test first?*

**A:** {body}

- lists survive
- [links too](https://example.org/list)

**P2:** *And then?*

**A:** The rest.
"""


def episode(path: str = "episodes/ann.md", **kwargs: str) -> Episode:
    parsed = parse_episode_text(transcript(**kwargs), path)
    assert [d for d in parsed.diagnostics if d.severity == "error"] == []
    return parsed


def audio_for(ep: Episode, sidecars: Mapping[str, str] | None = None) -> AudioInfo:
    if sidecars is None:
        sidecars = {
            "vtt": f"transcripts/{ep.slug}.vtt",
            "html": f"transcripts/{ep.slug}.html",
            "srt": f"transcripts/{ep.slug}.srt",
            "json": f"transcripts/{ep.slug}.json",
            "chapters": f"transcripts/{ep.slug}.chapters.json",
        }
    return AudioInfo(
        slug=ep.slug,
        mp3_path=f"audio/{ep.slug}.mp3",
        byte_length=1_234_567,
        duration=3723.4,
        sidecars=dict(sidecars),
    )


def two_episodes() -> list[Episode]:
    return [
        episode("episodes/ann.md"),
        episode(
            "episodes/bob.md",
            title="AMA with Bob",
            slug="ama-with-bob",
            date="2026-02-14T10:00:00-05:00",
        ),
    ]


def build(
    episodes: Sequence[Episode],
    settings: Settings = SETTINGS,
    with_audio: bool = True,
) -> Feeds:
    audio = {e.slug: audio_for(e) for e in episodes} if with_audio else {}
    return build_feeds(episodes, settings, audio)


def podcast_of(feeds: Feeds) -> bytes:
    """The podcast feed's bytes (there is one: the test gave an episode audio)."""
    assert feeds.podcast is not None
    return feeds.podcast


def strict_xml(data: bytes) -> lxml.etree._Element:
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    return lxml.etree.fromstring(data, parser)


# -- real clients ---------------------------------------------------------------------------


def test_atom_reads_cleanly_in_feedparser() -> None:
    feeds = build(two_episodes())
    parsed = feedparser.parse(feeds.atom)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Ask Us Anything"
    assert [e.title for e in parsed.entries] == ["AMA with Bob", "AMA with Ann"]
    bob, ann = parsed.entries
    assert ann.id == uuid.UUID(episode_guid(two_episodes()[0], SETTINGS)).urn
    assert ann.link == "https://example.github.io/amacast/episodes/ama-with-ann/"
    assert ann.summary == "Ann on testing."
    assert ann.author == "The Hosts"
    assert ann.published_parsed[:5] == (2026, 1, 17, 12, 30)
    assert ann.updated_parsed[:5] == (2026, 1, 17, 12, 30)
    assert [(e.href, e.length, e.type) for e in ann.enclosures] == [
        ("https://example.github.io/amacast/audio/ama-with-ann.mp3", "1234567", "audio/mpeg")
    ]
    content = ann.content[0]
    assert content.type == "text/html"
    assert "<strong>Ann:</strong>" in content.value and "<strong>Hal:</strong>" in content.value
    assert "<li>lists survive</li>" in content.value
    assert '<a href="https://example.org/list"' in content.value


def test_podcast_reads_cleanly_in_feedparser_and_podcastparser() -> None:
    feeds = build(two_episodes())
    parsed = feedparser.parse(podcast_of(feeds))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.podcast_guid == SETTINGS.podcast_guid
    assert [e.title for e in parsed.entries] == ["AMA with Bob", "AMA with Ann"]
    assert parsed.entries[1].itunes_duration == "1:02:03"

    podcast = podcastparser.parse(SETTINGS.feed_url, io.BytesIO(podcast_of(feeds)))
    assert podcast["title"] == "Ask Us Anything"
    assert podcast["cover_url"] == "https://example.github.io/amacast/cover.png"
    assert podcast["type"] == "episodic"
    assert podcast["explicit"] is False
    assert podcast["itunes_categories"] == [["Education", "How To"]]
    assert podcast["itunes_owner"] == {"name": "Owner", "email": "owner@example.org"}
    episodes = podcast["episodes"]
    assert [e["title"] for e in episodes] == ["AMA with Bob", "AMA with Ann"]
    for item in episodes:
        assert item["total_time"] == 3723
        assert item["number"] in (1, 2)
        assert item["guid"] and item["link"].startswith(SETTINGS.base_url + "episodes/")
        assert [(e["url"], e["file_size"], e["mime_type"]) for e in item["enclosures"]] == [
            (
                SETTINGS.base_url + f"audio/{item['link'].rstrip('/').rsplit('/', 1)[1]}.mp3",
                1_234_567,
                "audio/mpeg",
            )
        ]


def test_both_feeds_are_strictly_well_formed() -> None:
    feeds = build(two_episodes())
    assert strict_xml(feeds.atom).tag == "{http://www.w3.org/2005/Atom}feed"
    assert strict_xml(podcast_of(feeds)).tag == "rss"


# -- every tag the issue lists -------------------------------------------------------------


def test_podcast_channel_tags() -> None:
    rss = strict_xml(podcast_of(build(two_episodes())))
    channel = rss.find("channel")
    assert channel is not None

    def one(path: str) -> lxml.etree._Element:
        found = channel.xpath(path, namespaces=NS)
        assert len(found) == 1, path
        return found[0]

    assert one("title").text == "Ask Us Anything"
    assert one("description").text == "Community AMA sessions."
    assert one("link").text == "https://example.github.io/amacast/"
    assert one("language").text == "en"
    assert one("itunes:image").get("href") == "https://example.github.io/amacast/cover.png"
    category = one("itunes:category")
    assert category.get("text") == "Education"
    assert category.find("itunes:category", NS).get("text") == "How To"
    assert one("itunes:explicit").text == "false"
    assert one("itunes:author").text == "The Hosts"
    assert one("itunes:owner/itunes:name").text == "Owner"
    assert one("itunes:owner/itunes:email").text == "owner@example.org"
    assert one("itunes:type").text == "episodic"
    assert one("podcast:guid").text == podcast_guid_for_url(
        "https://example.github.io/amacast/podcast.xml"
    )
    locked = one("podcast:locked")
    assert (locked.text, locked.get("owner")) == ("yes", "owner@example.org")
    self_link = one("atom:link[@rel='self']")
    assert self_link.attrib == {
        "href": SETTINGS.feed_url,
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert one("copyright").text == "CC BY-SA 4.0"
    assert one("podcast:license").text == "cc-by-sa-4.0"
    assert one("podcast:medium").text == "podcast"
    for absent in ("itunes:new-feed-url", "itunes:complete", "itunes:block"):
        assert channel.xpath(absent, namespaces=NS) == [], absent
    assert channel.xpath("podcast:person | podcast:funding", namespaces=NS) == []
    assert one("lastBuildDate").text == "Sat, 14 Feb 2026 10:00:00 -0500"


def test_podcast_item_tags() -> None:
    ann = episode()
    rss = strict_xml(podcast_of(build([ann])))
    items = rss.findall("channel/item")
    assert len(items) == 1
    item = items[0]

    def one(path: str) -> lxml.etree._Element:
        found = item.xpath(path, namespaces=NS)
        assert len(found) == 1, path
        return found[0]

    assert one("title").text == "AMA with Ann"
    guid = one("guid")
    assert guid.get("isPermaLink") == "false" and guid.text == episode_guid(ann, SETTINGS)
    assert one("pubDate").text == "Sat, 17 Jan 2026 18:00:00 +0530"
    enclosure = one("enclosure")
    assert enclosure.attrib == {
        "url": "https://example.github.io/amacast/audio/ama-with-ann.mp3",
        "length": "1234567",
        "type": "audio/mpeg",
    }
    assert one("itunes:duration").text == "1:02:03"
    assert one("itunes:episode").text == "1"
    description = lxml.html.fragment_fromstring(one("description").text, create_parent="div")
    assert [p.text_content() for p in description.iter("p")] == [
        "Ann on testing.",
        "An introduction with a link.",
    ]
    assert [a.get("href") for a in description.iter("a")] == ["https://example.org/ann"]
    assert item.xpath("itunes:explicit | itunes:image | podcast:soundbite", namespaces=NS) == []
    transcripts = [
        (t.get("url"), t.get("type"), t.get("language"), t.get("rel"))
        for t in item.xpath("podcast:transcript", namespaces=NS)
    ]
    base = SETTINGS.base_url
    # WebVTT first: Apple Podcasts ingests it.
    assert transcripts == [
        (base + "transcripts/ama-with-ann.vtt", "text/vtt", "en", "captions"),
        (base + "transcripts/ama-with-ann.html", "text/html", "en", None),
        (base + "transcripts/ama-with-ann.srt", "application/x-subrip", "en", "captions"),
        (base + "transcripts/ama-with-ann.json", "application/json", "en", None),
    ]
    chapters = one("podcast:chapters")
    assert chapters.attrib == {
        "url": base + "transcripts/ama-with-ann.chapters.json",
        "type": "application/json+chapters",
    }
    persons = [
        (p.text, p.get("role"), p.get("group")) for p in item.xpath("podcast:person", namespaces=NS)
    ]
    # Participants are nameless audience members: no podcast:person for them.
    assert persons == [("Ann", "guest", "cast"), ("Hal", "host", "cast")]


def test_without_sidecars_no_transcript_is_listed() -> None:
    # The episode page is no transcript of the spec's format: only sidecars are listed.
    ann = episode()
    feeds = build_feeds([ann], SETTINGS, {ann.slug: audio_for(ann, sidecars={})})
    assert feeds.podcast is not None
    item = strict_xml(podcast_of(feeds)).find("channel/item")
    assert item is not None
    assert item.xpath("podcast:transcript | podcast:chapters", namespaces=NS) == []


def test_atom_entry_tags() -> None:
    feed = strict_xml(build([episode()]).atom)
    entry = feed.find("atom:entry", NS)
    assert entry is not None
    for path in (
        "atom:id",
        "atom:title",
        "atom:published",
        "atom:updated",
        "atom:author/atom:name",
        "atom:summary",
        "atom:content[@type='html']",
        "atom:link[@rel='alternate']",
        "atom:link[@rel='enclosure'][@length='1234567'][@type='audio/mpeg']",
    ):
        assert len(entry.xpath(path, namespaces=NS)) == 1, path
    assert feed.find("atom:updated", NS).text == "2026-01-17T18:00:00+05:30"


def test_season_and_explicit_episode_number_from_front_matter() -> None:
    ann = episode(extra="episode: 7\nseason: 2\n")
    bob = episode("episodes/bob.md", slug="bob", date="2026-03-01T10:00:00Z")
    podcast = strict_xml(podcast_of(build([ann, bob])))
    numbers = [i.findtext("itunes:episode", namespaces=NS) for i in podcast.iter("item")]
    seasons = [i.findtext("itunes:season", namespaces=NS) for i in podcast.iter("item")]
    # Newest first; without `episode` the number is the position by date.
    assert numbers == ["2", "7"] and seasons == [None, "2"]


# -- identity -----------------------------------------------------------------------------------


def test_rebuilds_are_byte_identical() -> None:
    first = build(two_episodes())
    second = build(two_episodes())
    assert first.atom == second.atom and podcast_of(first) == podcast_of(second)


def test_guids_do_not_change_when_the_body_is_edited() -> None:
    before = episode()
    after = episode(body="Ann answers, and now says much more about <em>everything</em>.")
    assert before.source_hash != after.source_hash
    assert episode_guid(before, SETTINGS) == episode_guid(after, SETTINGS)
    old = feedparser.parse(build([before]).atom).entries[0]
    new = feedparser.parse(build([after]).atom).entries[0]
    assert old.id == new.id and old.content[0].value != new.content[0].value
    old_item = podcastparser.parse("x", io.BytesIO(podcast_of(build([before]))))["episodes"][0]
    new_item = podcastparser.parse("x", io.BytesIO(podcast_of(build([after]))))["episodes"][0]
    assert old_item["guid"] == new_item["guid"]


def test_guids_are_unique() -> None:
    episodes = [episode(f"episodes/{n}.md", slug=f"ep-{n}", title=f"Ep {n}") for n in range(20)]
    parsed = feedparser.parse(build(episodes).atom)
    ids = [e.id for e in parsed.entries]
    assert len(ids) == 20 and len(set(ids)) == 20
    guids = [
        e["guid"]
        for e in podcastparser.parse("x", io.BytesIO(podcast_of(build(episodes))))["episodes"]
    ]
    assert len(set(guids)) == 20


def test_explicit_front_matter_guid_wins() -> None:
    ann = episode(extra='guid: "tag:example.org,2026:ann"\n')
    feeds = build([ann])
    assert feedparser.parse(feeds.atom).entries[0].id == "tag:example.org,2026:ann"
    item = strict_xml(podcast_of(feeds)).find("channel/item/guid")
    assert item is not None and item.text == "tag:example.org,2026:ann"


def test_episode_guid_derives_from_the_podcast_guid_and_slug() -> None:
    ann = episode()
    expected = uuid.uuid5(uuid.UUID(SETTINGS.podcast_guid), "ama-with-ann")
    assert episode_guid(ann, SETTINGS) == str(expected)
    pinned = Settings(base_url="https://elsewhere.example.org/", guid=SETTINGS.podcast_guid)
    assert episode_guid(ann, pinned) == str(expected)


# -- escaping and sanitising -----------------------------------------------------------------


def test_ampersand_angle_bracket_and_cdata_end_round_trip() -> None:
    title = "Q&A <live> ]]> & more"
    ann = episode(title=title)
    settings = Settings(**{**SETTINGS.__dict__, "title": "Tom & Jerry <3 ]]>"})
    feeds = build([ann], settings)
    atom = feedparser.parse(feeds.atom)
    rss = feedparser.parse(podcast_of(feeds))
    assert not atom.bozo and not rss.bozo
    assert atom.entries[0].title == title and rss.entries[0].title == title
    assert atom.feed.title == "Tom & Jerry <3 ]]>" and rss.feed.title == "Tom & Jerry <3 ]]>"
    assert strict_xml(podcast_of(feeds)).findtext("channel/item/title") == title
    assert podcastparser.parse("x", io.BytesIO(podcast_of(feeds)))["episodes"][0]["title"] == title


HOSTILE = """<script>alert(1)</script>

<iframe src="https://evil.example.org/"></iframe>

<img src="x.png" onerror="alert(2)"> <a href="javascript:alert(3)">click</a>
<a href="https://ok.example.org/" onclick="alert(4)">fine</a>"""


def test_hostile_markup_never_reaches_a_feed_as_markup() -> None:
    ann = episode(body=HOSTILE)
    feeds = build([ann])
    content = strict_xml(feeds.atom).findtext("atom:entry/atom:content", namespaces=NS)
    assert content is not None
    lowered = content.lower()
    for bad in ("<script", "<iframe", "onerror", "onclick", "javascript:"):
        assert bad not in lowered, bad
    assert '<a href="https://ok.example.org/"' in content
    assert b"<script" not in podcast_of(feeds) and b"javascript:" not in podcast_of(feeds)


def test_control_characters_are_dropped_not_fatal() -> None:
    ann = episode(body="bell\x07 and form feed\x0c here")
    feeds = build([ann])
    assert "bell and form feed here" in feedparser.parse(feeds.atom).entries[0].content[0].value


def test_transcript_html_shows_speakers_in_order() -> None:
    markup = transcript_html(episode())
    names = re.findall(r"<strong>([^<]+):</strong>", markup)
    assert names == ["Hal", "Participant 1", "Ann", "Participant 2", "Ann"]


# -- audio and dates ----------------------------------------------------------------------------


def test_items_without_audio_are_left_out_of_podcast_xml_with_a_note() -> None:
    ann, bob = two_episodes()
    feeds = build_feeds([ann, bob], SETTINGS, {ann.slug: audio_for(ann)})
    assert [
        e["title"] for e in podcastparser.parse("x", io.BytesIO(podcast_of(feeds)))["episodes"]
    ] == ["AMA with Ann"]
    assert len(feedparser.parse(feeds.atom).entries) == 2
    assert feeds.notes == ["1 episode has no audio yet: left out of podcast.xml (ama-with-bob)"]
    assert (feeds.atom_entries, feeds.podcast_items) == (2, 1)
    bob_entry = feedparser.parse(feeds.atom).entries[0]
    assert bob_entry.title == "AMA with Bob" and bob_entry.enclosures == []


def test_the_note_on_episodes_without_audio_names_ten_then_counts() -> None:
    many = [
        episode(
            f"episodes/e{n:02}.md",
            title=f"AMA {n}",
            slug=f"ama-{n:02}",
            date=f"2026-03-{n + 1:02}T10:00:00+00:00",
        )
        for n in range(12)
    ]
    feeds = build(many, with_audio=False)
    assert feeds.notes[0] == (
        "12 episodes have no audio yet: left out of podcast.xml ("
        + ", ".join(f"ama-{n:02}" for n in range(10))
        + " and 2 more)"
    )


def test_no_audio_at_all_gives_no_podcast_feed_and_a_note() -> None:
    feeds = build(two_episodes(), with_audio=False)
    assert feeds.podcast is None and feeds.podcast_items == 0
    assert not feedparser.parse(feeds.atom).bozo and feeds.atom_entries == 2
    assert feeds.notes == [
        "2 episodes have no audio yet: left out of podcast.xml (ama-with-ann, ama-with-bob)",
        "no episode has audio: podcast.xml is not written (podcast apps reject a feed "
        "without episodes); build with --audio to make it",
    ]
    assert not any(key[0] == "podcast" for key in feeds.fragments)


def test_naive_dates_use_the_configured_timezone() -> None:
    ann = episode(date="2026-01-17T18:00:00")
    entry = strict_xml(build([ann]).atom).find("atom:entry", NS)
    assert entry is not None
    assert entry.findtext("atom:published", namespaces=NS) == "2026-01-17T18:00:00+05:30"


def test_audio_base_url_moves_enclosures_only() -> None:
    settings = Settings(**{**SETTINGS.__dict__, "audio_base_url": "https://cdn.example.org/a/"})
    item = strict_xml(podcast_of(build([episode()], settings))).find("channel/item")
    assert item is not None
    assert item.find("enclosure").get("url") == "https://cdn.example.org/a/ama-with-ann.mp3"
    vtt = item.xpath("podcast:transcript[@type='text/vtt']", namespaces=NS)[0]
    assert vtt.get("url").startswith(SETTINGS.base_url)


def test_empty_project_gives_a_valid_deterministic_atom_feed_only() -> None:
    feeds = build([])
    assert not feedparser.parse(feeds.atom).bozo and feeds.podcast is None
    assert feeds == build([])


def test_base_url_is_required() -> None:
    with pytest.raises(ValueError, match="base_url"):
        build_feeds([], Settings(), {})


# -- golden file ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["atom.xml", "podcast.xml"])
def test_golden_feed(name: str, update_golden: bool) -> None:
    feeds = build(two_episodes())
    actual = feeds.atom if name == "atom.xml" else podcast_of(feeds)
    golden = GOLDEN / "feeds" / name
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual)
    if not golden.exists():
        pytest.fail(f"{golden} is missing: run pytest --update-golden and review the diff")
    assert actual.decode() == golden.read_text(encoding="utf-8")


# -- the real FOSSASSAM posts ----------------------------------------------------------------------


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("name", FOSSASSAM)
def test_fossassam_turns_appear_in_order_with_speakers(name: str) -> None:
    ep = parse_episode(fossassam(name))
    feeds = build_feeds([ep], Settings(base_url="https://example.org/"), {})
    parsed = feedparser.parse(feeds.atom)
    assert not parsed.bozo
    assert len(parsed.entries) == 1
    html = parsed.entries[0].content[0].value
    text = _normal(lxml.html.fromstring(f"<div>{html}</div>").text_content())
    assert ep.turns, "the post has turns"
    position = 0
    for turn in ep.turns:
        speaker = ep.speaker(turn.speaker)
        name_ = speaker.name if speaker else turn.speaker
        opening = _normal(turn.text)[:60]
        expected = _normal(f"{name_}: {opening}")
        found = text.find(expected, position)
        assert found >= 0, f"turn {turn.index} ({name_}, line {turn.line}) missing or out of order"
        position = found + len(expected)


def test_atom_ids_are_iris_for_any_explicit_guid() -> None:
    from amacast.feeds import atom_id

    assert atom_id("C8038389-EF76-5AE4-85E7-E07BD2131DC3") == (
        "urn:uuid:c8038389-ef76-5ae4-85e7-e07bd2131dc3"
    )
    assert atom_id("https://example.org/ep/1") == "https://example.org/ep/1"
    assert atom_id("my episode #1") == "urn:x-amacast-guid:my%20episode%20%231"


def five_episodes() -> list[Episode]:
    """Five episodes, one without audio and one without a date, in no particular order."""
    made = [
        episode(
            f"episodes/e{n}.md",
            title=f"AMA number {n}",
            slug=f"ama-{n}",
            date=f"2026-0{n}-1{n}T10:00:00+05:30",
            body=f"Answer {n} with <b>bold</b> & a ]]> end." * n,
        )
        for n in (3, 1, 4, 2)
    ]
    undated = parse_episode_text(transcript(slug="undated").replace("date: ", "lastmod: "), "u.md")
    return [*made, undated]


@pytest.mark.parametrize("kept_mask", range(32))
def test_kept_entries_give_the_feed_built_whole(kept_mask: int) -> None:
    episodes = five_episodes()
    audio = {e.slug: audio_for(e) for e in episodes if e.slug != "ama-4"}
    whole = build_feeds(episodes, SETTINGS, audio)
    assert set(whole.fragments) and whole.atom_entries == 4 and whole.podcast_items == 3
    by_slug = {key[3]: key for key in whole.fragments}
    assert len(whole.fragments) == 7  # 4 Atom entries, 3 podcast items
    # Keep the entries of the episodes in the mask; give those as Listings.
    chosen = {e.slug for bit, e in enumerate(episodes) if kept_mask >> bit & 1}
    kept = {key: text for key, text in whole.fragments.items() if key[3] in chosen}
    loaded: list[str] = []

    def full(listing: Episode | Listing) -> Episode:
        loaded.append(listing.slug)
        return next(e for e in episodes if e.slug == listing.slug)

    given = [e.listing() if e.slug in chosen or e.slug == "ama-1" else e for e in episodes]
    again = build_feeds(given, SETTINGS, audio, kept=kept, full=full)
    assert again.atom == whole.atom
    assert again.podcast == podcast_of(whole)
    assert again.fragments == whole.fragments
    # Only an episode given as a Listing whose entries were not kept is loaded whole.
    expected = [] if "ama-1" in chosen else ["ama-1", "ama-1"]
    assert loaded == expected
    assert by_slug.keys() == {"ama-1", "ama-2", "ama-3", "ama-4"}


def test_a_kept_entry_follows_what_it_is_made_from() -> None:
    episodes = two_episodes()
    audio = {e.slug: audio_for(e) for e in episodes}
    first = build_feeds(episodes, SETTINGS, audio)
    longer = {**audio, "ama-with-bob": dataclasses.replace(audio["ama-with-bob"], duration=99.0)}
    # Bob's podcast item depends on his audio; his Atom entry's key changes with it too.
    again = build_feeds(episodes, SETTINGS, longer, kept=first.fragments)
    assert again.podcast == podcast_of(build_feeds(episodes, SETTINGS, longer))
    assert b"<itunes:duration>0:01:39</itunes:duration>" in podcast_of(again)
    stale = [key for key in first.fragments if key[3] == "ama-with-bob"]
    assert stale and not set(stale) & set(again.fragments)


def test_the_atom_feed_holds_the_newest_entries_and_podcast_xml_all() -> None:
    episodes = five_episodes()
    audio = {e.slug: audio_for(e) for e in episodes}
    few = build_feeds(episodes, dataclasses.replace(SETTINGS, atom_entries=2), audio)
    atom = feedparser.parse(few.atom)
    assert [entry.title for entry in atom.entries] == ["AMA number 4", "AMA number 3"]
    assert few.atom_entries == 2 and few.podcast_items == 4
    assert len(podcastparser.parse("podcast.xml", io.BytesIO(podcast_of(few)))["episodes"]) == 4
    every = build_feeds(episodes, dataclasses.replace(SETTINGS, atom_entries=0), audio)
    assert len(feedparser.parse(every.atom).entries) == 4
    # The feed's own date is the newest episode's either way.
    assert atom.feed.updated == feedparser.parse(every.atom).feed.updated


# -- what the best hosts write -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("copyright", "expected"),
    [
        ("CC BY-SA 4.0", "cc-by-sa-4.0"),
        ("© 2026 The Hosts. Licensed CC-BY-NC-ND-4.0.", "cc-by-nc-nd-4.0"),
        ("cc by 3.0", "cc-by-3.0"),
        ("CC0", "cc0-1.0"),
        ("MIT", "mit"),
        ("Apache-2.0", "apache-2.0"),
        ("All rights reserved", ""),
        ("© 2026 MIT Press", ""),
        ("CC BY-XX 4.0", ""),
        ("", ""),
    ],
)
def test_license_comes_from_an_spdx_or_creative_commons_copyright(
    copyright: str, expected: str
) -> None:
    assert license_of(copyright) == expected
    settings = dataclasses.replace(SETTINGS, copyright=copyright)
    channel = strict_xml(podcast_of(build([episode()], settings))).find("channel")
    assert channel is not None
    assert [e.text for e in channel.xpath("podcast:license", namespaces=NS)] == (
        [expected] if expected else []
    )


def test_people_take_full_names_links_and_pictures_from_the_front_matter() -> None:
    extra = (
        "people:\n"
        '  A: {name: Ann Lee, href: "https://ann.example.org/", img: "https://ann.example.org/a.png"}\n'
        "  H: Hal Jordan\n"
    )
    ann = episode(extra=extra)
    assert [d for d in ann.diagnostics if d.severity != "info"] == []
    item = strict_xml(podcast_of(build([ann]))).find("channel/item")
    assert item is not None
    people = [
        (p.text, p.get("role"), p.get("group"), p.get("href"), p.get("img"))
        for p in item.xpath("podcast:person", namespaces=NS)
    ]
    assert people == [
        ("Ann Lee", "guest", "cast", "https://ann.example.org/", "https://ann.example.org/a.png"),
        ("Hal Jordan", "host", "cast", None, None),
    ]
    # The site and the narration keep the Legend's names.
    assert [s.name for s in ann.speakers][:2] == ["Ann", "Hal"]


def test_a_legend_name_written_as_a_link_gives_the_person_its_page() -> None:
    text = transcript().replace(
        "- A: Ann (guest)", "- A: [Ann Lee](https://ann.example.org/) (guest)"
    )
    ann = parse_episode_text(text, "episodes/ann.md")
    assert ann.speakers[0].name == "Ann Lee" and ann.speakers[0].href == "https://ann.example.org/"
    (person, _hal) = strict_xml(podcast_of(build([ann]))).xpath(
        "channel/item/podcast:person", namespaces=NS
    )
    assert (person.text, person.get("href")) == ("Ann Lee", "https://ann.example.org/")


def test_soundbites_outside_the_audio_are_left_out_with_a_note() -> None:
    extra = (
        "soundbites:\n"
        "  - {start: 60, duration: 30.5, title: Testing first}\n"
        "  - {start: 3700, duration: 60}\n"
    )
    ann = episode(extra=extra)
    feeds = build([ann])
    bites = strict_xml(podcast_of(feeds)).xpath("channel/item/podcast:soundbite", namespaces=NS)
    assert [(b.get("startTime"), b.get("duration"), b.text) for b in bites] == [
        ("60.0", "30.5", "Testing first")
    ]
    assert feeds.notes == [
        "episodes/ann.md: soundbite 2 (3700 s + 60 s) ends after the audio (3723.4 s): "
        "left out of podcast.xml"
    ]


def test_episode_art_is_an_itunes_image_when_apple_can_take_it() -> None:
    good = episode(extra="image: https://example.org/ann.jpg\n")
    item = strict_xml(podcast_of(build([good]))).find("channel/item")
    assert item is not None
    assert item.xpath("itunes:image/@href", namespaces=NS) == ["https://example.org/ann.jpg"]
    bad = episode(extra="image: ann.jpeg\n")
    item = strict_xml(podcast_of(build([bad]))).find("channel/item")
    assert item is not None and item.xpath("itunes:image", namespaces=NS) == []


def test_item_descriptions_are_html_in_cdata_that_survives_any_text() -> None:
    text = transcript().replace(
        'description: "Ann on testing."', 'description: "Ann on <tests> & ]]> endings."'
    )
    ann = parse_episode_text(text, "episodes/ann.md")
    xml = podcast_of(build([ann]))
    assert b"<description><![CDATA[<p>Ann on &lt;tests&gt; &amp; ]]&gt; endings.</p>" in xml
    (parsed,) = podcastparser.parse("x", io.BytesIO(xml))["episodes"]
    assert parsed["description_html"].startswith(
        "<p>Ann on &lt;tests&gt; &amp; ]]&gt; endings.</p>"
    )
    assert '<a href="https://example.org/ann"' in parsed["description_html"]


def test_channel_settings_for_hosts_funding_moves_and_endings() -> None:
    settings = dataclasses.replace(
        SETTINGS,
        hosts=(PersonSetting("Hal Jordan", href="https://hal.example.org/"),),
        funding=(FundingSetting("https://example.org/give", "Keep us going"),),
        medium="audiobook",
        previous_base_urls=("https://old.example.org/a/", "https://older.example.org/"),
        complete=True,
        block=True,
    )
    channel = strict_xml(podcast_of(build([episode()], settings))).find("channel")
    assert channel is not None

    def texts(path: str) -> list[str]:
        return [e.text for e in channel.xpath(path, namespaces=NS)]

    assert texts("podcast:medium") == ["audiobook"]
    assert texts("itunes:new-feed-url") == [settings.feed_url]
    assert texts("itunes:complete") == ["yes"] and texts("itunes:block") == ["yes"]
    assert texts("podcast:funding") == ["Keep us going"]
    assert texts("podcast:person") == ["Hal Jordan"]
    # The first address the show had names it for ever.
    assert texts("podcast:guid") == [podcast_guid_for_url("https://old.example.org/a/podcast.xml")]
    assert episode_guid(episode(), settings) != episode_guid(episode(), SETTINGS)
