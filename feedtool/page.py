"""The show's web page, output/index.html: artwork, the subscribe link and every episode
with a player, its chapters and its notes.

One self-contained file (inline CSS and a few lines of JavaScript, no fonts, frameworks
or CDNs) so it works wherever output/ is served, on a phone too. Like feed.xml it is
deterministic: the same show gives the same bytes.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

from . import notes
from .chapters import hms

if TYPE_CHECKING:
    from .assemble import Assembled
    from .model import Chapter, Published, Show

PAGE_FILE = "index.html"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

STYLE = """\
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--muted:#5f6368;--line:#e3e3e6;--accent:#0a58ca;--card:#f6f6f8}
@media (prefers-color-scheme:dark){:root{--fg:#ececf0;--bg:#151518;--muted:#a2a2ab;--line:#2e2e35;\
--accent:#7ab1ff;--card:#1e1e23}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:1.0625rem/1.6 system-ui,-apple-system,"Segoe UI",\
Roboto,"Helvetica Neue",Arial,sans-serif;overflow-wrap:break-word}
.page{max-width:42rem;margin:0 auto;padding:1.25rem 1rem 3rem}
a{color:var(--accent)}
header{display:flex;flex-wrap:wrap;gap:1rem 1.25rem;align-items:flex-start;padding-bottom:1.25rem;\
border-bottom:1px solid var(--line)}
.cover{width:9rem;height:9rem;border-radius:.75rem;object-fit:cover;flex:none;background:var(--card)}
.intro{flex:1 1 16rem;min-width:0}
h1{font-size:1.75rem;line-height:1.2;margin:0 0 .25rem}
.author{color:var(--muted);margin:0 0 .5rem}
.description>:first-child{margin-top:0}
.subscribe{flex:1 1 100%;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;background:var(--card);\
border-radius:.75rem;padding:.75rem}
.subscribe strong{flex:1 1 100%;font-size:.9rem}
.feed{flex:1 1 12rem;min-width:0;font:.9rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;\
word-break:break-all}
button{font:inherit;font-size:.9rem;padding:.45rem 1rem;border-radius:2rem;border:1px solid var(--accent);\
background:var(--accent);color:var(--bg);cursor:pointer;min-height:2.5rem}
.episode{padding:1.5rem 0;border-bottom:1px solid var(--line)}
h2{font-size:1.3rem;line-height:1.3;margin:0 0 .25rem}
.meta{color:var(--muted);font-size:.9rem;margin:0 0 .75rem}
audio{display:block;width:100%;margin:.5rem 0}
.chapters{list-style:none;padding:0;margin:.5rem 0 1rem;font-size:.95rem}
.chapters li{margin:.15rem 0}
.chapters a{text-decoration:none;display:inline-block;padding:.2rem 0}
.chapters .at{display:inline-block;min-width:4.5em;font-variant-numeric:tabular-nums;color:var(--muted)}
.notes h1,.notes h2,.notes h3,.notes h4,.notes h5,.notes h6{font-size:1.05rem;margin:1.25rem 0 .5rem}
.notes pre{overflow-x:auto;background:var(--card);padding:.75rem;border-radius:.5rem}
.notes blockquote{margin:1rem 0;padding-left:1rem;border-left:3px solid var(--line);color:var(--muted)}
footer{color:var(--muted);font-size:.85rem;padding-top:1.5rem}
@media (max-width:30rem){.cover{width:6rem;height:6rem}h1{font-size:1.4rem}}
"""

# Chapter links seek their episode's player; Copy puts the feed URL on the clipboard
# (with a fallback for plain-http pages, where navigator.clipboard does not exist).
SCRIPT = """\
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-start]");
  if (link) {
    var audio = link.closest("article").querySelector("audio");
    event.preventDefault();
    audio.currentTime = parseFloat(link.dataset.start);
    var playing = audio.play();
    if (playing) playing.catch(function () {});
    return;
  }
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var text = document.getElementById(button.dataset.copy).textContent;
  var done = function () { button.textContent = "Copied"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () {});
  } else {
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    if (document.execCommand("copy")) done();
    area.remove();
  }
});
document.addEventListener("play", function (event) {
  document.querySelectorAll("audio").forEach(function (other) {
    if (other !== event.target) other.pause();
  });
}, true);
"""


def _number(value: float) -> str:
    """A chapter start for data-start and #t=: plain decimals, no exponent."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _size(length: int) -> str:
    return f"{length / 1e6:.1f} MB" if length >= 1e6 else f"{math.ceil(length / 1e3)} kB"


class _Urls:
    """URLs under the feed's folder become relative, so the page also works from a copy of
    output/ (opened from disk, or served elsewhere)."""

    def __init__(self, show: Show) -> None:
        self.base = show.site_url

    def __call__(self, url: str) -> str:
        rel = url[len(self.base):] if self.base and url.startswith(self.base) else ""
        if not rel or ":" in rel.split("/", 1)[0]:  # `javascript:…` must not become a scheme of its own
            return url
        return rel


def show_page(assembled: Assembled) -> bytes:
    """The HTML of the show's page (UTF-8 bytes). Each episode's part is kept in its record
    (see record.py), so a rebuild renders only new or changed episodes."""
    show = assembled.show
    local = _Urls(show)
    title = escape(show.title)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(show.language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f'<meta name="description" content="{escape(notes.plain_text(notes.to_html(show.description)))}">',
        f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{escape(show.feed_url)}">',
        f"<style>\n{STYLE}</style>",
        "</head>",
        "<body>",
        '<div class="page">',
        "<header>",
        f'<img class="cover" src="{escape(local(show.image.url))}" alt="" width="144" height="144">',
        '<div class="intro">',
        f"<h1>{title}</h1>",
        f'<p class="author">{escape(show.author)}</p>',
        f'<div class="description">{notes.to_html(show.description)}</div>',
        "</div>",
        '<div class="subscribe">',
        "<strong>Subscribe: paste this address into your podcast app</strong>",
        f'<a class="feed" id="feed-url" href="{escape(show.feed_url)}">{escape(show.feed_url)}</a>',
        '<button type="button" data-copy="feed-url">Copy</button>',
        "</div>",
        "</header>",
        "<main>",
    ]
    items: list[bytes] = []  # the parts are UTF-8 already: joined as bytes, the page is not copied twice
    for item in assembled.newest_first:
        record = assembled.records.get(item.episode.source)
        if record is not None and record.page is not None:
            items.append(record.page)
            continue
        html = episode_part(item, show, notes.to_html(item.episode.notes))
        items.append(html)
        if record is not None:
            record.page, record.fresh = html, True
    ending = ["</main>", "<footer>"]
    if show.copyright:
        ending.append(f"<p>{escape(show.copyright)}</p>")
    ending += [
        f'<p><a href="{escape(show.feed_url)}">RSS feed</a></p>',
        "</footer>",
        "</div>",
        f"<script>\n{SCRIPT}</script>",
        "</body>",
        "</html>",
        "",
    ]
    return b"\n".join(["\n".join(parts).encode(), *items, "\n".join(ending).encode()])


def episode_part(item: Published, show: Show, body: str) -> bytes:
    """An episode's part of the page (UTF-8); `body` is its notes as HTML (notes.to_html)."""
    return "\n".join(_episode(item, _Urls(show), body)).encode()


def _episode(item: Published, local: _Urls, body: str) -> list[str]:
    episode, media = item.episode, item.media
    assert episode.audio is not None  # published episodes have audio
    date = episode.date
    when = f"{date.day} {MONTHS[date.month - 1]} {date.year}"
    length = hms(int(media.duration + 0.5), short=True)  # rounded like itunes:duration
    meta = [f'<time datetime="{escape(date.isoformat())}">{when}</time>', length]
    if episode.season and episode.episode:
        meta.append(f"season {episode.season}, episode {episode.episode}")
    elif episode.episode:
        meta.append(f"episode {episode.episode}")
    if episode.type in ("trailer", "bonus"):
        meta.append(episode.type)
    audio = escape(local(episode.audio.url))
    meta.append(f'<a href="{audio}" download>download ({_size(media.length)})</a>')
    sources = [f'<source src="{audio}" type="{escape(media.mime)}">']
    sources += [f'<source src="{escape(local(ref.url))}" type="{escape(info.mime)}">'
                for ref, info in item.alternates[1:]]
    anchor = "-".join(episode.name.rsplit(".", 1)[0].split())
    lines = [
        f'<article class="episode" id="{escape(anchor)}">',
        f"<h2>{escape(episode.title)}</h2>",
        f'<p class="meta">{" · ".join(meta)}</p>',
        f'<audio controls preload="metadata">{"".join(sources)}</audio>',
    ]
    shown = [chapter for chapter in item.chapters if chapter.toc is not False]
    if shown:
        lines.append('<ol class="chapters">')
        lines += [_chapter(chapter) for chapter in shown]
        lines.append("</ol>")
    if body:
        lines.append(f'<div class="notes">{body}</div>')
    lines.append("</article>")
    return lines


def _chapter(chapter: Chapter) -> str:
    start = _number(chapter.start)
    label = f'<span class="at">{hms(chapter.start, short=True)}</span>'
    if chapter.title:
        label += f" {escape(chapter.title)}"
    return f'<li><a href="#t={start}" data-start="{start}">{label}</a></li>'
