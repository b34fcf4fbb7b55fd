"""`feedtool build`: load → probe → render → write, and nothing written if anything is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .findings import Aborted, Findings
from .load import load_episodes, load_show
from .model import Episode, MediaInfo, MediaRef, Show
from .probe import ProbeError, mime_for, probe
from .render import Published, render_feed
from .write import publish_file, write_atomic

FEED_FILE = "feed.xml"


@dataclass(frozen=True)
class BuildResult:
    feed_path: Path
    published: int
    scheduled: int
    drafts: int
    media_written: int


def media_info(folder: Path, episode: Episode, findings: Findings) -> MediaInfo | None:
    """Probe an episode's audio, applying the front matter's duration/length overrides."""
    audio = episode.audio
    assert audio is not None
    line = audio.line or 1
    if audio.path is None:  # a remote URL: the loader made sure both overrides are given
        mime = mime_for(audio.url.split("?", 1)[0])
        if mime is None:
            findings.error(
                "AUDIO-FORMAT", episode.source, line,
                f"audio: cannot tell the audio type of {audio.url} from its extension "
                "(.mp3, .m4a, .ogg, .opus, .flac, .wav)",
            )
            return None
        return MediaInfo(episode.duration or 0.0, episode.length or 0, mime)
    shown = (folder / audio.path).as_posix()
    try:
        result = probe(folder / audio.path)
    except ProbeError as exc:
        findings.error(exc.rule, episode.source, line, f"audio {shown}: {exc}")
        return None
    if result.note:
        findings.info("MP3-ESTIMATE", episode.source, line, f"audio {shown}: {result.note}")
    info = result.info
    return MediaInfo(
        duration=episode.duration or info.duration,
        length=episode.length if episode.length is not None else info.length,
        mime=info.mime,
    )


def check_unique_guids(episodes: list[Episode], findings: Findings) -> None:
    first: dict[str, Episode] = {}
    for episode in episodes:
        other = first.setdefault(episode.guid, episode)
        if other is not episode:
            findings.error(
                "GUID-DUPLICATE", episode.source, episode.lines.get("guid", 1),
                f"guid '{episode.guid}' is also the guid of {other.source}; every episode "
                "needs its own (apps drop or merge episodes that share one)",
            )


def build(folder: Path, output: Path, now: datetime, findings: Findings) -> BuildResult:
    """Build the feed for the show in `folder` into `output`; raise Aborted on any error."""
    if not folder.is_dir():
        findings.error("SHOW-MISSING", folder.as_posix(), None, "no such folder (check --episodes)")
        raise Aborted(findings, "nothing was written")
    show = load_show(folder, findings)
    episodes = load_episodes(folder, show, findings)
    check_unique_guids(episodes, findings)

    published: list[Published] = []
    scheduled = drafts = 0
    for episode in episodes:
        if episode.draft:
            drafts += 1
            findings.info("DRAFT", episode.source, episode.lines["draft"], "draft: left out of the feed")
            continue
        info = media_info(folder, episode, findings)
        if episode.date > now:
            scheduled += 1
            findings.info(
                "SCHEDULED", episode.source, episode.lines["date"],
                f"scheduled for {episode.date.isoformat()}: left out of the feed until then",
            )
        elif info is not None:
            published.append(Published(episode, info))
    if show is not None and not published and not findings.errors:
        findings.error(
            "NO-EPISODES", show.source, None,
            f"no episode to publish ({drafts} draft, {scheduled} scheduled): directories "
            "reject a feed without episodes",
        )
    if findings.errors or show is None:
        feed = output / FEED_FILE
        kept = f" ({feed.as_posix()} is unchanged)" if feed.exists() else ""
        raise Aborted(findings, f"nothing was written{kept}")

    xml = render_feed(show, published, findings)
    try:
        written = publish_media(folder, output, show, published)
        write_atomic(output / FEED_FILE, xml)  # last: the feed only points at media already there
    except OSError as exc:
        where = exc.filename or output
        findings.error("WRITE-FAILED", Path(where).as_posix(), None, f"cannot write: {exc.strerror}")
        raise Aborted(findings, "the feed was not updated") from None
    return BuildResult(output / FEED_FILE, len(published), scheduled, drafts, written)


def publish_media(folder: Path, output: Path, show: Show, published: list[Published]) -> int:
    """Link local media into output/ when it is served from the feed's own folder."""
    if not show.media_is_local:
        return 0  # media lives on a CDN: the publisher uploads it
    refs: list[MediaRef | None] = [show.image]
    for item in published:
        refs += [item.episode.audio, item.episode.image]
    paths = sorted({ref.path for ref in refs if ref is not None and ref.path is not None})
    return sum(publish_file(folder / path, output / path) for path in paths)
