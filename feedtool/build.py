"""`feedtool build`: assemble the feed, guard what is published, then write atomically."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import BuildCache, code_version, digest
from .exiting import leave_for_exit
from .findings import Aborted, Findings
from .folder import FileStat
from .options import Network, Previous, open_cache

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Executor

    from .assemble import Assembled
    from .model import MediaRef

FEED_FILE = "feed.xml"


@dataclass(frozen=True)
class BuildResult:
    feed_path: Path
    published: int
    scheduled: int
    drafts: int
    media_written: int
    unchanged: bool = False  # feed.xml already had these bytes: nothing was rewritten
    show_title: str = ""
    duration: float = 0.0  # seconds of audio in the feed
    new: tuple[str, ...] = ()  # titles of the episodes the previous feed did not have


def fingerprint(folder: Path, output: Path, network: Network, options: tuple,
                top: dict[str, FileStat] | None = None) -> str | None:
    """A hash of every file in the show folder (name, size, mtime, link) and the options, or None
    when the folder cannot be listed. Equal fingerprints mean nothing to rebuild. `top`
    receives the stats of the top-level files (the build's listing reuses them).

    A link to a folder is not followed (its target is hashed instead): one inside the show
    leads to files walked anyway, one outside leads to files a build refuses (PATH-OUTSIDE),
    and following it walked whatever it led to (/usr, or the show itself, in a loop). An
    entry that cannot be read (a link in a loop) counts as such, not as a failure of all."""
    entries: list[tuple[str, int, int, bool | str]] = []

    def walk(directory: str, prefix: str) -> None:
        with os.scandir(directory) as scan:
            for entry in scan:
                if entry.name.startswith("."):
                    continue
                link = entry.is_symlink()  # a file moved out and linked back keeps size and time
                try:
                    if entry.is_dir():
                        if link:
                            entries.append((prefix + entry.name + "/", 0, 0, os.readlink(entry.path)))
                        else:
                            walk(entry.path, prefix + entry.name + "/")
                        continue
                    stat = entry.stat()
                except OSError:  # a link in a loop or to nowhere, a file gone since the listing
                    entries.append((prefix + entry.name, -1, -1, link))
                    continue
                entries.append((prefix + entry.name, stat.st_size, stat.st_mtime_ns, link))
                if top is not None and not prefix:
                    top[entry.name] = FileStat(stat.st_size, stat.st_mtime_ns)

    try:
        walk(str(folder), "")
    except OSError:
        return None
    entries.sort()  # the order of a directory listing is not defined
    return digest(code_version(), str(output.resolve()), network.resolve_redirects, options, entries)


NOT_PUBLISHED_ELSEWHERE = Previous()  # the guard compares with the feed already in the output folder


def build(
    folder: Path,
    output: Path,
    now: datetime,
    findings: Findings,
    previous: Previous = NOT_PUBLISHED_ELSEWHERE,
    allow_removal: frozenset[str] = frozenset(),
    allow_changes: bool = False,
    network: Network | None = None,
    preview_url: str | None = None,
) -> BuildResult:
    """Build the feed for the show in `folder` into `output`; raise Aborted on any error.

    `previous` is the published feed to guard against (a URL or path; default: the
    feed already in `output`), and whether nothing is published yet. A preview
    (`preview_url`, see load_show) is served from that address and has no published feed
    to guard.
    """
    network = network or Network()
    cache = open_cache(network, findings)
    try:
        return _build(folder, output, now, findings, previous, allow_removal, allow_changes, network, cache,
                      preview_url)
    finally:
        cache.close()
        leave_for_exit(cache)  # its records


def _unchanged(cache: BuildCache, key: str | None, feed: Path, now: datetime, findings: Findings) -> BuildResult | None:
    """The last build's result when nothing changed since: same files, same options, the
    feed as written, and no scheduled episode due yet."""
    # remote media may change without a local trace: such shows are always built in full
    remote = cache.get("build:remote") == "yes"
    if key is None or remote or cache.get("build:key") != key or not feed.is_file():
        return None
    last = cache.get_json("build:result")
    if not isinstance(last, dict) or hashlib.sha256(feed.read_bytes()).hexdigest() != last["feed_sha256"]:
        return None
    # the same files give the same feed only for a `now` between the newest published
    # episode and the first scheduled one
    if last["next_change"] and now >= datetime.fromisoformat(last["next_change"]):
        return None
    if last["valid_from"] and now < datetime.fromisoformat(last["valid_from"]):
        return None
    site = str(feed.parent)
    present = set(os.listdir(site))
    if not all(name in present if "/" not in name else os.path.exists(os.path.join(site, name))
               for name in last["files"]):  # someone cleaned output/
        return None
    for finding in last["findings"]:
        findings.add(*finding)
    return BuildResult(feed, *last["counts"], 0, unchanged=True, show_title=last.get("title", ""),
                       duration=last.get("duration", 0.0))


def _remember(cache: BuildCache, key: str | None, assembled: Assembled, findings: Findings,
              files: list[str]) -> None:
    if key is None:
        return
    scheduled = [item.episode.date for item in assembled.scheduled]
    published = [item.episode.date for item in assembled.published]
    result = {
        "feed_sha256": assembled.xml_sha256,
        "next_change": min(scheduled).isoformat() if scheduled else "",
        "valid_from": max(published).isoformat() if published else "",
        "counts": [len(assembled.published), len(assembled.scheduled), len(assembled.drafts)],
        "title": assembled.show.title,
        "duration": sum(int(item.media.duration + 0.5) for item in assembled.published),
        "files": files,  # what the build put into output/, besides feed.xml
        # what the sources say (not the guard's comparison with the feed this build replaced)
        "findings": [(f.rule, f.path, f.line, f.message) for f in findings  # what the show's files said
                     if not f.rule.startswith("GUARD-") and f.rule != "CACHE"],
    }
    remote = assembled.show.image.path is None or any(
        ref.path is None for item in assembled.published + assembled.scheduled
        for ref in (item.episode.audio, *item.episode.alternates, item.episode.image, item.episode.chapters_file,
                    *(t.ref for t in item.episode.transcripts))
        if ref is not None)
    cache.set("build:key", key)
    cache.set_json("build:result", result)
    cache.set("build:remote", "yes" if remote else "no")


def _build(folder: Path, output: Path, now: datetime, findings: Findings, previous: Previous,
           allow_removal: frozenset[str], allow_changes: bool, network: Network, cache: BuildCache,
           preview_url: str | None = None) -> BuildResult:
    feed = output / FEED_FILE
    kept = f" ({feed.as_posix()} is unchanged)" if feed.exists() else ""
    key = None
    top: dict[str, FileStat] = {}
    early = None
    if cache.knows_no_media():  # nothing can be unchanged: probing starts before the fingerprint
        from .probe import start_probing_all

        early = start_probing_all(folder, network.jobs)
    handed = False  # to assemble, which closes it
    try:
        if previous.where is None:  # with a live feed to guard against, always compare it
            preview = (preview_url,) if preview_url else ()
            key = fingerprint(folder, output, network, (sorted(allow_removal), allow_changes, *preview), top)
            if (result := _unchanged(cache, key, feed, now, findings)) is not None:
                return result
        from .assemble import assemble  # the pipeline: imported only when there is work

        handed = True
    finally:
        if early and not handed:
            early.close()

    assembled = None
    try:  # assemble closes `early` itself if it fails; once it returns, its pool (if kept) is closed here
        assembled = assemble(folder, now, findings, feed.as_posix(), network, cache, preview_url, top or None,
                             early, keep_pool=True)
        return _publish_build(folder, output, feed, key, kept, assembled, findings, previous, allow_removal,
                              allow_changes, network, cache, preview_url)
    finally:
        if assembled is not None and assembled.probing:
            assembled.probing.close()
        leave_for_exit(assembled)


def _publish_build(folder: Path, output: Path, feed: Path, key: str | None, kept: str, assembled: Assembled | None,
                   findings: Findings, previous: Previous, allow_removal: frozenset[str], allow_changes: bool,
                   network: Network, cache: BuildCache, preview_url: str | None) -> BuildResult:
    """Guard the published feed, then write: media first, the feed last; keep the results."""
    from .assemble import Stages, remember_records
    from .guard import guard, read_previous, remember_written
    from .page import PAGE_FILE, show_page
    from .write import write_atomic

    if assembled is not None and findings.errors:
        remember_records(cache, assembled, folder)  # the work on the episodes without errors is kept
    if assembled is None or findings.errors:
        raise Aborted(findings, f"nothing was written{kept}")
    log = Stages(network.log)
    published = None if preview_url else read_previous(previous, feed, findings, network.options, cache)
    if published is not None:
        guard(published, assembled, previous.where or feed.as_posix(), findings, allow_removal, allow_changes)
        log.done("compared with the published feed")
    if findings.errors:
        raise Aborted(findings, f"nothing was written{kept}")
    finish_media = publish_media(folder, output, assembled, assembled.probing.pool if assembled.probing else None)
    web_page = show_page(assembled)  # (it can complete records: before they are stored)
    remember_records(cache, assembled, folder)  # meanwhile, if the pool's worker links the media
    remember_written(cache, assembled)  # keyed by the feed's bytes: only found again once they are written
    try:
        written, files = finish_media()
        unchanged = feed.is_file() and feed.read_bytes() == assembled.xml
        for name, page in assembled.pages[:-1]:  # archive pages, before the feed that links them
            if not (output / name).is_file() or (output / name).read_bytes() != page:
                write_atomic(output / name, page)
                written += 1
            files.append(name)
        # the show's web page, also before the feed
        if not (output / PAGE_FILE).is_file() or (output / PAGE_FILE).read_bytes() != web_page:
            write_atomic(output / PAGE_FILE, web_page)
            written += 1
        files.append(PAGE_FILE)
        if not unchanged:
            write_atomic(feed, assembled.xml)  # last: the feed only points at media already there
    except OSError as exc:
        where = exc.filename2 or exc.filename or output  # a rename's or a link's target, not its temp file
        findings.add("WRITE-FAILED", Path(where).as_posix(), None, f"cannot write: {exc.strerror}")
        raise Aborted(findings, "the feed was not updated") from None
    log.done(f"wrote {written + (not unchanged)} changed files")
    _remember(cache, key, assembled, findings, files)
    log.done("kept what the build made in the cache")
    new = [item.episode.title for item in assembled.published
           if published is None or item.episode.guid not in published.items]
    return BuildResult(
        feed, len(assembled.published), len(assembled.scheduled), len(assembled.drafts), written,
        unchanged=unchanged and not written, show_title=assembled.show.title,
        duration=sum(int(item.media.duration + 0.5) for item in assembled.published), new=tuple(new),
    )


def publish_media(folder: Path, output: Path, assembled: Assembled,
                  pool: Executor | None = None) -> Callable[[], tuple[int, list[str]]]:
    """Put every file the feed points to into output/: media (unless served from a CDN),
    transcripts, and the generated JSON chapters. Returns a call that does the writing (or
    waits for the pool's) and gives how many files changed, and the output-relative paths
    of them all; it raises OSError for a file it cannot write.

    With a `pool` (a cold build's, whose worker is idle by now), the media are linked
    there while this process goes on (it stores the build's records meanwhile): at
    10,000 episodes that is 10,000 links.
    """
    from .assemble import POOL_LINKS_FROM

    show = assembled.show
    media: list[MediaRef | None] = [show.image]
    site: list[MediaRef] = []
    for item in assembled.published:
        episode = item.episode
        media += [episode.audio, *episode.alternates, episode.image]
        site += [t.ref for t in episode.transcripts]
    if not show.media_is_local:
        media = []  # media lives on a CDN: the publisher uploads it
    paths = sorted({ref.path for ref in [*media, *site] if ref is not None and ref.path is not None})
    try:
        present = set(os.listdir(output))
    except OSError:
        present = set()
    source_dir, target_dir = os.path.join(folder, ""), os.path.join(output, "")  # with a separator at the end
    flags = [path in present or "/" in path for path in paths]
    linking = None
    if pool is not None and len(paths) >= POOL_LINKS_FROM:
        linking = pool.submit(_publish_all, source_dir, target_dir, paths, flags)

    def finish() -> tuple[int, list[str]]:
        done = linking.result() if linking else _publish_all(source_dir, target_dir, paths, flags)
        return done + _publish_chapters(output, assembled, paths), paths

    return finish


def _publish_all(source_dir: str, target_dir: str, paths: list[str], present: list[bool]) -> int:
    """_publish() for each path: how many changed (run in the pool's worker, or here)."""
    return sum(_publish(source_dir, target_dir, path, flag) for path, flag in zip(paths, present, strict=True))


def _publish_chapters(output: Path, assembled: Assembled, files: list[str]) -> int:
    """The generated JSON chapters of the show's own site; their paths are added to `files`."""
    from . import chapters
    from .media import chapters_path
    from .write import write_atomic

    show, changed = assembled.show, 0
    for item in assembled.published:
        if item.chapters and item.chapters_url and item.chapters_url.startswith(show.site_url):
            data = chapters.to_json(item.chapters, item.episode.title, show.title)
            target = output / chapters_path(item.episode)
            files.append(chapters_path(item.episode))
            if not target.exists() or target.read_bytes() != data:
                write_atomic(target, data)
                changed += 1
    return changed


def _publish(source_dir: str, target_dir: str, path: str, present: bool = True) -> bool:
    """Put one file into output/ (see write.publish_file); whether it changed. The usual
    cases are answered with two system calls each, which matters for thousands of media
    files: output/ already having the very file (a rebuild; `present`: output/ has the
    name, or may have it), or a new name linked to the file (a first build)."""
    from .write import publish_file

    source, target = source_dir + path, target_dir + path
    if present and _same_file(source, target):
        return False
    try:
        os.link(source, target)
        if not os.path.islink(target):
            return True
        os.unlink(target)  # the source is a link, and os.link linked the link itself (Python 3.11)
    except FileExistsError:
        if not present and _same_file(source, target):
            return False
    except OSError:
        pass  # no folder for it yet, another file system, links not allowed: the careful way
    return publish_file(Path(source), Path(target))


def _same_file(source: str, target: str) -> bool:
    try:
        return os.path.samestat(os.stat(source), os.stat(target))
    except OSError:
        return False
