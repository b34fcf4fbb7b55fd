"""Render the new items, and their parts of the show page, before the feed is assembled
(and check each item as it is made: the feed check then looks at the channel only).

In a cold build this is thousands of items: the worker of the probing pool (idle once
the audio is probed) renders them from the first, as soon as they are resolved, while
this process renders them from the last, until they meet. Each episode's notes become
HTML once, for both the item and the page (Markdown and sanitising are the larger part
of rendering), or come from the cache, which keeps rendered notes by their text (a
change to show.yaml re-renders every item, not every episode's notes). The results go
into the episodes' records, where `render_feed` and `show_page` take them.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, Future

from . import notes
from .cache import BuildCache, notes_key
from .checks.feedxml import ItemFinding, check_item
from .findings import Findings
from .model import Published, Show
from .page import episode_part
from .record import Found, Records
from .render import CHANNEL_NAMESPACES, in_channel, item_element

PARALLEL_FROM = 200  # items: below this, sending them to another process costs more than it saves
CHUNK = 128  # items per task: the last ones the worker runs are what this process waits for

# XML, its findings, what the feed check finds in it, page part, the notes as HTML if made now
Rendered = tuple[bytes, Found, tuple[ItemFinding, ...], bytes, "str | None"]


def render_item_checked(item: Published, body: str) -> tuple[bytes, Found, tuple[ItemFinding, ...]]:
    """(the item's XML, what rendering it found, what the feed's item rules find in it);
    `body`: its notes as HTML."""
    findings = Findings()
    element = item_element(item, findings, body)
    xml = in_channel(element)
    return xml, findings.since(0), check_item(element, xml, CHANNEL_NAMESPACES)


def _render_many(work: Sequence[tuple[Published, str | None]], show: Show) -> list[Rendered]:
    """A chunk's items, one kind of work at a time: the notes not known yet, then the
    page parts, then the items. Markdown and the sanitiser run four to six times slower
    taking turns with lxml and feedgen item by item (the processor's caches) than one
    after the other (10,000 items: 1.45 -> 1.0 s)."""
    made = [notes.to_html(item.episode.notes) if body is None else None for item, body in work]
    bodies = [body if fresh is None else fresh for (_, body), fresh in zip(work, made, strict=True)]
    pages = [episode_part(item, show, body) for (item, _), body in zip(work, bodies, strict=True)]
    return [(*render_item_checked(item, body), page, fresh)
            for (item, _), body, page, fresh in zip(work, bodies, pages, made, strict=True)]


def prerender(show: Show, records: Records, pool: Executor | None = None, cache: BuildCache | None = None,
              expected: int = 0) -> Prerendering:
    """Start rendering: `add()` each published item as it is resolved; every item whose
    record lacks its XML is rendered, by the pool's worker as soon as a chunk is full (when
    about `expected` items or more are to be rendered), the rest by `finish()`."""
    return Prerendering(show, records, pool if expected >= PARALLEL_FROM else None, cache, expected)


class Prerendering:
    """Chunks of items being rendered: every chunk goes to the worker, which takes them from
    the first; `finish()` renders here the ones it has not started, from the last, so both
    processes finish together however fast each one is."""

    def __init__(self, show: Show, records: Records, pool: Executor | None, cache: BuildCache | None,
                 expected: int) -> None:
        self.show, self.records, self.pool, self.cache = show, records, pool, cache
        if cache is not None and expected >= PARALLEL_FROM:
            cache.preload_notes()
        self.chunks: list[list[tuple[Published, str | None]]] = []
        self.tasks: list[Future] = []
        self.filling: list[tuple[Published, str | None]] = []

    def add(self, item: Published) -> None:
        """An item of the feed, to render if its record lacks the XML."""
        record = self.records.get(item.episode.source)
        if record is None or record.xml is not None:
            return
        record.notes_key = key = notes_key(item.episode.notes)
        self.filling.append((item, self.cache.notes(key) if self.cache else None))
        if len(self.filling) == CHUNK:
            self._close_chunk()

    def _close_chunk(self) -> None:
        self.chunks.append(self.filling)
        self.filling = []
        if self.pool is not None:
            self.tasks.append(self.pool.submit(_render_many, self.chunks[-1], self.show))

    def finish(self) -> None:
        """Render what the worker has not started, and keep every result in the records."""
        if self.filling:
            self._close_chunk()
        here: set[int] = set()
        for index in reversed(range(len(self.chunks))):
            if self.tasks and not self.tasks[index].cancel():
                break
            here.add(index)
            _keep(self.chunks[index], _render_many(self.chunks[index], self.show), self.records, self.cache)
        for index, task in enumerate(self.tasks):
            if index not in here:
                _keep(self.chunks[index], task.result(), self.records, self.cache)


def _keep(work: Sequence[tuple[Published, str | None]], done: list[Rendered], records: Records,
          cache: BuildCache | None) -> None:
    """Into the records; notes rendered now into the cache right away (not held until the end)."""
    made_now = []
    for (item, _), (xml, found, checked, page, made) in zip(work, done, strict=True):
        record = records[item.episode.source]
        record.xml, record.rendered, record.page, record.feed_checked, record.fresh = xml, found, page, checked, True
        if made is not None and record.notes_key is not None:
            made_now.append((record.notes_key, made))
    if cache is not None and made_now:
        cache.put_notes(made_now)
