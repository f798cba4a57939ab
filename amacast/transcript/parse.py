"""Bytes of one transcript → ``Episode``.

Never raises on user input: every problem found while reading becomes a
``Diagnostic`` on ``episode.diagnostics``, and the parser carries on with what
it can still read, so one run reports everything.  Markdown is parsed with
pyromark (the pulldown-cmark parser: CommonMark with tables and
strikethrough), whose events carry source ranges for exact line numbers, and
front matter with PyYAML.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from amacast.markup import clean_html_many
from amacast.model import Block, Episode, Turn
from amacast.transcript.blocks import Markdown, Piece, top_level_blocks
from amacast.transcript.decode import decode
from amacast.transcript.front_matter import episode_slug, read_date, read_front_matter, slugify
from amacast.transcript.legend import episode_speakers, find_legend
from amacast.transcript.report import Reader
from amacast.transcript.text_checks import check_mojibake
from amacast.transcript.turns import split_turns


def parse_episode(path: Path | str, data: bytes | None = None) -> Episode:
    """Read one transcript file (or ``data`` given for it) into an Episode."""
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            reader = Reader(str(path))
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


def parse_episode_bytes(data: bytes, path: str) -> Episode:
    """Parse a transcript's bytes; ``path`` is used for diagnostics and the slug."""
    reader = Reader(path)
    source_hash = hashlib.sha256(data).hexdigest()
    text = decode(data, reader)
    return _parse_text(text, reader, source_hash)


def parse_episode_text(text: str, path: str = "<text>") -> Episode:
    """Parse a transcript already decoded to text."""
    return parse_episode_bytes(text.encode("utf-8", "surrogatepass"), path)


def _parse_text(text: str, reader: Reader, source_hash: str) -> Episode:
    """The episode of a transcript's text, read top to bottom."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    reader.lines = lines
    front = read_front_matter(lines, reader)
    meta = front.meta
    check_mojibake(lines, reader)

    body = "\n".join(lines[front.body_start :])
    markdown = Markdown(body)
    pieces = list(top_level_blocks(body, front.body_start, lines, markdown))
    legend = find_legend(pieces, reader, draft=meta.get("draft") is True)
    split = split_turns(pieces, legend, reader, markdown)
    groups = _blocks([split.preamble, *(turn.pieces for turn in split.turns), split.epilogue])

    title = meta.get("title")
    title_text = (
        str(title).strip() if title is not None and not isinstance(title, (dict, list)) else ""
    )
    slug, slug_line = episode_slug(meta, front.lines, title_text, reader.path)
    turns = tuple(
        Turn(
            index=i,
            speaker=turn.code,
            blocks=blocks,
            line=turn.line,
            end_line=_end(blocks, turn.line),
            label_column=turn.column,
        )
        for i, (turn, blocks) in enumerate(zip(split.turns, groups[1:-1], strict=True))
    )
    return Episode(
        path=reader.path,
        source_hash=source_hash,
        title=title_text,
        date=read_date(meta, front.lines, reader),
        draft=meta.get("draft") is True,
        slug=slug,
        slug_line=slug_line,
        meta=meta,
        meta_lines=front.lines,
        preamble=groups[0],
        speakers=episode_speakers(legend, (turn.code for turn in split.turns)),
        turns=turns,
        epilogue=groups[-1],
        legend_line=legend.line,
        diagnostics=tuple(reader.diagnostics),
    )


def _blocks(groups: Sequence[Sequence[Piece]]) -> list[tuple[Block, ...]]:
    """The pieces as Blocks, the HTML :meth:`Markdown.html` left to clean cleaned in one go."""
    raw = [piece for group in groups for piece in group if piece.html and "<" not in piece.markdown]
    for piece, html in zip(raw, clean_html_many([piece.html for piece in raw]), strict=True):
        piece.html = html
    return [tuple(piece.block() for piece in group) for group in groups]


def _empty_episode(reader: Reader, source_hash: str) -> Episode:
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
