"""Engines by name and what `amacast voices` lists."""

from __future__ import annotations

import pytest

from amacast.audio.engines.base import EngineError
from amacast.audio.engines.registry import available_engines, engine_names, get_engine


def test_engines_by_name_are_made_once() -> None:
    assert engine_names() == ("piper", "hibari", "gtts")
    piper = get_engine("piper")
    assert piper.name == "piper" and get_engine("piper") is piper
    assert get_engine("gtts").name == "gtts"
    assert get_engine("hibari").name == "hibari"


def test_unknown_engine_names_the_known_ones() -> None:
    with pytest.raises(EngineError, match="unknown speech engine 'espeak'.*gtts, hibari, piper"):
        get_engine("espeak")


def test_available_engines_list_usability_and_voices() -> None:
    infos = {info.name: info for info in available_engines()}
    assert infos["piper"].usable and not infos["piper"].online
    assert infos["gtts"].online and infos["gtts"].reachable is not None
    assert infos["hibari"].usable and not infos["hibari"].online
    assert [v.id for v in infos["piper"].voices] == ["joe", "joe-high", "joe-higher"]
    assert [v.id for v in infos["hibari"].voices] == ["heart", "heart-low"]
    assert all(v.engine == "gtts" for v in infos["gtts"].voices)


def test_thread_cap_reaches_piper() -> None:
    from amacast.audio.engines.piper import PiperEngine

    engine = get_engine("piper", threads=1)
    assert isinstance(engine, PiperEngine) and engine.threads == 1
    assert engine is not get_engine("piper")


def test_an_online_engine_is_probed_with_a_short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that does not answer: listing says unreachable, quickly."""
    import socket
    import time

    from amacast.audio.engines import gtts

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    # Nothing listens on that port now: refused at once.
    monkeypatch.setattr(gtts, "PROBE_ADDRESS", ("127.0.0.1", port))
    started = time.monotonic()
    info = {i.name: i for i in available_engines(probe_timeout=0.5)}["gtts"]
    assert time.monotonic() - started < 5
    assert info.reachable is False
    assert info.note.startswith(f"unreachable now (127.0.0.1:{port}: ")
    assert info.note.endswith("rendering with it would fail")


def test_a_listening_server_is_reachable(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from amacast.audio.engines import gtts

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        monkeypatch.setattr(gtts, "PROBE_ADDRESS", server.getsockname())
        info = {i.name: i for i in available_engines(probe_timeout=2.0)}["gtts"]
    assert info.reachable is True and info.note.startswith("reachable now")


def test_a_probe_that_hangs_gives_up_at_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import threading
    import time

    from amacast.audio.engines.gtts import GTTSEngine

    release = threading.Event()

    def hang(*args: object, **kwargs: object) -> object:
        # A name lookup that never returns, as on a network that drops packets.
        release.wait(10)
        raise OSError("released")

    monkeypatch.setattr(socket, "create_connection", hang)
    started = time.monotonic()
    try:
        reachable, why = GTTSEngine().reachable(timeout=0.3)
    finally:
        release.set()
    assert not reachable and "no answer within 0.3 s" in why
    assert time.monotonic() - started < 2
