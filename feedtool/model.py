"""The data every stage passes on: a show, its episodes, and the facts about their media."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MediaRef:
    """A media file: `path` (relative to the show folder) when local, and its public URL."""

    url: str
    path: str | None = None
    line: int | None = None  # where the reference was written, for messages


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class MediaInfo:
    """What the feed needs to know about an audio file."""

    duration: float  # seconds
    length: int  # bytes
    mime: str
