"""The YAML front matter: keys and their lines, types, the date and the slug.

Read with PyYAML (on libyaml when present), node by node, so that each key's
line is known and one bad value does not hide the others; anchors and
aliases are refused before anything is built from them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from amacast.transcript.report import BRIEF, Reader, short

_BLANKLINE_END = re.compile(r"^(---|\.\.\.)\s*$")

KNOWN_KEYS: frozenset[str] = frozenset(
    {
        "title", "date", "draft", "description", "slug", "image", "explicit",
        "episode", "season", "tags", "voices", "guid", "episode_type", "author", "lastmod",
        "people", "soundbites",
    }
)  # fmt: skip

_KEY_TYPES: Mapping[str, tuple[type, ...]] = {
    "draft": (bool,),
    "explicit": (bool,),
    "episode": (int,),
    "season": (int,),
    "description": (str,),
    "slug": (str,),
    "image": (str,),
    "guid": (str,),
    "author": (str,),
    "episode_type": (str,),
    "voices": (dict,),
    "tags": (list,),
    "people": (dict,),
    "soundbites": (list, dict),
}


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings: dates are checked by hand."""


class _FastFrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same, on libyaml when PyYAML has it (about ten times faster).

    Only for front matter of printable characters that loads without error:
    on an error the file is read again with :class:`_FrontMatterLoader`,
    whose messages and marks the diagnostics quote (a test checks that both
    read the same).
    """


for _loader in (_FrontMatterLoader, _FastFrontMatterLoader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


@dataclass(frozen=True)
class FrontMatter:
    """The front matter as read: its values, the line of each key, where the body starts."""

    #: Every key as YAML read it (unknown keys included).
    meta: dict[str, Any] = field(default_factory=dict)
    #: The line of each key, and of each key under ``voices:`` as ``"voices.<key>"``.
    lines: dict[str, int] = field(default_factory=dict)
    #: The index (0-based) of the first line after the front matter.
    body_start: int = 0


def read_front_matter(lines: list[str], reader: Reader) -> FrontMatter:
    """The front matter at the top of ``lines``; every problem with it reported."""
    if not lines or lines[0].rstrip() != "---":
        reader.report(
            1,
            1,
            "no-front-matter",
            "error",
            "the file does not start with YAML front matter",
            "start the file with a line `---`, then `title:` and `date:`, then `---`",
        )
        return FrontMatter()
    end = next((i for i in range(1, len(lines)) if _BLANKLINE_END.match(lines[i])), None)
    if end is None:
        reader.report(
            1,
            1,
            "no-front-matter",
            "error",
            "the front matter opened on line 1 is never closed",
            "end the front matter with a line `---`",
        )
        return FrontMatter(body_start=1)
    loaders: tuple[type[yaml.SafeLoader], ...] = (_FastFrontMatterLoader, _FrontMatterLoader)
    if not all(line.isprintable() for line in lines[1:end]):
        # libyaml lets through some tabs, BOMs and control characters PyYAML rejects.
        loaders = loaders[1:]
    node, loader = _mapping_node("\n".join(lines[1:end]), loaders, reader)
    if node is None:
        return FrontMatter(body_start=end + 1)
    meta, meta_lines = _read_mapping(node, loader, reader)
    return FrontMatter(meta, meta_lines, end + 1)


def _mapping_node(
    source: str, loaders: tuple[type[yaml.SafeLoader], ...], reader: Reader
) -> tuple[yaml.MappingNode | None, type[yaml.SafeLoader]]:
    """The front matter's YAML as a mapping node, and the loader that read it.

    None (the problem reported) when it holds an alias, is not valid YAML, is
    empty or is not a mapping.  On an error of the fast loader, the pure-Python
    one reads it again: its messages and marks are the ones quoted.
    """
    alias = _first_alias(source, loaders[0]) if "&" in source or "*" in source else None
    if alias is not None:
        reader.report(
            alias.line + 2,
            alias.column + 1,
            "front-matter-alias",
            "error",
            "the front matter uses a YAML anchor or alias (`&name` / `*name`); "
            "amacast does not expand them",
            "write each value out in full (quote it if `&` or `*` is meant literally)",
        )
        return None, loaders[0]
    try:
        node = _single_node(source, loaders[0]) if len(loaders) == 2 else None
    except yaml.YAMLError:
        node = None
        loaders = loaders[1:]  # the same again, for the pure-Python parser's own messages
    try:
        if len(loaders) == 1:
            node = _single_node(source, loaders[0])
    except yaml.YAMLError as exc:
        _report_syntax(exc, reader)
        return None, loaders[0]
    if node is not None and not isinstance(node, yaml.MappingNode):
        reader.report(
            node.start_mark.line + 2,
            1,
            "front-matter-not-mapping",
            "error",
            "the front matter is not a mapping of keys to values",
            'write it as `key: value` lines, e.g. `title: "AMA with …"`',
        )
        return None, loaders[0]
    return node, loaders[0]


def _report_syntax(exc: yaml.YAMLError, reader: Reader) -> None:
    """Report YAML that does not parse, where its mark says (line 2 without one)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        reader.report(
            (mark.line + 2) if mark else 2,
            (mark.column + 1) if mark else 1,
            "front-matter-syntax",
            "error",
            f"the front matter is not valid YAML: {exc.problem or exc}",
            "check quoting and indentation; quote values that contain `: ` "
            "or start with `*`, `&`, `!`",
        )
        return
    reader.report(
        2,
        1,
        "front-matter-syntax",
        "error",
        f"the front matter is not valid YAML: {exc}",
        "check the YAML syntax",
    )


def _read_mapping(
    node: yaml.MappingNode, loader: type[yaml.SafeLoader], reader: Reader
) -> tuple[dict[str, Any], dict[str, int]]:
    """Each key's value and line; a value that cannot be built is reported and left out."""
    meta: dict[str, Any] = {}
    meta_lines: dict[str, int] = {}
    constructor = loader("")
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 2
        try:
            key = constructor.construct_object(key_node, deep=True)
            value = constructor.construct_object(value_node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            reader.report(
                line,
                1,
                "front-matter-syntax",
                "error",
                f"cannot read this value: {exc}",
                "check the YAML syntax of this key",
            )
            continue
        key = str(key)
        if key in meta:
            reader.report(
                line,
                1,
                "front-matter-syntax",
                "error",
                f"the key `{short(key)}` is given twice",
                f"keep one `{short(key)}:` (the other is on line {meta_lines[key]})",
            )
        meta[key] = value
        meta_lines[key] = line
        if key == "voices" and isinstance(value_node, yaml.MappingNode):
            # Each speaker's own line, so that a bad voice is reported where it is written.
            for sub_node, _ in value_node.value:
                if isinstance(sub_node, yaml.ScalarNode):
                    meta_lines[f"voices.{sub_node.value}"] = sub_node.start_mark.line + 2
        _check_key(key, value, line, reader)
    constructor.dispose()
    return meta, meta_lines


def _first_alias(source: str, loader_class: type[yaml.SafeLoader]) -> yaml.Mark | None:
    """Where the first anchor or alias of ``source`` is, else None.

    Aliases are refused before anything is built from them: a few hundred
    bytes of nested aliases (a "billion laughs") expand to more values than
    any later step could walk.  Tokens only, so this costs a scan of the text.
    """
    try:
        loader = loader_class(source)
    except yaml.YAMLError:
        return None  # the error is reported where the document is read
    try:
        while loader.check_token():
            token = loader.get_token()  # type: ignore[no-untyped-call]
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                mark: yaml.Mark = token.start_mark
                return mark
    except yaml.YAMLError:
        return None  # likewise
    finally:
        loader.dispose()
    return None


def _single_node(source: str, loader_class: type[yaml.SafeLoader]) -> yaml.Node | None:
    """The one YAML document of ``source`` as a node tree (None when empty)."""
    loader = loader_class(source)
    try:
        node: yaml.Node | None = loader.get_single_node()
    finally:
        loader.dispose()
    return node


def _check_key(key: str, value: Any, line: int, reader: Reader) -> None:
    if key not in KNOWN_KEYS:
        close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
        hint = f"did you mean `{close[0]}`?" if close else "it is kept but amacast does not use it"
        reader.report(
            line, 1, "unknown-key", "warning", f"unknown front matter key `{short(key)}`", hint
        )
        return
    expected = _KEY_TYPES.get(key)
    if expected is None or value is None:
        return
    ok = isinstance(value, expected) and not (int in expected and isinstance(value, bool))
    if key == "tags" and ok:
        ok = all(isinstance(t, (str, int, float)) for t in value)
    if not ok:
        want = {
            "draft": "true or false",
            "explicit": "true or false",
            "episode": "a whole number",
            "season": "a whole number",
            "voices": "a mapping of speaker to voice",
            "people": "a mapping of speaker code to name, href and img",
            "soundbites": "a list of mappings with start, duration and title",
            "tags": "a list of words",
        }.get(key, "text")
        reader.report(
            line,
            1,
            "bad-key-type",
            "warning",
            f"`{key}` should be {want}, not {type(value).__name__} `{BRIEF.repr(value)}`",
            f"write `{key}:` as {want}; this value is ignored",
        )


def read_date(
    meta: Mapping[str, Any], meta_lines: Mapping[str, int], reader: Reader
) -> dt.datetime | None:
    if "date" not in meta or meta["date"] in (None, ""):
        return None
    raw = meta["date"]
    line = meta_lines.get("date", 2)
    if isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, dt.date):
        return dt.datetime(raw.year, raw.month, raw.day)
    value = str(raw).strip()
    try:
        return parse_date(value)
    except ValueError as exc:
        reader.report(
            line,
            1,
            "bad-date",
            "error",
            f"`date: {short(value)}` is not a valid date: {exc}",
            "write an ISO 8601 date such as `2019-11-13T15:14:46+05:30` or `2019-11-13`",
        )
        return None


_DATE_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[Tt ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}:?\d{2}|[+-]\d{2})?$"
)


def parse_date(value: str) -> dt.datetime:
    """Parse an ISO 8601 date or date-time (YAML's forms); naive when no zone is given."""
    m = _DATE_RE.match(value)
    if not m:
        raise ValueError("not in ISO 8601 form (YYYY-MM-DD, optionally THH:MM[:SS] and a zone)")
    micro = int((m["f"] or "0")[:6].ljust(6, "0"))
    tz: dt.tzinfo | None = None
    if m["tz"]:
        if m["tz"] in "Zz":
            tz = dt.UTC
        else:
            sign = -1 if m["tz"][0] == "-" else 1
            digits = m["tz"][1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:] or 0)
            if hours > 23 or minutes > 59:
                raise ValueError(f"the zone offset {m['tz']} is out of range")
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return dt.datetime(
        int(m["y"]),
        int(m["m"]),
        int(m["d"]),
        int(m["H"] or 0),
        int(m["M"] or 0),
        int(m["S"] or 0),
        micro,
        tzinfo=tz,
    )


def episode_slug(
    meta: Mapping[str, Any], meta_lines: Mapping[str, int], title: str, path: str
) -> tuple[str, int]:
    explicit = meta.get("slug")
    if isinstance(explicit, str) and slugify(explicit):
        return slugify(explicit), meta_lines.get("slug", 1)
    from_title = slugify(title)
    if from_title:
        return from_title, meta_lines.get("title", 1)
    stem = Path(path).name
    for suffix in (".md", ".markdown", ".txt"):
        stem = stem.removesuffix(suffix)
    return slugify(stem) or "episode", meta_lines.get("title", 1)


def slugify(text: str) -> str:
    """The slug amacast derives from a title: ASCII-folded, lower-case, words joined by hyphens.

    Empty when nothing Latin is left (the caller falls back to the file name).
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:80].strip("-")
