"""The data every stage passes on: a show, its episodes, and the facts about their media."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import TypeVar

T = TypeVar("T")


def value(cls: type[T]) -> type[T]:
    """A frozen dataclass with slots (10,000 episodes take about 5 MB less than with a
    `__dict__` each) that pickles fast (see `fast_pickling`)."""
    return fast_pickling(dataclass(frozen=True, slots=True)(cls))


def fast_pickling(made: type[T]) -> type[T]:
    """A dataclass with slots whose state is a tuple (pickled between the build's processes,
    and written as a JSON array to the cache by stored.py), read by one attrgetter and
    set through the slots' own descriptors (dataclasses' own slotted state asks `fields()`
    for every object; this halves the time to store or read 10,000 cached episodes)."""
    names = tuple(f.name for f in fields(made))
    get = attrgetter(*names)
    setters: tuple[Callable[[object, object], None], ...] = tuple(getattr(made, name).__set__ for name in names)

    def __getstate__(self) -> tuple:  # noqa: N807 - the pickle protocol's names
        return (get(self),) if len(names) == 1 else get(self)

    def __setstate__(self, state: tuple | list) -> None:  # noqa: N807 - a list: dataclasses' own state
        if len(state) != len(setters):
            raise ValueError(f"{made.__name__}: a state of another layout")
        for setter, item in zip(setters, state):  # noqa: B905 - lengths compared above
            setter(self, item)

    made.__getstate__ = __getstate__  # type: ignore[attr-defined]
    made.__setstate__ = __setstate__  # type: ignore[attr-defined]
    return made


@value
class MediaRef:
    """A media file: `path` (relative to the show folder) when local, and its public URL."""

    url: str
    path: str | None = None
    line: int | None = None  # where the reference was written, for messages


@value
class Person:
    """podcast:person: role and group from the Podcast Taxonomy, in lower case."""

    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@value
class Funding:
    url: str
    text: str


@value
class Location:
    name: str
    rel: str | None = None  # subject | creator
    geo: str | None = None  # RFC 5870, "geo:51.5,-0.12"
    osm: str | None = None  # "R65606"
    country: str | None = None  # ISO 3166-1 alpha-2


@value
class Txt:
    text: str
    purpose: str | None = None


@value
class License:
    slug: str
    url: str | None = None


@value
class Transcript:
    """A transcript file or URL, with its MIME type and language."""

    ref: MediaRef
    type: str
    language: str | None = None
    rel: str | None = None  # "captions" for timed captions


@value
class Chapter:
    start: float  # seconds
    title: str | None = None
    url: str | None = None
    img: str | None = None
    toc: bool | None = None
    line: int | None = None  # where it was written, for messages


@value
class Soundbite:
    start: float
    duration: float
    title: str | None = None
    line: int | None = None


@value
class Show:
    """The channel, from show.yaml."""

    source: str  # display path of show.yaml
    title: str
    description: str  # Markdown
    link: str
    feed_url: str
    language: str
    author: str
    owner_name: str
    owner_email: str
    image: MediaRef
    categories: tuple[tuple[str, str | None], ...]
    media_base_url: str  # always ends with '/'
    media_is_local: bool  # media_base_url is the feed's own folder: copy media into output/
    explicit: bool
    type: str | None
    copyright: str | None
    guid: str  # podcast:guid
    lines: Mapping[str, int]  # show.yaml key → line, for messages
    site_url: str = ""  # the folder of feed_url: generated files (chapters) are served here
    persons: tuple[Person, ...] = ()
    funding: tuple[Funding, ...] = ()
    locked: bool = False
    locations: tuple[Location, ...] = ()
    medium: str | None = None
    license: License | None = None
    txt: tuple[Txt, ...] = ()
    max_items: int | None = None  # with paging: items in feed.xml; older ones go to archive pages
    paging: bool = False
    hubs: tuple[str, ...] = ()  # WebSub hubs (atom:link rel="hub")
    pings: tuple[str, ...] = ()  # ping service URLs for `feedtool ping`


@value
class Episode:
    """One episode file: front matter plus show notes."""

    source: str  # display path of the .md file
    name: str  # the file name, the tie-breaker when two episodes share a date
    title: str
    date: datetime  # timezone-aware
    guid: str
    lines: Mapping[str, int]  # front-matter key → line, for messages
    audio: MediaRef | None  # None only for drafts and removed episodes
    summary: str | None
    season: int | None
    episode: int | None
    type: str | None
    explicit: bool | None
    image: MediaRef | None
    duration: float | None  # override from front matter
    length: int | None  # override from front matter
    draft: bool
    removed: bool  # taken down on purpose: left out without tripping the publish guard
    notes: str  # Markdown
    notes_line: int
    alternates: tuple[MediaRef, ...] = ()  # more files of the same audio (`audio:` list), after the first
    persons: tuple[Person, ...] = ()  # replaces the show's people for this episode when given
    transcripts: tuple[Transcript, ...] = ()
    chapters: tuple[Chapter, ...] | None = None  # from the front matter
    chapters_file: MediaRef | None = None  # a JSON chapters file or URL
    soundbites: tuple[Soundbite, ...] = ()
    locations: tuple[Location, ...] = ()


@value
class MediaInfo:
    """What the feed needs to know about an audio file."""

    duration: float  # seconds
    length: int  # bytes
    mime: str
    bitrate: int = 0  # bits per second, 0 when unknown
    codec: str = ""  # a human name for the format: "MP3", "Opus", ...


@value
class Published:
    """An episode ready for the feed: its audio facts and what was derived from its files."""

    episode: Episode
    media: MediaInfo
    alternates: tuple[tuple[MediaRef, MediaInfo], ...] = ()  # every audio file, the enclosure first
    chapters: tuple[Chapter, ...] = ()  # to write as JSON and inline
    chapters_url: str | None = None  # where the JSON chapters are (ours, or the publisher's URL)
