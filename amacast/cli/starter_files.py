"""The files of a new project (``amacast init``): settings, an example episode, a workflow, a cover.

Pure functions from :class:`Defaults` to text or bytes; finding the defaults
out and writing the files is :mod:`amacast.cli.starter`'s job.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass

COVER_FILE = "cover.png"
#: Where a project without a known address is served: ``amacast serve``.
LOCAL_BASE_URL = "http://127.0.0.1:8000/"
#: The reusable action, as a blog repository's workflow names it.
ACTION = "amacast/amacast@v1"
COVER_PX = 1400
#: What a build makes: kept out of git (the workflow builds it again).
GITIGNORE = "# Made by amacast build/publish.\noutput/\n.amacast-cache/\n"

# The official actions, pinned to the commits the project's own workflows use.
CHECKOUT = "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2"
CONFIGURE_PAGES = "actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b # v5.0.0"
DEPLOY_PAGES = "actions/deploy-pages@d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e # v4.0.5"


@dataclass(frozen=True, slots=True)
class Defaults:
    """What ``amacast init`` puts into amacast.toml."""

    title: str
    author: str = ""
    email: str = ""
    base_url: str = LOCAL_BASE_URL
    language: str = "en"
    timezone: str = "UTC"
    #: The project's folder relative to the git repository's top, POSIX form ("." at the top).
    working_directory: str = "."


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def settings_text(defaults: Defaults) -> str:
    """amacast.toml for a new project, every key explained."""
    local = defaults.base_url == LOCAL_BASE_URL
    where = (
        "# Where output/ is served.  Not found from a GitHub remote, so this is\n"
        "# `amacast serve`'s address; the workflow passes the Pages address instead.\n"
        if local
        else "# Where output/ is served: the GitHub Pages address of this repository.\n"
    )
    owner = (
        f"owner_email = {_toml_string(defaults.email)}\n"
        if defaults.email
        else '# owner_email = "you@example.org"   # Apple shows it to no one but uses it\n'
    )
    return f"""# Settings of the podcast; `amacast build` checks every key.
# Paths are relative to this file.  The full list: docs/feeds.md.

title = {_toml_string(defaults.title)}
description = "Ask-me-anything sessions, transcribed and narrated."
author = {_toml_string(defaults.author)}
{owner}
{where}base_url = {_toml_string(defaults.base_url)}

language = {_toml_string(defaults.language)}
image = "{COVER_FILE}"            # square PNG/JPEG, 1400-3000 px a side
category = "Technology"         # Apple Podcasts category
explicit = false
timezone = {_toml_string(defaults.timezone)}   # for dates written without an offset

[audio]
engine = "piper"                # offline voice; "gtts" is online
"""


def example_episode(title: str, when: dt.datetime) -> str:
    """An example episode in the transcript format: it says how to write the next one."""
    stamp = when.replace(second=0, microsecond=0).isoformat()
    day = f"{when:%d %B %Y}".lstrip("0")
    show = _toml_string(f"Welcome to {title}")
    return f"""---
title: {show}
date: {stamp}
draft: false
description: "How this podcast is made: a transcript in, an episode out."
---

This first episode is an example.  It answers the questions people ask
before they publish their first session, in the format every episode uses.
Edit it, or delete it once your own sessions are in `episodes/`.

About the host,

> The host runs the sessions and publishes them with
> [amacast](https://pypi.org/project/amacast/).

---
AMA was conducted on {day}.

**Legend:**

- H: Host (host)
- P(n): Participants

---

**P1:** *Where do the episodes come from?*

**H:** Each file in the episodes folder is one session: front matter at the
top with a title and a date, a short introduction, a Legend that says who is
who, and then the turns.

**P2:** *How do I mark who is speaking?*

**H:** Start a paragraph with the speaker's code in bold, followed by a colon.
Questions are usually in italics.  A code from the Legend such as P(n) stands
for participants one, two, three and so on.

**P1:** *What does the build make of it?*

**H:** An Atom feed with the whole transcript, a podcast feed for podcast
apps, a page for every episode, and, when audio is on, an MP3 in which every
speaker has a voice of their own.

**P3:** *How do I check a new file?*

**H:** Run amacast validate.  Every problem comes with the file, the line
and a hint, and the build stops before it writes anything broken.
"""


def workflow_text(defaults: Defaults) -> str:
    """``.github/workflows/podcast.yml``: publish with the amacast action, deploy to Pages."""
    working = ""
    if defaults.working_directory != ".":
        working = f"\n          working-directory: {defaults.working_directory}"
    return f"""# Publish the podcast: validate the transcripts, build the feeds, the audio
# and the site with amacast, and deploy them to GitHub Pages.  Pull requests
# validate and build without audio, and never deploy.
# Once: Settings -> Pages -> Build and deployment -> Source: GitHub Actions.
name: Podcast

on:
  push:
    branches: [main]
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

# One deployment at a time; a newer push to a pull request cancels the older run.
concurrency:
  group: podcast-${{{{ github.event_name == 'pull_request' && github.ref || 'pages' }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}

jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    permissions:
      contents: read
      pages: read
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - id: pages
        if: github.event_name != 'pull_request'
        uses: {CONFIGURE_PAGES}
      - uses: {ACTION}
        with:
          base-url: ${{{{ steps.pages.outputs.base_url }}}}
          audio: ${{{{ github.event_name != 'pull_request' }}}}
          upload-pages-artifact: ${{{{ github.event_name != 'pull_request' }}}}{working}

  deploy:
    if: github.event_name != 'pull_request'
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: {DEPLOY_PAGES}
"""


def cover_png(size: int = COVER_PX) -> bytes:
    """A placeholder cover: an RGB PNG ``size`` px square, a gradient with a ring.

    Apple asks for a square RGB JPEG or PNG of 1400–3000 px.
    """
    import numpy as np
    import png

    axis = np.arange(size, dtype=np.float64) / (size - 1)
    y, x = np.meshgrid(axis, axis, indexing="ij")
    shade = (x + y) / 2.0
    image = np.empty((size, size, 3), dtype=np.float64)
    image[..., 0] = 40 + 70 * shade  # deep blue to violet
    image[..., 1] = 30 + 20 * shade
    image[..., 2] = 110 + 90 * shade
    radius = np.hypot(x - 0.5, y - 0.5)
    ring = (radius > 0.28) & (radius < 0.33)
    image[ring] = (245, 240, 230)
    dot = radius < 0.08
    image[dot] = (245, 240, 230)
    rows = np.clip(image, 0, 255).astype(np.uint8).reshape(size, size * 3)
    out = io.BytesIO()
    png.Writer(size, size, greyscale=False, bitdepth=8, compression=9).write(out, rows)
    return out.getvalue()
