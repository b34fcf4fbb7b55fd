"""The Podcasting 2.0 `podcast:` namespace (https://podcastindex.org/namespace/1.0).

Registered under the name `podcastindex`, because feedgen's iTunes extension already
uses `podcast`. It starts with the channel's podcast:guid and grows with the
Podcasting 2.0 tags.
"""

from __future__ import annotations

from feedgen.ext.base import BaseExtension
from feedgen.util import xml_elem

PODCAST_NS = "https://podcastindex.org/namespace/1.0"


class PodcastIndexExtension(BaseExtension):
    """Channel tags of the podcast: namespace."""

    def __init__(self) -> None:
        self.guid: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss):
        channel = rss[0]
        if self.guid:
            xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self.guid
        return rss
