"""The bundled example episodes: they validate cleanly and parse into the intended structure."""

from __future__ import annotations

from amacast.transcript.files import find_episode_files
from amacast.transcript.parse import parse_episode
from amacast.transcript.validate import validate_episodes
from tests.conftest import ROOT


def test_examples_validate_with_only_the_draft_note() -> None:
    parsed = [parse_episode(p) for p in find_episode_files([ROOT / "episodes"])]
    assert len(parsed) >= 4
    found = validate_episodes(parsed)
    assert [(d.code, d.severity) for d in found] == [("draft", "info")]
    assert sum(not e.draft for e in parsed) >= 3


def test_examples_cover_the_format() -> None:
    by_name = {p.name: parse_episode(p) for p in find_episode_files([ROOT / "episodes"])}
    saoirse = by_name["2026-01-17-ama-with-saoirse-delaney.md"]
    assert [t.line for t in saoirse.turns if t.speaker == "P3"] == [39, 53]  # asked twice
    assert saoirse.epilogue  # closing note after a rule
    beatriz = by_name["2026-02-14-ama-with-beatriz-nunes.md"]
    assert beatriz.slug == "riverside-python-meetup-qa"
    assert "P10" in {t.speaker for t in beatriz.turns} and "P1" in {
        t.speaker for t in beatriz.turns
    }
    assert "&" in beatriz.title
    sunil = by_name["2026-03-14-ama-with-sunil-rao.md"]
    assert sunil.speaker("H").role == "host"  # type: ignore[union-attr]
    assert sunil.turns[0].speaker == "H"
    assert sunil.turns[-1].blocks[-1].kind == "list"
    assert "Further reading" in sunil.turns[-1].text
    kinds = {b.kind for e in by_name.values() for t in e.turns for b in t.blocks}
    assert {"paragraph", "list"} <= kinds
    assert any("](" in b.markdown for e in by_name.values() for t in e.turns for b in t.blocks)
