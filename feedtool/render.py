"""Render stage: a show and its published episodes → the RSS feed's bytes, via feedgen.

Output is deterministic: lastBuildDate is the newest episode's date (not the clock),
items are ordered here (feedgen's `add_entry` would prepend), and the generator
string has no version.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree
from lxml.etree import CDATA

from . import notes
from .ext.itunes import ItunesEntryExtension, ItunesExtension
from .ext.podcastindex import PodcastIndexEntryExtension, PodcastIndexExtension
from .ext.psc import PodloveChaptersEntryExtension, PodloveChaptersExtension
from .ext.websub import AtomLinksExtension
from .findings import Findings
from .model import Published, Show
from .record import Records

# Apple's limit for <description>, in bytes.
DESCRIPTION_LIMIT = 4000
SUBTITLE_LIMIT = 255


def newest_first(items: Sequence[Published]) -> list[Published]:
    """Newest first; two episodes with the same date are ordered by file name."""
    return sorted(items, key=lambda p: (p.episode.date, p.episode.name), reverse=True)


def _channel_namespaces() -> dict[str, str]:
    """The namespaces feedgen declares on the root of our channels: those of the extensions
    that `render_feed` registers, then atom and content (feedgen's `_create_rss`)."""
    namespaces: dict[str, str] = {}
    for extension in (ItunesExtension, PodcastIndexExtension, PodloveChaptersExtension):
        namespaces.update(extension().extend_ns())
    namespaces.update({"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"})
    return namespaces


CHANNEL_NAMESPACES = _channel_namespaces()
_CHANNEL_END = b"  </channel>\n</rss>\n"  # how lxml's pretty print closes every feed feedgen writes


@dataclass(frozen=True)
class Page:
    """One file of the feed: the channel feedgen rendered, with the items in their place."""

    name: str
    xml: bytes
    head: bytes  # the channel up to its items
    items: tuple[tuple[str, bytes], ...]  # (guid, the item's XML), in order
    tail: bytes


ARCHIVE_NAME = "feed-archive-{}.xml"


def render_pages(show: Show, items: Sequence[Published], findings: Findings,
                 records: Records | None = None) -> list[Page]:
    """feed.xml and, for a paged show, its archive pages (RFC 5005), archive pages first.

    feed.xml keeps the newest `max_items`; older items go to archive pages numbered from
    the oldest, so that a page, once full, never changes.
    """
    ordered = newest_first(items)
    size = show.max_items
    if not show.paging or not size or len(ordered) <= size:
        return [render_feed(show, ordered, findings, records)]
    oldest_first = ordered[size:][::-1]
    pages = [oldest_first[i : i + size][::-1] for i in range(0, len(oldest_first), size)]
    count = len(pages)

    def url(number: int) -> str:
        return show.site_url + ARCHIVE_NAME.format(number)

    current = [("first", show.feed_url), ("next", url(count)), ("last", url(1)), ("prev-archive", url(count))]
    rendered = [render_feed(show, ordered[:size], findings, records, links=current)]
    for number, page in enumerate(pages, 1):
        links = [("first", show.feed_url), ("current", show.feed_url), ("last", url(1)),
                 ("previous", show.feed_url if number == count else url(number + 1))]
        if number > 1:
            links += [("next", url(number - 1)), ("prev-archive", url(number - 1))]
        if number < count:
            links.append(("next-archive", url(number + 1)))
        rendered.insert(0, render_feed(show, page, findings, records, links=links, self_url=url(number),
                                       archive=True, name=ARCHIVE_NAME.format(number)))
    return rendered


def render_feed(show: Show, items: Sequence[Published], findings: Findings, records: Records | None = None,
                links: list[tuple[str, str]] | None = None, self_url: str | None = None,
                archive: bool = False, name: str = "feed.xml") -> Page:
    """The feed of `items` (newest first): feedgen renders the channel, and the items,
    rendered by feedgen too (see `render_item`), go in their place at its end, in order.
    An item already rendered (by an earlier build) comes from its episode's record in
    `records` (by source); one rendered now is kept there. (Handing feedgen the items as
    elements instead meant parsing every cached item back and serializing it again: most
    of a rebuild's time at 10,000 items.)"""
    feed = FeedGenerator()
    # the channel's side of the extensions; the items' side is in their XML
    feed.register_extension("itunes", ItunesExtension, None, atom=False)
    feed.register_extension("podcastindex", PodcastIndexExtension, None, atom=False)
    feed.register_extension("psc", PodloveChaptersExtension, None, atom=False)
    feed.register_extension("atomlinks", AtomLinksExtension, None, atom=False)
    feed.atomlinks.hubs = show.hubs
    feed.atomlinks.links = tuple(links or ())
    feed.atomlinks.archive = archive

    feed.title(show.title)
    # feedgen's RSS <link> is the last link given, so the self link goes first
    feed.link(href=self_url or show.feed_url, rel="self", type="application/rss+xml")
    feed.link(href=show.link)
    feed.description(CDATA(notes.to_html(show.description)))
    feed.language(show.language)
    if show.copyright:
        feed.copyright(show.copyright)
    feed.generator("feedtool")
    # lastBuildDate changes only when the episodes do, so unchanged input gives the same bytes
    feed.lastBuildDate(items[0].episode.date if items else None)

    itunes: ItunesExtension = feed.itunes
    itunes.author = show.author
    itunes.owner = (show.owner_name, show.owner_email)
    itunes.image = show.image.url
    itunes.categories = show.categories
    itunes.explicit = show.explicit
    itunes.type = show.type or "episodic"
    podcast: PodcastIndexExtension = feed.podcastindex
    podcast.guid = show.guid
    podcast.locked_owner = show.owner_email if show.locked else None
    podcast.funding = show.funding
    podcast.persons = show.persons
    podcast.locations = show.locations
    podcast.medium = show.medium
    podcast.license = show.license
    podcast.trailers = tuple(item for item in items if item.episode.type == "trailer")
    podcast.txt = show.txt

    parts: list[tuple[str, bytes]] = []
    for item in items:
        record = records.get(item.episode.source) if records else None
        if record is not None and record.xml is not None:
            xml = record.xml
            for finding in record.rendered:
                findings.add(*finding)
        else:
            count = len(findings)
            xml = render_item(item, findings)
            if record is not None:
                record.xml, record.rendered, record.feed_checked = xml, findings.since(count), None
                record.fresh = True
        parts.append((item.episode.guid, xml))
    channel = feed.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    if not channel.endswith(_CHANNEL_END):
        raise AssertionError("feedgen no longer ends the channel as render_feed expects")
    head, tail = channel[: -len(_CHANNEL_END)], _CHANNEL_END
    return Page(name, b"".join((head, *(xml for _, xml in parts), tail)), head, tuple(parts), tail)


ENTRY_EXTENSIONS = (("itunes", ItunesEntryExtension), ("podcastindex", PodcastIndexEntryExtension),
                    ("psc", PodloveChaptersEntryExtension))


def render_item(item: Published, findings: Findings, body: str | None = None) -> bytes:
    """One item's XML, rendered by feedgen and our extensions (see `in_channel`). Items are
    rendered one by one and kept as bytes (not as feedgen entries, which take about four
    times the memory). `body`: the notes as HTML, if already made."""
    return in_channel(item_element(item, findings, body))


def item_element(item: Published, findings: Findings, body: str | None = None) -> etree._Element:
    """The item as feedgen and our extensions make it."""
    entry = FeedEntry()
    for name, extension in ENTRY_EXTENSIONS:
        entry.register_extension(name, extension, atom=False)
    _add_item(entry, item, findings, notes.to_html(item.episode.notes) if body is None else body)
    return entry.rss_entry()


def in_channel(element: etree._Element) -> bytes:
    """An item's bytes exactly as lxml writes them in a feed's channel: indented to its depth
    there, its namespaces declared by the feed's root."""
    root = etree.Element("rss", nsmap=CHANNEL_NAMESPACES)
    etree.SubElement(root, "channel").append(element)
    # UTF-8, not lxml's default ASCII, which writes non-ASCII text inside CDATA as character references
    written = etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return written[written.index(b"<channel>\n") + len(b"<channel>\n") : -len(_CHANNEL_END)]


def _add_item(entry: FeedEntry, item: Published, findings: Findings, body: str) -> None:
    episode, media = item.episode, item.media
    entry.title(episode.title)
    entry.guid(episode.guid, permalink=False)
    entry.pubDate(episode.date)
    entry.enclosure(episode.audio.url, str(media.length), media.mime)

    short = episode.summary or notes.first_paragraph(body) or episode.title
    if len(body.encode()) <= DESCRIPTION_LIMIT:
        description = body or html.escape(short, quote=False)
    else:
        description = notes.truncate(html.escape(short, quote=False), DESCRIPTION_LIMIT, bytes_=True)
        findings.add(
            "NOTES-LEN", episode.source, episode.notes_line,
            f"show notes are {len(body.encode())} bytes as HTML, over Apple's {DESCRIPTION_LIMIT} "
            "for <description>: it gets the plain summary, <content:encoded> the full notes",
        )
    entry.description(CDATA(description))
    if body:
        entry.content(body, type="CDATA")

    extra: ItunesEntryExtension = entry.itunes
    extra.duration = int(media.duration + 0.5)  # half up, not round()'s half to even
    extra.image = episode.image.url if episode.image else None
    extra.explicit = episode.explicit
    extra.episode = episode.episode
    extra.season = episode.season
    extra.episode_type = episode.type
    extra.subtitle = notes.truncate(short, SUBTITLE_LIMIT)
    extra.summary = notes.truncate(short, DESCRIPTION_LIMIT)

    podcast: PodcastIndexEntryExtension = entry.podcastindex
    podcast.transcripts = episode.transcripts
    podcast.chapters_url = item.chapters_url
    podcast.persons = episode.persons
    podcast.season, podcast.episode = episode.season, episode.episode
    podcast.soundbites = episode.soundbites
    podcast.locations = episode.locations
    podcast.alternates = item.alternates
    entry.psc.chapters = item.chapters
