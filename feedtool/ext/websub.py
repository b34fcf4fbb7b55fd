"""Extra `atom:link`s of the channel: WebSub hubs, and the RFC 5005 links of paged feeds.

feedgen writes only the rel="self" atom:link in RSS, so these come from this extension.
An archive page also carries `fh:archive` (RFC 5005 §4).
"""

from __future__ import annotations

from feedgen.ext.base import BaseExtension
from feedgen.util import xml_elem

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"


class AtomLinksExtension(BaseExtension):
    def __init__(self) -> None:
        self.hubs: tuple[str, ...] = ()
        self.links: tuple[tuple[str, str], ...] = ()  # (rel, href) for paging
        self.archive = False  # an archive page of a paged feed

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS} if self.archive else {}

    def extend_rss(self, rss):
        channel = rss[0]
        for hub in self.hubs:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=hub, rel="hub")
        for rel, href in self.links:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=href, rel=rel, type="application/rss+xml")
        if self.archive:
            xml_elem(f"{{{HISTORY_NS}}}archive", channel)
        return rss
