"""Field parsers: each turns one YAML scalar's text into a typed value or says why not.

A schema is a plain dict of `Field`s; `read_fields` applies it to a parsed mapping,
reporting missing, invalid and unknown keys as findings with their line.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

from .categories import APPLE_CATEGORIES
from .findings import Findings
from .yamlsource import Node


class FieldError(ValueError):
    """A value that its field's parser rejects; `rule` names the finding to report."""

    def __init__(self, message: str, rule: str = "FIELD-VALUE", line: int | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.line = line  # where inside a list or mapping, when not the key's own line


@dataclass(frozen=True)
class Field:
    """How to read one key: its parser (or a nested schema) and whether it must be present."""

    parse: Callable[[Node], Any] | None = None
    required: bool = False
    nested: dict[str, Field] | None = None  # for a mapping such as `owner: {name, email}`
    rule: str | None = None  # the rule a bad value breaks, when more precise than FIELD-VALUE
    many: bool = False  # with `nested`: a list of such mappings (a single one is accepted too)
    short: str | None = None  # with `many`: a plain string stands for {short: string}


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest option, or '' when nothing is close."""
    options = list(options)
    lowered = word.lower()
    near = [o for o in options if o.lower() == lowered or o.lower().startswith(lowered)]
    near = near or difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f" (did you mean '{near[0]}'?)" if near else ""


def scalar(node: Node) -> str:
    """The text of a scalar, stripped; lists and mappings are refused."""
    if isinstance(node.value, list):
        raise FieldError("expected a single value, got a list")
    if isinstance(node.value, dict):
        raise FieldError("expected a single value, got a mapping")
    return node.value.strip()


def text(node: Node) -> str:
    """Free text that may span lines (Markdown)."""
    return scalar(node)


def line_text(node: Node) -> str:
    """Text shown on one line (a title, a name): runs of whitespace become one space."""
    return " ".join(scalar(node).split())


def boolean(node: Node) -> bool:
    value = scalar(node).lower()
    if value in ("true", "yes"):
        return True
    if value in ("false", "no"):
        return False
    raise FieldError(f"expected true or false, got '{scalar(node)}'")


def positive_int(node: Node) -> int:
    value = scalar(node)
    if not re.fullmatch(r"[0-9]{1,9}", value) or int(value) == 0:
        raise FieldError(f"expected a whole number from 1 to 999999999, got '{value}'")
    return int(value)


def non_negative_int(node: Node) -> int:
    value = scalar(node)
    if not re.fullmatch(r"[0-9]{1,15}", value):
        raise FieldError(f"expected a whole number of bytes, got '{value}'")
    return int(value)


def choice(*allowed: str) -> Callable[[Node], str]:
    def parse(node: Node) -> str:
        value = scalar(node)
        if value not in allowed:
            raise FieldError(f"expected one of {', '.join(allowed)}; got '{value}'")
        return value

    return parse


def url(node: Node, schemes: tuple[str, ...] = ("http", "https")) -> str:
    value = scalar(node)
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed [IPv6] host
        raise FieldError(f"'{value}' is not a valid URL") from None
    if parts.scheme not in schemes or not parts.netloc:
        wanted = " or ".join(f"{s}://" for s in schemes)
        raise FieldError(f"expected an absolute URL starting with {wanted}, got '{value}'")
    return value


def is_url(value: str) -> bool:
    """Whether a value is meant as an http(s) URL (it may still be a malformed one)."""
    return value.lower().startswith(("http://", "https://"))


_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}")


def email(node: Node) -> str:
    value = scalar(node)
    if not _EMAIL.fullmatch(value):
        raise FieldError(f"expected an email address like name@example.com, got '{value}'")
    return value


_LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*")


def language(node: Node) -> str:
    value = scalar(node)
    if not _LANGUAGE.fullmatch(value):
        raise FieldError(f"expected a language code such as en or en-gb, got '{value}'")
    return value.lower()


def uuid_text(node: Node) -> str:
    value = scalar(node)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise FieldError(f"expected a UUID, got '{value}'") from None


def timestamp(node: Node) -> datetime:
    """ISO 8601 date or datetime; a bare date is 00:00 UTC and a naive time is UTC."""
    value = scalar(node)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            parsed = datetime.combine(date.fromisoformat(value), time(), UTC)
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        if re.match(r"\d{4}-\d{2}-\d{2}", value) and "range" in str(exc):
            raise FieldError(f"'{value}' is not a real date or time ({exc})") from None
        raise FieldError(
            f"expected an ISO 8601 date like 2026-11-20 or 2026-11-20T09:00:00+01:00, got '{value}'"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    offset = parsed.utcoffset()
    if offset is not None and offset.seconds % 60:
        raise FieldError(f"'{value}': an RSS date's time zone offset has whole minutes only")
    if parsed.year < 1000:
        raise FieldError(f"'{value}': an RSS date needs a four-digit year")
    return parsed


def duration(node: Node) -> float:
    """Seconds (`1834`, `1834.5`) or clock time (`30:34`, `1:02:03`); more than zero."""
    total = offset(node)
    if total <= 0:
        raise FieldError(f"a duration must be more than zero, got '{scalar(node)}'")
    return total


def offset(node: Node) -> float:
    """A time within the audio, from 0: seconds or clock time, like `duration`."""
    value = scalar(node)
    parts = value.split(":")
    wrong = FieldError(f"expected seconds or H:MM:SS, got '{value}'")
    if len(parts) > 3 or not all(re.fullmatch(r"\d{1,6}", p) for p in parts[:-1]):
        raise wrong
    if not re.fullmatch(r"\d{1,7}(\.\d{1,6})?", parts[-1]):
        raise wrong
    if len(parts) > 1 and (float(parts[-1]) >= 60 or (len(parts) == 3 and int(parts[1]) >= 60)):
        raise wrong
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def categories(node: Node) -> tuple[tuple[str, str | None], ...]:
    """A list of `Category` or `Category > Subcategory` from Apple's list."""
    items = node.value if isinstance(node.value, list) else [node]
    result = []
    for item in items:
        value = scalar(item)
        main, _, sub = (part.strip() for part in value.partition(">"))
        if main not in APPLE_CATEGORIES:
            hint = did_you_mean(main, APPLE_CATEGORIES)
            raise FieldError(
                f"'{main}' is not an Apple Podcasts category{hint}", "CATEGORY", item.line
            )
        if sub and sub not in APPLE_CATEGORIES[main]:
            subs = ", ".join(APPLE_CATEGORIES[main]) or "none"
            raise FieldError(
                f"'{sub}' is not a subcategory of '{main}' (Apple allows: {subs})", "CATEGORY", item.line
            )
        result.append((main, sub or None))
    if not result:
        raise FieldError("list at least one category, e.g. 'News > Politics'", "CATEGORY")
    return tuple(result)


def read_fields(
    mapping: dict[str, Node],
    schema: dict[str, Field],
    path: str,
    findings: Findings,
    line: int,
    prefix: str = "",
    elsewhere: dict[str, str] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Apply a schema; return (parsed values, whether every field was valid).

    `line` is where the mapping starts (reported for missing keys); `prefix` names the
    enclosing key of a nested mapping in messages (`owner.email`).
    """
    values: dict[str, Any] = {}
    ok = True
    for key, spec in schema.items():
        node = mapping.get(key)
        if node is None and not spec.required:  # most keys of a schema, in most files
            continue
        name = prefix + key
        if node is None or (isinstance(node.value, str) and node.value.strip() == ""):
            if spec.required:
                where = (node.key_line or node.line) if node else line
                findings.add("FIELD-REQUIRED", path, where, f"missing required field '{name}'")
                ok = False
            continue
        scalar_form = spec.parse is not None and isinstance(node.value, str)
        if spec.many and spec.nested is not None and not scalar_form:
            values[key], items_ok = _read_items(node, spec, name, path, findings)
            ok = ok and items_ok
            continue
        if spec.nested is not None and not scalar_form:
            if not isinstance(node.value, dict):
                keys = ", ".join(spec.nested)
                findings.add("FIELD-VALUE", path, node.line, f"{name}: expected {keys} indented below")
                ok = False
                continue
            values[key], nested_ok = read_fields(
                node.value, spec.nested, path, findings, node.key_line or node.line, prefix=f"{name}."
            )
            ok = ok and nested_ok
            continue
        assert spec.parse is not None
        try:
            values[key] = spec.parse(node)
        except FieldError as exc:
            findings.add(spec.rule or exc.rule, path, exc.line or node.line, f"{name}: {exc}")
            ok = False
    for key, node in mapping.items():
        if key not in schema:
            place = (elsewhere or {}).get(key)
            hint = f" (it belongs in {place})" if place else did_you_mean(key, schema)
            findings.add(
                "FIELD-UNKNOWN", path, node.key_line or node.line,
                f"unknown key '{prefix}{key}' ignored{hint}",
            )
    return values, ok


def _read_items(
    node: Node, spec: Field, name: str, path: str, findings: Findings
) -> tuple[list[dict[str, Any]], bool]:
    """A list of mappings; each parsed dict also gets `line`, where the item starts."""
    assert spec.nested is not None
    several = isinstance(node.value, list)
    items = node.value if isinstance(node.value, list) else [node]
    parsed, ok = [], True
    for number, item in enumerate(items, 1):
        label = f"{name}[{number}]" if several else name
        if isinstance(item.value, str) and spec.short:
            item = Node({spec.short: replace(item, key_line=item.line)}, item.line)
        if not isinstance(item.value, dict):
            keys = ", ".join(spec.nested)
            findings.add("FIELD-VALUE", path, item.line, f"{label}: expected a mapping with {keys}")
            ok = False
            continue
        values, item_ok = read_fields(item.value, spec.nested, path, findings, item.line, prefix=f"{label}.")
        if item_ok:
            parsed.append({**values, "line": item.line})
        ok = ok and item_ok
    return parsed, ok
