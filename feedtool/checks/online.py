"""`check --online`: what directories check about the hosts behind every URL in the feed.

Apple and others fetch the feed's media with HEAD and byte-range requests and reject
hosts that don't answer them right; a wrong Content-Length or Content-Type breaks
downloads in some apps. These checks need the network, so they run only on request.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..assemble import Assembled
from ..findings import Findings
from ..http import RemoteError, request
from ..numbers import whole
from ..options import NetworkOptions

# types a server may send for our enclosure types without confusing apps
SAME_TYPE = {
    "audio/mpeg": {"audio/mpeg", "audio/mp3", "audio/mpeg3"},
    "audio/x-m4a": {"audio/x-m4a", "audio/mp4", "audio/m4a", "audio/aac", "video/mp4"},
    "audio/ogg": {"audio/ogg", "application/ogg", "audio/opus", "audio/vorbis"},
    "audio/flac": {"audio/flac", "audio/x-flac"},
    "audio/wav": {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"},
    "image": {"image/jpeg", "image/png"},
}


@dataclass(frozen=True)
class Target:
    url: str
    what: str  # "audio", "image", "transcript", "chapters"
    source: str
    line: int | None
    length: int | None = None  # the length the feed states (enclosures)
    type: str | None = None  # the type the feed states


def targets(assembled: Assembled) -> list[Target]:
    """Every URL the feed points to, with what the feed says about it."""
    show = assembled.show
    found = [Target(show.image.url, "image", show.source, show.image.line, type="image")]
    for item in assembled.published:
        episode = item.episode
        audio = item.alternates or ((episode.audio, item.media),)
        for ref, info in audio:
            found.append(Target(ref.url, "audio", episode.source, ref.line, info.length or None, info.mime))
        if episode.image:
            found.append(Target(episode.image.url, "image", episode.source, episode.image.line, type="image"))
        for transcript in episode.transcripts:
            found.append(Target(transcript.ref.url, "transcript", episode.source, transcript.ref.line))
        if item.chapters_url:
            found.append(Target(item.chapters_url, "chapters", episode.source, episode.lines.get("chapters")))
    unique: dict[str, Target] = {}
    for target in found:
        unique.setdefault(target.url, target)
    return list(unique.values())


def _check(target: Target, options: NetworkOptions) -> list[tuple[str, str]]:
    """(rule, message) for each problem of one URL."""
    problems = []
    try:
        answer = request("HEAD", target.url, options, allow_redirects=True)
        if answer.status_code in (405, 501):
            problems.append(("HOST-HEAD", f"answers HEAD with {answer.status_code}; Apple checks media with HEAD"))
        elif answer.status_code >= 400:
            return [("REMOTE-STATUS", f"answers HTTP {answer.status_code} {answer.reason}")]
        else:
            length = whole(answer.headers.get("Content-Length"))
            if target.length and length is None:
                problems.append(("REMOTE-LENGTH", "answers HEAD without a Content-Length; apps use it to show and "
                                 "check downloads"))
            elif target.length and length != target.length:
                problems.append(("REMOTE-LENGTH", f"Content-Length is {length}, the feed says {target.length} bytes"))
            kind = (answer.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if target.type and kind not in SAME_TYPE.get(target.type, {target.type}):
                problems.append(("HOST-TYPE", f"is served as '{kind or 'no type'}', the feed says {target.type}"))
        ranged = request("GET", target.url, options, headers={"Range": "bytes=0-1"}, stream=True)
        ranged.close()
        content_range = ranged.headers.get("Content-Range", "")
        if ranged.status_code != 206:
            problems.append(("REMOTE-RANGE", f"answers a byte-range request with {ranged.status_code}, not 206 "
                             "Partial Content; Apple rejects hosts without range support"))
        elif not re.fullmatch(r"bytes 0-1/(\d+|\*)", content_range.strip()):
            problems.append(("REMOTE-RANGE", f"answers bytes=0-1 with Content-Range '{content_range}'"))
        elif target.length and content_range.split("/")[1] not in ("*", str(target.length)):
            problems.append(("REMOTE-LENGTH", f"Content-Range says {content_range.split('/')[1]} bytes, the feed "
                             f"says {target.length}"))
    except RemoteError as exc:
        return [(exc.rule, str(exc))]
    return problems


def check_online(assembled: Assembled, options: NetworkOptions, findings: Findings) -> int:
    """Check every URL of the feed; returns how many were checked."""
    found = targets(assembled)
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(found)))) as pool:
        results = list(pool.map(lambda t: _check(t, options), found))
    for target, problems in zip(found, results, strict=True):
        for rule, message in problems:
            findings.add(rule, target.source, target.line, f"{target.what} {target.url}: {message}")
    return len(found)
