"""Checks: the directory rules that can be decided offline, on the sources and on the feed.

`check_sources` looks at the show, its episodes and their media (with line numbers);
`check_feed` looks at the rendered XML, for the rules that are about the document.
"""

from __future__ import annotations

from .artwork import check_artwork
from .episodes import check_sources
from .feedxml import check_feed

__all__ = ["check_artwork", "check_feed", "check_sources"]
