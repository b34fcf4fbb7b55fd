"""The publish guard: never drop or re-identify an episode that subscribers already have.

Apps key episodes by guid. A guid that disappears removes the episode from listeners'
apps; a changed guid or enclosure URL makes them download it again (the most reported
harm in this field). So `build` compares the new feed with the published one and
refuses such changes unless the publisher names them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from lxml import etree

from .assemble import Assembled
from .checks.feedxml import NAMESPACES
from .findings import Findings
from .load import default_guid
from .model import Episode, Published

TIMEOUT = 30  # seconds, for fetching the live feed


@dataclass(frozen=True)
class Snapshot:
    """What the guard needs to know about a published feed."""

    feed_url: str | None
    podcast_guid: str | None
    items: dict[str, tuple[str, str]] = field(default_factory=dict)  # guid → (title, enclosure URL)


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

    items = {}
    for item in channel.iterfind("item"):
        guid = first(item, "guid/text()") or first(item, "enclosure/@url")  # apps fall back to the URL
        if guid:
            items[guid] = (first(item, "title/text()") or "", first(item, "enclosure/@url") or "")
    return Snapshot(
        feed_url=first(channel, "atom:link[@rel='self']/@href"),
        podcast_guid=first(channel, "podcast:guid/text()"),
        items=items,
    )


def read_previous(where: str | None, default: Path, findings: Findings) -> Snapshot | None:
    """The previously published feed: `where` (a URL or path), else `default` if it exists."""
    label = where or default.as_posix()
    if where and urlsplit(where).scheme in ("http", "https"):
        try:
            response = requests.get(where, timeout=TIMEOUT, headers={"User-Agent": "feedtool"})
        except requests.RequestException as exc:
            findings.add("GUARD-PREVIOUS", label, None, f"cannot fetch the published feed: {exc}")
            return None
        if response.status_code in (404, 410):
            findings.add(
                "GUARD-FIRST", label, None, f"answers {response.status_code}: publishing for the first time"
            )
            return None
        if response.status_code != 200:
            findings.add(
                "GUARD-PREVIOUS", label, None,
                f"answers HTTP {response.status_code}; the guard needs the published feed to compare with",
            )
            return None
        data = response.content
    else:
        path = Path(where) if where else default
        if not path.exists() and not where:
            findings.add("GUARD-FIRST", label, None, "no previous feed: publishing for the first time")
            return None
        try:
            data = path.read_bytes()
        except OSError as exc:
            findings.add("GUARD-PREVIOUS", label, None, f"cannot read the previous feed: {exc.strerror}")
            return None
    try:
        return snapshot(data)
    except ValueError as exc:
        findings.add("GUARD-PREVIOUS", label, None, f"the previous feed is {exc}")
        return None


def guard(
    previous: Snapshot,
    new: Assembled,
    label: str,
    findings: Findings,
    allow_removal: frozenset[str] = frozenset(),
    allow_changes: bool = False,
) -> None:
    """Report every guarded change from `previous` to the feed about to be written."""
    now = {item.episode.guid: item for item in new.published}
    held_back: dict[str, tuple[Episode, str]] = {e.guid: (e, "a draft") for e in new.drafts}
    held_back.update({p.episode.guid: (p.episode, "dated in the future") for p in new.scheduled})
    removed_on_purpose = {e.guid for e in new.removed}
    fresh = [item for guid, item in now.items() if guid not in previous.items]
    # default guids derive from the show's podcast:guid: if it changed, every one of them did
    rederived = _rederived_guids(previous, fresh) if previous.podcast_guid != new.show.guid else {}
    rederived = {guid: item for guid, item in rederived.items() if guid not in allow_removal}
    if rederived:
        findings.add(
            "GUARD-REMOVED", new.show.source, new.show.lines.get("guid"),
            f"the show's podcast:guid changes, and with it the default guid of {len(rederived)} "
            "published episode(s): apps would download them all again. Set "
            f"'guid: {previous.podcast_guid}' in show.yaml",
        )

    for guid, (title, url) in previous.items.items():
        if guid in now:
            _check_enclosure(title, url, now[guid], findings, allow_changes)
            continue
        if guid in removed_on_purpose or guid in rederived:
            continue
        if guid in allow_removal:
            findings.add("GUARD-ALLOWED", label, None, f"'{title}' (guid {guid}) leaves the feed: allowed")
            continue
        if guid in held_back:
            episode, why = held_back[guid]
            findings.add(
                "GUARD-REMOVED", episode.source, None,
                f"'{title}' is published but is now {why}, so it would vanish from listeners' apps: "
                "undo that, or add 'removed: true' to take it down on purpose",
            )
            continue
        renamed = next((i for i in fresh if audio_url(i) == url or i.episode.title == title), None)
        if renamed is not None:
            findings.add(
                "GUARD-REMOVED", renamed.episode.source, renamed.episode.lines.get("guid", 1),
                f"'{title}' was published with guid {guid} but now has guid {renamed.episode.guid} "
                f"(was the file renamed?): add 'guid: {guid}' to the front matter of "
                f"{Path(renamed.episode.source).name}",
            )
            continue
        findings.add(
            "GUARD-REMOVED", label, None,
            f"the published episode '{title}' (guid {guid}) is missing: restore its file, add "
            f"'removed: true' to it, or pass --allow-removal {guid}",
        )

    show = new.show
    old_guid = previous.podcast_guid
    keep = f" (to move the feed, set 'guid: {old_guid}' in show.yaml)" if old_guid else ""
    for what, old, value in (("podcast:guid", previous.podcast_guid, show.guid),
                             ("feed URL", previous.feed_url, show.feed_url)):
        if old and old != value:
            if allow_changes:
                findings.add("GUARD-ALLOWED", show.source, None, f"the {what} changes from {old} to {value}")
            else:
                findings.add(
                    "GUARD-SHOW", show.source, None,
                    f"the {what} would change from {old} to {value}; apps and directories know the "
                    f"show by it. Keep it{keep}, or pass --allow-changes",
                )


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


def _check_enclosure(title: str, old: str, item: Published, findings: Findings, allow_changes: bool) -> None:
    episode, new = item.episode, audio_url(item)
    if not old or old == new:
        return
    line = episode.audio.line if episode.audio else None
    if allow_changes:
        findings.add("GUARD-ALLOWED", episode.source, line, f"the audio URL changes from {old} to {new}")
        return
    findings.add(
        "GUARD-ENCLOSURE", episode.source, line,
        f"'{title}' is published; its audio URL would change from {old} to {new}, and apps may "
        "download it again. Keep the old file name, or pass --allow-changes",
    )
