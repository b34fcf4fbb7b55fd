"""`feedtool build`: assemble the feed, guard what is published, then write atomically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .assemble import Assembled, assemble
from .findings import Aborted, Findings
from .guard import guard, read_previous
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
) -> BuildResult:
    """Build the feed for the show in `folder` into `output`; raise Aborted on any error.

    `previous` is the published feed to guard against (a URL or path; default: the
    feed already in `output`).
    """
    feed = output / FEED_FILE
    kept = f" ({feed.as_posix()} is unchanged)" if feed.exists() else ""
    assembled = assemble(folder, now, findings, feed.as_posix())
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
    """Link local media into output/ when it is served from the feed's own folder."""
    if not assembled.show.media_is_local:
        return 0  # media lives on a CDN: the publisher uploads it
    refs: list[MediaRef | None] = [assembled.show.image]
    for item in assembled.published:
        refs += [item.episode.audio, item.episode.image]
    paths = sorted({ref.path for ref in refs if ref is not None and ref.path is not None})
    return sum(publish_file(folder / path, output / path) for path in paths)
