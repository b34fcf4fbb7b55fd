"""An episode's record: everything a build made of one episode file, kept in the cache.

Parsing depends on the file, show.yaml and the names of the audio beside it; everything
after it (the audio facts resolved into a `Published` item, the per-episode rules, the
item's XML, its part of the show page) depends on the parsed episode, the local files
it refers to, the options and, for remote media and artwork, what the servers answered.
A record keeps all of these results with what they depend on, so a rebuild does the
work only for new or changed episodes. Each result keeps its findings, which are
reported again where a build doing the work would report them: the output is the same.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from . import stored
from .cache import code_version, digest
from .model import Episode, Published
from .remote import RemoteProbe
from .rules import RULES, Level

Finding = tuple[str, str, "int | None", str]  # (rule, path, line, message), as Findings.since gives
Found = tuple[Finding, ...]


@dataclass(slots=True)
class Record:
    """Filled stage by stage. `fresh` marks a record made or completed in this build (a
    stage that fills in a result sets it), to be stored."""

    key: str  # the file's name, size and mtime, show.yaml and the sibling audio names (load.py)
    episode: Episode
    loaded: Found  # what parsing found
    dependencies: list[tuple[str, int, int, object]]  # (path, size, mtime, kind) of each local file it refers to
    context: str | None = None  # what the results below depend on besides those (see `context`)
    item: Published | None = None  # None: the audio or a file was wrong (see `resolved`)
    resolved: Found | None = None  # what resolving found; None: not resolved yet
    checked: Found | None = None  # the per-episode rules (checks/episodes.py)
    xml: bytes | None = None  # the item, rendered by feedgen and our extensions
    rendered: Found = ()  # what rendering it found (NOTES-LEN)
    feed_checked: tuple[tuple[str, int, str], ...] | None = None  # the XML rules on the item (checks/feedxml.py)
    page: bytes | None = None  # its part of the show page, UTF-8 (page.py)
    notes_key: str | None = None  # its rendered notes in the cache (cache.notes_key)
    fresh: bool = True

    def reuse(self, context: str) -> bool:
        """Whether the results after parsing still hold; if not, they are cleared. Results
        with an error are made again: the cause may lie outside the files (a permission,
        a read error), so only sound work is reused."""
        if self.context == context and self.resolved is not None and self.item is not None and not any(
                RULES[finding[0]].level is Level.ERROR for found in (self.resolved, self.checked or (), self.rendered)
                for finding in found):
            return True
        self.clear(context)
        return False

    def clear(self, context: str) -> None:
        """Forget the results after parsing: they are made again for `context`."""
        self.context, self.item, self.resolved, self.checked = context, None, None, None
        self.xml, self.rendered, self.feed_checked, self.page, self.fresh = None, (), None, None, True
        self.notes_key = None


Records = Mapping[str, Record]  # by episode source

_FOUND = "tuple[tuple[str, str, int | None, str], ...]"
# a record as stored (besides its key, XML and page, which have columns of their own): these
# fields, in this order; its item is stored without its episode, which is the record's own
_STORED = (("episode", "Episode"), ("loaded", _FOUND), ("dependencies", "list[tuple[str, int, int, object]]"),
           ("context", "str | None"), ("item", "Published | None"), ("resolved", f"{_FOUND} | None"),
           ("checked", f"{_FOUND} | None"), ("rendered", _FOUND),
           ("feed_checked", "tuple[tuple[str, int, str], ...] | None"), ("notes_key", "str | None"))


def record_to_json(record: Record) -> str:
    """The record as JSON (see stored.py): data that cannot execute."""
    values = [getattr(record, name) for name, _ in _STORED]
    if record.item is not None:
        item = list(record.item.__getstate__())  # type: ignore[attr-defined]
        item[0] = None  # the episode: the record's own, stored once
        values[4] = item
    return stored.dumps(values)


@functools.cache
def _decoders() -> list:
    """The decoder of each stored field (see stored.decoder), made once."""
    return [stored.decoder(annotation) for _, annotation in _STORED]


def record_from_json(key: str, data: str, xml: bytes | None, page: bytes | None) -> Record:
    """A record from `record_to_json`; ValueError (or TypeError, KeyError) if it does not fit."""
    values = stored.loads(data)
    if type(values) is not list or len(values) != len(_STORED):
        raise ValueError("a stored record of another layout")
    decoders = _decoders()
    episode = decoders[0](values[0])
    if values[4] is not None:
        values[4][0] = episode  # the item's episode is the record's (kept as it is when decoded)
    loaded, dependencies, context, item, resolved, checked, rendered, feed_checked, notes_key = (
        convert(value) if convert else value for convert, value in zip(decoders[1:], values[1:], strict=True))
    return Record(key, episode, loaded, dependencies, context, item, resolved, checked, xml, rendered, feed_checked,
                  page, notes_key, fresh=False)


def context(episode: Episode, remote: Mapping[str, object], remote_art: Mapping[str, object],
            redirects: bool) -> str:
    """What a record's results depend on besides the parsed episode and its files: the
    code, the redirect option, and the servers' answers for its remote audio and artwork."""
    urls = [ref.url for ref in (episode.audio, *episode.alternates) if ref is not None and ref.path is None]
    art = episode.image.url if episode.image is not None and episode.image.path is None else None
    local = f"{code_version()}.{redirects}"
    if not urls and art is None:  # the usual case, without hashing
        return local
    answers = [_answer(remote.get(url)) for url in urls]
    return f"{local}.{digest(answers, _answer(remote_art.get(art)) if art else None)}"


def _answer(result: object) -> object:
    """What a server's answer means for the episode: a probe's facts (not how many bytes
    it took), or an error's rule and message (an exception's repr leaves the rule out)."""
    if isinstance(result, RemoteProbe):
        return result.info, result.final_url, result.note, result.estimated, result.truncated
    if isinstance(result, Exception):
        return type(result).__name__, getattr(result, "rule", None), str(result)
    return result
