"""Render the new items, and their parts of the show page, before the feed is assembled.

In a cold build this is thousands of items: the worker of the probing pool (idle once
the audio is probed) renders half of them while this process renders the other half.
Each episode's notes become HTML once, for both the item and the page (Markdown and
sanitising are the larger part of rendering). The results go into the episodes'
records, where `render_feed` and `show_page` take them.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

from . import notes
from .findings import Findings
from .model import Published, Show
from .page import episode_part
from .record import Found, Records
from .render import render_item

PARALLEL_FROM = 200  # items: below this, sending them to another process costs more than it saves
CHUNK = 250  # items per task for the pool


def render_one(item: Published, show: Show) -> tuple[bytes, Found, bytes]:
    """(the item's XML, what rendering it found, its part of the show page)."""
    findings = Findings()
    body = notes.to_html(item.episode.notes)
    xml = render_item(item, findings, body)
    return xml, findings.since(0), episode_part(item, show, body)


def _render_many(items: Sequence[Published], show: Show) -> list[tuple[bytes, Found, bytes]]:
    return [render_one(item, show) for item in items]


def prerender(show: Show, items: Sequence[Published], records: Records, pool: Executor | None = None) -> None:
    """Fill in the XML, findings and page part of every item whose record lacks them."""
    todo = [item for item in items if (record := records.get(item.episode.source)) is not None
            and record.xml is None]
    if pool is not None and len(todo) >= PARALLEL_FROM:
        half = len(todo) // 2
        tasks = [pool.submit(_render_many, todo[start:start + CHUNK], show)
                 for start in range(half, len(todo), CHUNK)]
        done = _render_many(todo[:half], show)
        for task in tasks:
            done += task.result()
    else:
        done = _render_many(todo, show)
    for item, (xml, found, page) in zip(todo, done, strict=True):
        record = records[item.episode.source]
        record.xml, record.rendered, record.page, record.feed_checked, record.fresh = xml, found, page, None, True
