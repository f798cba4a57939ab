"""Episode pages rendered in worker processes: the same bytes as the stage renders here."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import amacast.build.pages as pages_module
import amacast.build.workers as workers_module
from amacast.build.pages import pages_rendering, waiting_path
from amacast.model import Episode
from amacast.site.pages import Pages, render_site
from tests.test_site import SETTINGS, audio_for, episodes  # noqa: F401  (a fixture)


def test_pages_rendered_by_worker_processes_equal_those_rendered_here(
    episodes: list[Episode],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    many = [
        replace(episode, slug=f"{episode.slug}-{n}", title=f"{episode.title} #{n}")
        for n in range(60)
        for episode in episodes
    ]
    audio = {e.slug: audio_for(e) for e in many[::3]}
    here = render_site(many, SETTINGS, audio, None)
    pools: list[object] = []
    real_pool = workers_module.forked_pool

    @contextlib.contextmanager
    def recording(workers: int) -> Iterator[object]:
        with real_pool(workers) as pool:
            pools.append(pool)
            yield pool

    monkeypatch.setattr(pages_module, "forked_pool", recording)
    into = tmp_path / "scratch"
    with pages_rendering(Pages(SETTINGS), many, audio, into, jobs=2) as collect:
        written = collect()
    assert pools and pools[0] is not None  # the pages really went to workers
    pages = {name: content for name, content in here.items() if name.startswith("episodes/")}
    assert len(pages) == len(many)
    assert written == {name: hashlib.sha256(content).hexdigest() for name, content in pages.items()}
    assert {name: waiting_path(into, name).read_bytes() for name in pages} == pages
