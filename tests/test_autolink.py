"""Bare web addresses in posts become links, as Hugo (GFM's autolink extension) makes them."""

from __future__ import annotations

import re

import feedparser
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amacast.config import Settings
from amacast.feeds import build_feeds
from amacast.markup import bare_urls, transcript_html
from amacast.site.pages import render_site
from amacast.transcript.parse import parse_episode, parse_episode_text
from tests.conftest import FOSSASSAM, fossassam

SETTINGS = Settings(base_url="https://ama.example.org/", title="FOSSASSAM AMAs")

#: The bare addresses the FOSSASSAM posts hold, counted by hand in the sources.
BARE_IN_POSTS = {"sayak": 0, "ali": 7, "ashris": 2, "srijan": 3}


def _episode(body: str) -> str:
    return (
        "---\ntitle: Links\ndate: 2020-01-01T10:00:00Z\n---\n\n"
        "**Legend:**\n\n- S: Sam\n- P(n): Participants\n\n" + body
    )


def _links(html: str) -> list[tuple[str, str]]:
    """(href, text) of every ``<a>`` in ``html``."""
    if not html.strip():
        return []
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    return [(a.get("href"), a.text_content()) for a in tree.iter("a")]


def _answer_html(body: str) -> str:
    episode = parse_episode_text(_episode(body), "links.md")
    assert not [d for d in episode.diagnostics if d.severity == "error"], episode.diagnostics
    return "".join(block.html for turn in episode.turns for block in turn.blocks)


def _autolinks(html: str) -> list[str]:
    """The hrefs of links whose text is their address (what autolinking makes)."""
    return [
        href for href, text in _links(html) if href in (text, "https://" + text, "mailto:" + text)
    ]


@pytest.mark.parametrize("name", FOSSASSAM)
def test_bare_urls_of_the_real_posts_are_links(name: str) -> None:
    episode = parse_episode(fossassam(name))
    hrefs = _autolinks(transcript_html(episode))
    assert len(hrefs) == BARE_IN_POSTS[name]
    source = fossassam(name).read_text(encoding="utf-8")
    for href in hrefs:
        # written bare in the source, not as a Markdown link of its own
        assert re.search(rf"(?<![(<\[]){re.escape(href)}(?![)>\]])", source), href
        assert f"]({href})" not in source


def test_the_twelve_addresses_of_the_posts_are_links_in_atom_and_on_the_pages() -> None:
    episodes = [parse_episode(fossassam(name)) for name in FOSSASSAM]
    feed = feedparser.parse(build_feeds(episodes, SETTINGS, {}).atom)
    in_atom = [href for entry in feed.entries for href in _autolinks(entry.content[0].value)]
    assert len(in_atom) == 12
    lab1 = "https://codelabs.developers.google.com/codelabs/tensorflow-lab1-helloworld/#0"
    assert lab1 in in_atom
    files = render_site(episodes, SETTINGS, {})
    on_pages = [
        href
        for episode in episodes
        for href in _autolinks(files[f"episodes/{episode.slug}/index.html"].decode())
    ]
    assert sorted(on_pages) == sorted(in_atom)
    ali = next(e for e in episodes if "ali" in e.path)
    page = files[f"episodes/{ali.slug}/index.html"].decode()
    assert f'LAB 1: <a href="{lab1}" rel="noopener noreferrer">{lab1}</a>' in page


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("see https://example.org/a.", [("https://example.org/a", "https://example.org/a")]),
        ("(https://example.org/a), ok", [("https://example.org/a", "https://example.org/a")]),
        ("is it https://example.org/?", [("https://example.org/", "https://example.org/")]),
        (
            "https://en.wikipedia.org/wiki/Foo_(bar)!",
            [
                (
                    "https://en.wikipedia.org/wiki/Foo_(bar)",
                    "https://en.wikipedia.org/wiki/Foo_(bar)",
                )
            ],
        ),
        ("*https://example.org/x*", [("https://example.org/x", "https://example.org/x")]),
        ("_https://example.org_", [("https://example.org", "https://example.org")]),
        ("www.example.org/a_b_c", [("https://www.example.org/a_b_c", "www.example.org/a_b_c")]),
        ("write to ama@example.org.", [("mailto:ama@example.org", "ama@example.org")]),
        ("ftp://files.example.org/x", [("ftp://files.example.org/x", "ftp://files.example.org/x")]),
        (
            "https://example.org/foo\\_bar",
            [("https://example.org/foo_bar", "https://example.org/foo_bar")],
        ),
        (
            "a?b=1&c=2 https://x.example.org/a?b=1&c=2",
            [("https://x.example.org/a?b=1&c=2", "https://x.example.org/a?b=1&c=2")],
        ),
    ],
)
def test_edges_of_an_address(markdown: str, expected: list[tuple[str, str]]) -> None:
    assert _links(_answer_html(f"**S:** {markdown}\n")) == expected


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("`https://example.org/code`", []),
        ("[a link](https://example.org/already)", [("https://example.org/already", "a link")]),
        (
            "[https://example.org/text](https://example.org/dest)",
            [("https://example.org/dest", "https://example.org/text")],
        ),
        (
            "<https://example.org/pointy>",
            [("https://example.org/pointy", "https://example.org/pointy")],
        ),
        ("![an image](https://example.org/i.png)", []),
        ("README.md and TensorFlow.world and node.js", []),
        ("//example.org/protocol-relative", []),
        ("@handle on twitter", []),
    ],
)
def test_code_links_and_names_that_are_not_addresses_stay_as_they_are(
    markdown: str, expected: list[tuple[str, str]]
) -> None:
    html = _answer_html(f"**S:** {markdown}\n")
    assert _links(html) == expected
    assert html.count("<a ") == len(expected)


def test_no_link_inside_a_code_block_or_an_html_link() -> None:
    html = _answer_html(
        "**S:** an answer\n\n```\ncurl https://example.org/api\n```\n\n"
        '<a href="https://example.org/b">https://example.org/b</a> and https://example.org/c\n'
    )
    assert "<code>curl https://example.org/api\n</code>" in html
    assert _links(html) == [
        ("https://example.org/b", "https://example.org/b"),
        ("https://example.org/c", "https://example.org/c"),
    ]


def test_an_autolink_stays_sanitised() -> None:
    html = _answer_html("**S:** javascript:alert(1) https://example.org/<script>x</script>\n")
    assert "<script" not in html
    assert not any(href.startswith("javascript") for href, _ in _links(html))


def test_the_plain_text_keeps_the_address_as_written() -> None:
    episode = parse_episode_text(_episode("**S:** LAB 1: https://example.org/lab1\n"))
    assert episode.turns[0].text == "LAB 1: https://example.org/lab1"


def test_bare_urls_gives_offsets_into_the_text() -> None:
    text = "Go to www.example.org, or https://example.org/x."
    found = bare_urls(text)
    assert [(text[u.start : u.end], u.url) for u in found] == [
        ("www.example.org", "https://www.example.org"),
        ("https://example.org/x", "https://example.org/x"),
    ]


_with_addresses = st.lists(
    st.sampled_from(
        [
            "https://example.org/a_b",
            "www.example.org",
            "ama@example.org",
            "ftp://",
            "mailto:",
            "://",
            "@",
            "`",
            "*",
            "_",
            "~",
            "[",
            "](",
            ")",
            "<",
            ">",
            "\\",
            "|",
            " ",
            "\n",
            "é",
            "&amp;",
            '<a href="https://example.org/x">',
            "</a>",
            "```",
            "- ",
            "> ",
            ".",
            ",",
        ]
    )
    | st.text(max_size=8),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_with_addresses)
def test_any_text_links_only_addresses_it_holds(text: str) -> None:
    episode = parse_episode_text(_episode(f"**S:** {text}\n"), "random.md")
    for block in (b for turn in episode.turns for b in turn.blocks):
        for href in _autolinks(block.html):
            # every address linked is written in the text (escapes aside)
            written = href.removeprefix("mailto:").removeprefix("https://")
            assert written.replace("\\", "") in block.markdown.replace("\\", "") or "%" in href
