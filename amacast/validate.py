"""Rules over parsed episodes, one at a time and across the whole set.

The parser already reports what it finds while reading (encoding, front
matter, Legend, labels, mojibake); these rules look at the finished
``Episode`` values: required keys, dates, speakers, turns, slugs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from amacast.model import Diagnostic, Episode, Listing

_FRONT_MATTER_BROKEN = {
    "no-front-matter",
    "front-matter-syntax",
    "front-matter-not-mapping",
    "front-matter-alias",
    "not-utf8",
}


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
            "this episode is a draft: it is left out of the feeds and the site",
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
