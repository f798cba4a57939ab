"""The front half every command shares: settings, then episodes, then every problem, before audio.

``amacast validate``, ``build``, ``render`` and ``publish`` report the same
problems because they ask the same two functions, in this order:

1. :func:`check_settings`: ``amacast.toml``, every table (``[audio]`` and
   ``[voices]`` included), each problem at its key's own line with a "did you
   mean"; a build stops here on an error, before it reads a transcript.
2. :func:`check_episodes`: each episode's own diagnostics (the parser's and
   :func:`amacast.transcript.validate.validate_episode`'s), duplicate slugs and GUIDs,
   the published identities (``slug-kept``, ``slug-taken``, ... settled
   against the build state, which is only read here), and, when audio is in
   play, each episode's ``voices:`` against its Legend.

:func:`~amacast.build.pipeline.build_all` calls them as its steps 1 and 4:
between them it takes the lock and reads the transcripts through its cache
(listings and diagnostics kept from the last build, pages rendered where
episodes are parsed).  :func:`check_project` runs both on freshly parsed
files for ``validate`` and ``render``, and writes nothing: not the state,
not the parsed-episode cache.

What this module must not know: the output folder, pages, feeds, rendering.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from amacast.build import state
from amacast.build.audio import relative_to
from amacast.build.identity import Identity, remember, settle_identities
from amacast.build.sources import load_episodes, project_cache_folder
from amacast.config import Settings, load_settings
from amacast.model import Diagnostic, Episode, Listing, whole
from amacast.transcript.files import project_episodes
from amacast.transcript.validate import validate_episode, with_duplicates

#: What ``validate`` asks of the settings: ``base_url`` may come with ``build --base-url``.
FOR_VALIDATE: tuple[tuple[str, ...], tuple[str, ...]] = (("title",), ("base_url",))


@dataclass(frozen=True)
class Checked:
    """What the front half found: the settings, the episodes to publish, every problem."""

    settings: Settings
    #: The settings' problems first (in the file's order), then the episodes' (by path,
    #: line, column, code), paths relative to the project where inside it.
    diagnostics: tuple[Diagnostic, ...] = ()
    #: The episodes that would be published (drafts only with ``drafts``), without errors,
    #: in file order; each still as read (see :attr:`identities`).
    published: tuple[Episode | Listing, ...] = ()
    #: Slugs of the episodes left out for their errors.
    left_out: tuple[str, ...] = ()
    #: Slugs of the drafts left out.
    drafts_skipped: tuple[str, ...] = ()
    #: Each published episode's identity, by path.
    identities: Mapping[str, Identity] = field(default_factory=dict)
    #: Pages that moved: old slug -> new slug.
    moves: Mapping[str, str] = field(default_factory=dict)
    #: What the state should remember of published identities after a build.
    remembered: Mapping[str, Any] | None = None
    #: True when a problem stops the whole build, ``--keep-going`` or not (the
    #: settings, a published identity, a published episode's voices).
    blocked: bool = False
    #: How many of :attr:`diagnostics` (the first) are the settings'.
    settings_count: int = 0

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics with severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def stops(self, keep_going: bool) -> bool:
        """True when a build stops here: ``keep_going`` leaves out episodes with errors."""
        return self.blocked or (bool(self.left_out) and not keep_going)


def check_settings(
    root: Path,
    overrides: Mapping[str, str] | None = None,
    *,
    required: Collection[str] | None = None,
    expected: Collection[str] = (),
) -> tuple[Settings, list[Diagnostic]]:
    """Step 1: ``amacast.toml`` read into Settings, with every problem of every table.

    ``required`` None is what a build needs (``title`` and ``base_url``).
    """
    if required is None:
        return load_settings(root, overrides, expected=expected)
    return load_settings(root, overrides, required=required, expected=expected)


def check_episodes(
    root: Path,
    settings: Settings,
    listed: Sequence[Episode | Listing],
    own: Mapping[str, Sequence[Diagnostic]],
    full: Callable[[Listing], Episode] | None,
    *,
    cache: Path,
    drafts: bool = False,
    check_drafts: bool = False,
    with_audio: bool = False,
    settle: bool = True,
) -> Checked:
    """Step 4: every problem of the episodes, and what a build would publish.

    ``listed`` are the project's episodes in file order (listings where the
    build has them from its cache; ``full`` loads one whole), ``own`` each
    one's own diagnostics by path.  ``drafts`` publishes drafts;
    ``check_drafts`` checks them without publishing them (``validate``).
    ``settle`` settles published identities against the state in ``cache``
    (read only; nothing before a first build).  ``with_audio`` checks each
    episode's ``voices:`` (loading it whole).  Diagnostics are returned
    without the settings' (see :func:`check_project`).
    """
    skipped = tuple(e.slug for e in listed if e.draft and not drafts)
    selected = [e for e in listed if drafts or check_drafts or not e.draft]
    found = with_duplicates([d for e in selected for d in own.get(e.path, ())], selected)
    bad_paths = {d.path for d in found if d.severity == "error"}
    published = [e for e in selected if e.path not in bad_paths and (drafts or not e.draft)]
    left_out = tuple(e.slug for e in selected if e.path in bad_paths and (drafts or not e.draft))
    identities: dict[str, Identity] = {}
    moves: dict[str, str] = {}
    remembered: dict[str, Any] | None = None
    blocked = False
    if settle:
        stored = _stored_identities(cache)
        known = {_joined(root, path): record for path, record in stored.items()}
        identities, settled, redirects = settle_identities(known, published, settings)
        base = str(root)
        if not _as_stored(identities, stored, base):
            remembered = {
                _relative_path(path, base): record
                for path, record in remember(known, identities).items()
            }
            if remembered == stored:
                remembered = None  # the state has them as they are
        moves = {r.old_slug: r.new_slug for r in redirects}
        found += settled
        blocked = any(d.severity == "error" for d in settled)
    if with_audio:
        from amacast.audio.voices import check_episode_voices  # the audio side, when asked

        voiced = check_episode_voices(settings, [whole(e, full) for e in selected])
        found += voiced
        good = {e.path for e in published}
        blocked = blocked or any(d.severity == "error" and d.path in good for d in voiced)
    found = [relative_to(d, root) for d in found]
    return Checked(
        settings=settings,
        diagnostics=tuple(sorted(found, key=lambda d: (d.path, d.line, d.column, d.code))),
        published=tuple(published),
        left_out=left_out,
        drafts_skipped=skipped,
        identities=identities,
        moves=moves,
        remembered=remembered,
        blocked=blocked,
    )


def _stored_identities(cache: Path) -> dict[str, Any]:
    """The identities in the state, by path relative to the project; none before a build."""
    if not (cache / state.STATE_FILE).is_file():
        return {}
    return dict(state.identities(cache))


def _as_stored(identities: Mapping[str, Identity], stored: Mapping[str, Any], root: str) -> bool:
    """True when the state holds exactly ``identities``: nothing for it to remember anew.

    The quick answer for the usual rebuild, in which every identity stays as
    it was: what :func:`~amacast.build.identity.remember` would make is then
    ``stored`` itself.
    """
    return len(identities) == len(stored) and all(
        stored.get(_relative_path(path, root)) == identity.as_dict()
        for path, identity in identities.items()
    )


def _joined(root: Path, path: str) -> str:
    """``str(root / path)``, without pathlib's cost for a plain path under an absolute root."""
    plain = not path.startswith("/") and "/." not in f"/{path}" and "//" not in path
    if root.is_absolute() and plain:
        return f"{root}/{path}" if str(root) != "/" else f"/{path}"
    return str(root / path)


def _relative_path(path: str, root: str) -> str:
    """``os.path.relpath(path, root)``, without its cost for a plain path under an absolute root."""
    prefix = root if root.endswith("/") else f"{root}/"
    if root.startswith("/") and path.startswith(prefix) and "/." not in path and "//" not in path:
        return path[len(prefix) :]
    return os.path.relpath(path, root)


def check_project(
    root: Path,
    files: Sequence[Path] | None = None,
    *,
    drafts: bool = False,
    check_drafts: bool = False,
    overrides: Mapping[str, str] | None = None,
    required: Collection[str] | None = None,
    expected: Collection[str] = (),
    with_audio: bool = True,
    settle: bool = True,
    engine: str | None = None,
) -> tuple[Checked, list[Episode]]:
    """Both steps over freshly parsed transcripts, writing nothing: ``validate`` and ``render``.

    ``files`` default to the project's ``episodes/*.md``.  Returns what was
    found (:attr:`Checked.diagnostics` with the settings' first) and every
    episode parsed, in file order.  ``required`` and ``expected`` as for
    :func:`check_settings`; ``engine`` replaces ``[audio] engine`` (``render --engine``).
    """

    settings, problems = check_settings(root, overrides, required=required, expected=expected)
    if engine is not None:
        settings = replace(settings, audio={**settings.audio, "engine": engine})
    paths = project_episodes(root) if files is None else list(files)
    episodes = load_episodes(paths, None)  # parsed (on every core when many), stored nowhere
    own = {e.path: validate_episode(e, settings.timezone) for e in episodes}
    checked = check_episodes(
        root,
        settings,
        episodes,
        own,
        None,
        cache=project_cache_folder(root, settings.audio),
        drafts=drafts,
        check_drafts=check_drafts,
        with_audio=with_audio,
        settle=settle,
    )
    blocked = checked.blocked or any(d.severity == "error" for d in problems)
    return replace(
        checked,
        diagnostics=(*problems, *checked.diagnostics),
        blocked=blocked,
        settings_count=len(problems),
    ), episodes
