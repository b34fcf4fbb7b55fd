"""WebSub: `atom:link rel="hub"` in the channel, so apps can subscribe to update pings.

feedgen writes only the rel="self" atom:link in RSS, so hubs come from this extension.
"""

from __future__ import annotations

from feedgen.ext.base import BaseExtension
from feedgen.util import xml_elem

ATOM_NS = "http://www.w3.org/2005/Atom"


class WebSubExtension(BaseExtension):
    def __init__(self) -> None:
        self.hubs: tuple[str, ...] = ()

    def extend_rss(self, rss):
        channel = rss[0]
        for hub in self.hubs:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=hub, rel="hub")
        return rss
