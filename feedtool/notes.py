"""Show notes: CommonMark → sanitised HTML, plus the plain-text forms apps show in lists."""

from __future__ import annotations

import html
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

# raw HTML passes CommonMark here and is then cleaned by the allowlist below
_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE

# What podcast apps render (Apple: p, ol, ul, li, a) plus harmless structure; everything
# else, including script, style, iframe, event handlers and javascript: URLs, is removed.
ALLOWED_TAGS = {
    "p", "br", "a", "ul", "ol", "li", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
# made once: a Cleaner keeps its allowlist, where nh3.clean() builds it again for every
# call, which took two thirds of the sanitising time (10,000 episodes' notes: 0.27 -> 0.10 s)
_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel=None,
    strip_comments=True,
)


MAX_DEPTH = 500  # elements inside elements: notes need a handful; the sanitiser's time grows with its square
_TAGS = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})


def to_html(markdown: str) -> str:
    """Render Markdown and keep only the allowlisted HTML.

    `]]>` is escaped so the result can always sit inside a CDATA section. Notes that nest
    elements more than MAX_DEPTH deep (1 MB of nested <div>s took the sanitiser half a
    minute) are published as plain text instead (see `too_deep`).
    """
    rendered = cmarkgfm.markdown_to_html(markdown, options=_CMARK_OPTIONS)
    if _nesting_beyond(rendered):
        return "\n".join(f"<p>{html.escape(part.strip())}</p>" for part in re.split(r"\n\s*\n", markdown)
                         if part.strip()).replace("]]>", "]]&gt;")
    clean = _CLEANER.clean(rendered)
    return clean.strip().replace("]]>", "]]&gt;")


def too_deep(markdown: str) -> bool:
    """Whether notes nest elements more than MAX_DEPTH deep (and are published as text)."""
    return len(markdown) > MAX_DEPTH and _nesting_beyond(cmarkgfm.markdown_to_html(markdown, options=_CMARK_OPTIONS))


def _nesting_beyond(rendered: str) -> bool:
    """Whether HTML nests elements more than MAX_DEPTH deep, in one pass over its tags (an
    unclosed element counts as open to the end). Fewer tags than that cannot: the usual
    case, told by counting "<"."""
    if rendered.count("<") <= MAX_DEPTH:
        return False
    depth = 0
    for tag in _TAGS.finditer(rendered):
        closing, name, self_closing = tag.groups()
        if closing:
            depth = max(0, depth - 1)
        elif not self_closing and name.lower() not in _VOID:
            depth += 1
            if depth > MAX_DEPTH:
                return True
    return False


def first_paragraph(html_text: str) -> str:
    """The first paragraph of rendered notes, as plain text (what apps show under the title)."""
    match = _PARAGRAPH.search(html_text)
    return plain_text(match.group(1)) if match else ""


_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


def plain_text(fragment: str) -> str:
    """Sanitised HTML (from `to_html`) → one line of plain text."""
    stripped = _TAG.sub("", fragment)
    return _SPACE.sub(" ", html.unescape(stripped)).strip()


# a tag of sanitised HTML, whose attribute values are always quoted
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")
_SPACE = re.compile(r"\s+")


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
