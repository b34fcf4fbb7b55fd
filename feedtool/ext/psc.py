"""Podlove Simple Chapters (`psc:chapters`), inline chapters that many apps read."""

from __future__ import annotations

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

from ..chapters import clock
from ..model import Chapter

PSC_NS = "http://podlove.org/simple-chapters"


class PodloveChaptersExtension(BaseExtension):
    """Declares the namespace on <rss> (feedgen takes namespaces from feed extensions only)."""

    def extend_ns(self) -> dict[str, str]:
        return {"psc": PSC_NS}


class PodloveChaptersEntryExtension(BaseEntryExtension):
    def __init__(self) -> None:
        self.chapters: tuple[Chapter, ...] = ()

    def extend_rss(self, item):
        if not self.chapters:
            return item
        container = xml_elem(f"{{{PSC_NS}}}chapters", item, version="1.2")
        for chapter in self.chapters:
            if chapter.toc is False:  # JSON Chapters' hidden chapter: not for a table of contents
                continue
            attributes = {"start": clock(chapter.start), "title": chapter.title or ""}
            if chapter.url:
                attributes["href"] = chapter.url
            if chapter.img:
                attributes["image"] = chapter.img
            xml_elem(f"{{{PSC_NS}}}chapter", container, **attributes)
        return item
