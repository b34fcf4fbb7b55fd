"""Whole numbers in text from outside: HTTP headers, imported feeds, front matter."""

from __future__ import annotations


def whole(text: object) -> int | None:
    """The number that ASCII digits spell, else None. `str.isdigit()` also holds for "²"
    or "٣", which int() refuses (a traceback) or reads as a digit no feed or server meant."""
    if isinstance(text, str) and text.isascii() and text.isdigit():
        return int(text)
    return None
