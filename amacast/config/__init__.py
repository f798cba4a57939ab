"""The settings of a project: ``amacast.toml`` read once, checked against one schema.

``options`` holds the small validators (with ``show_options`` and
``audio_options`` for the show's and the audio's own), ``schema`` the tables of keys,
``voices`` the voice names and the checks of a voice mapping, ``lines`` the
one scanner that says where each key is, ``settings`` the typed
:class:`Settings`, ``loading`` :func:`load_settings`.  Other modules import from here.
"""

from amacast.config.lines import KeyLines, scan_keys
from amacast.config.loading import (
    ENV_KEYS,
    RECOMMENDED,
    REQUIRED_FOR_BUILD,
    key_lines,
    load_settings,
)
from amacast.config.schema import APPLE_CATEGORIES, REMOTE_URL, brief, image_size, settings_table
from amacast.config.settings import (
    CONFIG_FILE,
    PODCAST_GUID_NAMESPACE,
    RenderSettings,
    Settings,
    podcast_guid_for_url,
)

__all__ = [
    "APPLE_CATEGORIES",
    "CONFIG_FILE",
    "ENV_KEYS",
    "PODCAST_GUID_NAMESPACE",
    "RECOMMENDED",
    "REMOTE_URL",
    "REQUIRED_FOR_BUILD",
    "KeyLines",
    "RenderSettings",
    "Settings",
    "brief",
    "image_size",
    "key_lines",
    "load_settings",
    "podcast_guid_for_url",
    "scan_keys",
    "settings_table",
]
