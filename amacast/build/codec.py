"""Plain values to JSON and back, led by their type annotations: data only, never code.

What one build keeps for the next (parsed episodes, listings, diagnostics,
index entries, audio facts) goes through here into the state store
(:mod:`amacast.build.state`).  Unlike pickle, reading a stored value can only
make the dataclasses, strings, numbers and dates its *expected type* names:
a cache file that was tampered with yields a decoding error (a cache miss),
never a call of anything it chose.

Supported: frozen dataclasses (by field name), ``tuple[T, ...]`` and fixed
tuples, ``Mapping``/``dict`` with string keys, ``X | None``, ``Literal``,
``str`` subclasses such as Jinja's ``Markup``, ``int``, ``float``, ``bool``,
``bytes`` and ``datetime``/``date``.  ``Any`` (front matter as YAML read it)
is JSON with dates, bytes and sets tagged.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import lz4.block
import orjson

T = TypeVar("T")


class DecodeError(ValueError):
    """Stored data that is not a value of the expected type."""


def dumps(value: object) -> bytes:
    """``value`` as compact UTF-8 JSON: dataclasses as objects of their fields, dates tagged.

    Raises TypeError for a value that has no stored form (the caller then
    simply does not keep it).
    """
    try:
        return orjson.dumps(value, default=_tagged_form, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError as error:
        raise TypeError(str(error)) from error


def loads(kind: type[T], data: bytes) -> T:
    """The ``kind`` stored by :func:`dumps`; :class:`DecodeError` when it is not one."""
    try:
        plain = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise DecodeError(str(error)) from error
    return from_data(kind, plain)


def packed(value: object) -> bytes:
    """``value`` as :func:`dumps` writes it, LZ4-compressed (a few times smaller, quickly).

    For large values such as a parsed episode, whose JSON holds each block's
    Markdown, HTML and text: the state store writes a fraction of the bytes.
    """
    compressed: bytes = lz4.block.compress(dumps(value))
    return compressed


def unpacked(kind: type[T], data: bytes) -> T:
    """The ``kind`` that :func:`packed` made ``data`` of; :class:`DecodeError` when it is not one.

    The size ``data`` declares is checked first against what LZ4 can make of
    that many bytes: stored data cannot ask for more memory than that.
    """
    if len(data) < 4 or int.from_bytes(data[:4], "little") > _LZ4_MOST * len(data):
        raise DecodeError("not packed data")
    try:
        plain: bytes = lz4.block.decompress(data)
    except (ValueError, lz4.block.LZ4BlockError) as error:
        raise DecodeError(str(error)) from error
    return loads(kind, plain)


#: LZ4 makes at most about 255 bytes of each byte it stores.
_LZ4_MOST = 255


def to_data(value: object) -> Any:
    """``value`` as plain JSON data (what :func:`dumps` writes, not yet encoded)."""
    return orjson.loads(dumps(value))


def from_data(kind: type[T], data: Any) -> T:
    """The ``kind`` that :func:`to_data` made ``data`` of; :class:`DecodeError` when it is not."""
    try:
        decode: Callable[[Any], T] = _decoder(typing.cast(Any, kind))
        return decode(data)
    except (TypeError, ValueError) as error:
        if isinstance(error, DecodeError):
            raise
        raise DecodeError(str(error)) from error


def _tagged_form(value: object) -> Any:
    """What orjson does not write itself: dates, bytes and sets tagged, other mappings as dicts."""
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, set | frozenset):
        return {"$set": list(value)}
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot store a {type(value).__name__}")


@functools.cache
def _decoder(kind: Any) -> Callable[[Any], Any]:
    """A function that turns stored data into a ``kind``, checking as it goes."""
    if kind is Any or kind is object:
        return _any
    if kind is type(None):
        return _exactly(type(None))
    if kind in (bool, str, bytes):
        return _bytes if kind is bytes else _exactly(kind)
    if kind is int:
        return _int
    if kind is float:
        return _float
    if kind is dt.datetime:
        return lambda data: _tagged(data, "$datetime", dt.datetime.fromisoformat)
    if kind is dt.date:
        return lambda data: _tagged(data, "$date", dt.date.fromisoformat)
    origin = typing.get_origin(kind)
    arguments = typing.get_args(kind)
    if origin is typing.Literal:
        return functools.partial(_literal, frozenset(arguments))
    if origin in (typing.Union, types.UnionType):
        return functools.partial(_union, tuple(_decoder(a) for a in arguments))
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return functools.partial(_many, _decoder(arguments[0]))
        return functools.partial(_fixed, tuple(_decoder(a) for a in arguments))
    if origin in (dict, Mapping, typing.Mapping):
        return functools.partial(_mapping, _decoder(arguments[1]) if arguments else _any)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass_decoder(kind)
    if isinstance(kind, type) and issubclass(kind, str):
        return lambda data: kind(_exactly(str)(data))
    raise TypeError(f"no decoder for {kind!r}")


def _dataclass_decoder(kind: type[Any]) -> Callable[[Any], Any]:
    hints = typing.get_type_hints(kind)
    fields = dataclasses.fields(kind)
    names = frozenset(f.name for f in fields)
    given = [(f.name, _decoder(hints[f.name])) for f in fields if f.init]
    set_after = [(f.name, _decoder(hints[f.name])) for f in fields if not f.init]

    def decode(data: Any) -> Any:
        if not isinstance(data, dict) or data.keys() != names:
            raise DecodeError(f"not a stored {kind.__name__}")
        made = kind(**{name: field(data[name]) for name, field in given})
        for name, field in set_after:
            object.__setattr__(made, name, field(data[name]))
        return made

    return decode


def _exactly(kind: type[Any]) -> Callable[[Any], Any]:
    def check(data: Any) -> Any:
        if type(data) is not kind:
            raise DecodeError(f"expected {kind.__name__}, found {type(data).__name__}")
        return data

    return check


def _int(data: Any) -> int:
    if type(data) is not int:
        raise DecodeError(f"expected int, found {type(data).__name__}")
    return data


def _float(data: Any) -> float:
    if type(data) not in (int, float):
        raise DecodeError(f"expected float, found {type(data).__name__}")
    return float(data)


def _bytes(data: Any) -> bytes:
    decoded: bytes = _tagged(data, "$bytes", base64.b64decode)
    return decoded


def _tagged(data: Any, tag: str, make: Callable[[str], Any]) -> Any:
    if not isinstance(data, dict) or len(data) != 1 or not isinstance(data.get(tag), str):
        raise DecodeError(f"expected {tag[1:]}")
    try:
        return make(data[tag])
    except ValueError as error:
        raise DecodeError(str(error)) from error


def _literal(allowed: frozenset[Any], data: Any) -> Any:
    if data not in allowed:
        raise DecodeError(f"{data!r:.40} is not one of the allowed values")
    return data


def _union(decoders: tuple[Callable[[Any], Any], ...], data: Any) -> Any:
    for decode in decoders:
        try:
            return decode(data)
        except DecodeError:
            continue
    raise DecodeError("matches none of the expected types")


def _many(decode: Callable[[Any], Any], data: Any) -> tuple[Any, ...]:
    if not isinstance(data, list):
        raise DecodeError("expected a list")
    return tuple([decode(item) for item in data])


def _fixed(decoders: tuple[Callable[[Any], Any], ...], data: Any) -> tuple[Any, ...]:
    if not isinstance(data, list) or len(data) != len(decoders):
        raise DecodeError("expected a list of fixed length")
    return tuple([decode(item) for decode, item in zip(decoders, data, strict=True)])


def _mapping(decode: Callable[[Any], Any], data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise DecodeError("expected an object")
    return {key: decode(value) for key, value in data.items()}


_TAGS: dict[str, Callable[[Any], Any]] = {
    "$datetime": lambda text: dt.datetime.fromisoformat(text),
    "$date": lambda text: dt.date.fromisoformat(text),
    "$bytes": lambda text: base64.b64decode(text),
}


def _any(data: Any) -> Any:
    """Front matter as stored: JSON scalars, lists, objects, and the tagged values."""
    if isinstance(data, list):
        return [_any(item) for item in data]
    if isinstance(data, dict):
        if len(data) == 1:
            ((tag, inner),) = data.items()
            if tag in _TAGS and isinstance(inner, str):
                try:
                    return _TAGS[tag](inner)
                except ValueError as error:
                    raise DecodeError(str(error)) from error
            if tag == "$set" and isinstance(inner, list):
                return {_any(item) for item in inner}
        return {key: _any(value) for key, value in data.items()}
    return data
