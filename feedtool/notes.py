"""Show notes: CommonMark → sanitised HTML, plus the plain-text forms apps show in lists."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark")

# What podcast apps render (Apple: p, ol, ul, li, a) plus harmless structure; everything
# else, including script, style, iframe, event handlers and javascript: URLs, is removed.
ALLOWED_TAGS = {
    "p", "br", "a", "ul", "ol", "li", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def to_html(markdown: str) -> str:
    """Render Markdown and keep only the allowlisted HTML.

    `]]>` is escaped so the result can always sit inside a CDATA section.
    """
    rendered = _MARKDOWN.render(markdown)
    clean = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    return clean.strip().replace("]]>", "]]&gt;")


def first_paragraph(markdown: str) -> str:
    """The first paragraph as plain text (what apps show under the title)."""
    tokens = _MARKDOWN.parse(markdown)
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and index + 1 < len(tokens):
            return plain_text(_MARKDOWN.renderer.render(tokens[index : index + 3], _MARKDOWN.options, {}))
    return ""


def plain_text(fragment: str) -> str:
    """HTML → one line of plain text."""
    stripped = nh3.clean(fragment, tags=set())
    return re.sub(r"\s+", " ", html.unescape(stripped)).strip()


def truncate(text: str, limit: int, *, bytes_: bool = False) -> str:
    """Cut text to `limit` characters (or UTF-8 bytes) at a word boundary, adding '…'."""
    size = len(text.encode()) if bytes_ else len(text)
    if size <= limit:
        return text
    room = limit - (3 if bytes_ else 1)
    cut = text.encode()[:room].decode(errors="ignore") if bytes_ else text[:room]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"
