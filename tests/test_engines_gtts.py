"""gTTS engine offline: the HTTP layer (requests) answers with canned responses."""

from __future__ import annotations

import base64
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
import requests
from pitch import median_pitch

from amacast.audio.engines.base import EngineError, Voice
from amacast.audio.engines.gtts import GTTSEngine, decode_mp3, ffmpeg_exe

VOICE = Voice("gtts-uk", "gtts", tld="co.uk")


def _tone(seconds: float) -> bytes:
    """A 220 Hz tone, encoded to MP3 by the bundled ffmpeg."""
    command = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=220:duration={seconds}:sample_rate=24000",
        "-ac",
        "1",
        "-b:a",
        "32k",
        "-f",
        "mp3",
        "pipe:1",
    ]
    return subprocess.run(command, capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def tone_mp3() -> bytes:
    """Half a second of tone."""
    return _tone(0.5)


def _response(
    status: int, body: bytes = b"", url: str = "https://translate.google.com/"
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = {
        200: "OK",
        403: "Forbidden",
        429: "Too Many Requests",
        503: "Service Unavailable",
    }.get(status, "")
    response._content = body
    response._content_consumed = True
    response.url = url
    return response


def _audio_body(mp3: bytes) -> bytes:
    """A batchexecute answer as Google sends it, carrying ``mp3``."""
    encoded = base64.b64encode(mp3).decode("ascii")
    return (
        ')]}\'\n\n[["wrb.fr","jQ1olc","[\\"' + encoded + '\\"]",null,null,null,"generic"]]\n'
    ).encode()


class FakeHTTP:
    """Stands in for requests.Session.send: a queue of answers, a log of requests."""

    def __init__(self, answers: list[Callable[[], requests.Response]]) -> None:
        self.answers = answers
        self.urls: list[str] = []
        self.bodies: list[str] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def send(
        self, session: Any, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        with self.lock:
            self.urls.append(str(request.url))
            self.bodies.append(str(request.body))
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(0.01)
            response = answer()
            response.request = request
            return response
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.fixture
def http(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[list[Callable[[], requests.Response]]], FakeHTTP]:
    def install(answers: list[Callable[[], requests.Response]]) -> FakeHTTP:
        fake = FakeHTTP(answers)
        monkeypatch.setattr(
            requests.Session, "send", lambda self, request, **kw: fake.send(self, request, **kw)
        )
        return fake

    return install


def _engine(sleeps: list[float], attempts: int = 3) -> GTTSEngine:
    return GTTSEngine(attempts=attempts, base_delay=0.5, sleep=sleeps.append, jitter=lambda: 0.0)


def test_success_decodes_the_mp3_to_pcm(http, tone_mp3) -> None:  # type: ignore[no-untyped-def]
    fake = http([lambda: _response(200, _audio_body(tone_mp3))])
    sleeps: list[float] = []
    pcm = _engine(sleeps).synthesize("Hello from the test.", VOICE)
    assert pcm.sample_rate == 24000
    assert 0.45 < pcm.duration < 0.65
    assert median_pitch(pcm) == pytest.approx(220, rel=0.02)
    assert sleeps == []
    assert fake.urls[0].startswith("https://translate.google.co.uk/")
    sent = unquote(fake.bodies[0])
    assert "Hello from the test" in sent and '\\"en\\"' in sent


def test_429_is_retried_after_a_backoff(http, tone_mp3) -> None:  # type: ignore[no-untyped-def]
    fake = http([lambda: _response(429), lambda: _response(200, _audio_body(tone_mp3))])
    sleeps: list[float] = []
    pcm = _engine(sleeps).synthesize("Hello again.", VOICE)
    assert pcm.duration > 0.4
    assert len(fake.urls) == 2
    assert sleeps == [0.5]


def test_backoff_grows_exponentially_with_jitter() -> None:
    engine = GTTSEngine(base_delay=1.0, max_delay=10.0, jitter=lambda: 0.5)
    assert [engine.delay(n) for n in (1, 2, 3, 5)] == [1.5, 3.0, 6.0, 15.0]


def test_permanent_failure_is_a_clear_error_without_retry(http) -> None:  # type: ignore[no-untyped-def]
    fake = http([lambda: _response(403)])
    sleeps: list[float] = []
    with pytest.raises(EngineError) as caught:
        _engine(sleeps).synthesize("What is your favourite dataset?", VOICE)
    message = str(caught.value)
    assert "What is your favourite dataset?" in message and "403" in message
    assert "gtts-uk" in message
    assert len(fake.urls) == 1 and sleeps == []


def test_server_errors_give_up_after_the_attempts(http) -> None:  # type: ignore[no-untyped-def]
    fake = http([lambda: _response(503)])
    sleeps: list[float] = []
    with pytest.raises(EngineError, match="after 3 attempts") as caught:
        _engine(sleeps).synthesize("A long answer about deep learning " * 4, VOICE)
    assert "503" in str(caught.value)
    assert len(fake.urls) == 3 and sleeps == [0.5, 1.0]


def test_network_errors_are_retried(http, tone_mp3) -> None:  # type: ignore[no-untyped-def]
    def refuse() -> requests.Response:
        raise requests.exceptions.ConnectionError("connection refused")

    fake = http([refuse, refuse, lambda: _response(200, _audio_body(tone_mp3))])
    sleeps: list[float] = []
    assert _engine(sleeps).synthesize("Still there?", VOICE).duration > 0.4
    assert len(fake.urls) == 3 and sleeps == [0.5, 1.0]


def test_network_down_ends_in_an_engine_error(http) -> None:  # type: ignore[no-untyped-def]
    def refuse() -> requests.Response:
        raise requests.exceptions.ConnectionError("no route")

    http([refuse])
    with pytest.raises(EngineError, match="Failed to connect"):
        _engine([]).synthesize("Anyone?", VOICE)


def test_many_texts_keep_their_order_within_the_concurrency_bound(monkeypatch, tone_mp3) -> None:  # type: ignore[no-untyped-def]
    long_mp3 = _tone(1.0)
    fake = FakeHTTP([lambda: _response(500)])

    def send(session: Any, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        fake.answers = [
            lambda: _response(
                200, _audio_body(long_mp3 if "odd" in str(request.body) else tone_mp3)
            )
        ]
        return fake.send(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", send)
    texts = [f"Segment {n} is {'odd' if n % 2 else 'even'}." for n in range(8)]
    results = _engine([]).synthesize_many(texts, VOICE, max_workers=2)
    assert [r.duration > 0.8 for r in results] == [False, True] * 4
    assert fake.max_in_flight <= 2
    assert len(fake.urls) == 8


def test_many_texts_report_the_first_failure(http) -> None:  # type: ignore[no-untyped-def]
    http([lambda: _response(403)])
    with pytest.raises(EngineError, match="Segment"):
        _engine([]).synthesize_many(["Segment one.", "Segment two."], VOICE, max_workers=2)


def test_pitch_of_a_gtts_voice_moves_with_ffmpeg(http, tone_mp3) -> None:  # type: ignore[no-untyped-def]
    http([lambda: _response(200, _audio_body(tone_mp3))])
    pcm = _engine([]).synthesize("High.", Voice("hi", "gtts", pitch=1.25))
    assert median_pitch(pcm) == pytest.approx(275, rel=0.03)
    assert 0.45 < pcm.duration < 0.65


def test_bad_mp3_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="decode"):
        decode_mp3(b"definitely not an mp3")


def test_empty_text_makes_no_request(http) -> None:  # type: ignore[no-untyped-def]
    fake = http([lambda: _response(500)])
    assert _engine([]).synthesize("  ", VOICE).duration == 0.0
    assert fake.urls == []
