"""Durable identities: the GUID, number and URL an episode keeps once it is published.

Podcast apps know an episode by its GUID and listeners by its URL: neither
may change when a title is edited, and adding an older episode must not
renumber the later ones.  What was published is ``known``, a JSON-able
mapping the build keeps between builds (:func:`remember` makes the next one),
keyed by the episode's source path::

    {"episodes/2026-01-17-ama.md":
        {"guid": "…", "number": 1, "slug": "ama-with-x", "former_slugs": ["ama-wth-x"]}}

:func:`settle_identities` matches each episode to what was published (by its
explicit ``guid:``, else its path, else — for a renamed file — its slug) and
settles its :class:`Identity`; :func:`with_identity` gives the episode as
every stage then sees it (slug, ``guid`` and ``episode`` set), so feeds, site
and audio need no other input.  Pure: no files, no state store, no clock.

A build calls :func:`settle` once its episodes are parsed and validated (drafts
left out), hands ``settled.episodes`` to the stages, adds
``site.redirect_pages(settled.moves, settings)`` to the site's files, reports
``settled.diagnostics`` with the others (``slug-taken`` is an error), and keeps
``settled.known`` for the next build when, and only when, it commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard, TypeVar

from amacast.config import Settings
from amacast.model import Diagnostic, Episode, Listing


@dataclass(frozen=True, slots=True)
class Identity:
    """What names one episode for good: its feed GUID, its number and its URL's slug.

    ``former_slugs`` are the slugs it was published under before its slug was
    changed on purpose: each of their pages redirects to the current one.
    """

    guid: str
    number: int
    slug: str
    former_slugs: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The identity as one record of ``known``."""
        return {
            "guid": self.guid,
            "number": self.number,
            "slug": self.slug,
            "former_slugs": list(self.former_slugs),
        }


@dataclass(frozen=True, slots=True)
class Redirect:
    """A page that moved: ``episodes/<old_slug>/`` now leads to ``episodes/<new_slug>/``."""

    old_slug: str
    new_slug: str


@dataclass(frozen=True, slots=True)
class _Record:
    """One record of ``known``, read defensively (the store may hold anything)."""

    path: str
    guid: str
    number: int
    slug: str
    former_slugs: tuple[str, ...]


_Named = TypeVar("_Named", bound=Episode | Listing)


@dataclass(frozen=True)
class Settled:
    """A build's identity step in one value (:func:`settle`)."""

    episodes: list[Episode | Listing]
    """The episodes as the stages see them (:func:`with_identity`), in the order given."""
    diagnostics: list[Diagnostic]
    redirects: list[Redirect]
    known: dict[str, Any]
    """What to keep for the next build, once this one is committed."""

    @property
    def moves(self) -> dict[str, str]:
        """Old slug → new slug, for :func:`amacast.site.static.redirect_pages`."""
        return {r.old_slug: r.new_slug for r in self.redirects}


def settle(
    known: Mapping[str, Any], episodes: Sequence[Episode | Listing], settings: Settings
) -> Settled:
    """:func:`settle_identities`, the episodes given their identities, and the next ``known``."""
    identities, diagnostics, redirects = settle_identities(known, episodes, settings)
    return Settled(
        [with_identity(e, identities[e.path]) for e in episodes],
        diagnostics,
        redirects,
        remember(known, identities),
    )


def derived_guid(podcast_guid: str, slug: str) -> str:
    """The GUID of an episode without ``guid:``: UUIDv5 of its slug in the podcast's GUID.

    The same one the feeds gave before identities were kept, so episodes
    published then keep theirs.
    """
    return str(uuid.uuid5(uuid.UUID(podcast_guid), slug))


def settle_identities(
    known: Mapping[str, Any], episodes: Sequence[Episode | Listing], settings: Settings
) -> tuple[dict[str, Identity], list[Diagnostic], list[Redirect]]:
    """Each episode's identity (keyed by its path), what to tell the user, and the pages that moved.

    - A published episode keeps its GUID, number and slug.  When its slug
      would change only because the title did, the slug stays and a warning
      ``slug-kept`` at the title's line says how to move it.  An explicit
      ``slug:`` that differs moves it on purpose: the information
      ``slug-moved``, and a :class:`Redirect` from every slug it had before.
    - An explicit ``guid:`` or ``episode:`` in the front matter is used as
      written (a ``guid:`` that replaces a published GUID is the warning
      ``guid-changed``).
    - A new episode gets its ``guid:``, else :func:`derived_guid`; and its
      ``episode:``, else the next number after the highest ever published,
      in date order, so adding an older episode renumbers none.  With nothing
      published yet, episodes are numbered by date as the feeds always did.
    - A slug another episode holds or held (a redirect) is the error
      ``slug-taken``; a number two episodes share, the warning
      ``duplicate-episode-number``.

    ``episodes`` are those the build publishes (drafts left out), as
    :class:`~amacast.model.Episode` or :class:`~amacast.model.Listing`;
    paths must be given as ``known`` keys them (relative to the project).
    """
    records = _records(known)
    matched = _match(records, episodes)
    diagnostics: list[Diagnostic] = []
    identities: dict[str, Identity] = {}
    fresh: list[Episode | Listing] = []
    for episode in episodes:
        record = matched.get(episode.path)
        if record is None:
            fresh.append(episode)
            continue
        identities[episode.path] = _kept(episode, record, settings, diagnostics)
    highest = max(
        [r.number for r in records]
        + [i.number for i in identities.values()]
        + [n for n in (_explicit_number(e) for e in episodes) if n is not None],
        default=0,
    )
    numbers = _numbers(fresh, settings.tz, highest if records else 0)
    for episode in fresh:
        guid = episode.guid or derived_guid(settings.podcast_guid, episode.slug)
        identities[episode.path] = Identity(guid, numbers[episode.path], episode.slug)
    diagnostics += _clashes(episodes, identities)
    redirects = [
        Redirect(old, identity.slug)
        for identity in identities.values()
        for old in identity.former_slugs
        if old not in {other.slug for other in identities.values()}
    ]
    order = {e.path: n for n, e in enumerate(episodes)}
    diagnostics.sort(key=lambda d: (d.path, d.line, d.column, d.code))
    redirects.sort(key=lambda r: (r.old_slug, r.new_slug))
    return dict(sorted(identities.items(), key=lambda kv: order[kv[0]])), diagnostics, redirects


def remember(known: Mapping[str, Any], identities: Mapping[str, Identity]) -> dict[str, Any]:
    """The ``known`` of the next build: what was published before, updated with ``identities``.

    Episodes no longer built (deleted, or made drafts again) are remembered
    all the same, so their numbers are never given again and they get their
    identity back if they return; a renamed file's record moves to its new path.
    """
    moved = {identity.guid for identity in identities.values()}
    result = {
        record.path: {
            "guid": record.guid,
            "number": record.number,
            "slug": record.slug,
            "former_slugs": list(record.former_slugs),
        }
        for record in _records(known)
        if record.guid not in moved and record.path not in identities
    }
    result.update((path, identity.as_dict()) for path, identity in identities.items())
    return dict(sorted(result.items()))


def with_identity(episode: _Named, identity: Identity) -> _Named:
    """The episode as the stages see it: its settled slug, and ``guid``/``episode`` in its meta.

    The feeds read the GUID and number from there (:func:`amacast.feeds.build_feeds`
    needs nothing else) and the site and audio name files by the slug.
    """
    meta = {**episode.meta, "guid": identity.guid, "episode": identity.number}
    return dataclasses.replace(episode, slug=identity.slug, meta=meta)


def next_episode_number(episodes: Iterable[Episode | Listing], tz: dt.tzinfo = dt.UTC) -> int:
    """The number after the highest the episodes have (``episode:``, else their place by date).

    What ``amacast new`` writes into a new episode: drafts count by their
    explicit numbers, published episodes by the numbers the feeds give them.
    """
    every = list(episodes)
    published = [e for e in every if not e.draft]
    numbers = _numbers(published, tz, 0)
    explicit = [n for n in (_explicit_number(e) for e in every) if n is not None]
    return max([*numbers.values(), *explicit], default=0) + 1


def _records(known: Mapping[str, Any]) -> list[_Record]:
    """The well-formed records of ``known``; anything else in it is passed over."""
    found: list[_Record] = []
    if not isinstance(known, Mapping):
        return found
    for path, value in known.items():
        if not isinstance(path, str) or not isinstance(value, Mapping):
            continue
        guid, number, slug = value.get("guid"), value.get("number"), value.get("slug")
        former = value.get("former_slugs") or []
        if not (isinstance(guid, str) and guid and isinstance(slug, str) and slug):
            continue
        if not _is_number(number) or not isinstance(former, list):
            continue
        olds = tuple(s for s in former if isinstance(s, str) and s)
        found.append(_Record(path, guid, number, slug, olds))
    return found


def _is_number(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _explicit_number(episode: Episode | Listing) -> int | None:
    value = episode.meta.get("episode")
    return value if _is_number(value) else None


def _match(records: Sequence[_Record], episodes: Sequence[Episode | Listing]) -> dict[str, _Record]:
    """Each episode's published record: by explicit guid, else by path, else by slug.

    Each way looks records up in an index (first unclaimed record wins), so
    a show of thousands of episodes settles in linear time.
    """
    matched: dict[str, _Record] = {}
    claimed: set[int] = set()

    def index_by(keys: Callable[[_Record], Iterable[str]]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for at, record in enumerate(records):
            for key in keys(record):
                found.setdefault(key, []).append(at)
        return found

    def claim(episode: Episode | Listing, candidates: Iterable[int]) -> None:
        for at in candidates:
            if at not in claimed:
                matched[episode.path] = records[at]
                claimed.add(at)
                return

    by_guid = index_by(lambda record: [record.guid])
    for episode in episodes:
        guid = episode.guid
        if guid:
            claim(episode, by_guid.get(guid, ()))
    by_path = index_by(lambda record: [record.path])
    for episode in episodes:
        if episode.path not in matched:
            claim(episode, by_path.get(episode.path, ()))
    current = {episode.path for episode in episodes}
    by_slug = index_by(
        lambda record: [] if record.path in current else [record.slug, *record.former_slugs]
    )
    for episode in episodes:
        if episode.path not in matched:
            claim(episode, sorted(set(by_slug.get(episode.slug, ()))))
    return matched


def _kept(
    episode: Episode | Listing, record: _Record, settings: Settings, found: list[Diagnostic]
) -> Identity:
    """The identity of a published episode, and what to say about what would have changed."""
    guid = record.guid
    if episode.guid and episode.guid != record.guid:
        guid = episode.guid
        found.append(
            _diagnostic(
                episode,
                _line(episode, "guid"),
                "guid-changed",
                "warning",
                f"the guid changed from `{record.guid}`, published before: "
                "podcast apps will list this episode twice",
                f"put back `guid: {record.guid}` unless the episode is meant to be a new one",
            )
        )
    number = _explicit_number(episode) or record.number
    slug, former = record.slug, record.former_slugs
    if episode.slug != record.slug:
        explicit = bool(episode.meta.get("slug"))  # a Listing keeps `slug:` too
        if explicit:
            former = tuple(s for s in (*former, record.slug) if s != episode.slug)
            slug = episode.slug
            found.append(
                _diagnostic(
                    episode,
                    _line(episode, "slug"),
                    "slug-moved",
                    "info",
                    f"the URL moves from {settings.episode_url(record.slug)} "
                    f"to {settings.episode_url(slug)}",
                    f"the old page redirects to the new one; put back `slug: {record.slug}` "
                    "to keep the old URL",
                )
            )
        else:
            what = "the title changed" if episode.title else "the slug would change"
            found.append(
                _diagnostic(
                    episode,
                    _line(episode, "title"),
                    "slug-kept",
                    "warning",
                    f"{what}; the URL stays {settings.episode_url(record.slug)}",
                    f"set `slug: {episode.slug}` to move it (the old URL then redirects), "
                    f"or `slug: {record.slug}` to keep it and silence this warning",
                )
            )
    return Identity(guid, number, slug, former)


def _numbers(episodes: Sequence[Episode | Listing], tz: dt.tzinfo, highest: int) -> dict[str, int]:
    """Numbers for episodes not published before: ``episode:`` if given, else counted on.

    With nothing published (``highest`` 0) the count is each episode's place
    by date among them, as the feeds numbered episodes before identities were
    kept; otherwise it goes on from ``highest``.  Episodes without a date come last.
    """
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    ordered = sorted(episodes, key=lambda e: (e.published(tz) or far, e.slug))
    numbers: dict[str, int] = {}
    counted = highest
    for place, episode in enumerate(ordered, start=1):
        explicit = _explicit_number(episode)
        if highest == 0:
            numbers[episode.path] = explicit or place
        elif explicit is not None:
            numbers[episode.path] = explicit
        else:
            counted += 1
            numbers[episode.path] = counted
    return numbers


def _clashes(
    episodes: Sequence[Episode | Listing], identities: Mapping[str, Identity]
) -> list[Diagnostic]:
    """Slugs two episodes would both be published under, and numbers two share."""
    found: list[Diagnostic] = []
    holder: dict[str, Episode | Listing] = {}
    for episode in episodes:
        identity = identities[episode.path]
        for slug in (identity.slug, *identity.former_slugs):
            holder.setdefault(slug, episode)
    by_number: dict[int, Episode | Listing] = {}
    for episode in episodes:
        identity = identities[episode.path]
        first = holder[identity.slug]
        if first is not episode:
            page = identities[first.path]
            how = "its URL" if page.slug == identity.slug else "a URL that redirects to it"
            found.append(
                _diagnostic(
                    episode,
                    episode.slug_line,
                    "slug-taken",
                    "error",
                    f"the slug `{identity.slug}` is {how}: {first.path} has it",
                    f"give this episode its own `slug:` (e.g. `slug: {identity.slug}-2`)",
                )
            )
        other = by_number.setdefault(identity.number, episode)
        if other is not episode:
            found.append(
                _diagnostic(
                    episode,
                    _line(episode, "episode"),
                    "duplicate-episode-number",
                    "warning",
                    f"episode number {identity.number} is also {other.path}'s",
                    "give each episode its own `episode:` number, "
                    "or remove this one to number it after the others",
                )
            )
    return found


def _lines(episode: Episode | Listing) -> Mapping[str, int]:
    return episode.meta_lines if isinstance(episode, Episode) else {}


def _line(episode: Episode | Listing, key: str) -> int:
    if key == "slug" or (key == "title" and "slug" not in _lines(episode)):
        return episode.slug_line
    if key == "guid" and isinstance(episode, Listing):
        return episode.guid_line
    return _lines(episode).get(key, 1)


def _diagnostic(
    episode: Episode | Listing, line: int, code: str, severity: str, message: str, hint: str
) -> Diagnostic:
    return Diagnostic(episode.path, line, 1, code, severity, message, hint)  # type: ignore[arg-type]
