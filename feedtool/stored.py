"""The model's values as JSON, for the build cache: data that cannot execute.

The cache comes from where others can write (a CI cache restored from a pull request's
run), so what it holds is read as JSON only, never unpickled. A value is written as the
array of its fields (the model's `__getstate__`, which the JSON encoder walks itself), a
datetime as ISO 8601 text. Reading it back is driven by the classes' field annotations,
turned once per class into a decoder that converts only the fields that need it (arrays
back into tuples, nested values, datetimes). Anything that does not fit the layout is a
`ValueError`: the caller treats it as a miss.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from typing import Any

from . import model

Decoder = Callable[[Any], Any]

# the classes that may appear in stored values, by the names their annotations use
CLASSES: dict[str, type] = {cls.__name__: cls for cls in (
    model.MediaRef, model.Person, model.Funding, model.Location, model.Txt, model.License, model.Transcript,
    model.Chapter, model.Soundbite, model.Episode, model.MediaInfo, model.Published)}
_KEPT = frozenset(CLASSES.values())
SCALARS = frozenset({"str", "int", "float", "bool", "object", "None"})


def _default(value: object) -> object:
    """What the JSON encoder cannot write itself: the model's values and datetimes."""
    if type(value) in _KEPT:
        return value.__getstate__()  # type: ignore[attr-defined]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "items"):  # a read-only mapping (front-matter lines)
        return dict(value.items())  # type: ignore[attr-defined]
    raise TypeError(f"{type(value).__name__} is not kept in the cache")


_ENCODER = json.JSONEncoder(default=_default, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def dumps(value: object) -> str:
    """JSON of plain values, tuples, datetimes and the model's classes."""
    return _ENCODER.encode(value)


def loads(text: str | bytes) -> Any:
    """The JSON written by `dumps`, as arrays (a `decoder` rebuilds the values)."""
    return json.loads(text)


def _split(text: str, separator: str) -> list[str]:
    """The top-level parts of a type: its arguments (","), or the options of a union ("|")."""
    parts, depth, start = [], 0, 0
    for at, char in enumerate(text):
        depth += char == "["
        depth -= char == "]"
        if char == separator and depth == 0:
            parts.append(text[start:at].strip())
            start = at + 1
    parts.append(text[start:].strip())
    return parts


@functools.cache
def decoder(annotation: str) -> Decoder | None:
    """A function rebuilding a value of this annotation from its JSON form; None where the
    JSON form is the value already (text, numbers, mappings of them)."""
    annotation = annotation.strip()
    options = _split(annotation, "|")
    if len(options) > 1:
        rest = [option for option in options if option != "None"]
        inner = decoder(" | ".join(rest)) if len(rest) > 1 else decoder(rest[0])
        return None if inner is None else (lambda value: None if value is None else inner(value))
    if annotation in SCALARS or annotation.startswith("Mapping[str,"):
        return None
    if annotation == "datetime":
        return _datetime
    if annotation in CLASSES:
        return _of_class(CLASSES[annotation])
    match = re.fullmatch(r"(tuple|list)\[(.*)\]", annotation)
    if match is None:
        raise ValueError(f"no stored form for {annotation}")
    kind, inner = match.groups()
    parts = _split(inner, ",")
    if len(parts) == 2 and parts[1] == "...":  # tuple[X, ...] or a list of X
        item = decoder(parts[0])
        made = tuple if kind == "tuple" else list
        return (lambda value: made(value)) if item is None else (lambda value: made(map(item, value)))
    if kind == "list":
        item = decoder(inner)
        return (lambda value: list(value)) if item is None else (lambda value: list(map(item, value)))
    each = [decoder(part) for part in parts]  # a tuple of fixed positions
    if not any(each):
        return _tuple_of_plain(len(each))
    return lambda value: tuple(part(x) if part else x for part, x in zip(each, value, strict=True))


def _tuple_of_plain(count: int) -> Decoder:
    def make(value: Any) -> tuple:
        if len(value) != count:
            raise ValueError("a stored tuple of another length")
        return tuple(value)

    return make


def _datetime(value: Any) -> datetime:
    return datetime.fromisoformat(value)


def _of_class(cls: type) -> Decoder:
    """A decoder for one of the model's classes: its fields' decoders, resolved on first use
    (classes refer to each other)."""
    plan: list[tuple[int, Decoder]] = []
    ready = False

    def make(value: Any) -> object:
        nonlocal ready
        if not ready:
            names = [f.type if isinstance(f.type, str) else f.type.__name__ for f in fields(cls)]
            plan.extend((at, found) for at, name in enumerate(names) if (found := decoder(name)) is not None)
            ready = True
        if type(value) is cls:  # made already (a published item's episode is its record's)
            return value
        if type(value) is not list:
            raise ValueError(f"a stored {cls.__name__} that is not an array")
        for at, convert in plan:
            value[at] = convert(value[at])
        made = cls.__new__(cls)
        made.__setstate__(value)  # type: ignore[attr-defined]  (checks the number of fields)
        return made

    return make
