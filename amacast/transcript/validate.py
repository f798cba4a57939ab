"""Rules over parsed episodes, one at a time and across the whole set.

The parser already reports what it finds while reading (encoding, front
matter, Legend, labels, mojibake); these rules look at the finished
``Episode`` values: required keys, dates, speakers, turns, slugs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from amacast.model import Diagnostic, Episode, Listing

_FRONT_MATTER_BROKEN = {
    "no-front-matter",
    "front-matter-syntax",
    "front-matter-not-mapping",
    "front-matter-alias",
    "not-utf8",
}

DRAFT_LEFT_OUT = "this episode is a draft: it is left out of the feeds and the site"
DRAFT_INCLUDED = "this episode is a draft: it is included because of --drafts"


def validate_episode(episode: Episode, timezone: str = "UTC") -> list[Diagnostic]:
    """Every diagnostic of one episode: the parser's plus the rules below."""
    found = list(episode.diagnostics)
    codes = {d.code for d in found}
    path = episode.path

    def report(
        line: int, code: str, severity: str, message: str, hint: str, column: int = 1
    ) -> None:
        found.append(Diagnostic(path, line, column, code, severity, message, hint))  # type: ignore[arg-type]

    if not codes & _FRONT_MATTER_BROKEN:
        if not episode.title:
            report(
                1,
                "missing-title",
                "error",
                "the front matter has no `title`",
                'add a line such as `title: "AMA with Sayak Paul"` to the front matter',
            )
        if "date" not in episode.meta or episode.meta.get("date") in (None, ""):
            report(
                1,
                "missing-date",
                "error",
                "the front matter has no `date`",
                "add a line such as `date: 2019-11-13T15:14:46+05:30` to the front matter",
            )
    if episode.date_is_naive:
        report(
            episode.meta_lines.get("date", 1),
            "naive-date",
            "warning",
            f"`date` has no timezone; it is read as {timezone}",
            f"add an offset such as `+05:30` or `Z`, or set `timezone` in amacast.toml "
            f"(now {timezone})",
        )
    if episode.draft:
        report(
            episode.meta_lines.get("draft", 1),
            "draft",
            "info",
            DRAFT_LEFT_OUT,
            "set `draft: false` to publish it (or build with --drafts to preview)",
        )
    if "no-legend" not in codes:
        if not episode.turns and not episode.draft:
            report(
                episode.legend_line or 1,
                "no-turns",
                "error",
                "the episode has no turns",
                "label each turn with a Legend code in bold, "
                "e.g. `**P1:** *question*` and `**S:** answer`",
            )
        spoken = {t.speaker for t in episode.turns}
        for speaker in episode.speakers:
            if not speaker.pattern and speaker.code not in spoken and episode.turns:
                report(
                    speaker.line,
                    "unused-speaker",
                    "warning",
                    f"`{speaker.code}: {speaker.name}` is in the Legend but never speaks",
                    f"remove them from the Legend, or label their turns `**{speaker.code}:**`",
                )
    for line, code, message, hint in _feed_keys(episode):
        report(line, code, "warning", message, hint)
    for turn in episode.turns:
        if not turn.text.strip() and turn.speaker in {s.code for s in episode.speakers}:
            report(
                turn.line,
                "empty-turn",
                "warning",
                f"the turn of `{turn.speaker}` has no text",
                "write what was said after the label, or delete the label",
                column=turn.label_column,
            )
    return found


_WEB_URL = re.compile(r"https?://[^\s/]+\S*")
_PERSON_KEYS = ("name", "href", "img")


def _feed_keys(episode: Episode) -> list[_Problem]:
    """Problems with what the podcast feed takes from the front matter.

    ``people`` (speaker code → full name, or ``name``/``href``/``img``),
    ``soundbites`` (``start``/``duration``/``title``) and ``image`` (an
    http(s) URL of a .jpg or .png).  Each is left out of the feed; the
    warning says why.  Types are checked by the parser (``bad-key-type``).
    """
    return [*_people_problems(episode), *_soundbite_problems(episode), *_image_problems(episode)]


#: A problem of a front-matter key the feed reads: line, code, message and hint.
_Problem = tuple[int, str, str, str]


def _people_problems(episode: Episode) -> list[_Problem]:
    """``people``: each key a Legend code, each value a name or name/href/img with URLs."""
    found: list[_Problem] = []
    people = episode.meta.get("people")
    if isinstance(people, dict):
        codes = [s.code for s in episode.speakers if not s.pattern]
        for code, entry in people.items():
            line = episode.meta_lines.get("people", 1)
            if str(code) not in codes:
                found.append(
                    (
                        line,
                        "bad-people",
                        f"`people` names `{code}`, who is not in the Legend",
                        f"use a Legend code ({', '.join(codes) or 'none'}) as the key",
                    )
                )
                continue
            entry = {"name": entry} if isinstance(entry, str) else entry
            if not isinstance(entry, dict) or set(map(str, entry)) - set(_PERSON_KEYS):
                found.append(
                    (
                        line,
                        "bad-people",
                        f"`people: {code}` is not a name or a mapping of name, href and img",
                        f'write e.g. `{code}: {{name: Sunil Rao, href: "https://…"}}`',
                    )
                )
                continue
            for key in ("href", "img"):
                value = entry.get(key)
                if value is not None and not (
                    isinstance(value, str) and _WEB_URL.fullmatch(value.strip())
                ):
                    found.append(
                        (
                            line,
                            "bad-people",
                            f"`people: {code}: {key}` is not an http(s) URL: {value!r}",
                            "give the full address, e.g. https://example.org/sunil.jpg; "
                            "it is left out of the feed",
                        )
                    )
    return found


def _soundbite_problems(episode: Episode) -> list[_Problem]:
    """``soundbites``: each with a ``start`` of 0 or more and a ``duration`` above 0."""
    found: list[_Problem] = []
    bites = episode.meta.get("soundbites")
    if isinstance(bites, (list, dict)):
        for number, bite in enumerate(bites if isinstance(bites, list) else [bites], start=1):
            numbers = (
                [bite.get("start"), bite.get("duration")] if isinstance(bite, dict) else [None]
            )
            ok = all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers)
            if not ok or numbers[0] < 0 or numbers[1] <= 0:  # type: ignore[operator]
                found.append(
                    (
                        episode.meta_lines.get("soundbites", 1),
                        "bad-soundbite",
                        f"soundbite {number} needs `start` (0 or more) and `duration` "
                        "(more than 0) in seconds",
                        "write e.g. `- {start: 73.5, duration: 30, title: Why on-call matters}`; "
                        "it is left out of the feed",
                    )
                )
    return found


def _image_problems(episode: Episode) -> list[_Problem]:
    """``image``: an http(s) URL of a .jpg or .png file."""
    found: list[_Problem] = []
    image = episode.meta.get("image")
    if isinstance(image, str) and image.strip():
        url = image.strip()
        if not (_WEB_URL.fullmatch(url) and url.endswith((".jpg", ".png"))):
            found.append(
                (
                    episode.meta_lines.get("image", 1),
                    "bad-image",
                    f"`image` is not an http(s) URL of a .jpg or .png file: {url!r}",
                    "Apple Podcasts takes episode art as a full URL ending in .jpg or .png; "
                    "it is left out of the podcast feed",
                )
            )
    return found


def validate_episodes(episodes: Sequence[Episode], timezone: str = "UTC") -> list[Diagnostic]:
    """Every diagnostic of a set of episodes, duplicate slugs and GUIDs included, in file order."""
    return with_duplicates(
        [d for episode in episodes for d in validate_episode(episode, timezone)], episodes
    )


def with_duplicates(
    found: Iterable[Diagnostic], episodes: Sequence[Episode | Listing]
) -> list[Diagnostic]:
    """``found`` (each episode's own diagnostics) with duplicate slugs and GUIDs, in file order.

    The episodes may be :class:`~amacast.model.Listing` s: a build that has
    each episode's own diagnostics from before only needs their slugs and GUIDs.
    """
    every = [*found, *_duplicates(episodes)]
    return sorted(every, key=lambda d: (d.path, d.line, d.column, d.code))


def _duplicates(episodes: Iterable[Episode | Listing]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    by_slug: dict[str, Episode | Listing] = {}
    by_guid: dict[str, Episode | Listing] = {}
    for episode in episodes:
        first = by_slug.setdefault(episode.slug, episode)
        if first is not episode:
            found.append(
                Diagnostic(
                    episode.path,
                    episode.slug_line,
                    1,
                    "duplicate-slug",
                    "error",
                    f"the slug `{episode.slug}` is also used by {first.path}:{first.slug_line}",
                    "give one of them a different `slug:` (or title) "
                    "so each has its own page and feed entry",
                )
            )
        guid = episode.guid
        if guid:
            first = by_guid.setdefault(guid, episode)
            if first is not episode:
                found.append(
                    Diagnostic(
                        episode.path,
                        episode.guid_line,
                        1,
                        "duplicate-guid",
                        "error",
                        f"the guid `{guid}` is also used by {first.path}:{first.guid_line}",
                        "every episode needs its own guid; "
                        "remove this one to let amacast derive it",
                    )
                )
    return found


def count_by_severity(diagnostics: Iterable[Diagnostic]) -> dict[str, int]:
    """How many errors, warnings and infos there are."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for d in diagnostics:
        counts[d.severity] += 1
    return counts


def strict(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The same diagnostics with warnings raised to errors (for --strict)."""
    return [
        Diagnostic(d.path, d.line, d.column, d.code, "error", d.message, d.hint)
        if d.severity == "warning"
        else d
        for d in diagnostics
    ]


def drafts_included(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The same diagnostics, the ``draft`` infos saying the draft is in (for --drafts)."""
    return [
        Diagnostic(
            d.path,
            d.line,
            d.column,
            d.code,
            d.severity,
            DRAFT_INCLUDED,
            "set `draft: false` to publish it without --drafts",
        )
        if d.code == "draft" and d.message == DRAFT_LEFT_OUT
        else d
        for d in diagnostics
    ]
