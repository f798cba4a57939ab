"""Where things are on the site: an episode's page, the cover, absolute URLs."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from amacast.config import Settings


def episode_page_path(slug: str) -> str:
    """The episode page's path relative to the output folder."""
    return f"episodes/{slug}/index.html"


def cover_path(image: str) -> str:
    """Where the cover is: an absolute URL as given, else ``cover.<ext>`` in the output."""
    image = (image or "").strip()
    if not image:
        return ""
    if re.match(r"^[a-z][a-z0-9+.-]*://", image, re.IGNORECASE):
        return image
    suffix = PurePosixPath(image.replace("\\", "/")).suffix.lower()
    return f"cover{suffix}" if suffix else ""


def base_url(settings: Settings) -> str:
    base = str(settings.base_url or "")
    return base if base.endswith("/") or not base else base + "/"


def absolute_url(base: str, path: str) -> str:
    if not path or "://" in path:
        return path
    return base + path if base else path
