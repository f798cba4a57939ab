"""Bytes of one transcript → ``Episode``.

Never raises on user input: every problem found while reading becomes a
``Diagnostic`` on ``episode.diagnostics``, and the parser carries on with what
it can still read, so one run reports everything.  Markdown is parsed with
pyromark (the pulldown-cmark parser: CommonMark with tables and
strikethrough), whose events carry source ranges for exact line numbers, and
front matter with PyYAML.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import reprlib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyromark
import yaml
from pyromark.event import BrokenLink, Event, Range

from amacast.model import Block, Diagnostic, Episode, Role, Severity, Speaker, Turn
from amacast.transcript.markup import bare_urls, clean_html, clean_html_many, may_hold_urls

_OPTIONS = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH

# Unicode "format" characters (category Cf) that chat apps leave behind:
# bidi controls such as U+202C, zero-width spaces and joiners, BOMs.
_INVISIBLE = re.compile(
    r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)

# A bold label at the start of a line: **P1:**, **P1**:, **P1‬:**, **P1**‬:
_LABEL = re.compile(
    r"^(?P<indent>[ \t]{0,3})\*\*(?P<inner>[^*\n]{1,60}?)\*\*"
    r"(?P<after>[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]*[ \t]*:)?"
)
# What a speaker code looks like when it is not in the Legend (S, P13, AB2).
_CODE_LIKE = re.compile(r"^[A-Z]{1,3}\d{0,3}$")
_PATTERN = re.compile(r"^(?P<prefix>[A-Za-z]+)\s*\(\s*n\s*\)$")
_LEGEND_ITEM = re.compile(r"^\s*(?P<code>[^:]{1,40}?)\s*:\s*(?P<name>.+?)\s*$")
_ROLE_SUFFIX = re.compile(r"\s*\((?P<role>guest|host|participant|narrator)s?\)\s*$", re.I)
# A Legend name written as a Markdown link: `[Sunil Rao](https://…)`.
_LINKED_NAME = re.compile(r"^\[(?P<name>[^\]]+)\]\(\s*<?(?P<href>https?://[^\s)>]+)>?\s*\)$")
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


# Messages quote user values through this: a few dozen characters, however large the value.
_BRIEF = reprlib.Repr()
_BRIEF.maxstring = _BRIEF.maxother = 60
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxdict = _BRIEF.maxset = 4
_BRIEF.maxlevel = 2


def _short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis) for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


@dataclass
class _Reader:
    """Per-file parsing state: where we are and what we found wrong."""

    path: str
    lines: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(
        self, line: int, column: int, code: str, severity: Severity, message: str, hint: str = ""
    ) -> None:
        self.diagnostics.append(Diagnostic(self.path, line, column, code, severity, message, hint))


def parse_episode(path: Path | str, data: bytes | None = None) -> Episode:
    """Read one transcript file (or ``data`` given for it) into an Episode."""
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            reader = _Reader(str(path))
            reader.report(
                1,
                1,
                "unreadable",
                "error",
                f"cannot read the file: {exc.strerror}",
                "check that the path exists and is a readable file",
            )
            return _empty_episode(reader, hashlib.sha256(b"").hexdigest())
    return parse_episode_bytes(data, str(path))


EPISODE_SUFFIXES = (".md", ".markdown")


def find_episode_files(paths: Iterable[Path | str]) -> list[Path]:
    """The transcript files named by ``paths``: files as given, folders' ``*.md`` (sorted)."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.suffix in EPISODE_SUFFIXES and p.is_file())
            )
        else:
            found.append(path)
    return found


def parse_episode_bytes(data: bytes, path: str) -> Episode:
    """Parse a transcript's bytes; ``path`` is used for diagnostics and the slug."""
    reader = _Reader(path)
    source_hash = hashlib.sha256(data).hexdigest()
    text = _decode(data, reader)
    return _parse_text(text, reader, source_hash)


def parse_episode_text(text: str, path: str = "<text>") -> Episode:
    """Parse a transcript already decoded to text."""
    return parse_episode_bytes(text.encode("utf-8", "surrogatepass"), path)


# --- decoding -------------------------------------------------------------------------


def _decode(data: bytes, reader: _Reader) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        reader.report(
            1,
            1,
            "not-utf8",
            "error",
            "the file is UTF-16, not UTF-8",
            "re-save it as UTF-8 (without BOM), e.g. `iconv -f UTF-16 -t UTF-8`",
        )
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return data.decode("utf-8", "replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        bad = data[start : start + 4]
        reader.report(
            line,
            column,
            "not-utf8",
            "error",
            f"the file is not valid UTF-8: byte 0x{data[start]:02x} "
            f"at line {line}, column {column}",
            _encoding_hint(data, bad),
        )
        text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        reader.report(
            1,
            1,
            "bom",
            "warning",
            "the file starts with a byte-order mark (BOM)",
            "re-save the file as UTF-8 without BOM; amacast ignores it",
        )
        text = text[1:]
    return text


def _encoding_hint(data: bytes, bad: bytes) -> str:
    try:
        sample = data.decode("cp1252")
    except UnicodeDecodeError:
        return (
            "re-save the file as UTF-8; it looks like Latin-1 (ISO-8859-1): "
            "`iconv -f LATIN1 -t UTF-8`"
        )
    if any(ch in sample for ch in "‘’“”–—€"):
        return (
            "it looks like Windows-1252 (curly quotes, dashes); re-save it as UTF-8: "
            "`iconv -f WINDOWS-1252 -t UTF-8`"
        )
    return (
        "it looks like Latin-1 / Windows-1252 "
        f"({bad[:1].decode('cp1252', 'replace')!r} here); re-save it as UTF-8: "
        "`iconv -f WINDOWS-1252 -t UTF-8`"
    )


# --- the file as a whole --------------------------------------------------------------


def _parse_text(text: str, reader: _Reader, source_hash: str) -> Episode:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    reader.lines = lines
    meta, meta_lines, body_start = _front_matter(lines, reader)
    _check_mojibake(lines, reader)

    body = "\n".join(lines[body_start:])
    markdown = _Markdown(body)
    pieces = list(_top_level_blocks(body, body_start, lines, markdown))

    legend = _find_legend(pieces, reader, draft=meta.get("draft") is True)
    speakers_declared, patterns, legend_line, legend_blocks = legend
    preamble_pieces, turns_raw, epilogue_pieces = _split_turns(
        pieces, legend_blocks, speakers_declared, patterns, reader, markdown
    )
    speakers = _speakers(speakers_declared, patterns, turns_raw)
    groups = _blocks([preamble_pieces, *(turn.pieces for turn in turns_raw), epilogue_pieces])
    preamble, epilogue = groups[0], groups[-1]

    title = meta.get("title")
    title_text = (
        str(title).strip() if title is not None and not isinstance(title, (dict, list)) else ""
    )
    date = _read_date(meta, meta_lines, reader)
    draft = meta.get("draft") is True
    slug, slug_line = _slug(meta, meta_lines, title_text, reader.path)

    turns = tuple(
        Turn(
            index=i,
            speaker=turn.code,
            blocks=blocks,
            line=turn.line,
            end_line=_end(blocks, turn.line),
            label_column=turn.column,
        )
        for i, (turn, blocks) in enumerate(zip(turns_raw, groups[1:-1], strict=True))
    )
    return Episode(
        path=reader.path,
        source_hash=source_hash,
        title=title_text,
        date=date,
        draft=draft,
        slug=slug,
        slug_line=slug_line,
        meta=meta,
        meta_lines=meta_lines,
        preamble=preamble,
        speakers=speakers,
        turns=turns,
        epilogue=epilogue,
        legend_line=legend_line,
        diagnostics=tuple(reader.diagnostics),
    )


def _blocks(groups: Sequence[Sequence[_Piece]]) -> list[tuple[Block, ...]]:
    """The pieces as Blocks, the HTML :meth:`_Markdown.html` left to clean cleaned in one go."""
    raw = [piece for group in groups for piece in group if piece.html and "<" not in piece.markdown]
    for piece, html in zip(raw, clean_html_many([piece.html for piece in raw]), strict=True):
        piece.html = html
    return [tuple(piece.block() for piece in group) for group in groups]


def _empty_episode(reader: _Reader, source_hash: str) -> Episode:
    return Episode(
        reader.path,
        source_hash,
        "",
        None,
        False,
        slugify(Path(reader.path).stem) or "episode",
        1,
        {},
        {},
        (),
        (),
        (),
        diagnostics=tuple(reader.diagnostics),
    )


def _end(blocks: Sequence[Block], line: int) -> int:
    return max([line] + [b.end_line for b in blocks])


# --- front matter ---------------------------------------------------------------------


def _front_matter(lines: list[str], reader: _Reader) -> tuple[dict[str, Any], dict[str, int], int]:
    """Return (meta, key → line, index of the first body line)."""
    if not lines or lines[0].rstrip() != "---":
        reader.report(
            1,
            1,
            "no-front-matter",
            "error",
            "the file does not start with YAML front matter",
            "start the file with a line `---`, then `title:` and `date:`, then `---`",
        )
        return {}, {}, 0
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
        return {}, {}, 1
    source = "\n".join(lines[1:end])
    loaders: tuple[type[yaml.SafeLoader], ...] = (_FastFrontMatterLoader, _FrontMatterLoader)
    if not all(line.isprintable() for line in lines[1:end]):
        # libyaml lets through some tabs, BOMs and control characters PyYAML rejects.
        loaders = loaders[1:]
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
        return {}, {}, end + 1
    try:
        node = _single_node(source, loaders[0]) if len(loaders) == 2 else None
    except yaml.YAMLError:
        node = None
        loaders = loaders[1:]  # the same again, for the pure-Python parser's own messages
    try:
        if len(loaders) == 1:
            node = _single_node(source, loaders[0])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 2) if mark else 2
        column = (mark.column + 1) if mark else 1
        reader.report(
            line,
            column,
            "front-matter-syntax",
            "error",
            f"the front matter is not valid YAML: {exc.problem or exc}",
            "check quoting and indentation; quote values that contain `: ` "
            "or start with `*`, `&`, `!`",
        )
        return {}, {}, end + 1
    except yaml.YAMLError as exc:
        reader.report(
            2,
            1,
            "front-matter-syntax",
            "error",
            f"the front matter is not valid YAML: {exc}",
            "check the YAML syntax",
        )
        return {}, {}, end + 1
    if node is None:
        return {}, {}, end + 1
    if not isinstance(node, yaml.MappingNode):
        reader.report(
            node.start_mark.line + 2,
            1,
            "front-matter-not-mapping",
            "error",
            "the front matter is not a mapping of keys to values",
            'write it as `key: value` lines, e.g. `title: "AMA with …"`',
        )
        return {}, {}, end + 1
    meta: dict[str, Any] = {}
    meta_lines: dict[str, int] = {}
    constructor = loaders[0]("")
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
                f"the key `{_short(key)}` is given twice",
                f"keep one `{_short(key)}:` (the other is on line {meta_lines[key]})",
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
    return meta, meta_lines, end + 1


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


def _check_key(key: str, value: Any, line: int, reader: _Reader) -> None:
    if key not in KNOWN_KEYS:
        close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
        hint = f"did you mean `{close[0]}`?" if close else "it is kept but amacast does not use it"
        reader.report(
            line, 1, "unknown-key", "warning", f"unknown front matter key `{_short(key)}`", hint
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
            f"`{key}` should be {want}, not {type(value).__name__} `{_BRIEF.repr(value)}`",
            f"write `{key}:` as {want}; this value is ignored",
        )


def _read_date(
    meta: Mapping[str, Any], meta_lines: Mapping[str, int], reader: _Reader
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
            f"`date: {_short(value)}` is not a valid date: {exc}",
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


def _slug(
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


# --- text checks ----------------------------------------------------------------------


_MOJIBAKE_HINT = re.compile(r"[\u00c2-\u00f0][\u0080-\u02ff\u2000-\u20ff\u0152-\u0178]")


def _check_mojibake(lines: Sequence[str], reader: _Reader) -> None:
    for number, line in enumerate(lines, 1):
        repair = mojibake_repair(line)
        if repair is None:
            continue
        start, bad, good = repair
        bad, good = _short(bad), _short(good)
        reader.report(
            number,
            start + 1,
            "mojibake",
            "warning",
            f"mojibake: `{bad}` looks like a mangled `{good}`",
            f"the text was decoded with the wrong encoding somewhere; "
            f"replace `{bad}` with `{good}`",
        )


def mojibake_repair(line: str) -> tuple[int, str, str] | None:
    """Where ``line`` holds mojibake: (index of the first damaged character, run, repair).

    The run reaches from the first to the last character ftfy changes, so
    replacing it with the repair gives ftfy's repair of the whole line; None
    for a line ftfy leaves alone (correct Portuguese ``SÃO`` among them).
    """
    if line.isascii() or not _MOJIBAKE_HINT.search(line):
        return None
    import ftfy  # here: few lines get this far, and ftfy takes a while to import

    fixed = ftfy.fix_encoding(line)
    if fixed == line:
        return None
    start = next((i for i, (a, b) in enumerate(zip(line, fixed, strict=False)) if a != b), 0)
    bad, good = _first_difference(line, fixed, start)
    return start, bad, good


def _first_difference(line: str, fixed: str, start: int) -> tuple[str, str]:
    # Align the tails to find how far the damaged run reaches.
    a_end, b_end = len(line), len(fixed)
    while a_end > start and b_end > start and line[a_end - 1] == fixed[b_end - 1]:
        a_end -= 1
        b_end -= 1
    return line[start:a_end], fixed[start:b_end]


def label_repair(line: str) -> tuple[int, str, str] | None:
    """Where the bold label starting ``line`` holds invisible characters: (index, label, repair).

    The label is ``**P1:**`` or ``**P1**:`` with what chat apps leave in it
    (U+202C and the like); the repair is the label without them.  None when
    the line starts with no such label.
    """
    match = _LABEL.match(line)
    if match is None:
        return None
    start = match.start("inner") - 2
    label = line[start : match.end()]
    clean = _INVISIBLE.sub("", label)
    return (start, label, clean) if clean != label else None


# --- Markdown blocks ------------------------------------------------------------------


@dataclass
class _Markdown:
    """pyromark for one file: the events and HTML of its body or of a piece of it.

    Pieces (a block's own lines, a paragraph split at a speaker label) are
    parsed on their own, so a reference link (``[text][ref]``) whose definition
    is elsewhere in the file is resolved from the body's definitions, read the
    first time a piece needs one.
    """

    body: str
    _parser: pyromark.Markdown = field(init=False)
    _definitions: dict[str, tuple[str, str]] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._parser = pyromark.Markdown(options=_OPTIONS, broken_link_callback=self._resolve)

    def events(self, source: str) -> Iterator[tuple[Event, Range]]:
        """The events of ``source``, adjacent text merged, with UTF-8 byte ranges."""
        return self._parser.events_with_range(source, merge_text=True)

    def html(self, source: str) -> str:
        """``source``, whole lines without their last line end, rendered to HTML.

        Cleaned here when ``source`` may hold HTML of its own (it has a
        ``<``); otherwise the HTML is pyromark's alone, whole and well-formed,
        and :func:`_cleaned` cleans it with the file's other such blocks.
        """
        rendered = self._parser.html(self._autolinked(source) + "\n")
        return clean_html(rendered) if "<" in source else rendered

    def _autolinked(self, source: str) -> str:
        """``source`` with its bare addresses written as Markdown links (:func:`bare_urls`).

        Only addresses in plain text are linked: not in code, raw HTML, an
        HTML ``<a>`` or a link or image of the Markdown's own.  The text shown
        is the address as written; pulldown-cmark has no autolink extension.
        """
        if not may_hold_urls(source):
            return source
        plain, other = self._text_ranges(source)
        ascii_only = source.isascii()

        def in_text(index: int) -> bool:
            at = index if ascii_only else len(source[:index].encode("utf-8"))
            return any(a <= at < b for a, b in plain)

        found = bare_urls(source, in_text)
        if not found:
            return source
        data = source.encode("utf-8")
        pieces: list[str] = []
        done = 0
        for url in found:
            start = len(source[: url.start].encode("utf-8"))
            end = start + len(url.text.encode("utf-8"))
            starts_in_text = any(a <= start < b for a, b in plain)
            if not starts_in_text or any(a < end and start < b for a, b in other):
                continue
            pieces.append(data[done:start].decode("utf-8"))
            pieces.append(_markdown_link(url.text, url.url))
            done = end
        pieces.append(data[done:].decode("utf-8"))
        return "".join(pieces)

    def _text_ranges(self, source: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Byte ranges of ``source``'s plain text, and of what must stay as it is."""
        plain: list[tuple[int, int]] = []
        other: list[tuple[int, int]] = []
        inside = 0  # depth of links, images, code and HTML blocks
        raw_link = False  # inside an HTML <a> … </a>
        event: Any
        for event, span in self.events(source):
            where = (span["start"], span["end"])
            if type(event) is not dict:
                continue
            if "Text" in event:
                (other if inside or raw_link else plain).append(where)
            elif "Code" in event or "Html" in event or "InlineHtml" in event:
                other.append(where)
                raw = event.get("InlineHtml") or event.get("Html") or ""
                if _RAW_LINK_OPEN.match(raw):
                    raw_link = True
                elif _RAW_LINK_CLOSE.match(raw):
                    raw_link = False
            elif "Start" in event or "End" in event:
                tag: Any = event.get("Start") or event.get("End")
                name = tag if isinstance(tag, str) else next(iter(tag))
                if name in _VERBATIM:
                    other.append(where)
                    inside += 1 if "Start" in event else -1
        return plain, other

    def _resolve(self, link: BrokenLink) -> tuple[str, str] | None:
        if self._definitions is None:
            self._definitions = {}
            for label, found in self._parser.reference_definitions(self.body).items():
                key = _label_key(label)
                if key not in self._definitions:
                    self._definitions[key] = (found["dest"], found["title"] or "")
        return self._definitions.get(_label_key(link["reference"]))


#: Elements whose text is never autolinked.
_VERBATIM = frozenset({"Link", "Image", "CodeBlock", "HtmlBlock", "MetadataBlock"})
_RAW_LINK_OPEN = re.compile(r"<a[\s>]", re.I)
_RAW_LINK_CLOSE = re.compile(r"</a\s*>", re.I)
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _markdown_link(text: str, url: str) -> str:
    """A Markdown link that shows ``text`` as written and leads to ``url``.

    Every ASCII punctuation mark of the text is escaped (no emphasis or code
    inside the address), and the destination is in angle brackets, where only
    ``\\``, ``<`` and ``>`` need escaping.
    """
    shown = _MARKDOWN_PUNCTUATION.sub(r"\\\1", _unescaped(text))
    target = re.sub(r"([\\<>])", r"\\\1", _unescaped(url))
    return f"[{shown}](<{target}>)"


def _unescaped(text: str) -> str:
    """Markdown text with its backslash escapes resolved (``foo\\_bar`` → ``foo_bar``)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


_LABEL_SPACE = re.compile(r"[ \t\n]+")


def _label_key(label: str) -> str:
    """A link label as CommonMark matches it: case-folded, whitespace runs as one space."""
    return _LABEL_SPACE.sub(" ", label.strip(" \t\n")).casefold()


@dataclass(slots=True)
class _Piece:
    """A block as the parser works on it, made a :class:`Block` once it is done.

    ``html`` is :meth:`_Markdown.html`'s, still to be cleaned when the
    Markdown holds no ``<`` (:func:`_blocks`); the plain text is worked out
    from ``events`` only when asked for (most paragraphs that start a turn
    are cut at their label first, and only the rest's text is needed).
    """

    kind: str
    markdown: str
    html: str
    line: int
    end_line: int
    events: list[Event]
    _text: str | None = None

    @property
    def text(self) -> str:
        """The plain text (:func:`_plain_text` of the events)."""
        if self._text is None:
            self._text = _plain_text(self.events)
        return self._text

    def block(self) -> Block:
        """The finished Block."""
        return Block(self.kind, self.markdown, self.html, self.text, self.line, self.end_line)


def _top_level_blocks(
    text: str, offset: int, lines: Sequence[str], markdown: _Markdown
) -> Iterator[_Piece]:
    """Group the events of ``text`` into top-level pieces (with their events).

    ``text`` is ``lines[offset:]`` joined; line numbers count from the start of
    ``lines``.  A block's ``markdown`` is the whole source lines it spans, and
    its HTML is those lines rendered on their own.
    """
    data = text.encode("utf-8")
    line, position = 0, 0  # the line index of byte ``position`` of ``data``
    depth = 0
    chunk: list[Event] = []
    start = end = items_end = 0
    for event, span in markdown.events(text):
        if depth == 0:
            chunk, start, end, items_end = [], span["start"], span["end"], 0
        chunk.append(event)
        if type(event) is not dict:
            if depth > 0 or event != "Rule":
                continue  # a break inside a block, or a rule on its own
        elif "Start" in event:
            depth += 1
            continue
        elif "End" in event:
            depth -= 1
            if depth == 1 and event["End"] == "Item":
                items_end = span["end"]
            if depth > 0:
                continue
        else:
            continue  # text and other inline content
        if items_end:
            # A list's own range may run on over a link definition after it:
            # it ends with its last item and the blank lines after that.
            end = _past_blank_lines(data, items_end, end)
        # A range may also run on over the indentation of the line after it.
        while end > start + 1 and data[end - 1] in b" \t":
            end -= 1
        end = max(end - 1, start)  # the block's last byte
        line += data.count(b"\n", position, start)
        first = line
        line += data.count(b"\n", start, end)
        position = end
        source = "\n".join(lines[offset + first : offset + line + 1])
        kind = _kind(chunk[0])
        yield _Piece(
            kind,
            source,
            "" if kind == "rule" else markdown.html(source),
            offset + first + 1,
            offset + line + 1,
            chunk,
        )


def _past_blank_lines(data: bytes, position: int, limit: int) -> int:
    """Where the blank lines from ``position`` (a line start) end, at most ``limit``."""
    while position < limit:
        newline = data.find(b"\n", position, limit)
        if newline < 0 or data[position:newline].strip(b" \t"):
            break
        position = newline + 1
    return position


_KINDS = {
    "Paragraph": "paragraph",
    "List": "list",
    "BlockQuote": "quote",
    "Heading": "heading",
    "CodeBlock": "code",
    "HtmlBlock": "html",
    "Rule": "rule",
    "Table": "table",
}


def _kind(event: Event) -> str:
    """The Block kind of a top-level ``"Rule"`` or ``{"Start": tag}`` event."""
    tag: Any = event["Start"] if isinstance(event, dict) and "Start" in event else event
    name = tag if isinstance(tag, str) else next(iter(tag))  # "Paragraph", {"List": 1} …
    return _KINDS.get(name, name.lower())


# Tags that open and close inside one run of text; any other tag ends the run.
_INLINE_TAGS = frozenset(
    {"Emphasis", "Strong", "Strikethrough", "Link", "Image", "Superscript", "Subscript"}
)


def _plain_text(events: Iterable[Event]) -> str:
    """The plain text of the events.

    Each run of inline content (a paragraph, heading, table cell, tight list
    item) is one line, stripped; a code block is its text.  Link and image
    text stays, URLs and raw HTML go.
    """
    parts: list[str] = []
    pieces: list[str] = []
    code: list[str] | None = None  # the text of the code block being read
    event: Any
    for event in events:
        if type(event) is not dict:
            if event == "SoftBreak":
                pieces.append(" ")
            elif event == "HardBreak":
                pieces.append("\n")
            continue
        text = event.get("Text")
        if text is not None:
            (pieces if code is None else code).append(text)
            continue
        tag = event.get("Start") or event.get("End")  # "Paragraph", {"List": 1} …
        if tag is None:
            if "Code" in event:
                pieces.append(event["Code"])
            continue
        if type(tag) is not str:
            tag = next(iter(tag))
        if tag not in _INLINE_TAGS:
            text = "".join(pieces).strip()
            if text:
                parts.append(text)
            pieces = []
            if tag == "CodeBlock":
                if code is None:
                    code = []
                else:
                    parts.append("".join(code).rstrip("\n"))
                    code = None
    text = "".join(pieces).strip()
    if text:
        parts.append(text)
    return "\n".join(parts)


def _reparse(source: str, first_line: int, markdown: _Markdown) -> list[_Piece]:
    """Parse a piece of Markdown that starts on file line ``first_line``."""
    pieces = []
    for piece in _top_level_blocks(source, 0, source.split("\n"), markdown):
        if piece.kind != "rule":
            piece.line += first_line - 1
            piece.end_line += first_line - 1
            pieces.append(piece)
    return pieces


# --- Legend ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Declared:
    code: str
    name: str
    role: Role
    line: int
    href: str = ""


def _find_legend(
    blocks: Sequence[_Piece], reader: _Reader, *, draft: bool
) -> tuple[dict[str, _Declared], dict[str, _Declared], int, set[int]]:
    """Find the `**Legend:**` paragraph and the list after it.

    A draft may have no Legend yet: then that is a warning, not an error.
    """
    for index, block in enumerate(blocks):
        if block.kind != "paragraph":
            continue
        label = _INVISIBLE.sub("", block.text).strip().rstrip(":").strip().lower()
        if label != "legend":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following is None or following.kind != "list":
            reader.report(
                block.line,
                1,
                "no-legend",
                "error",
                "the Legend label is not followed by a list of speakers",
                "put a list right after it: `- S: Sayak` and `- P(n): Participants`",
            )
            return {}, {}, block.line, {index}
        speakers, patterns = _legend_items(following, reader)
        return speakers, patterns, block.line, {index, index + 1}
    hint = (
        "add a Legend after the intro: a line `**Legend:**`, then a list such as "
        "`- S: Sayak` and `- P(n): Participants`, and label turns `**S:**`, `**P1:**`"
    )
    names = _name_labels(reader.lines)
    if names:
        shown = ", ".join(f"`{n}`" for n in names[:3])
        code = "".join(w[0] for w in names[0].split()[:2]).upper()
        hint = (
            f"this file labels turns with names ({shown}); add a Legend that gives each a code, "
            f"e.g. `**Legend:**` then `- {code}: {names[0]}`, and label turns `**{code}:**`"
        )
    reader.report(
        1,
        1,
        "no-legend",
        "warning" if draft else "error",
        "no `**Legend:**` list declares the speakers",
        hint,
    )
    return {}, {}, 0, set()


_NAME_LABEL = re.compile(r"^(?:\*\*)?([A-Z][\w.$' -]{1,40}?)(?:\*\*)?\s*:(?:\*\*)?\s")


def _name_labels(lines: Sequence[str]) -> list[str]:
    """Speaker-like names that start lines (`**Mat Ryer:**`, `Speaker 0:`), most frequent first."""
    counts: dict[str, int] = {}
    for line in lines:
        match = _NAME_LABEL.match(line)
        if match:
            name = match[1].strip()
            counts[name] = counts.get(name, 0) + 1
    return [n for n, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c >= 2]


def _legend_items(
    block: _Piece, reader: _Reader
) -> tuple[dict[str, _Declared], dict[str, _Declared]]:
    speakers: dict[str, _Declared] = {}
    patterns: dict[str, _Declared] = {}
    for offset, raw in enumerate(block.markdown.split("\n")):
        line = block.line + offset
        item = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", raw, count=1)
        if item == raw and not raw.strip():
            continue
        item = _INVISIBLE.sub("", item).replace("**", "").strip()
        match = _LEGEND_ITEM.match(item)
        if not match:
            reader.report(
                line,
                1,
                "bad-legend-item",
                "warning",
                f"this Legend line is not `CODE: Name`: {_BRIEF.repr(raw.strip())}",
                "write each speaker as `- CODE: Name`, e.g. `- S: Sayak`",
            )
            continue
        code, name = match["code"].strip(), match["name"].strip()
        role_match = _ROLE_SUFFIX.search(name)
        pattern = _PATTERN.match(code)
        if pattern:
            patterns[pattern["prefix"]] = _Declared(code, name, "participant", line)
            continue
        role: Role
        if role_match:
            role = role_match["role"].lower()  # type: ignore[assignment]
            name = name[: role_match.start()].strip()
        else:
            role = "guest"
        linked = _LINKED_NAME.match(name)
        href = ""
        if linked:
            name, href = linked["name"].strip(), linked["href"]
        speakers[code] = _Declared(code, name, role, line, href)
    return speakers, patterns


_NUMBERED_CODE = re.compile(r"([A-Za-z]+)(\d+)")


def _pattern_code(code: str, patterns: Mapping[str, _Declared]) -> str | None:
    """The pattern prefix when ``code`` is e.g. P12 and the Legend declares P(n)."""
    match = _NUMBERED_CODE.fullmatch(code)
    if match and match[1] in patterns and not match[2].startswith("0"):
        return match[1]
    return None


def _speakers(
    declared: Mapping[str, _Declared],
    patterns: Mapping[str, _Declared],
    turns: Sequence[_RawTurn],
) -> tuple[Speaker, ...]:
    result = [Speaker(d.code, d.name, d.role, d.line, href=d.href) for d in declared.values()]
    seen: set[str] = set()
    numbered: list[tuple[str, int, str]] = []
    for code in (turn.code for turn in turns):
        prefix = _pattern_code(code, patterns)
        if prefix and code not in declared and code not in seen:
            seen.add(code)
            numbered.append((prefix, int(code[len(prefix) :]), code))
    for prefix, number, code in sorted(numbered):
        d = patterns[prefix]
        singular = d.name[:-1] if d.name.endswith("s") and len(d.name) > 3 else d.name
        result.append(Speaker(code, f"{singular} {number}", "participant", d.line, pattern=d.code))
    return tuple(result)


# --- turns ----------------------------------------------------------------------------


@dataclass(slots=True)
class _RawTurn:
    """A turn being read: its speaker code, where its label is, and its pieces so far."""

    code: str
    line: int
    column: int
    pieces: list[_Piece]


def _split_turns(
    blocks: Sequence[_Piece],
    legend_blocks: set[int],
    declared: Mapping[str, _Declared],
    patterns: Mapping[str, _Declared],
    reader: _Reader,
    markdown: _Markdown,
) -> tuple[list[_Piece], list[_RawTurn], list[_Piece]]:
    """Walk the body's blocks into preamble, turns and epilogue."""
    preamble: list[_Piece] = []
    turns: list[_RawTurn] = []
    after_rule: list[_Piece] = []
    ruled = False
    codes = _Codes(declared, patterns)
    for index, block in enumerate(blocks):
        if index in legend_blocks:
            continue
        if block.kind == "rule":
            if turns:
                ruled = True
            continue
        pieces = (
            _split_labels(block, codes, reader, markdown) if block.kind == "paragraph" else [block]
        )
        for piece in pieces:
            if not isinstance(piece, _RawTurn):
                if not turns:
                    preamble.append(piece)
                elif ruled:
                    after_rule.append(piece)
                else:
                    turns[-1].pieces.append(piece)
                continue
            if ruled and after_rule and turns:
                turns[-1].pieces.extend(after_rule)
            after_rule = []
            ruled = False
            turns.append(piece)
    return preamble, turns, after_rule


@dataclass(frozen=True)
class _Codes:
    """The speaker codes one Legend declares, pattern codes (P1, P12 …) included."""

    declared: Mapping[str, _Declared]
    patterns: Mapping[str, _Declared]

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and (
            code in self.declared or _pattern_code(code, self.patterns) is not None
        )

    def listing(self) -> list[str]:
        """The codes to show in a hint: declared ones and the patterns."""
        return [*self.declared, *(d.code for d in self.patterns.values())]

    def candidates(self) -> list[str]:
        """Codes a typo may have meant: declared ones and the first pattern numbers."""
        extra = [f"{prefix}{n}" for prefix in self.patterns for n in range(1, 10)]
        return [*self.declared, *extra]


@dataclass(frozen=True, slots=True)
class _LabelAt:
    """A speaker label at the start of a line of a paragraph."""

    offset: int  # the line's index in the paragraph
    code: str
    column: int
    end: int  # the index in the line where the label ends


def _split_labels(
    block: _Piece, codes: _Codes, reader: _Reader, markdown: _Markdown
) -> list[_Piece | _RawTurn]:
    """Split a paragraph at every line that starts with a speaker label.

    What comes before the first label stays a piece; each label starts a turn.
    """
    source = block.markdown.split("\n")
    starts: list[_LabelAt] = []
    for offset, raw in enumerate(source):
        found = _label_at(raw, block.line + offset, codes, reader)
        if found is not None:
            starts.append(_LabelAt(offset, *found))
    if not starts:
        return [block]
    first = starts[0]
    if len(starts) == 1 and first.offset == 0:
        rest = _without_label(block, source[0][: first.end].endswith(":"))
        if rest is not None:
            return [_RawTurn(first.code, block.line, first.column, rest)]
    result: list[_Piece | _RawTurn] = []
    if first.offset > 0:
        head = "\n".join(source[: first.offset])
        result.extend(_reparse(head, block.line, markdown))
    for n, label in enumerate(starts):
        stop = starts[n + 1].offset if n + 1 < len(starts) else len(source)
        rest_lines = [source[label.offset][label.end :].lstrip(), *source[label.offset + 1 : stop]]
        rest = (
            _reparse("\n".join(rest_lines), block.line + label.offset, markdown)
            if "".join(rest_lines).strip()
            else []
        )
        result.append(_RawTurn(label.code, block.line + label.offset, label.column, rest))
    return result


_LEADING_COLON = re.compile(r"^[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]*[ \t]*:[ \t]*")
_LEADING_SPACE = re.compile(r"^[ \t]+")
_LEADING_BREAKS = re.compile(r"^(?:(?:<br\s*/?>)?\n)+")
# The start of the HTML of a paragraph that opens with a bold label.
_STRONG_HTML = re.compile(r"<p><strong>[^<]*</strong>")


def _without_label(block: _Piece, colon_outside: bool) -> list[_Piece] | None:
    """The paragraph with its leading bold label removed, from its own events.

    Saves parsing the paragraph again; None when the events are not the plain
    shape ``**label** text`` (then the caller re-parses the source).  The HTML
    is the paragraph's, less the ``<strong>`` label and what the text loses.
    """
    events = block.events[1:-1]  # inside the paragraph
    if not events or events[0] != {"Start": "Strong"}:
        return None
    count = 1
    while count < len(events) and isinstance(events[count], dict) and "Text" in events[count]:
        count += 1
    if count == 1 or events[count : count + 1] != [{"End": "Strong"}]:
        return None
    label = _STRONG_HTML.match(block.html)
    if label is None:
        return None
    rest = events[count + 1 :]
    html = block.html[label.end() :]
    first = rest[0] if rest else None
    if isinstance(first, dict) and "Text" in first:
        pattern = _LEADING_COLON if colon_outside else _LEADING_SPACE
        content = pattern.sub("", first["Text"], count=1)
        if colon_outside and content == first["Text"]:
            return None
        rest = [{"Text": content}, *rest[1:]] if content else rest[1:]
        html = pattern.sub("", html, count=1)
    elif colon_outside:
        return None
    while rest and rest[0] in ("SoftBreak", "HardBreak"):
        rest = rest[1:]
    if not rest:
        return []
    lines = block.markdown.split("\n")
    first_line = _LABEL.sub("", lines[0], count=1).lstrip()
    markdown = "\n".join([first_line, *lines[1:]]).strip("\n")
    start = block.line if first_line.strip() else block.line + 1
    return [
        _Piece(
            "paragraph",
            markdown,
            "<p>" + _LEADING_BREAKS.sub("", html, count=1),
            start,
            block.end_line,
            rest,
        )
    ]


def _label_at(raw: str, line: int, codes: _Codes, reader: _Reader) -> tuple[str, int, int] | None:
    """(code, column, end of label) when ``raw`` starts with a speaker label."""
    match = _LABEL.match(raw)
    if not match:
        return None
    inner = match["inner"]
    after = match["after"] or ""
    clean_inner = _INVISIBLE.sub("", inner).strip()
    if clean_inner.endswith(":"):
        code = clean_inner[:-1].strip()
    elif after:
        code = clean_inner
    else:
        return None
    column = len(match["indent"]) + 1
    if not code:
        return None
    if code not in codes:
        # Without a Legend every label would be unknown: no-legend says it once.
        if _CODE_LIKE.match(code) and (codes.declared or codes.patterns):
            _unknown_speaker(code, line, column, codes, reader)
            return code, column, match.end()
        return None
    invisible = _INVISIBLE.search(inner + after)
    if invisible:
        char = invisible.group(0)
        where = raw.find(char) + 1
        reader.report(
            line,
            where,
            "invisible-label-char",
            "warning",
            f"the label `{code}` contains an invisible character "
            f"U+{ord(char):04X} {unicodedata.name(char, 'FORMAT CHARACTER')}",
            "it is ignored; delete it (chat apps leave these when text is copied)",
        )
    return code, column, match.end()


def _unknown_speaker(code: str, line: int, column: int, codes: _Codes, reader: _Reader) -> None:
    close = difflib.get_close_matches(code, codes.candidates(), n=1, cutoff=0.3)
    listing = codes.listing()
    known_text = ", ".join(listing[:12]) if listing else "none (there is no Legend)"
    if len(listing) > 12:
        known_text += f" and {len(listing) - 12} more"
    hint = f"did you mean `{close[0]}`? " if close else ""
    hint += f"add `- {code}: Name` to the Legend, or fix the label"
    reader.report(
        line,
        column,
        "unknown-speaker",
        "error",
        f"the speaker `{code}` is not in the Legend (known: {known_text})",
        hint,
    )
