"""The built site in a real browser: headless Chromium driven by selenium.

The example project is published (``amacast.build.pipeline.publish``, narrated
audio included) into a folder served under a base path (``/repo/``, as on
GitHub Pages) by amacast's preview server.  Chromium
opens the index and an episode page: no console errors, every same-site link
and the audio answer 200, and a chapter link moves the player.  With
``AMACAST_SCREENSHOTS=1`` the pages are saved to ``docs/screenshots/``.

Skips when Chromium, chromedriver or selenium are missing.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from amacast.build.pipeline import build_all
from amacast.cli.preview import make_server, server_url
from amacast.config import load_settings
from amacast.site.links import episode_page_path
from amacast.transcript.parse import parse_episode
from tests.test_publish import example_project

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def _find_browser() -> tuple[str, str]:
    browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if driver is None and os.environ.get("CHROMEWEBDRIVER"):
        candidate = Path(os.environ["CHROMEWEBDRIVER"]) / "chromedriver"
        driver = str(candidate) if candidate.is_file() else None
    if browser is None:
        pytest.skip("no Chromium or Chrome found (Debian: apt-get install chromium)")
    if driver is None:
        pytest.skip("no chromedriver found (Debian: apt-get install chromium-driver)")
    return browser, driver


def _titles_newest_first(project: Path, slugs: tuple[str, ...]) -> tuple[str, ...]:
    settings, _ = load_settings(project)
    episodes = [
        e for e in map(parse_episode, (project / "episodes").glob("*.md")) if e.slug in slugs
    ]
    episodes.sort(key=lambda e: e.published(settings.tz) or 0, reverse=True)
    return tuple(e.title for e in episodes)


@dataclass(frozen=True)
class Site:
    """A served site: its URL and the episode titles, newest first."""

    url: str
    titles: tuple[str, ...]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The example project built into ``<tmp>/repo/`` and served under ``/repo/``."""
    if not any((ROOT / "episodes").glob("*.md")):
        pytest.skip("the example project has no episodes")
    project = example_project(tmp_path_factory.mktemp("project"))
    served = tmp_path_factory.mktemp("served")
    server = make_server(served, "127.0.0.1", 0)
    base_url = server_url(server) + "repo/"
    result = build_all(project, served / "repo", audio=True, overrides={"base_url": base_url})
    assert result.ok, result.diagnostics
    assert sorted(result.rendered) == sorted(result.published)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(base_url, _titles_newest_first(project, result.published))
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, logging the browser console."""
    browser, chromedriver = _find_browser()
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=chromedriver)
    try:
        chrome = webdriver.Chrome(options=options, service=service)
    except Exception as error:  # noqa: BLE001 - any start-up failure means no browser here
        pytest.skip(f"Chromium did not start: {error}")
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


def _console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _same_site_urls(driver: Any, base_url: str) -> list[str]:
    urls = driver.execute_script(
        """
        const found = [];
        for (const el of document.querySelectorAll('a[href], link[href]')) found.push(el.href);
        const sources = 'img[src], source[src], script[src], audio[src]';
        for (const el of document.querySelectorAll(sources)) found.push(el.src);
        const audio = document.querySelector('audio');
        if (audio && audio.currentSrc) found.push(audio.currentSrc);
        return found;
        """
    )
    same = {urldefrag(url)[0] for url in urls if url.startswith(base_url)}
    others = [url for url in urls if not url.startswith(base_url)]
    # Links out of the site (in transcripts) are never fetched: no network in tests.
    assert all(urlsplit(url).scheme in {"https", "http", "mailto"} for url in others), others
    return sorted(same)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read(1024)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _screenshot(driver: Any, name: str, height: int = 1000) -> None:
    if os.environ.get("AMACAST_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(1280, height)
    try:
        driver.save_screenshot(str(SCREENSHOTS / name))
    finally:
        driver.set_window_size(1280, 1000)


def test_index_page(driver: Any, site: Site) -> None:
    driver.get(site.url)
    assert driver.execute_script("return document.documentElement.lang") == "en"
    assert driver.find_element("css selector", "h1").text == "Ask Us Anything"
    titles = [a.text for a in driver.find_elements("css selector", ".episode-item h3 a")]
    assert tuple(titles) == site.titles
    cover = driver.find_element("css selector", "img.cover")
    assert driver.execute_script("return arguments[0].naturalWidth", cover) > 0
    urls = _same_site_urls(driver, site.url)
    assert site.url + "podcast.xml" in urls and site.url + "atom.xml" in urls
    for url in urls:
        assert _status(url) == 200, url
    assert _console_errors(driver) == []
    _screenshot(driver, "index.png")


def test_episode_page_plays_and_seeks(driver: Any, site: Site) -> None:
    driver.get(site.url)
    driver.find_element("css selector", ".episode-item h3 a").click()
    assert driver.current_url.startswith(site.url + "episodes/")
    assert driver.find_element("css selector", "h1").text == site.titles[0]
    audio = driver.find_element("css selector", "audio#player")
    src = driver.execute_script("return arguments[0].currentSrc || arguments[0].src", audio)
    assert src.startswith(site.url + "audio/") and src.endswith(".mp3")
    assert _status(src) == 200
    urls = _same_site_urls(driver, site.url)
    for url in urls:
        assert _status(url) == 200, url
    assert src in urls

    chapters = driver.find_elements("css selector", ".chapters a.seek")
    assert len(chapters) >= 3
    target = chapters[2]
    start = float(target.get_attribute("data-start"))
    assert start > 1.0
    _screenshot(driver, "episode.png", height=1700)
    target.click()
    deadline = time.monotonic() + 10
    position = 0.0
    while time.monotonic() < deadline:
        position = float(driver.execute_script("return arguments[0].currentTime", audio))
        if position >= start - 0.25:
            break
        time.sleep(0.1)
    assert start - 0.25 <= position < start + 5, (start, position)
    assert driver.current_url.endswith("#t=" + target.get_attribute("href").split("#t=")[1])
    assert _console_errors(driver) == []


def test_episode_page_opened_at_a_time(driver: Any, site: Site) -> None:
    driver.get(site.url)
    href = driver.find_element("css selector", ".episode-item h3 a").get_attribute("href")
    driver.get(href + "#t=7.5")
    audio = driver.find_element("css selector", "audio#player")
    deadline = time.monotonic() + 10
    position = 0.0
    while time.monotonic() < deadline:
        position = float(driver.execute_script("return arguments[0].currentTime", audio))
        if position >= 7.0:
            break
        time.sleep(0.1)
    assert 7.0 <= position < 9.0
    assert _console_errors(driver) == []


def test_every_episode_page_is_clean(driver: Any, site: Site) -> None:
    driver.get(site.url)
    pages = [
        a.get_attribute("href") for a in driver.find_elements("css selector", ".episode-item h3 a")
    ]
    for page in pages:
        driver.get(page)
        assert driver.find_elements("css selector", "audio#player")
        headings = [
            int(h.tag_name[1]) for h in driver.find_elements("css selector", "h1,h2,h3,h4,h5,h6")
        ]
        assert headings[0] == 1
        assert all(b <= a + 1 for a, b in zip(headings, headings[1:], strict=False)), page
        assert _console_errors(driver) == []
    assert episode_page_path("x") == "episodes/x/index.html"
