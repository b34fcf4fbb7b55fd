"""Findings: the one way feedtool reports a problem, from YAML errors to feed rules.

Every stage appends to a `Findings` list instead of raising, so one run reports every
problem in every file (the publisher fixes them all at once, not one per build).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import click

from .rules import RULES, Level


@dataclass(frozen=True)
class Finding:
    """One problem, named by a stable rule id and located in a source file."""

    level: Level
    rule: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{self.level} {self.rule} {where}: {self.message}"


class Findings:
    """An ordered collection of findings, filled by every pipeline stage."""

    def __init__(self) -> None:
        self._items: list[Finding] = []

    def add(self, rule: str, path: str, line: int | None, message: str) -> None:
        """Record a finding of `rule`; its level comes from the rule table."""
        # one finding is one line, whatever the quoted value or file name contains
        message = message.replace("\r", "\\r").replace("\n", "\\n")
        path = path.replace("\r", "\\r").replace("\n", "\\n")
        self._items.append(Finding(RULES[rule].level, rule, path, line, message))

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def since(self, count: int) -> tuple[tuple[str, str, int | None, str], ...]:
        """The findings added after the first `count`, as (rule, path, line, message) for a
        cache to replay (without copying the whole list: it is asked once per episode). A
        tuple: most are empty, and the empty tuple takes no memory of its own."""
        return tuple((f.rule, f.path, f.line, f.message) for f in self._items[count:]) if count < len(self) else ()

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self._items if f.level is Level.ERROR]


def plural(count: int, word: str) -> str:
    """`1 episode`, `2 episodes`; some words do not take an s."""
    return f"{count} {word}" if count == 1 or word in ("scheduled", "new") else f"{count} {word}s"


class Aborted(click.ClickException):
    """Raised when errors were found: click prints the summary and exits 1."""

    exit_code = 1

    def __init__(self, findings: Findings, what: str) -> None:
        errors = findings.errors
        files = len({f.path for f in errors})
        noun = "error" if len(errors) == 1 else "errors"
        fnoun = "file" if files == 1 else "files"
        super().__init__(f"{len(errors)} {noun} in {files} {fnoun}; {what}")
