"""``amacast new``: a new transcript file with front matter and a Legend, ready to fill in.

The front matter names the episode for good from the start: a fresh ``guid:``
(a random UUID) and ``episode:``, the number after the highest in
``episodes/`` (:func:`amacast.build.identity.next_episode_number`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo
from pathlib import Path

from amacast.build.identity import next_episode_number
from amacast.transcript.files import EPISODES_DIR, find_episode_files
from amacast.transcript.front_matter import slugify
from amacast.transcript.parse import parse_episode


class EpisodeExistsError(FileExistsError):
    """The file ``amacast new`` would write is already there."""


def new_episode_text(title: str, when: dt.datetime, guid: str, number: int) -> str:
    """The Markdown of a new episode: a draft with every part of the format in place."""
    quoted = json.dumps(title, ensure_ascii=False)
    stamp = when.replace(microsecond=0).isoformat()
    day = f"{when:%d %B %Y}".lstrip("0")
    return f"""---
title: {quoted}
date: {stamp}
draft: true
episode: {number}
guid: "{guid}"
description: "One sentence: who the guest is and what the session covered."
---

A short introduction: how the session came about and who took part.

About the guest,

> A few lines about the guest, with a [link](https://example.org/) to their work.

---
AMA was conducted on {day}.

**Legend:**

- G: Guest Name
- H: Host Name (host)
- P(n): Participants

---

**H:** Welcome, everyone. Our guest today is Guest Name.

**P1:** *The first question?*

**G:** The answer, in as many paragraphs as it needs.

**P2:** *The next question?*

**G:** Another answer.
"""


def new_episode(
    root: Path, title: str, when: dt.datetime | None = None, timezone: str = "UTC"
) -> Path:
    """Write ``episodes/<date>-<slug>.md`` under ``root`` and return its path.

    ``when`` defaults to now in UTC; the file is a draft (``draft: true``)
    with a new ``guid:`` and the next ``episode:`` number (dates without a
    zone in the other episodes are read in ``timezone`` to number them).
    Raises :class:`EpisodeExistsError` rather than overwrite, and
    ``ValueError`` for a title with nothing to make a file name from.
    """
    if not title.strip():
        raise ValueError("the title is empty")
    moment = when or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    slug = slugify(title) or "episode"
    folder = root / EPISODES_DIR
    path = folder / f"{moment:%Y-%m-%d}-{slug}.md"
    folder.mkdir(parents=True, exist_ok=True)
    others = [parse_episode(p) for p in find_episode_files([folder])]
    number = next_episode_number(others, zoneinfo.ZoneInfo(timezone))
    text = new_episode_text(title.strip(), moment, str(uuid.uuid4()), number)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    except FileExistsError as error:
        raise EpisodeExistsError(f"{path} already exists") from error
    return path
