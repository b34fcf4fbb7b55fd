"""The itunes: namespace, written the way Apple reads it today.

feedgen's own iTunes extension writes `itunes:explicit` as yes/no/clean (Apple wants
true/false) and silently drops an image whose URL does not end in .jpg or .png, so
feedtool registers this one instead.
"""

from __future__ import annotations

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def _tag(name: str) -> str:
    return f"{{{ITUNES_NS}}}{name}"


def _text(parent, name: str, value: object) -> None:
    if value is not None:
        xml_elem(_tag(name), parent).text = str(value)


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


class ItunesExtension(BaseExtension):
    """Channel tags: author, owner, image, categories, explicit, type."""

    def __init__(self) -> None:
        self.author: str | None = None
        self.owner: tuple[str, str] | None = None  # (name, email)
        self.image: str | None = None
        self.categories: tuple[tuple[str, str | None], ...] = ()
        self.explicit: bool | None = None
        self.type: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS}

    def extend_rss(self, rss):
        channel = rss[0]
        _text(channel, "author", self.author)
        if self.owner:
            owner = xml_elem(_tag("owner"), channel)
            _text(owner, "name", self.owner[0])
            _text(owner, "email", self.owner[1])
        if self.image:
            xml_elem(_tag("image"), channel, href=self.image)
        for main, sub in self.categories:
            category = xml_elem(_tag("category"), channel, text=main)
            if sub:
                xml_elem(_tag("category"), category, text=sub)
        _text(channel, "explicit", _bool(self.explicit))
        _text(channel, "type", self.type)
        return rss


class ItunesEntryExtension(BaseEntryExtension):
    """Item tags: duration, image, explicit, episode numbering, summary and subtitle."""

    def __init__(self) -> None:
        self.duration: int | None = None  # whole seconds
        self.image: str | None = None
        self.explicit: bool | None = None
        self.episode: int | None = None
        self.season: int | None = None
        self.episode_type: str | None = None
        self.summary: str | None = None
        self.subtitle: str | None = None

    def extend_rss(self, item):
        _text(item, "duration", self.duration)
        if self.image:
            xml_elem(_tag("image"), item, href=self.image)
        _text(item, "explicit", _bool(self.explicit))
        _text(item, "episode", self.episode)
        _text(item, "season", self.season)
        _text(item, "episodeType", self.episode_type)
        _text(item, "subtitle", self.subtitle)
        _text(item, "summary", self.summary)
        return item
