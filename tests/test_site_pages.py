"""The page maker: its site values, its index entries and the transcript HTML it shows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import jinja2
import pytest

from amacast.site import precompiled
from amacast.site.pages import Pages, make_environment
from amacast.site.precompiled import COMPILED, compile_packaged, compiled_version
from amacast.site.views import episode_view
from amacast.transcript.parse import parse_episode_text
from tests.test_site import FIRST, SECOND, SETTINGS, audio_for

TEMPLATES = Path(precompiled.__file__).parent.parent / "templates"


def project_template(project: Path, name: str, text: str) -> Path:
    """A project's ``templates/`` folder holding the template ``name``."""
    templates = project / "templates"
    templates.mkdir()
    (templates / name).write_text(text, encoding="utf-8")
    return templates


def test_site_values_read_as_attributes_and_as_keys(tmp_path: Path) -> None:
    templates = project_template(
        tmp_path,
        "index.html",
        '{{ site.title }}|{{ site["title"] }}|{{ site.get("author") }}|{{ site | length }}',
    )
    pages = Pages(SETTINGS, templates)
    assert pages.index([]) == b"Ask Us Anything|Ask Us Anything|The example project|9"
    pages.show_podcast_feed(False)
    assert vars(pages.site)["podcast_feed"] == pages.site["podcast_feed"] == ""


def test_index_entry_after_the_page_is_the_entry_made_alone() -> None:
    episode = parse_episode_text(FIRST, "episodes/first.md")
    info = audio_for(episode)
    alone = Pages(SETTINGS).index_item(episode, info)
    pages = Pages(SETTINGS)
    pages.render(episode, info)
    assert pages.index_item(episode, info) == alone
    assert "duration" in alone
    # Other audio (here none) than the page's: the entry is made for that audio.
    pages.render(episode, info)
    assert pages.index_item(episode, None) == Pages(SETTINGS).index_item(episode, None)
    assert "duration" not in pages.index_item(episode, None)


def test_a_user_index_entry_sees_no_transcript_even_after_the_page(tmp_path: Path) -> None:
    templates = project_template(tmp_path, "index_entry.html", "{{ episode.turns | length }} turns")
    episode = parse_episode_text(FIRST, "episodes/first.md")
    pages = Pages(SETTINGS, templates)
    pages.render(episode, None)
    # Not lean: the user's entry template may show the transcript, and sees it whole.
    assert pages.index_item(episode, None) == f"{len(episode.turns)} turns"


def test_turn_html_is_the_blocks_html_with_headings_moved_below_the_turn() -> None:
    episode = parse_episode_text(FIRST, "episodes/first.md")
    view = episode_view(episode, SETTINGS, None)
    for turn, shown in zip(episode.turns, view.turns, strict=True):
        html = "\n".join(block.html for block in turn.blocks if block.html)
        if "<h2" in html:  # the answer's "## A heading": h4, below the turn's h3
            assert "<h4>A heading inside an answer</h4>" in shown.html
            assert shown.html == html.replace("<h2", "<h4").replace("</h2", "</h4")
        else:
            assert shown.html == html


def test_a_code_given_twice_names_its_turns_after_the_first() -> None:
    episode = parse_episode_text(FIRST, "episodes/first.md")
    first, *rest = episode.speakers
    twice = replace(episode, speakers=(first, replace(first, name="Someone else"), *rest))
    view = episode_view(twice, SETTINGS, None)
    named = {turn.speaker_code: turn.speaker_name for turn in view.turns}
    assert named[first.code] == first.name


def test_turns_of_an_unknown_code_show_the_code() -> None:
    episode = parse_episode_text(SECOND, "episodes/second.md")
    unknown = replace(episode, speakers=())
    view = episode_view(unknown, SETTINGS, None)
    assert [(t.speaker_name, t.role) for t in view.turns] == [("P1", ""), ("B", "")]


def test_compiled_templates_are_in_step_with_their_source(tmp_path: Path) -> None:
    if compiled_version(COMPILED) != jinja2.__version__:
        # Builds then compile the packaged templates from source (the test below holds
        # that); only the time saved is lost until they are compiled again.
        pytest.skip(
            f"templates compiled by Jinja2 {compiled_version(COMPILED)}, "
            f"{jinja2.__version__} installed: run python -m amacast.site.precompiled"
        )
    compile_packaged(tmp_path)
    made = {path.name: path.read_bytes() for path in sorted(tmp_path.iterdir())}
    packaged = {path.name: path.read_bytes() for path in sorted(COMPILED.glob("[!_]*"))}
    assert packaged == made, "the templates changed: run python -m amacast.site.precompiled"
    assert compiled_version(COMPILED) == jinja2.__version__
    assert len(made) == len(list(TEMPLATES.glob("*.html"))) + 1  # and the version


def test_the_compiled_templates_render_what_their_source_does() -> None:
    episode = parse_episode_text(FIRST, "episodes/first.md")
    compiled = Pages(SETTINGS)
    assert isinstance(compiled.env.loader, jinja2.ChoiceLoader)
    assert isinstance(compiled.env.loader.loaders[-1], jinja2.ModuleLoader)
    source = Pages(SETTINGS)
    source.env = make_environment(compiled=False)
    source.page = source.env.get_template("episode.html")
    source.entry = source.env.get_template("index_entry.html")
    for info in (None, audio_for(episode)):
        page = compiled.render(episode, info)
        assert page == source.render(episode, info)
        assert page[1].startswith(b"<!DOCTYPE html>")
        view = compiled.index_entry(episode, info)
        assert compiled.index([view]) == source.index([view])
        assert compiled.index_item(episode, info) == source.index_item(episode, info)


def test_templates_compiled_by_another_jinja2_are_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compile_packaged(tmp_path)
    monkeypatch.setattr(precompiled, "COMPILED", tmp_path)
    assert isinstance(precompiled.packaged_loader(), jinja2.ModuleLoader)
    (tmp_path / precompiled.VERSION_FILE).write_text("2.0.0\n", encoding="utf-8")
    assert isinstance(precompiled.packaged_loader(), jinja2.PackageLoader)
    (tmp_path / precompiled.VERSION_FILE).unlink()
    assert isinstance(precompiled.packaged_loader(), jinja2.PackageLoader)
    episode = parse_episode_text(FIRST, "episodes/first.md")
    assert Pages(SETTINGS).render(episode, None)[1].startswith(b"<!DOCTYPE html>")


def test_a_project_base_template_wins_over_the_compiled_one(tmp_path: Path) -> None:
    templates = project_template(
        tmp_path,
        "base.html",
        "<title>{% block title %}{% endblock %}</title>{% block content %}{% endblock %}",
    )
    episode = parse_episode_text(FIRST, "episodes/first.md")
    path, page = Pages(SETTINGS, templates).render(episode, None)
    assert page.startswith(b"<title>AMA with Ada - compilers \xc2\xb7 Ask Us Anything</title>")
    assert b"<!DOCTYPE html>" not in page
    assert b'<section class="transcript"' in page
