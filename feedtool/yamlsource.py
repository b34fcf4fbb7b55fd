"""Read YAML as located text: every scalar stays a string, with the line it came from.

YAML 1.1 silently turns `language: no` into False and `guid: 0042` into 34. feedtool
therefore composes the document without resolving any type (PyYAML's BaseLoader) and
lets each field's own parser convert its text (see `fields.py`). Lines are kept so
that every message can point at `path:line`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

try:  # the C loader is much faster; the pure-Python one gives identical nodes
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import BaseLoader as _Loader  # type: ignore[assignment]


# Characters XML 1.0 forbids: lxml refuses them and feed readers choke on them.
XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Node:
    """A YAML value: `str` for a scalar, `list[Node]` or `dict[str, Node]`, and its line."""

    value: str | list[Node] | dict[str, Node]
    line: int  # where the value starts
    quoted: bool = False
    key_line: int | None = None  # where its key is, for a value in a mapping


class YAMLSourceError(Exception):
    """Invalid YAML, with the 1-based line in the file where the parser stopped."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def parse(text: str, first_line: int = 1) -> dict[str, Node]:
    """Parse a YAML mapping; `first_line` is the file line the YAML text starts on."""
    simple = _parse_simple(text, first_line)
    return simple if simple is not None else _parse_yaml(text, first_line)


def _parse_yaml(text: str, first_line: int) -> dict[str, Node]:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise YAMLSourceError(*_explain(exc, first_line)) from None
    except yaml.YAMLError as exc:
        raise YAMLSourceError(f"invalid YAML: {exc}", None) from None
    if root is None:
        return {}
    node = _convert(root, first_line)
    if not isinstance(node.value, dict):
        raise YAMLSourceError("expected a mapping of `key: value` lines", node.line)
    return node.value


# One `key: value` line of the simplest kind: a plain value that cannot be read as anything
# but its own text, or a quoted one without escapes (see _parse_simple).
_SIMPLE_LINE = re.compile(
    r"""([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*):[ ]+  # the key, and a space after the colon
    (?:"([^"\\]*)"  # a double-quoted value without escapes
    |'([^']*)'  # a single-quoted value without doubled quotes
    |([^-?:,\[\]{}\#&*!|>'"%@`\s]  # a plain value: not starting with an indicator,
      (?:[^\#:\s]|:(?=\S)|[ ]+(?=[^\#\s]))*?)  # without ": " or " #" (a comment)
    )[ ]*""",
    re.VERBOSE,
)
# characters YAML refuses (anything not printable; callers other than episode loading do
# not clean their text), or after which it, or this reading, may see another line
_NOT_SIMPLE = re.compile("[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]")
_LONGEST_KEY = 1000  # libyaml refuses a key longer than 1024 characters


def _parse_simple(text: str, first_line: int) -> dict[str, Node] | None:
    """The front matter as `parse` reads it, if it is only `key: value` lines, comments and
    blank lines, with plain values and quoted ones without escapes; else None, and PyYAML
    reads it. Nearly every episode's front matter is like this, and PyYAML took a fifth
    of reading an episode (tests compare both readings on generated documents)."""
    if _NOT_SIMPLE.search(text):
        return None
    mapping: dict[str, Node] = {}
    for index, line in enumerate(text.split("\n")):
        if not line or line[0] == "#":  # a blank line, a comment
            continue
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key, double, single, plain = match.groups()
        if key in mapping or len(key) > _LONGEST_KEY:
            return None  # PyYAML's reading says so, with both lines
        value = double if double is not None else single if single is not None else plain
        if not value.isprintable():
            value = XML_FORBIDDEN.sub("", value)
        at = first_line + index
        mapping[key] = Node(value, at, plain is None, at)
    return mapping


def _explain(exc: yaml.MarkedYAMLError, first_line: int) -> tuple[str, int | None]:
    """PyYAML's message, the line it is about, and a hint for the usual causes."""
    problem = exc.problem or exc.context or "not valid YAML"
    mark = exc.problem_mark or exc.context_mark
    hint = ""
    if "mapping values are not allowed" in problem:
        hint = ': a value that contains ": " must be quoted, e.g. title: "Tomatoes: a guide"'
    elif "end of stream" in problem and exc.context_mark is not None:
        mark = exc.context_mark  # where the unclosed quote or bracket began
        hint = f" {exc.context}: is a quote or bracket left open?"
    elif "tab character" in problem:
        hint = ": indent with spaces, not tabs"
    elif exc.context and exc.context_mark is not None:
        hint = f" ({exc.context} that began on line {exc.context_mark.line + first_line})"
    line = mark.line + first_line if mark else None
    return f"invalid YAML: {problem}{hint}", line


def _convert(node: yaml.Node, first_line: int, seen: set[int] | None = None, key_line: int | None = None) -> Node:
    seen = set() if seen is None else seen
    line = node.start_mark.line + first_line
    if id(node) in seen:  # an alias: refused, as it can repeat or nest without end
        raise YAMLSourceError("YAML anchors and aliases (&name, *name) are not supported", line)
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        # escapes such as "\a" in a quoted scalar can produce characters XML forbids
        value = XML_FORBIDDEN.sub("", node.value) if not node.value.isprintable() else node.value
        return Node(value, line, node.style in ("'", '"'), key_line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, first_line, seen) for item in node.value], line, False, key_line)
    mapping: dict[str, Node] = {}
    for key_node, value_node in node.value:
        at = key_node.start_mark.line + first_line
        if not isinstance(key_node, yaml.ScalarNode):
            raise YAMLSourceError("a key must be plain text", at)
        key = key_node.value
        if key in mapping:
            raise YAMLSourceError(f"key '{key}' appears twice (first on line {mapping[key].key_line})", at)
        mapping[key] = _convert(value_node, first_line, seen, at)
    return Node(mapping, line, False, key_line)


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Split an episode file into (YAML text, Markdown body, line the body starts on).

    The file must open with a `---` line and close the YAML with `---` (or `...`).
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise YAMLSourceError(
            "no front matter: an episode file starts with a '---' line, then YAML, then '---'", 1
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise YAMLSourceError("front matter is not closed: add a '---' line after the YAML", 1)
