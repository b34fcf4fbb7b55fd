"""Load → probe → check → render, in memory: what `build` writes and `check` reports on."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path

from .cache import BuildCache
from .checks import check_feed, check_sources
from .checks.artwork import UNVERIFIED, local_art, probe_remote_images
from .findings import Findings
from .folder import FileStat, Listing, name_prefix
from .http import RemoteError, head
from .load import load_episodes, load_show
from .media import remote_urls, resolve
from .model import Episode, Published, Show
from .options import Network
from .prerender import prerender
from .probe import AUDIO_EXTENSIONS, SERIAL_BELOW, Probe, ProbeError, Probing, probe_many
from .record import Record, Records, context
from .remote import RemoteCache, probe_all
from .render import Page, newest_first, render_pages


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
    records: Records = field(default_factory=dict)  # every episode's record, by source (see record.py)
    probing: Probing | None = None  # the pool, kept for publishing (assemble's `keep_pool`); close() it

    @cached_property
    def xml_sha256(self) -> str:
        """feed.xml's SHA-256 (the last build's result and the guard's snapshot are keyed by it)."""
        return hashlib.sha256(self.xml).hexdigest()

    @cached_property
    def newest_first(self) -> list[Published]:
        """The published items in feed order (sorted once: the guard and the page need it)."""
        return newest_first(self.published)


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
    names = [name for name, _, suffix in listing.suffixes() if suffix in AUDIO_EXTENSIONS]
    prefix = name_prefix(listing.folder)
    fresh = [prefix + name for name in names
             if network.refresh or not cache.has_media(prefix + name, _stat(listing, name))]
    if len(fresh) < SERIAL_BELOW or network.jobs == 1:
        return None
    return Probing(fresh, network.jobs, background=True)


POOL_LINKS_FROM = 1000  # media files: fewer are linked by the build itself (handing them over costs more)


def _stat(listing: Listing, rel: str) -> FileStat | None:
    try:
        return listing.stat(rel)
    except OSError:
        return None


def probe_local(listing: Listing, episodes: list[Episode], cache: BuildCache,
                network: Network, early: Probing | None = None) -> dict[str, Probe | ProbeError]:
    """Every local audio file's facts, by str(folder / path) (a Path each cost 10,000
    episodes 0.05 s): from the cache when unchanged, from the probes started early, else
    probed now (in parallel)."""
    prefix = name_prefix(listing.folder)
    results: dict[str, Probe | ProbeError] = {}
    todo: dict[str, tuple[int, int] | None] = {}
    started = early.results(network.progress) if early else {}
    rels = dict.fromkeys(ref.path for e in episodes for ref in (e.audio, *e.alternates) if ref and ref.path)
    for rel in rels:
        path = prefix + rel
        if path in started:
            early_probe = started[path]
            _, key = cache.media(path, _stat(listing, rel)) if isinstance(early_probe, Probe) else (None, None)
            if isinstance(early_probe, Probe) and early_probe.stat != key:
                # changed between its probe and the listing (a first build probes before it lists):
                # the facts would not be the listed file's, and would be kept under its stat
                todo[path] = key
                continue
            results[path] = early_probe
            if key is not None:
                cache.put_media(path, key, early_probe)
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
             preview_url: str | None = None, stats: dict[str, FileStat] | None = None,
             early: Probing | None = None, keep_pool: bool = False) -> Assembled | None:
    """Everything short of writing; None when the show itself could not be read.

    Episodes with errors are reported and left out, so the rest is still checked.
    `preview_url` serves the feed and its media from another address (see load_show).
    `stats`: the top-level files' stats, if the caller has just read them (see Listing).
    `early`: probing the caller has started (probe.start_probing_all); closed here, unless
    `keep_pool` hands its pool on (Assembled.probing) for the build's publishing.
    """
    network = network or Network()
    cache = cache or BuildCache(None)
    log = Stages(network.log)
    try:
        if not folder.is_dir():
            findings.add("SHOW-MISSING", folder.as_posix(), None, "no such folder (check --episodes)")
            return None
        listing = Listing(folder, stats)
        early = early or start_probing(listing, cache, network)
        assembled = _assemble(listing, early, now, findings, feed_name, network, cache, preview_url, log, keep_pool)
        if assembled is not None and keep_pool and early and early.pool:
            assembled, early = replace(assembled, probing=early), None  # handed on
        return assembled
    finally:
        if early:
            early.close()


def _assemble(listing: Listing, early: Probing | None, now: datetime, findings: Findings, feed_name: str,
              network: Network, cache: BuildCache, preview_url: str | None, log: Stages,
              keep_pool: bool = False) -> Assembled | None:
    folder = listing.folder
    show = load_show(folder, findings, preview_url)
    records: dict[str, Record] = {}
    episodes = load_episodes(folder, show, findings, cache, listing, records)
    check_unique_guids(episodes, findings)
    log.done(f"loaded {len(episodes)} episodes")

    live = [e for e in episodes if not (e.draft or e.removed)]
    wanted = [url for e in live for url in remote_urls(e)]
    remote = probe_all(wanted, network.options, RemoteCache(cache), network.refresh) if wanted else {}
    art = [e.image.url for e in live if e.image is not None and e.image.path is None]
    if show is not None and show.image.path is None:
        art.insert(0, show.image.url)
    art_facts = probe_remote_images(art, network.options)
    contexts = {e.source: context(e, remote, art_facts, network.resolve_redirects) for e in live}
    reused = {source for source, wanted_context in contexts.items()  # reuse() clears what it cannot reuse
              if source in records and not network.refresh and records[source].reuse(wanted_context)}
    local = probe_local(listing, [e for e in live if e.source not in reused], cache, network, early)
    log.done(f"probed {len(local)} local and {len(remote)} remote audio files (unchanged ones from the cache)")

    published: list[Published] = []
    scheduled: list[Published] = []
    drafts: list[Episode] = []
    removed: list[Episode] = []
    # the pool's worker renders new items as soon as a chunk of them is resolved
    expected = sum(1 for e in live if e.source in records
                   and (e.source not in reused or records[e.source].xml is None))
    rendering = prerender(show, records, early.pool if early else None, cache, expected) if show else None
    for episode in episodes:
        if episode.removed:
            removed.append(episode)
            findings.add("REMOVED", episode.source, episode.lines["removed"], "removed: left out of the feed")
            continue
        if episode.draft:
            drafts.append(episode)
            findings.add("DRAFT", episode.source, episode.lines["draft"], "draft: left out of the feed")
            continue
        record = records.get(episode.source)
        if episode.source in reused:
            assert record is not None and record.resolved is not None
            item = record.item
            for finding in record.resolved:
                findings.add(*finding)
        else:
            count = len(findings)
            item = resolve(folder, show.site_url if show else "", episode, findings, remote,
                           network.resolve_redirects, local)
            if record is not None:
                record.clear(contexts[episode.source])  # with --refresh, reuse() was not asked
                record.item, record.resolved = item, findings.since(count)
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
            if rendering is not None:
                rendering.add(item)
    if show is None or rendering is None:
        return None
    if not published and not findings.errors:
        findings.add(
            "NO-EPISODES", show.source, None,
            f"no episode to publish ({len(drafts)} draft, {len(scheduled)} scheduled): directories "
            "reject a feed without episodes",
        )
    cache.flush_media()  # the probes of new files, stored while the worker renders
    check_remote_texts(published + scheduled, network, findings)
    check_sources(folder, show, published + scheduled, findings, art_facts, records,
                  local_art(folder, show.image, cache))
    log.done("checked the show and its episodes")
    rendering.finish()
    if early and not (keep_pool and show.media_is_local and len(published) >= POOL_LINKS_FROM):
        early.close()  # before the feed's tree is built: the worker's memory counts too
    pages = render_pages(show, published, findings, records)
    xml = pages[-1].xml
    log.done(f"rendered {len(published)} items ({sum(len(page.xml) for page in pages)} bytes)")
    _check_pages(pages, feed_name, published, records, findings)
    if len(pages) > 1:
        archived = len(published) - (show.max_items or 0)
        findings.add(
            "PAGING", show.source, show.lines.get("max_items"),
            f"{archived} older episodes are only in {len(pages) - 1} archive page(s): gPodder and AntennaPod "
            "follow them, but Apple Podcasts and Spotify read only feed.xml and will not list them",
        )
    log.done("checked the feed")
    return Assembled(show, published, scheduled, drafts, removed, xml, tuple((p.name, p.xml) for p in pages), records)


def _check_pages(pages: list[Page], feed_name: str, published: list[Published], records: Records,
                 findings: Findings) -> None:
    """The XML rules on every page of the feed; items checked by an earlier build are not
    checked (or even parsed) again: their findings are in their records, by guid."""
    shared = {guid for guid, count in Counter(item.episode.guid for item in published).items() if count > 1}
    by_guid = {item.episode.guid: records[item.episode.source] for item in published
               if item.episode.source in records and item.episode.guid not in shared}  # shared: checked afresh
    known = {guid: record.feed_checked for guid, record in by_guid.items() if record.feed_checked is not None}
    for page in pages:
        source = str(Path(feed_name).with_name(page.name))
        for guid, found in check_feed(page.xml, source, findings, known, (page.head, page.items, page.tail)).items():
            if guid in by_guid:
                by_guid[guid].feed_checked, by_guid[guid].fresh = found, True


def remember_records(cache: BuildCache, assembled: Assembled, folder: Path) -> None:
    """Store the records made or completed in this build of the show in `folder`."""
    cache.put_records(assembled.records, folder)


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
        if (problem := problems[ref.url]) is None:
            continue
        if problem.rule in UNVERIFIED:
            findings.add("REMOTE-UNVERIFIED", episode.source, ref.line, f"{ref.url}: not checked: {problem}")
        else:
            findings.add(problem.rule, episode.source, ref.line, f"{ref.url}: {problem}")


class Stages:
    """-v: how long each stage took."""

    def __init__(self, log: Callable[[str], None] | None) -> None:
        self.log = log
        self.start = time.perf_counter()

    def done(self, what: str) -> None:
        if self.log is not None:
            now = time.perf_counter()
            self.log(f"{what} in {now - self.start:.2f} s")
            self.start = now
