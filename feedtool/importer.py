"""`feedtool import`: an existing podcast feed → show.yaml and one episode file per item.

A show moving to feedtool must keep what its subscribers' apps already know: every
guid exactly as published, every enclosure URL, length, date and duration. So the
importer copies those verbatim (the audio stays where it is, so nothing is probed at
build time) and keeps the show notes as HTML.

A feed from elsewhere is untrusted input: it is read with a size limit, a document that
declares XML entities is refused before parsing (they can expand without bound, the
"billion laughs", or read local files), no DTD is ever fetched, and file names are
slugs of letters, digits and hyphens, so no title or URL can place a file outside the
show folder. Existing files are never overwritten.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from lxml import etree

from .checks.feedxml import NAMESPACES
from .findings import Findings
from .http import RemoteError, download
from .load import SHOW_FILE, front_matters
from .load import TRANSCRIPT_TYPES as FILE_TYPES
from .numbers import whole
from .options import NetworkOptions
from .write import create_new
from .yamlsource import YAMLSourceError, parse

MAX_FEED_BYTES = 64 * 1024 * 1024  # the largest feeds in the Podcast Index are about 30 MB
NS = {**NAMESPACES, "psc": "http://podlove.org/simple-chapters"}
TRANSCRIPT_TYPES = set(FILE_TYPES.values())
TRANSCRIPT_ALIASES = {"application/srt": "application/x-subrip", "text/srt": "application/x-subrip"}


@dataclass
class Imported:
    """What an import wrote (paths relative to the show folder) and left alone."""

    show_written: bool = False
    written: list[str] = field(default_factory=list)
    already_there: int = 0  # items whose guid an episode file in the folder already has


def import_feed(source: str, folder: Path, findings: Findings, update: bool = False,
                feed_url: str | None = None, options: NetworkOptions | None = None,
                max_bytes: int = MAX_FEED_BYTES) -> Imported | None:
    """Import the feed at `source` (an http(s) URL or a file) into `folder`; None when
    nothing could be imported (the reason is in `findings`)."""
    options = options or NetworkOptions()
    show_path = folder / SHOW_FILE
    if show_path.exists() and not update:
        findings.add(
            "IMPORT-EXISTS", show_path.as_posix(), None,
            "this folder already holds a show: use --update to add the feed's new items, "
            "or import into an empty folder",
        )
        return None
    data = _fetch(source, findings, options, max_bytes)
    if data is None:
        return None
    channel = _parse(data, source, findings)
    if channel is None:
        return None
    is_web = urlsplit(source).scheme in ("http", "https")
    address = feed_url or _self_link(channel) or (source if is_web else None)
    if show_path.exists() and not _same_show(show_path, channel, address, findings):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    result = Imported()
    if not show_path.exists():
        show = _show(channel, address)
        for key in ("title", "description", "link", "feed_url", "language", "author", "image", "categories"):
            if not show.get(key):
                findings.add("IMPORT-INCOMPLETE", show_path.as_posix(), None,
                             f"the feed gives no {key}: add '{key}:' before building")
        if not show.get("owner", {}).get("email"):
            findings.add("IMPORT-INCOMPLETE", show_path.as_posix(), None,
                         "the feed gives no itunes:owner email: add 'owner: {name: …, email: …}' before building")
        if not _write(show_path, _dump(show), findings):
            return None
        result.show_written = True
    known = _known_guids(folder)
    taken = {p.name for p in folder.iterdir()}
    episodes: dict[str, tuple[dict, str]] = {}
    for item in channel.findall("item"):  # in feed order: with a duplicate guid, apps keep the first
        front, notes = _episode(item)
        if front["guid"] in episodes:
            findings.add("IMPORT-DUPLICATE", source, item.sourceline,
                         f"'{front['title']}' has the guid '{front['guid']}' of an item above it, "
                         "so apps show only that one: it is left out")
            continue
        episodes[front["guid"]] = front, notes
    # oldest first, so that numbering of clashing names never changes as new items arrive
    for front, notes in reversed(episodes.values()):
        if front["guid"] in known:
            result.already_there += 1
            continue
        name = _file_name(front.get("date"), front.get("title", ""), taken)
        taken.add(name)
        path = folder / name
        if "date" not in front:
            findings.add("IMPORT-INCOMPLETE", path.as_posix(), None,
                         "the item has no valid pubDate: add 'date:' before building")
        if "audio" not in front:
            front["draft"] = True
            findings.add("IMPORT-INCOMPLETE", path.as_posix(), None,
                         "the item has no enclosure, so it is imported as a draft (apps list only items with audio)")
        if not _write(path, "---\n" + _dump(front) + "---\n\n" + notes + "\n", findings):
            return None
        known.add(front["guid"])
        result.written.append(name)
    return result


def _same_show(show_path: Path, channel: etree._Element, address: str | None, findings: Findings) -> bool:
    """--update adds to the show the folder holds: its feed_url or podcast:guid must be the feed's."""
    try:
        mapping = parse(show_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, YAMLSourceError) as exc:
        findings.add("IMPORT-EXISTS", show_path.as_posix(), None, f"cannot read it to compare with the feed: {exc}")
        return False
    ours = {key: mapping[key].value for key in ("feed_url", "guid", "title")
            if key in mapping and isinstance(mapping[key].value, str)}
    theirs = {"feed_url": address, "guid": _text(channel, "podcast:guid")}
    if any(ours.get(key) and ours[key] == theirs[key] for key in ("feed_url", "guid")):
        return True
    findings.add(
        "IMPORT-EXISTS", show_path.as_posix(), None,
        f"this folder holds another show ('{ours.get('title', '?')}', feed_url {ours.get('feed_url', '?')}); "
        f"the feed is '{_text(channel, 'title') or '?'}' at {address or 'an unknown address'}. "
        "--update adds only to the same show (same feed_url or podcast:guid): import into another folder",
    )
    return False


def _fetch(source: str, findings: Findings, options: NetworkOptions, max_bytes: int) -> bytes | None:
    """The feed's bytes, at most `max_bytes` of them."""
    too_big = f"the feed is larger than {max_bytes // (1024 * 1024) or max_bytes} " + (
        "MB" if max_bytes >= 1024 * 1024 else "bytes") + ": not a podcast feed, or not one to import whole"
    if urlsplit(source).scheme in ("http", "https"):
        try:
            status, data = download(source, options, max_bytes)  # a size cap and an overall deadline
        except RemoteError as exc:
            if exc.rule == "REMOTE-SIZE":
                findings.add("IMPORT-SIZE", source, None, too_big)
            else:
                findings.add("IMPORT-FETCH", source, None, f"cannot fetch the feed: {exc}")
            return None
        if status != 200:
            findings.add("IMPORT-FETCH", source, None, f"answers HTTP {status}")
            return None
        return data
    return _read_file(source, findings, max_bytes, too_big)


def _read_file(source: str, findings: Findings, max_bytes: int, too_big: str) -> bytes | None:
    """A local feed file, at most `max_bytes` of it."""
    scheme = urlsplit(source).scheme
    path = Path(source)
    if not path.exists() and (len(scheme) > 1 or re.match(r"[\w.-]+(:\d+)?/", source)):
        findings.add("IMPORT-FETCH", source, None,
                     "no such file; a feed URL must start with https:// or http://")
        return None
    try:
        with open(path, "rb") as handle:  # read, not stat: /dev/zero or a pipe has no size
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            findings.add("IMPORT-SIZE", source, None, too_big)
            return None
        return data
    except OSError as exc:
        findings.add("IMPORT-FETCH", source, None, f"cannot read the feed: {exc.strerror}")
        return None


UNSAFE = ("the feed declares XML entities (<!ENTITY>): refused, as they can expand without bound or read "
          "local files; podcast feeds do not need them")
# the first tag that is not a processing instruction, comment or doctype: the root element
_ROOT = re.compile(rb"<(?![?!])")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse(data: bytes, source: str, findings: Findings) -> etree._Element | None:
    """The feed's <channel>; refuse entity declarations before lxml sees the document."""
    root_at = _ROOT.search(data)
    if b"<!ENTITY" in data[: root_at.start() if root_at else len(data)]:  # before lxml expands anything
        findings.add("IMPORT-UNSAFE", source, None, UNSAFE)
        return None
    if re.match(rb"\s*(<!--.*?-->\s*)*<!doctype html|\s*<html", data[:4096], re.IGNORECASE | re.DOTALL):
        findings.add("IMPORT-XML", source, None,
                     "this is a web page, not a feed: import the feed's address (its RSS link)")
        return None
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        findings.add("IMPORT-XML", source, exc.lineno, f"the feed is not well-formed XML: {exc.msg}")
        return None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):  # what the byte scan cannot see (UTF-16, comments)
        findings.add("IMPORT-UNSAFE", source, None, UNSAFE)
        return None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        findings.add("IMPORT-XML", source, root.sourceline, "not an RSS feed (no <rss><channel>)")
        return None
    return channel


def _text(node: etree._Element, path: str) -> str | None:
    """Stripped text at `path` (prefixes from NS), or None when missing or empty."""
    found = node.find(path, NS)
    value = (found.text or "").strip() if found is not None else ""
    return value or None


def _attr(node: etree._Element, path: str, name: str) -> str | None:
    found = node.find(path, NS)
    value = (found.get(name) or "").strip() if found is not None else ""
    return value or None


def _self_link(channel: etree._Element) -> str | None:
    for link in channel.findall("atom:link", NS):
        if link.get("rel") == "self" and link.get("href"):
            return link.get("href").strip()
    return None


def _boolean(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    return True if lowered in ("true", "yes", "explicit") else False if lowered in ("false", "no", "clean") else None


def _show(channel: etree._Element, feed_url: str | None) -> dict:
    """show.yaml's keys from the channel, in the README's order."""
    show: dict = {
        "title": _one_line(_text(channel, "title")),
        "description": _as_html_notes(_text(channel, "description") or _text(channel, "itunes:summary") or ""),
        "link": _text(channel, "link"),
        "feed_url": feed_url,
        "language": (_text(channel, "language") or "").lower() or None,
        "author": _one_line(_text(channel, "itunes:author") or _text(channel, "managingEditor")),
        "owner": {k: v for k, v in (("name", _text(channel, "itunes:owner/itunes:name")),
                                     ("email", _text(channel, "itunes:owner/itunes:email"))) if v},
        "image": _attr(channel, "itunes:image", "href") or _text(channel, "image/url"),
        "categories": _categories(channel),
        "explicit": _boolean(_text(channel, "itunes:explicit")),
        "type": (_text(channel, "itunes:type") or "").lower() or None,
        "copyright": _one_line(_text(channel, "copyright")),
        "guid": _text(channel, "podcast:guid"),
        "locked": _boolean(_text(channel, "podcast:locked")),
        "medium": (_text(channel, "podcast:medium") or "").lower() or None,
        "persons": _persons(channel),
        "funding": [{"url": (f.get("url") or "").strip(), "text": _one_line(f.text) or "Support the show"}
                    for f in channel.findall("podcast:funding", NS) if f.get("url")],
        "location": _locations(channel),
        "license": _license(channel),
        "txt": [_without_empty({"text": (t.text or "").strip(), "purpose": _one_line(t.get("purpose"))})
                for t in channel.findall("podcast:txt", NS) if (t.text or "").strip()],
    }
    if show["type"] not in ("episodic", "serial"):
        show["type"] = None
    return _without_empty(show)


def _locations(node: etree._Element) -> list[dict]:
    return [_without_empty({"name": _one_line(place.text), "rel": place.get("rel"), "geo": place.get("geo"),
                            "osm": place.get("osm"), "country": (place.get("country") or "").lower() or None})
            for place in node.findall("podcast:location", NS) if _one_line(place.text)]


def _license(channel: etree._Element) -> str | dict | None:
    found = channel.find("podcast:license", NS)
    name = _one_line(found.text) if found is not None else None
    if not name:
        return None
    return {"name": name, "url": found.get("url").strip()} if found.get("url") else name


def _categories(channel: etree._Element) -> list[str]:
    found = []
    for category in channel.findall("itunes:category", NS):
        main = (category.get("text") or "").strip()
        subs = [(sub.get("text") or "").strip() for sub in category.findall("itunes:category", NS)]
        if main:
            found += [f"{main} > {sub}" for sub in subs if sub] or [main]
    return found


def _persons(node: etree._Element) -> list[dict]:
    persons = []
    for person in node.findall("podcast:person", NS):
        name = _one_line(person.text)
        if not name:
            continue
        entry = {"name": name}
        for key in ("role", "group"):
            if person.get(key):
                entry[key] = person.get(key).strip().lower()
        for key in ("href", "img"):
            if person.get(key):
                entry[key] = person.get(key).strip()
        persons.append(entry)
    return persons


def _episode(item: etree._Element) -> tuple[dict, str]:
    """(front matter, show notes) of one item."""
    front: dict = {"title": _one_line(_text(item, "title")) or "Untitled"}
    enclosure = item.find("enclosure")
    url = (enclosure.get("url") or "").strip() if enclosure is not None else ""
    try:
        front["date"] = _iso(parsedate_to_datetime(_text(item, "pubDate") or ""))
    except (TypeError, ValueError):
        pass
    # apps key an episode by its guid, or by its enclosure URL when it has none
    front["guid"] = (item.findtext("guid") or "").strip() or url or front["title"]
    if url:
        # podcast:alternateEnclosure sources other than the enclosure itself follow it in `audio:`
        others = [uri for uri in (
            (source.get("uri") or "").strip()
            for source in item.findall("podcast:alternateEnclosure/podcast:source", NS)) if uri and uri != url]
        front["audio"] = [url, *dict.fromkeys(others)] if others else url
        if (length := whole((enclosure.get("length") or "").strip())) is not None:
            front["length"] = length
    if (duration := _seconds(_text(item, "itunes:duration"))) is not None:
        front["duration"] = duration
    for key, path in (("season", "itunes:season"), ("episode", "itunes:episode")):
        if value := whole(_text(item, path)):
            front[key] = value
    kind = (_text(item, "itunes:episodeType") or "").lower()
    if kind in ("full", "trailer", "bonus"):
        front["type"] = kind
    if (explicit := _boolean(_text(item, "itunes:explicit"))) is not None:
        front["explicit"] = explicit
    if image := _attr(item, "itunes:image", "href"):
        front["image"] = image
    if persons := _persons(item):
        front["persons"] = persons
    transcripts = []
    for transcript in item.findall("podcast:transcript", NS):
        entry = {"url": (transcript.get("url") or "").strip()}
        mime = TRANSCRIPT_ALIASES.get(transcript.get("type", ""), transcript.get("type", ""))
        if mime in TRANSCRIPT_TYPES:
            entry["type"] = mime
        for key in ("language", "rel"):
            if transcript.get(key):
                entry[key] = transcript.get(key).strip()
        if entry["url"]:
            transcripts.append(entry)
    if transcripts:
        front["transcript"] = transcripts
    bites = [_without_empty({"start": _seconds(b.get("startTime")), "duration": _seconds(b.get("duration")),
                             "title": _one_line(b.text)})
             for b in item.findall("podcast:soundbite", NS)]
    if bites := [b for b in bites if "start" in b and "duration" in b]:
        front["soundbites"] = bites
    if places := _locations(item):
        front["location"] = places
    if chapters := _attr(item, "podcast:chapters", "url"):
        front["chapters"] = chapters
    elif marks := _psc_chapters(item):
        front["chapters"] = marks
    notes = _text(item, "content:encoded") or _text(item, "description") or _text(item, "itunes:summary") or ""
    summary = _one_line(_text(item, "itunes:summary") or _text(item, "itunes:subtitle"))
    if summary and not re.search(r"<[A-Za-z!/]", summary) and len(summary) <= 4000:
        front["summary"] = summary  # what apps list; without it the first paragraph is used
    return front, _as_html_notes(notes)


def _psc_chapters(item: etree._Element) -> list[dict]:
    marks = []
    for chapter in item.findall("psc:chapters/psc:chapter", NS):
        start = _seconds(chapter.get("start"))
        if start is None and re.fullmatch(r"[0:.]+", (chapter.get("start") or "").strip() or "x"):
            start = 0  # the first chapter
        if start is None:
            continue
        mark = {"start": start}
        if title := _one_line(chapter.get("title")):
            mark["title"] = title
        for ours, theirs in (("url", "href"), ("img", "image")):
            if chapter.get(theirs):
                mark[ours] = chapter.get(theirs).strip()
        marks.append(mark)
    return marks


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:  # RFC 2822's -0000: UTC, origin unknown
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _seconds(value: str | None) -> int | float | None:
    """itunes:duration (seconds, M:SS or H:MM:SS, perhaps with a fraction) → seconds."""
    if not value or not re.fullmatch(r"\d+(:\d{1,2}){0,2}(\.\d+)?", value.strip()):
        return None
    total = 0.0
    for part in value.strip().split(":"):
        total = total * 60 + float(part)
    if total <= 0:
        return None
    return int(total) if total == int(total) else round(total, 3)


def _one_line(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


_BLOCK_START = re.compile(
    r"<(p|div|ul|ol|h[1-6]|blockquote|pre|table|dl|figure|section|article|hr)[\s/>]", re.IGNORECASE
)


def _as_html_notes(notes: str) -> str:
    """Show notes as Markdown that renders to the same HTML.

    HTML stays HTML: as one CommonMark HTML block (no blank lines inside, which would
    end it), wrapped in a <div> unless it starts with a block tag. Plain text becomes
    escaped paragraphs, so no Markdown syntax in it is read as markup.
    """
    notes = notes.strip()
    if not notes:
        return ""
    if not re.search(r"<[A-Za-z!/]", notes):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", notes) if p.strip()]
        return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    lines = [line.rstrip() for line in notes.splitlines() if line.strip()]
    body = "\n".join(lines)
    return body if _BLOCK_START.match(body) else f"<div>\n{body}\n</div>"


def _file_name(date: str | None, title: str, taken: set[str]) -> str:
    """A readable, unique name from the date and title: letters, digits and hyphens only."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0]
    stem = f"{date[:10] if date else 'undated'}-{slug or 'episode'}"
    name, number = f"{stem}.md", 2
    while name in taken:
        name, number = f"{stem}-{number}.md", number + 1
    return name


def _known_guids(folder: Path) -> set[str]:
    """Guids of the episode files already in the folder (imported ones always state theirs)."""
    return {node.value for _, mapping in front_matters(folder)
            if (node := mapping.get("guid")) is not None and isinstance(node.value, str)}


def _write(path: Path, text: str, findings: Findings) -> bool:
    try:
        create_new(path, text)
        return True
    except FileExistsError:  # e.g. a dangling link under the name: never write through it
        findings.add("WRITE-FAILED", path.as_posix(), None, "something already has this name: not overwritten")
    except OSError as exc:
        findings.add("WRITE-FAILED", path.as_posix(), None, f"cannot write: {exc.strerror}")
    return False


def _without_empty(values: dict) -> dict:
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line text as literal blocks, keys in the order given."""


def _text_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text_representer)


def _dump(values: dict) -> str:
    return yaml.dump(values, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000,
                     default_flow_style=False)
