"""The Podcasting 2.0 `podcast:` namespace (https://podcastindex.org/namespace/1.0).

Registered under the name `podcastindex`, because feedgen's iTunes extension already
uses `podcast`. Values arrive as feedtool's model objects and are written in the
order and with the attributes the namespace documents.
"""

from __future__ import annotations

from email.utils import format_datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

from ..model import (
    Funding,
    License,
    Location,
    MediaInfo,
    MediaRef,
    Person,
    Published,
    Soundbite,
    Transcript,
    Txt,
)

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
# RFC 6381 codecs, where the MIME type alone does not tell (audio/ogg is Vorbis or Opus)
CODECS = {"Opus": "opus", "Vorbis": "vorbis", "FLAC": "flac"}


def _tag(name: str) -> str:
    return f"{{{PODCAST_NS}}}{name}"


def _element(parent, name: str, text: str | None = None, **attributes: object):
    """A podcast: element; attributes that are None are left out."""
    element = xml_elem(_tag(name), parent, **{k: str(v) for k, v in attributes.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def write_persons(parent, persons: tuple[Person, ...]) -> None:
    for person in persons:
        _element(parent, "person", person.name, role=person.role, group=person.group,
                 img=person.img, href=person.href)


def write_locations(parent, locations: tuple[Location, ...]) -> None:
    for place in locations:
        _element(parent, "location", place.name, rel=place.rel, geo=place.geo, osm=place.osm,
                 country=place.country)


class PodcastIndexExtension(BaseExtension):
    """Channel tags: guid, locked, funding, person, location, medium, license, trailer, txt."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.locked_owner: str | None = None  # set: <podcast:locked owner=…>yes
        self.funding: tuple[Funding, ...] = ()
        self.persons: tuple[Person, ...] = ()
        self.locations: tuple[Location, ...] = ()
        self.medium: str | None = None
        self.license: License | None = None
        self.trailers: tuple[Published, ...] = ()
        self.txt: tuple[Txt, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss):
        channel = rss[0]
        if self.guid:
            _element(channel, "guid", self.guid)
        if self.locked_owner:
            _element(channel, "locked", "yes", owner=self.locked_owner)
        for fund in self.funding:
            _element(channel, "funding", fund.text, url=fund.url)
        write_persons(channel, self.persons)
        write_locations(channel, self.locations)
        if self.medium:
            _element(channel, "medium", self.medium)
        if self.license:
            _element(channel, "license", self.license.slug, url=self.license.url)
        for trailer in self.trailers:
            episode = trailer.episode
            assert episode.audio is not None
            _element(channel, "trailer", episode.title, pubdate=format_datetime(episode.date),
                     url=episode.audio.url, length=trailer.media.length, type=trailer.media.mime,
                     season=episode.season)
        for record in self.txt:
            _element(channel, "txt", record.text, purpose=record.purpose)
        return rss


class PodcastIndexEntryExtension(BaseEntryExtension):
    """Item tags: transcript, chapters, person, season, episode, soundbite, location,
    alternateEnclosure."""

    def __init__(self) -> None:
        self.transcripts: tuple[Transcript, ...] = ()
        self.chapters_url: str | None = None
        self.persons: tuple[Person, ...] = ()
        self.season: int | None = None
        self.episode: int | None = None
        self.soundbites: tuple[Soundbite, ...] = ()
        self.locations: tuple[Location, ...] = ()
        self.alternates: tuple[tuple[MediaRef, MediaInfo], ...] = ()

    def extend_rss(self, item):
        for transcript in self.transcripts:
            _element(item, "transcript", url=transcript.ref.url, type=transcript.type,
                     language=transcript.language, rel=transcript.rel)
        if self.chapters_url:
            _element(item, "chapters", url=self.chapters_url, type="application/json+chapters")
        write_persons(item, self.persons)
        if self.season is not None:
            _element(item, "season", str(self.season))
        if self.episode is not None:
            _element(item, "episode", str(self.episode))
        for bite in self.soundbites:
            _element(item, "soundbite", bite.title, startTime=_number(bite.start), duration=_number(bite.duration))
        write_locations(item, self.locations)
        for number, (ref, info) in enumerate(self.alternates):
            enclosure = _element(
                item, "alternateEnclosure", type=info.mime, codecs=CODECS.get(info.codec), length=info.length or None,
                bitrate=info.bitrate or None, title=f"{info.codec} {round(info.bitrate / 1000)} kbps"
                if info.bitrate else info.codec or None, default="true" if number == 0 else None,
            )
            _element(enclosure, "source", uri=ref.url)
        return item
