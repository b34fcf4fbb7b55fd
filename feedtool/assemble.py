"""Load → probe → check → render, in memory: what `build` writes and `check` reports on."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .cache import BuildCache
from .checks import check_feed, check_sources
from .checks.artwork import probe_remote_images
from .findings import Findings
from .folder import FileStat, Listing
from .http import RemoteError, head
from .load import load_episodes, load_show
from .media import remote_urls, resolve
from .model import Episode, Published, Show
from .options import Network
from .probe import AUDIO_EXTENSIONS, SERIAL_BELOW, Probe, ProbeError, Probing, probe_many
from .remote import RemoteCache, probe_all
from .render import render_pages


@dataclass(frozen=True)
class Assembled:
    """A show ready to publish at a given time, and its rendered feed."""

    show: Show
    published: list[Published]  # in the feed
    scheduled: list[Published]  # dated after `now`
    drafts: list[Episode]
    removed: list[Episode]  # `removed: true`: taken down on purpose
    xml: bytes  # feed.xml
    pages: tuple[tuple[str, bytes], ...] = ()  # every file of the feed, archive pages first, feed.xml last
    item_keys: Mapping[str, str] = field(default_factory=dict)  # guid → the item's cache key


def check_unique_guids(episodes: list[Episode], findings: Findings) -> None:
    first: dict[str, Episode] = {}
    for episode in episodes:
        other = first.setdefault(episode.guid, episode)
        if other is not episode:
            findings.add(
                "GUID-DUPLICATE", episode.source, episode.lines.get("guid", 1),
                f"guid '{episode.guid}' is also the guid of {other.source}; every episode "
                "needs its own (apps drop or merge episodes that share one)",
            )


def start_probing(listing: Listing, cache: BuildCache, network: Network) -> Probing | None:
    """Start probing the show folder's new audio files in a process pool right away, while
    the episodes are read (most episodes use the audio file beside them)."""
    names = [name for name in listing.files() if os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS]
    fresh = [listing.folder / name for name in names
             if network.refresh or not cache.has_media(listing.folder / name, _stat(listing, name))]
    if len(fresh) < SERIAL_BELOW or network.jobs == 1:
        return None
    return Probing(fresh, network.jobs, background=True)


def _stat(listing: Listing, rel: str) -> FileStat | None:
    try:
        return listing.stat(rel)
    except OSError:
        return None


def probe_local(listing: Listing, episodes: list[Episode], cache: BuildCache,
                network: Network, early: Probing | None = None) -> dict[Path, Probe | ProbeError]:
    """Every local audio file's facts: from the cache when unchanged, from the probes started
    early, else probed now (in parallel)."""
    folder = listing.folder
    results: dict[Path, Probe | ProbeError] = {}
    todo: dict[Path, tuple[int, int] | None] = {}
    started = early.results(network.progress) if early else {}
    rels = dict.fromkeys(ref.path for e in episodes for ref in (e.audio, *e.alternates) if ref and ref.path)
    for rel in rels:
        path = folder / rel
        if path in started:
            results[path] = started[path]
            _, key = cache.media(path, _stat(listing, rel)) if isinstance(started[path], Probe) else (None, None)
            if key is not None:
                cache.put_media(path, key, started[path])
            continue
        cached, key = (None, None) if network.refresh else cache.media(path, _stat(listing, rel))
        if cached is not None:
            results[path] = cached
        else:
            todo[path] = key
    probed = probe_many(list(todo), network.jobs, network.progress)
    for path, result in probed.items():
        results[path] = result
        if isinstance(result, Probe) and todo[path] is not None:
            cache.put_media(path, todo[path], result)
    return results


def assemble(folder: Path, now: datetime, findings: Findings, feed_name: str,
             network: Network | None = None, cache: BuildCache | None = None,
             preview_url: str | None = None) -> Assembled | None:
    """Everything short of writing; None when the show itself could not be read.

    Episodes with errors are reported and left out, so the rest is still checked.
    `preview_url` serves the feed and its media from another address (see load_show).
    """
    network = network or Network()
    cache = cache or BuildCache(None)
    log = _Stages(network.log)
    if not folder.is_dir():
        findings.add("SHOW-MISSING", folder.as_posix(), None, "no such folder (check --episodes)")
        return None
    listing = Listing(folder)
    early = start_probing(listing, cache, network)
    show = load_show(folder, findings, preview_url)
    episodes = load_episodes(folder, show, findings, cache, listing)
    check_unique_guids(episodes, findings)
    log.done(f"loaded {len(episodes)} episodes")

    live = [e for e in episodes if not (e.draft or e.removed)]
    wanted = [url for e in live for url in remote_urls(e)]
    remote = probe_all(wanted, network.options, RemoteCache(cache), network.refresh) if wanted else {}
    local = probe_local(listing, live, cache, network, early)
    log.done(f"probed {len(local)} local and {len(remote)} remote audio files (unchanged ones from the cache)")

    published: list[Published] = []
    scheduled: list[Published] = []
    drafts: list[Episode] = []
    removed: list[Episode] = []
    for episode in episodes:
        if episode.removed:
            removed.append(episode)
            findings.add("REMOVED", episode.source, episode.lines["removed"], "removed: left out of the feed")
            continue
        if episode.draft:
            drafts.append(episode)
            findings.add("DRAFT", episode.source, episode.lines["draft"], "draft: left out of the feed")
            continue
        item = resolve(folder, show.site_url if show else "", episode, findings, remote, network.resolve_redirects,
                       local)
        if item is None:
            continue
        if episode.date > now:
            scheduled.append(item)
            findings.add(
                "SCHEDULED", episode.source, episode.lines["date"],
                f"scheduled for {episode.date.isoformat()}: left out of the feed until then",
            )
        else:
            published.append(item)
    if show is None:
        return None
    if not published and not findings.errors:
        findings.add(
            "NO-EPISODES", show.source, None,
            f"no episode to publish ({len(drafts)} draft, {len(scheduled)} scheduled): directories "
            "reject a feed without episodes",
        )
    art = [ref.url for ref in (show.image, *(i.episode.image for i in published + scheduled))
           if ref is not None and ref.path is None]
    remote_art = probe_remote_images(art, network.options)
    check_remote_texts(published + scheduled, network, findings)
    check_sources(folder, show, published + scheduled, findings, remote_art)
    log.done("checked the show and its episodes")
    keys: dict[str, str] = {}
    pages = render_pages(show, published, findings, cache, keys)
    xml = pages[-1][1]
    log.done(f"rendered {len(published)} items ({sum(len(p) for _, p in pages)} bytes)")
    for name, page in pages:
        check_feed(page, str(Path(feed_name).with_name(name)), findings)
    if len(pages) > 1:
        archived = len(published) - (show.max_items or 0)
        findings.add(
            "PAGING", show.source, show.lines.get("max_items"),
            f"{archived} older episodes are only in {len(pages) - 1} archive page(s): gPodder and AntennaPod "
            "follow them, but Apple Podcasts and Spotify read only feed.xml and will not list them",
        )
    log.done("checked the feed")
    return Assembled(show, published, scheduled, drafts, removed, xml, tuple(pages), keys)


def check_remote_texts(items: list[Published], network: Network, findings: Findings) -> None:
    """Remote transcripts and chapters files are linked, not copied: they must answer."""
    refs = [(item.episode, ref) for item in items
            for ref in (*(t.ref for t in item.episode.transcripts), item.episode.chapters_file)
            if ref is not None and ref.path is None]
    if not refs:
        return

    def answer(url: str) -> RemoteError | None:
        try:
            head(url, network.options)
        except RemoteError as exc:
            return exc
        return None

    urls = sorted({ref.url for _, ref in refs})
    with ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
        problems = dict(zip(urls, pool.map(answer, urls), strict=True))
    for episode, ref in refs:
        if (problem := problems[ref.url]) is not None:
            findings.add(problem.rule, episode.source, ref.line, f"{ref.url}: {problem}")


class _Stages:
    """-v: how long each stage took."""

    def __init__(self, log: Callable[[str], None] | None) -> None:
        self.log = log
        self.start = time.perf_counter()

    def done(self, what: str) -> None:
        if self.log is not None:
            now = time.perf_counter()
            self.log(f"{what} in {now - self.start:.2f} s")
            self.start = now
