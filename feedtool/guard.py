"""The publish guard: never drop or re-identify an episode that subscribers already have.

Apps key episodes by guid. A guid that disappears removes the episode from listeners'
apps; a changed guid or enclosure URL makes them download it again (the most reported
harm in this field). So `build` compares the new feed with the published one and
refuses such changes unless the publisher names them.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from lxml import etree

from .assemble import Assembled
from .cache import BuildCache
from .checks.feedxml import NAMESPACES
from .findings import Findings
from .http import RemoteError, download
from .load import default_guid
from .model import Episode, Published, Show
from .options import NetworkOptions, Previous

MAX_FEED_BYTES = 64 * 1024 * 1024  # the largest feeds in the Podcast Index are about 30 MB


class PreviousItem(NamedTuple):
    """One item of a published feed (a tuple: a snapshot holds thousands, made and kept fast)."""

    title: str
    url: str  # the enclosure URL
    published: datetime | None


@dataclass(frozen=True)
class Snapshot:
    """What the guard needs to know about a published feed."""

    feed_url: str | None
    podcast_guid: str | None
    items: dict[str, PreviousItem] = field(default_factory=dict)  # by guid, in feed order
    prev_archive: str | None = None  # RFC 5005: the next older archive page


MAX_LISTED = 20  # a foreign feed can have thousands of items: list this many, then count


def snapshot(xml: bytes) -> Snapshot:
    """Read a feed's identity and items; raise ValueError if it is not an RSS feed."""
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML ({exc.msg})") from None
    channel = root.find("channel")
    if channel is None:
        raise ValueError("not an RSS feed (no <channel>)")

    def first(node: etree._Element, path: str) -> str | None:
        found = node.xpath(path, namespaces=NAMESPACES)
        return str(found[0]).strip() if found else None

    items: dict[str, PreviousItem] = {}
    for item in channel.iterfind("item"):
        enclosure = item.find("enclosure")
        url = (enclosure.get("url") or "").strip() if enclosure is not None else ""
        guid = (item.findtext("guid") or "").strip() or url  # apps fall back to the enclosure URL
        if guid and guid not in items:  # with duplicate guids, apps keep one episode: the first
            try:
                published = parsedate_to_datetime((item.findtext("pubDate") or "").strip())
            except (TypeError, ValueError):
                published = None
            items[guid] = PreviousItem((item.findtext("title") or "").strip(), url, published)
    return Snapshot(
        feed_url=first(channel, "atom:link[@rel='self']/@href"),
        podcast_guid=first(channel, "podcast:guid/text()"),
        items=items,
        prev_archive=first(channel, "atom:link[@rel='prev-archive']/@href"),
    )


def snapshot_of(assembled: Assembled) -> Snapshot:
    """What `read_previous` will read back from the feed this build writes, without parsing
    it: every published item (archive pages included), newest first."""
    items = {guid: PreviousItem(title, url, date) for guid, title, url, date in _written_items(assembled)}
    return Snapshot(assembled.show.feed_url, assembled.show.guid, items)


def _written_items(assembled: Assembled) -> list[tuple[str, str, str, datetime]]:
    """(guid, title, enclosure URL, date) of each published item, as the feed has them."""
    return [(item.episode.guid, item.episode.title.strip(), item.episode.audio.url.strip(),
             item.episode.date.replace(microsecond=0)) for item in assembled.newest_first]


def remember_written(cache: BuildCache, assembled: Assembled) -> None:
    """Keep the snapshot of a single-page feed just written, keyed by its bytes (as JSON
    arrays; a guid listed twice is kept once, as in `snapshot_of`)."""
    if len(assembled.pages) != 1:
        cache.set("guard:snapshot", "")
        return
    items = [(guid, title, url, date.isoformat() if date else None)
             for guid, title, url, date in {item[0]: item for item in _written_items(assembled)}.values()]
    cache.set_json("guard:snapshot", (assembled.xml_sha256, assembled.show.feed_url, assembled.show.guid, items))


def _remembered(cache: BuildCache | None, data: bytes) -> Snapshot | None:
    """The snapshot of `data` if it is the feed an earlier build wrote (and remembered)."""
    stored = cache.get_json("guard:snapshot") if cache else None
    if not isinstance(stored, list) or not stored or stored[0] != hashlib.sha256(data).hexdigest():
        return None
    try:
        _, feed_url, podcast_guid, items = stored
        return Snapshot(feed_url, podcast_guid, {
            guid: PreviousItem(title, url, datetime.fromisoformat(date) if date else None)
            for guid, title, url, date in items})
    except (ValueError, TypeError):  # not what a build wrote: the feed is parsed instead
        return None


def read_previous(previous: Previous, default: Path, findings: Findings, options: NetworkOptions,
                  cache: BuildCache | None = None) -> Snapshot | None:
    """The previously published feed: `previous.where` (a URL or path), else `default` if
    it exists. A previous feed named but not found is an error unless this is a first
    publish: a typo in --previous, or a placeholder left in a CI workflow, must not turn
    the guard off.

    A feed that an earlier build wrote (byte for byte) is not parsed again: its snapshot
    comes from `cache`."""
    where = previous.where
    label = where or default.as_posix()
    first = "publishing for the first time (--first-publish)"
    if where and urlsplit(where).scheme in ("http", "https"):
        try:
            status, data = download(where, options, MAX_FEED_BYTES)
        except RemoteError as exc:
            findings.add("GUARD-PREVIOUS", label, None, f"cannot fetch the published feed: {exc}")
            return None
        if status == 404 and previous.first_publish:
            findings.add("GUARD-FIRST", label, None, f"answers 404: {first}")
            return None
        if status != 200:
            findings.add("GUARD-PREVIOUS", label, None,
                         f"answers HTTP {status}; the guard needs the published feed to compare with" + (
                             ": check the URL, or give --first-publish if nothing is published there yet"
                             if status == 404 else ""))
            return None
    else:
        path = Path(where) if where else default
        if not path.exists() and (not where or previous.first_publish):
            if where or previous.first_publish:
                findings.add("GUARD-FIRST", label, None, f"no such file: {first}")
            elif os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):  # a fresh checkout: nothing
                findings.add("GUARD-NONE", label, None,
                             "no previous feed here, and no --previous: on a fresh CI checkout the guard has "
                             "nothing to compare with; give --previous with the live feed's URL (or "
                             "--first-publish for a first publish)")
            else:
                findings.add("GUARD-FIRST", label, None, "no previous feed: publishing for the first time")
            return None
        try:
            with open(path, "rb") as handle:  # read, not stat: a FIFO or /dev/zero has no size
                data = handle.read(MAX_FEED_BYTES + 1)
        except OSError as exc:
            hint = "" if previous.first_publish or path.exists() else " (give --first-publish for a first publish)"
            findings.add("GUARD-PREVIOUS", label, None, f"cannot read the previous feed: {exc.strerror}{hint}")
            return None
        if len(data) > MAX_FEED_BYTES:
            findings.add("GUARD-PREVIOUS", label, None, f"the previous feed is larger than "
                                                        f"{MAX_FEED_BYTES // 2**20} MB: not a podcast feed")
            return None
    if (known := _remembered(cache, data)) is not None:
        return known
    try:
        first_page = snapshot(data)
    except ValueError as exc:
        findings.add("GUARD-PREVIOUS", label, None, f"the previous feed is {exc}")
        return None
    return _with_archives(first_page, where, default, findings, options)


MAX_PAGES = 10_000


def _with_archives(first: Snapshot, where: str | None, default: Path, findings: Findings,
                   options: NetworkOptions) -> Snapshot:
    """Add the items of the feed's RFC 5005 archive pages (episodes there are published too)."""
    items = dict(first.items)
    seen: set[str] = set()
    href = first.prev_archive
    remote = bool(where and urlsplit(where).scheme in ("http", "https"))
    base = Path(where).parent if where and not remote else default.parent
    while href and href not in seen and len(seen) < MAX_PAGES:
        seen.add(href)
        try:
            if remote:
                status, data = download(href, options, MAX_FEED_BYTES)
                if status != 200:
                    raise ValueError(f"answers HTTP {status}")
            else:
                with open(base / urlsplit(href).path.rsplit("/", 1)[-1], "rb") as handle:
                    data = handle.read(MAX_FEED_BYTES + 1)
                if len(data) > MAX_FEED_BYTES:
                    raise ValueError(f"larger than {MAX_FEED_BYTES // 2**20} MB")
            page = snapshot(data)
        except (RemoteError, OSError, ValueError) as exc:
            findings.add("GUARD-PREVIOUS", href, None, f"cannot read this archive page of the published feed: {exc}")
            break
        for guid, item in page.items.items():
            items.setdefault(guid, item)
        href = page.prev_archive
    return Snapshot(first.feed_url, first.podcast_guid, items)


def guard(
    previous: Snapshot,
    new: Assembled,
    label: str,
    findings: Findings,
    allow_removal: frozenset[str] = frozenset(),
    allow_changes: bool = False,
) -> None:
    """Report every guarded change from `previous` to the feed about to be written."""
    show = new.show
    now = {item.episode.guid: item for item in new.published}
    held_back = {e.guid: e for e in new.drafts} | {p.episode.guid: p.episode for p in new.scheduled}
    removed_on_purpose = {e.guid for e in new.removed}
    fresh = [item for guid, item in now.items() if guid not in previous.items]
    # default guids derive from the show's podcast:guid: if it changed, every one of them did
    rederived = _rederived_guids(previous, fresh) if previous.podcast_guid != show.guid else {}
    rederived = {guid: item for guid, item in rederived.items() if guid not in allow_removal}
    if rederived:
        findings.add(
            "GUARD-REMOVED", show.source, show.lines.get("guid", show.lines.get("feed_url")),
            f"the show's podcast:guid changes, and with it the default guid of {len(rederived)} "
            "published episode(s): apps would download them all again. Set "
            f"'guid: {previous.podcast_guid}' in show.yaml",
        )
    _check_enclosures(previous, now, show, findings, allow_changes)
    for guid in sorted(allow_removal - previous.items.keys()):
        findings.add("GUARD-UNKNOWN", label, None,
                     f"--allow-removal {guid} names no published episode (a typo, or a guid cut short?)")

    missing = 0
    for guid, old in previous.items.items():
        if guid in now or guid in removed_on_purpose or guid in rederived:
            continue
        if guid in allow_removal:
            findings.add("GUARD-ALLOWED", label, None, f"'{old.title}' (guid {guid}) leaves the feed: allowed")
            continue
        missing += 1
        if missing > MAX_LISTED:
            continue
        if guid in held_back:
            _held_back(held_back[guid], old, findings)
            continue
        renamed = next((i for i in fresh if _same_episode(old, i)), None)
        if renamed is not None:
            episode = renamed.episode
            moved = audio_url(renamed) != old.url
            also = (f"; its audio URL also changes from {old.url} to {audio_url(renamed)}: keep the old "
                    "file name too, or pass --allow-changes") if moved else ""
            findings.add(
                "GUARD-REMOVED", episode.source, episode.lines.get("guid", 1),
                f"'{old.title}' was published with guid {guid} but now has guid {episode.guid} "
                f"(was the file renamed?): add 'guid: {guid}' to the front matter of "
                f"{Path(episode.source).name}{also}",
            )
            continue
        findings.add(
            "GUARD-REMOVED", label, None,
            f"the published episode '{old.title}' (guid {guid}) is missing: restore its file, add "
            f"'removed: true' to it, or pass --allow-removal {guid}",
        )
    if missing > MAX_LISTED:
        findings.add("GUARD-REMOVED", label, None, f"… and {missing - MAX_LISTED} more published episodes are missing")

    old_guid = previous.podcast_guid
    keep = f" (to move the feed, set 'guid: {old_guid}' in show.yaml)" if old_guid else ""
    for key, what, old_value, value in (("guid", "podcast:guid", previous.podcast_guid, show.guid),
                                        ("feed_url", "feed URL", previous.feed_url, show.feed_url)):
        if old_value and old_value != value:
            line = show.lines.get(key, show.lines.get("feed_url"))
            if allow_changes:
                findings.add("GUARD-ALLOWED", show.source, line, f"the {what} changes from {old_value} to {value}")
            else:
                findings.add(
                    "GUARD-SHOW", show.source, line,
                    f"the {what} would change from {old_value} to {value}; apps and directories know the "
                    f"show by it. Keep it{keep}, or pass --allow-changes",
                )


def _held_back(episode: Episode, old: PreviousItem, findings: Findings) -> None:
    """A published episode that is now a draft or dated later (perhaps after a --now preview)."""
    if episode.draft:
        line, why, undo = episode.lines.get("draft"), "a draft", "remove 'draft: true'"
    else:
        line, why = episode.lines.get("date"), f"dated {episode.date.isoformat()}, after the build time"
        undo = "restore its date (if an earlier build previewed it with --now, pass --allow-removal instead)"
    findings.add(
        "GUARD-REMOVED", episode.source, line,
        f"'{old.title}' is published but is now {why}, so it would vanish from listeners' apps: {undo}; "
        f"to take it down on purpose add 'removed: true', or pass --allow-removal {episode.guid}",
    )


def _same_episode(old: PreviousItem, item: Published) -> bool:
    """A new guid for a published episode: same audio URL, or same title and date."""
    episode = item.episode
    return audio_url(item) == old.url or (episode.title == old.title and episode.date == old.published)


def _check_enclosures(previous: Snapshot, now: dict[str, Published], show: Show, findings: Findings,
                      allow_changes: bool) -> None:
    """Audio URLs of published episodes must not change; a moved media folder is one finding."""
    changed = [(previous.items[guid], item) for guid, item in now.items()
               if guid in previous.items and previous.items[guid].url and previous.items[guid].url != audio_url(item)]
    if not changed:
        return
    if allow_changes:
        for old, item in changed:
            findings.add("GUARD-ALLOWED", item.episode.source, item.episode.audio.line if item.episode.audio else 1,
                         f"the audio URL changes from {old.url} to {audio_url(item)}")
        return
    moved = [(old, item) for old, item in changed if _base(old.url)[1] == _base(audio_url(item))[1]]
    old_bases = {_base(old.url)[0] for old, _ in moved}
    if len(moved) > 1 and len(old_bases) == 1:
        findings.add(
            "GUARD-ENCLOSURE", show.source, show.lines.get("media_base_url", show.lines.get("feed_url")),
            f"the audio of {len(moved)} published episodes would move from {old_bases.pop()} to "
            f"{_base(audio_url(moved[0][1]))[0]} (media_base_url or feed_url changed), and apps may download "
            "it all again: keep the old media address, or pass --allow-changes",
        )
        changed = [pair for pair in changed if pair not in moved]
    for old, item in changed:
        episode = item.episode
        findings.add(
            "GUARD-ENCLOSURE", episode.source, episode.audio.line if episode.audio and episode.audio.line else 1,
            f"'{old.title}' is published; its audio URL would change from {old.url} to {audio_url(item)}, "
            "and apps may download it again. Keep the old file name, or pass --allow-changes",
        )


def _base(url: str) -> tuple[str, str]:
    """(everything up to the file name, the file name)."""
    head, _, name = url.rpartition("/")
    return head + "/", name


def _rederived_guids(previous: Snapshot, fresh: list[Published]) -> dict[str, Published]:
    """Published guids that are the old default guid of a file now in the show."""
    try:
        old_namespace = uuid.UUID(previous.podcast_guid or "")
    except ValueError:
        return {}
    found = {}
    for item in fresh:
        old = default_guid(old_namespace, Path(item.episode.name).stem)
        if old in previous.items:
            found[old] = item
    return found


def audio_url(item: Published) -> str:
    assert item.episode.audio is not None  # published episodes always have audio
    return item.episode.audio.url
