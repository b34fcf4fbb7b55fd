"""`feedtool build`: assemble the feed, guard what is published, then write atomically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import chapters
from .assemble import Assembled, Network, assemble
from .findings import Aborted, Findings
from .guard import guard, read_previous
from .media import chapters_path
from .model import MediaRef
from .write import publish_file, write_atomic

FEED_FILE = "feed.xml"


@dataclass(frozen=True)
class BuildResult:
    feed_path: Path
    published: int
    scheduled: int
    drafts: int
    media_written: int


def build(
    folder: Path,
    output: Path,
    now: datetime,
    findings: Findings,
    previous: str | None = None,
    allow_removal: frozenset[str] = frozenset(),
    allow_changes: bool = False,
    network: Network | None = None,
) -> BuildResult:
    """Build the feed for the show in `folder` into `output`; raise Aborted on any error.

    `previous` is the published feed to guard against (a URL or path; default: the
    feed already in `output`).
    """
    feed = output / FEED_FILE
    kept = f" ({feed.as_posix()} is unchanged)" if feed.exists() else ""
    assembled = assemble(folder, now, findings, feed.as_posix(), network)
    if assembled is None or findings.errors:
        raise Aborted(findings, f"nothing was written{kept}")
    published = read_previous(previous, feed, findings)
    if published is not None:
        guard(published, assembled, previous or feed.as_posix(), findings, allow_removal, allow_changes)
    if findings.errors:
        raise Aborted(findings, f"nothing was written{kept}")
    try:
        written = publish_media(folder, output, assembled)
        write_atomic(feed, assembled.xml)  # last: the feed only points at media already there
    except OSError as exc:
        where = exc.filename or output
        findings.add("WRITE-FAILED", Path(where).as_posix(), None, f"cannot write: {exc.strerror}")
        raise Aborted(findings, "the feed was not updated") from None
    return BuildResult(
        feed, len(assembled.published), len(assembled.scheduled), len(assembled.drafts), written
    )


def publish_media(folder: Path, output: Path, assembled: Assembled) -> int:
    """Put every file the feed points to into output/: media (unless served from a CDN),
    transcripts, and the generated JSON chapters. Returns how many files changed."""
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
    changed = sum(publish_file(folder / path, output / path) for path in paths)
    for item in assembled.published:
        if item.chapters and item.chapters_url and item.chapters_url.startswith(show.site_url):
            data = chapters.to_json(item.chapters, item.episode.title, show.title)
            target = output / chapters_path(item.episode)
            if not target.exists() or target.read_bytes() != data:
                write_atomic(target, data)
                changed += 1
    return changed
