"""Engines by name and what `amacast voices` lists."""

from __future__ import annotations

import pytest

from amacast.engines.base import EngineError
from amacast.engines.registry import available_engines, engine_names, get_engine


def test_engines_by_name_are_made_once() -> None:
    assert engine_names() == ("piper", "gtts")
    piper = get_engine("piper")
    assert piper.name == "piper" and get_engine("piper") is piper
    assert get_engine("gtts").name == "gtts"


def test_unknown_engine_names_the_known_ones() -> None:
    with pytest.raises(EngineError, match="unknown speech engine 'espeak'.*gtts, piper"):
        get_engine("espeak")


def test_available_engines_list_usability_and_voices() -> None:
    infos = {info.name: info for info in available_engines()}
    assert infos["piper"].usable and not infos["piper"].online
    assert infos["gtts"].online and "network" in infos["gtts"].note
    assert [v.id for v in infos["piper"].voices] == ["joe", "joe-high", "joe-higher"]
    assert all(v.engine == "gtts" for v in infos["gtts"].voices)


def test_thread_cap_reaches_piper() -> None:
    from amacast.engines.piper import PiperEngine

    engine = get_engine("piper", threads=1)
    assert isinstance(engine, PiperEngine) and engine.threads == 1
    assert engine is not get_engine("piper")
