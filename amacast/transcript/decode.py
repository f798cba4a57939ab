"""A transcript's bytes → text: UTF-8 expected; UTF-16, other encodings and a BOM reported."""

from __future__ import annotations

from amacast.transcript.report import Reader


def decode(data: bytes, reader: Reader) -> str:
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
