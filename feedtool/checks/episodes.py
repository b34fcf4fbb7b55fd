"""Rules about the show and its episodes as a whole: lengths, numbering, enclosures, durations."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from .. import notes
from ..findings import Findings
from ..model import Published, Show
from ..record import Records
from ..render import DESCRIPTION_LIMIT
from ..scaffold import TEMPLATE_START
from .artwork import check_artwork

TEXT_LIMIT = 255  # Apple's default limit for short text values
APPLE_TYPES = {"audio/mpeg", "audio/x-m4a", "video/quicktime", "video/mp4", "video/x-m4v", "application/pdf"}
MAX_DURATION = 12 * 3600  # longer is almost always a wrong value
# characters allowed in a URL (RFC 3986); anything else must be percent-encoded
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def check_sources(folder: Path, show: Show, items: Sequence[Published], findings: Findings,
                  remote_art: Mapping | None = None, records: Records | None = None,
                  cover: tuple | None = None) -> None:
    """Run every source rule over the show and the episodes that will be (or are scheduled to be) live.

    `remote_art` holds what was read of remote artwork (see `artwork.probe_remote_images`).
    An episode's own rules are not run again when its record (by source) has their findings.
    `cover`: the facts of the show's local cover, if read before (see artwork.local_art).
    """
    _check_show(folder, show, findings, remote_art, cover)
    for item in items:
        record = records.get(item.episode.source) if records else None
        if record is not None and record.checked is not None:
            for finding in record.checked:
                findings.add(*finding)
            continue
        count = len(findings)
        _check_episode(folder, item, findings, remote_art)
        _check_title(show, item, findings)
        if record is not None:
            record.checked, record.fresh = findings.since(count), True
    _check_duplicates(items, findings)
    if show.type == "serial":
        _check_serial(show, items, findings)


def _too_long(findings: Findings, source: str, line: int | None, key: str, value: str, limit: int) -> None:
    if len(value) > limit:
        findings.add(
            "TEXT-LEN", source, line,
            f"{key} is {len(value)} characters; Apple cuts values over {limit}",
        )


def _check_https(source: str, line: int | None, urls: dict[str, str | None], findings: Findings) -> None:
    """The namespace asks for https in every podcast: tag."""
    for key, url in urls.items():
        if url and url.startswith("http://"):
            findings.add("PC-HTTPS", source, line, f"{key}: {url} is not https; Podcasting 2.0 apps expect https")


def _check_show(folder: Path, show: Show, findings: Findings, remote_art: Mapping | None,
                cover: tuple | None) -> None:
    for fund in show.funding:
        _check_https(show.source, show.lines.get("funding"), {"funding.url": fund.url}, findings)
    for person in show.persons:
        _check_https(show.source, show.lines.get("persons"),
                     {"persons.href": person.href, "persons.img": person.img}, findings)
    size = len(notes.to_html(show.description).encode())
    if size > DESCRIPTION_LIMIT:
        findings.add(
            "DESC-LEN", show.source, show.lines.get("description"),
            f"description is {size} bytes as HTML; Apple rejects more than {DESCRIPTION_LIMIT}",
        )
    for key, value in (("title", show.title), ("author", show.author), ("owner.name", show.owner_name)):
        _too_long(findings, show.source, show.lines.get(key.split(".")[0]), key, value, TEXT_LIMIT)
    check_artwork(folder, show.image, show.source, findings, remote_art, cover)


def _check_episode(folder: Path, item: Published, findings: Findings, remote_art: Mapping | None) -> None:
    episode, media = item.episode, item.media
    source, lines = episode.source, episode.lines
    _too_long(findings, source, lines.get("title"), "title", episode.title, TEXT_LIMIT)
    if episode.summary:
        _too_long(findings, source, lines.get("summary"), "summary", episode.summary, DESCRIPTION_LIMIT)
    if episode.image:
        check_artwork(folder, episode.image, source, findings, remote_art)
    for person in episode.persons:
        _check_https(source, lines.get("persons"), {"persons.href": person.href, "persons.img": person.img},
                     findings)
    for transcript in episode.transcripts:
        _check_https(source, transcript.ref.line, {"transcript": transcript.ref.url}, findings)
    for chapter in item.chapters:
        _check_https(source, chapter.line, {"chapters.url": chapter.url, "chapters.img": chapter.img}, findings)
    if item.chapters_url:
        _check_https(source, lines.get("chapters"), {"chapters": item.chapters_url}, findings)

    assert episode.audio is not None
    url, line = episode.audio.url, episode.audio.line
    problem = url_problem(url)
    if problem:
        findings.add("ENC-URL", source, line, f"audio URL {url} {problem}")
    if not url.startswith("https://"):
        findings.add(
            "ENC-HTTPS", source, line,
            f"audio URL {url} is not https; some apps and directories refuse plain http",
        )
    for alternate in episode.alternates:  # podcast:alternateEnclosure sources
        problem = url_problem(alternate.url)
        if problem:
            findings.add("ENC-URL", source, alternate.line, f"audio URL {alternate.url} {problem}")
        _check_https(source, alternate.line, {"audio": alternate.url}, findings)
    if media.mime not in APPLE_TYPES:
        findings.add(
            "ENC-TYPE", source, line,
            f"{media.mime} is not a type Apple Podcasts accepts (MP3, M4A, MP4, MOV, M4V, PDF): "
            "the episode will be missing there; other apps play it",
        )
    where = lines.get("duration", line)
    if media.duration < 1:
        findings.add(
            "DURATION", source, where, f"the duration is {media.duration:.2f} s: is the audio empty?"
        )
    elif media.duration > MAX_DURATION:
        findings.add(
            "DURATION-LONG", source, where,
            f"the duration is {media.duration / 3600:.1f} hours; check the audio or the duration key",
        )
    if notes.too_deep(episode.notes):
        findings.add(
            "NOTES-DEPTH", source, episode.notes_line,
            f"the show notes nest HTML elements, quotes or lists more than {notes.MAX_DEPTH} deep: they are "
            "published as plain text, as written (is this a broken paste?)",
        )
    if TEMPLATE_START in episode.notes:
        findings.add(
            "NOTES-TEMPLATE", source, episode.notes_line,
            "the show notes still have the template text of `feedtool new`: write the episode's own notes",
        )
    if episode.date.year < 1990:
        findings.add(
            "PUBDATE-OLD", source, lines.get("date"),
            f"date {episode.date.date()} is before 1990; feed validators call it implausible",
        )


def url_problem(url: str) -> str | None:
    """Why an enclosure URL would fail in apps, or None."""
    authority = _AUTHORITY.match(url)  # a show's URLs share a few: each is looked at once
    if (problem := _authority_problem(authority[0] if authority else url)) is not None:
        return problem
    if not _URL_CHARS.fullmatch(url):
        return "has characters that must be percent-encoded (spaces, non-ASCII, quotes)"
    if re.search(r"%(?![0-9A-Fa-f]{2})", url):
        return "has a '%' that does not start a percent-escape (write %25)"
    return None


_AUTHORITY = re.compile(r"[^:/?#]+://[^/?#]*")  # scheme://user@host:port, as urlsplit reads it


@functools.lru_cache(maxsize=256)
def _authority_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return "contains a user name or password; podcast media must be public"
    if not parts.hostname or not parts.hostname.isascii():
        return "has a non-ASCII host name: write its punycode (xn--…) form"
    return None


def _check_title(show: Show, item: Published, findings: Findings) -> None:
    """Apple: no episode numbers or show name in titles (they have their own tags)."""
    episode = item.episode
    title = episode.title
    line = episode.lines.get("title")
    if re.search(r"(?i)\b(?:ep(?:isode)?\.?|#)\s*\d+", title):
        findings.add(
            "TITLE-NUMBER", episode.source, line,
            f"the title '{title}' carries an episode number: use 'episode:' (Apple shows it) and keep the title plain",
        )
    elif title.casefold().startswith(show.title.casefold()) and len(title) > len(show.title):
        findings.add(
            "TITLE-NUMBER", episode.source, line,
            f"the title '{title}' repeats the show's name; apps already show it",
        )
    guid_is_given = "guid" in episode.lines
    if guid_is_given and episode.guid.isdigit() and len(episode.guid) < 9:
        findings.add(
            "GUID-SHORT", episode.source, episode.lines["guid"],
            f"guid '{episode.guid}' is a short number; it may clash with another feed's. Any longer unique "
            "text works (but never change a published guid)",
        )


def _check_duplicates(items: Sequence[Published], findings: Findings) -> None:
    seen_titles: dict[str, Published] = {}
    seen_urls: dict[str, Published] = {}
    seen_numbers: dict[tuple[int | None, int], Published] = {}
    for item in sorted(items, key=lambda p: p.episode.name):
        episode = item.episode
        title = " ".join(episode.title.casefold().split())
        if episode.type != "trailer" and (other := seen_titles.setdefault(title, item)) is not item:
            findings.add(
                "TITLE-DUPLICATE", episode.source, episode.lines.get("title"),
                f"the title '{episode.title}' is also {other.episode.source}'s; apps may take them "
                "for the same episode",
            )
        assert episode.audio is not None
        if (other := seen_urls.setdefault(episode.audio.url, item)) is not item:
            findings.add(
                "ENC-UNIQUE", episode.source, episode.audio.line,
                f"the audio {episode.audio.url} is also {other.episode.source}'s; Apple ignores an "
                "enclosure URL it has seen before",
            )
        if episode.episode is not None and (episode.type or "full") == "full":
            key = (episode.season, episode.episode)
            if (other := seen_numbers.setdefault(key, item)) is not item:
                season = f"season {episode.season}, " if episode.season else ""
                findings.add(
                    "EPISODE-DUPLICATE", episode.source, episode.lines.get("episode"),
                    f"{season}episode {episode.episode} is also {other.episode.source}",
                )


def _check_serial(show: Show, items: Sequence[Published], findings: Findings) -> None:
    """A serial show is listened to in order: every full episode needs a number, without gaps."""
    numbers: dict[int | None, set[int]] = defaultdict(set)
    for item in items:
        episode = item.episode
        if (episode.type or "full") != "full":
            continue
        if episode.episode is None:
            findings.add(
                "SHOW-TYPE", episode.source, 1,
                "the show is serial, so every episode needs 'episode: <number>'",
            )
        else:
            numbers[episode.season].add(episode.episode)
    if any(min(present) > 1 for present in numbers.values()):
        # numbering runs on across seasons (S1: 1–8, S2: 9–16): look for gaps in the whole show
        numbers = {None: set().union(*numbers.values())}
    for season, present in sorted(numbers.items(), key=lambda kv: kv[0] or 0):
        missing = sorted(set(range(1, max(present) + 1)) - present)
        if missing:
            where = f"season {season}" if season else "the show"
            listed = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
            findings.add(
                "SERIAL-GAP", show.source, show.lines.get("type"),
                f"{where} is serial but has no episode {listed}; listeners will think one is missing",
            )
