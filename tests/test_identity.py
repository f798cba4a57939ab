"""Durable identities: GUID, number and URL survive title edits, older episodes and renames."""

from __future__ import annotations

import io
import json
from pathlib import Path

import feedparser
import lxml.html
import podcastparser
import pytest
from click.testing import CliRunner

from amacast.build.identity import (
    Identity,
    Redirect,
    derived_guid,
    next_episode_number,
    remember,
    settle,
    settle_identities,
    with_identity,
)
from amacast.cli import main
from amacast.config import Settings
from amacast.feeds import build_feeds, episode_guid
from amacast.model import AudioInfo, Diagnostic, Episode
from amacast.site.static import redirect_page, redirect_pages
from amacast.transcript.parse import parse_episode, parse_episode_text

SETTINGS = Settings(
    title="Ask Us Anything",
    base_url="https://ama.example.org/",
    owner_email="owner@example.org",
    timezone="Asia/Kolkata",
)


def make(
    path: str,
    title: str,
    date: str,
    *,
    slug: str | None = None,
    guid: str | None = None,
    number: int | None = None,
) -> Episode:
    """A small published episode; ``title`` is on line 2, the optional keys after ``date``."""
    extra = "".join(
        f"{key}: {value}\n"
        for key, value in (("slug", slug), ("guid", guid), ("episode", number))
        if value is not None
    )
    text = (
        f'---\ntitle: "{title}"\ndate: {date}\n{extra}---\n\nAn introduction.\n\n'
        "**Legend:**\n\n- G: Guest\n- P(n): Participants\n\n"
        "**P1:** *A question?*\n\n**G:** An answer.\n"
    )
    episode = parse_episode_text(text, path)
    assert not [d for d in episode.diagnostics if d.severity == "error"], episode.diagnostics
    return episode


def first_three() -> list[Episode]:
    return [
        make("episodes/a.md", "AMA with Ann", "2026-01-17T18:00:00+05:30"),
        make("episodes/b.md", "AMA with Beatriz Nunez", "2026-02-14T18:00:00+05:30"),
        make("episodes/c.md", "AMA with Chen", "2026-03-14T18:00:00+05:30"),
    ]


def publish(
    known: dict[str, object], episodes: list[Episode]
) -> tuple[dict[str, object], list[Diagnostic]]:
    """One build's identity step: settle, then what the state store keeps (through JSON)."""
    identities, diagnostics, _ = settle_identities(known, episodes, SETTINGS)
    return json.loads(json.dumps(remember(known, identities))), diagnostics


def test_a_first_build_keeps_what_the_feeds_gave_before() -> None:
    episodes = first_three()
    identities, diagnostics, redirects = settle_identities({}, episodes, SETTINGS)
    assert diagnostics == [] and redirects == []
    assert [identities[e.path].number for e in episodes] == [1, 2, 3]
    for e in episodes:
        assert identities[e.path].guid == episode_guid(e, SETTINGS)  # as published before
        assert identities[e.path].slug == e.slug
    assert remember({}, identities)["episodes/b.md"] == {
        "guid": derived_guid(SETTINGS.podcast_guid, "ama-with-beatriz-nunez"),
        "number": 2,
        "slug": "ama-with-beatriz-nunez",
        "former_slugs": [],
    }


def test_a_title_edit_keeps_guid_number_and_url_with_a_warning_at_the_title() -> None:
    known, _ = publish({}, first_three())
    edited = first_three()
    edited[1] = make("episodes/b.md", "AMA with Beatriz Nunes", "2026-02-14T18:00:00+05:30")
    assert edited[1].slug == "ama-with-beatriz-nunes"
    identities, diagnostics, redirects = settle_identities(known, edited, SETTINGS)
    assert identities["episodes/b.md"] == Identity(
        derived_guid(SETTINGS.podcast_guid, "ama-with-beatriz-nunez"), 2, "ama-with-beatriz-nunez"
    )
    assert redirects == []
    (warning,) = diagnostics
    assert (warning.path, warning.line, warning.column) == ("episodes/b.md", 2, 1)
    assert (warning.code, warning.severity) == ("slug-kept", "warning")
    assert warning.message == (
        "the title changed; the URL stays https://ama.example.org/episodes/ama-with-beatriz-nunez/"
    )
    assert warning.hint.startswith("set `slug: ama-with-beatriz-nunes` to move it")


def test_the_feeds_take_the_settled_identity_after_a_title_edit() -> None:
    def feeds(known: dict[str, object], episodes: list[Episode]) -> tuple[bytes, bytes]:
        identities, _, _ = settle_identities(known, episodes, SETTINGS)
        settled = [with_identity(e, identities[e.path]) for e in episodes]
        audio = {
            e.slug: AudioInfo(e.slug, f"audio/{e.slug}.mp3", 1000 + n, 60.0)
            for n, e in enumerate(settled)
        }
        built = build_feeds(settled, SETTINGS, audio)
        assert built.podcast is not None
        return built.podcast, built.atom

    known, _ = publish({}, first_three())
    before_rss, before_atom = feeds(known, first_three())
    edited = first_three()
    edited[1] = make("episodes/b.md", "AMA with Beatriz Nunes", "2026-02-14T18:00:00+05:30")
    after_rss, after_atom = feeds(known, edited)

    def items(rss: bytes) -> list[tuple[str, object, str, str]]:
        parsed = podcastparser.parse("https://ama.example.org/podcast.xml", io.BytesIO(rss))
        return [
            (e["guid"], e["number"], e["enclosures"][0]["url"], e["link"])
            for e in sorted(parsed["episodes"], key=lambda e: e["published"])
        ]

    assert items(after_rss) == items(before_rss)
    assert items(after_rss)[1] == (
        derived_guid(SETTINGS.podcast_guid, "ama-with-beatriz-nunez"),
        2,
        "https://ama.example.org/audio/ama-with-beatriz-nunez.mp3",
        "https://ama.example.org/episodes/ama-with-beatriz-nunez/",
    )
    titles = [e.title for e in feedparser.parse(after_rss).entries]
    assert "AMA with Beatriz Nunes" in titles  # the title itself did change
    assert [e.id for e in feedparser.parse(after_atom).entries] == [
        e.id for e in feedparser.parse(before_atom).entries
    ]


def test_an_older_episode_added_later_renumbers_none() -> None:
    known, _ = publish({}, first_three())
    older = make("episodes/0.md", "AMA with Zoe", "2025-12-01T18:00:00+05:30")
    newer = make("episodes/d.md", "AMA with Dev", "2026-04-11T18:00:00+05:30")
    identities, diagnostics, _ = settle_identities(known, [older, *first_three(), newer], SETTINGS)
    assert diagnostics == []
    numbers = {path: identity.number for path, identity in identities.items()}
    assert numbers == {
        "episodes/a.md": 1,
        "episodes/b.md": 2,
        "episodes/c.md": 3,
        "episodes/0.md": 4,  # after the highest published, not by date
        "episodes/d.md": 5,
    }
    # Once published, they keep those numbers whatever is added next.
    known, _ = publish(known, [older, *first_three(), newer])
    oldest = make("episodes/00.md", "AMA with Yan", "2025-01-01T18:00:00+05:30")
    again, _, _ = settle_identities(known, [oldest, older, *first_three(), newer], SETTINGS)
    assert {path: i.number for path, i in again.items() if path in numbers} == numbers
    assert again["episodes/00.md"].number == 6


def test_a_deleted_episode_keeps_its_number_from_being_given_again() -> None:
    known, _ = publish({}, first_three())
    known, _ = publish(known, first_three()[:2])  # c.md deleted (or a draft again)
    assert known["episodes/c.md"]["number"] == 3  # type: ignore[index]
    new = make("episodes/d.md", "AMA with Dev", "2026-04-11T18:00:00+05:30")
    identities, _, _ = settle_identities(known, [*first_three()[:2], new], SETTINGS)
    assert identities["episodes/d.md"].number == 4


def test_explicit_episode_and_guid_are_used_as_written() -> None:
    known, _ = publish({}, first_three())
    guid = "5e0d3c2a-3a43-4f3e-9d1b-2b6a1f0e8c11"
    new = make("episodes/d.md", "AMA with Dev", "2026-04-11T18:00:00+05:30", guid=guid, number=9)
    identities, diagnostics, _ = settle_identities(known, [*first_three(), new], SETTINGS)
    assert identities["episodes/d.md"] == Identity(guid, 9, "ama-with-dev")
    assert diagnostics == []


def test_an_explicit_slug_change_moves_the_page_and_leaves_a_redirect() -> None:
    known, _ = publish({}, first_three())
    moved = first_three()
    moved[2] = make(
        "episodes/c.md", "AMA with Chen", "2026-03-14T18:00:00+05:30", slug="chen-on-compilers"
    )
    identities, diagnostics, redirects = settle_identities(known, moved, SETTINGS)
    chen = identities["episodes/c.md"]
    assert (chen.slug, chen.number) == ("chen-on-compilers", 3)
    assert chen.guid == derived_guid(SETTINGS.podcast_guid, "ama-with-chen")  # the GUID stays
    assert redirects == [Redirect("ama-with-chen", "chen-on-compilers")]
    (note,) = diagnostics
    assert (note.path, note.line, note.code, note.severity) == (
        "episodes/c.md",
        4,  # the `slug:` line
        "slug-moved",
        "info",
    )
    assert note.message == (
        "the URL moves from https://ama.example.org/episodes/ama-with-chen/ "
        "to https://ama.example.org/episodes/chen-on-compilers/"
    )
    # Every later build still writes the redirect, silently; a second move adds one more.
    known, _ = publish(known, moved)
    _, quiet, still = settle_identities(known, moved, SETTINGS)
    assert quiet == [] and still == redirects
    moved[2] = make("episodes/c.md", "AMA with Chen", "2026-03-14T18:00:00+05:30", slug="chen")
    _, _, both = settle_identities(known, moved, SETTINGS)
    assert both == [Redirect("ama-with-chen", "chen"), Redirect("chen-on-compilers", "chen")]


def test_moving_back_to_a_former_slug_drops_that_redirect() -> None:
    known, _ = publish({}, first_three())
    moved = first_three()
    moved[0] = make("episodes/a.md", "AMA with Ann", "2026-01-17T18:00:00+05:30", slug="ann")
    known, _ = publish(known, moved)
    back = first_three()
    back[0] = make(
        "episodes/a.md", "AMA with Ann", "2026-01-17T18:00:00+05:30", slug="ama-with-ann"
    )
    identities, _, redirects = settle_identities(known, back, SETTINGS)
    assert identities["episodes/a.md"].slug == "ama-with-ann"
    assert redirects == [Redirect("ann", "ama-with-ann")]


def test_a_renamed_file_keeps_its_identity() -> None:
    known, _ = publish({}, first_three())
    renamed = first_three()
    renamed[0] = make("episodes/2026-01-17-ann.md", "AMA with Ann", "2026-01-17T18:00:00+05:30")
    identities, diagnostics, _ = settle_identities(known, renamed, SETTINGS)
    assert diagnostics == []
    assert identities["episodes/2026-01-17-ann.md"].number == 1
    after = remember(known, identities)
    assert "episodes/a.md" not in after
    assert after["episodes/2026-01-17-ann.md"]["number"] == 1


def test_a_replaced_guid_is_a_warning_at_its_line() -> None:
    known, _ = publish({}, first_three())
    changed = first_three()
    guid = "0b7c9f5e-7a71-4d1e-8a51-6c2f4b9d3e21"
    changed[0] = make("episodes/a.md", "AMA with Ann", "2026-01-17T18:00:00+05:30", guid=guid)
    identities, diagnostics, _ = settle_identities(known, changed, SETTINGS)
    assert identities["episodes/a.md"].guid == guid
    (warning,) = diagnostics
    assert (warning.line, warning.code, warning.severity) == (4, "guid-changed", "warning")
    old = derived_guid(SETTINGS.podcast_guid, "ama-with-ann")
    assert warning.hint.startswith(f"put back `guid: {old}`")


def test_a_slug_another_episode_holds_or_held_is_an_error() -> None:
    known, _ = publish({}, first_three())
    moved = first_three()
    moved[2] = make("episodes/c.md", "AMA with Chen", "2026-03-14T18:00:00+05:30", slug="chen")
    known, _ = publish(known, moved)
    squatter = make("episodes/e.md", "AMA with Chen", "2026-05-01T18:00:00+05:30")
    _, diagnostics, redirects = settle_identities(known, [*moved, squatter], SETTINGS)
    (error,) = diagnostics
    assert (error.path, error.line, error.code, error.severity) == (
        "episodes/e.md",
        2,
        "slug-taken",
        "error",
    )
    assert "a URL that redirects to it: episodes/c.md has it" in error.message
    assert redirects == []  # no redirect over a page of its own


def test_two_episodes_with_one_number_are_a_warning() -> None:
    known, _ = publish({}, first_three())
    new = make("episodes/d.md", "AMA with Dev", "2026-04-11T18:00:00+05:30", number=2)
    _, diagnostics, _ = settle_identities(known, [*first_three(), new], SETTINGS)
    (warning,) = diagnostics
    assert (warning.path, warning.line, warning.code) == (
        "episodes/d.md",
        4,
        "duplicate-episode-number",
    )


@pytest.mark.parametrize(
    "known",
    [
        [],
        {"episodes/a.md": "nonsense"},
        {"episodes/a.md": {"guid": 3, "number": "one", "slug": None}},
        {"episodes/a.md": {"guid": "g", "number": True, "slug": "s"}},
    ],
)
def test_a_damaged_store_is_passed_over(known: object) -> None:
    identities, diagnostics, _ = settle_identities(known, first_three(), SETTINGS)  # type: ignore[arg-type]
    assert [i.number for i in identities.values()] == [1, 2, 3]
    assert diagnostics == []


def test_a_listing_takes_its_identity_too() -> None:
    episode = first_three()[1]
    identity = Identity("urn:x", 7, "kept-slug")
    listing = with_identity(episode.listing(), identity)
    assert (listing.slug, listing.guid, listing.meta["episode"]) == ("kept-slug", "urn:x", 7)
    whole = with_identity(episode, identity)
    assert (whole.slug, whole.guid, whole.title) == ("kept-slug", "urn:x", episode.title)


def test_next_episode_number_counts_explicit_numbers_and_places_by_date() -> None:
    assert next_episode_number([]) == 1
    assert next_episode_number(first_three()) == 4
    numbered = make("episodes/x.md", "X", "2020-01-01T00:00:00Z", number=12)
    assert next_episode_number([*first_three(), numbered]) == 13


def test_new_writes_a_guid_and_the_next_number(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "amacast.toml").write_text('title = "T"\n', "utf-8")
    first = runner.invoke(main, ["new", "AMA with One", "--date", "2026-06-01"])
    second = runner.invoke(main, ["new", "AMA with Two", "--date", "2026-05-01"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    one = parse_episode(Path(first.stdout.strip()))
    two = parse_episode(Path(second.stdout.strip()))
    assert (one.meta["episode"], two.meta["episode"]) == (1, 2)
    assert one.guid and two.guid and one.guid != two.guid
    assert len(one.guid) == 36 and one.guid.count("-") == 4
    assert [d.code for d in one.diagnostics] == []


def test_a_redirect_page_refreshes_links_and_names_the_canonical_url() -> None:
    page = redirect_page("../new/", "https://ama.example.org/episodes/new/", "as")
    tree = lxml.html.fromstring(page)
    assert tree.get("lang") == "as"
    assert tree.xpath("//meta[@http-equiv='refresh']/@content") == ["0; url=../new/"]
    assert tree.xpath("//link[@rel='canonical']/@href") == ["https://ama.example.org/episodes/new/"]
    assert tree.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert tree.xpath("//body//a/@href") == ["../new/"]
    assert page.startswith(b"<!DOCTYPE html>\n")


def test_redirect_pages_sit_at_the_old_urls() -> None:
    pages = redirect_pages({"ama-with-chen": "chen", "same": "same"}, SETTINGS)
    assert list(pages) == ["episodes/ama-with-chen/index.html"]
    tree = lxml.html.fromstring(pages["episodes/ama-with-chen/index.html"])
    assert tree.xpath("//link[@rel='canonical']/@href") == [
        "https://ama.example.org/episodes/chen/"
    ]
    assert tree.xpath("//meta[@http-equiv='refresh']/@content") == ["0; url=../chen/"]


def test_settle_gives_the_stages_their_episodes_the_site_its_moves_and_the_store_its_record() -> (
    None
):
    known, _ = publish({}, first_three())
    changed = first_three()
    changed[0] = make("episodes/a.md", "AMA with Ann", "2026-01-17T18:00:00+05:30", slug="ann")
    changed[1] = make("episodes/b.md", "AMA with Beatriz Nunes", "2026-02-14T18:00:00+05:30")
    settled = settle(known, changed, SETTINGS)
    assert [e.slug for e in settled.episodes] == ["ann", "ama-with-beatriz-nunez", "ama-with-chen"]
    assert [e.meta["episode"] for e in settled.episodes] == [1, 2, 3]
    assert [d.code for d in settled.diagnostics] == ["slug-moved", "slug-kept"]
    assert settled.moves == {"ama-with-ann": "ann"}
    assert list(redirect_pages(settled.moves, SETTINGS)) == ["episodes/ama-with-ann/index.html"]
    assert settled.known["episodes/a.md"]["former_slugs"] == ["ama-with-ann"]
    assert json.loads(json.dumps(settled.known)) == settled.known
