"""Chapters: from the front matter, a JSON chapters file, or the audio's own chapter marks.

Whatever the source, the result is one ordered list that becomes a JSON Chapters file
(Podcasting 2.0, version 1.2.0) and inline Podlove Simple Chapters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import mutagen
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from .findings import Findings
from .model import Chapter

JSON_CHAPTERS_TYPE = "application/json+chapters"
JSON_CHAPTERS_VERSION = "1.2.0"


def embedded(audio: mutagen.FileType) -> tuple[Chapter, ...]:
    """Chapter marks stored in the audio: ID3 CHAP frames (MP3) or chapter atoms (M4A)."""
    if isinstance(audio, MP3) and audio.tags is not None:
        found = []
        for frame in audio.tags.getall("CHAP"):
            sub = frame.sub_frames
            title = str(sub["TIT2"].text[0]) if "TIT2" in sub and sub["TIT2"].text else None
            urls = [f.url for key, f in sub.items() if key.startswith("WXXX")]
            found.append(Chapter(frame.start_time / 1000, title, urls[0] if urls else None))
        return tuple(sorted(found, key=lambda c: c.start))
    if isinstance(audio, MP4) and audio.chapters is not None:
        return tuple(Chapter(float(c.start), c.title or None) for c in audio.chapters)
    return ()


def read_json(path: Path, source: str, findings: Findings) -> tuple[Chapter, ...] | None:
    """Read a JSON Chapters file; report what is wrong with it."""
    shown = path.as_posix()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        findings.add("CHAPTERS", source, None, f"chapters: cannot read {shown}: {exc}")
        return None
    except json.JSONDecodeError as exc:
        findings.add("CHAPTERS", shown, exc.lineno, f"not valid JSON: {exc.msg}")
        return None
    items = document.get("chapters") if isinstance(document, dict) else None
    if not isinstance(items, list):
        findings.add("CHAPTERS", shown, None, 'a JSON chapters file is {"version": "1.2.0", "chapters": [...]}')
        return None
    chapters = []
    for number, item in enumerate(items, 1):
        start = item.get("startTime") if isinstance(item, dict) else None
        if not isinstance(start, int | float) or isinstance(start, bool) or start < 0:
            findings.add("CHAPTERS", shown, None, f"chapter {number} has no startTime in seconds")
            return None
        chapters.append(Chapter(float(start), item.get("title"), item.get("url"), item.get("img"),
                                item.get("toc")))
    return tuple(chapters)


def validate(chapters: Sequence[Chapter], duration: float, source: str, findings: Findings) -> bool:
    """Chapters must be in order, start inside the audio, and not repeat a start time."""
    ok = True
    previous: Chapter | None = None
    for chapter in chapters:
        name = f"chapter '{chapter.title}'" if chapter.title else f"the chapter at {chapter.start:g} s"
        if chapter.start >= duration:
            findings.add(
                "CHAPTERS", source, chapter.line,
                f"{name} starts at {clock(chapter.start)}, after the audio ends ({clock(duration)})",
            )
            ok = False
        if previous is not None and chapter.start == previous.start:
            findings.add("CHAPTERS", source, chapter.line, f"{name} starts at the same time as the one before")
            ok = False
        elif previous is not None and chapter.start < previous.start:
            findings.add(
                "CHAPTERS", source, chapter.line,
                f"{name} starts at {clock(chapter.start)}, before the one above it: list chapters in order",
            )
            ok = False
        previous = chapter
    return ok


def clock(seconds: float) -> str:
    """HH:MM:SS.mmm, the normal play time Podlove Simple Chapters use."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def to_json(chapters: Sequence[Chapter], title: str, podcast: str) -> bytes:
    """The Podcasting 2.0 JSON Chapters document; keys in a fixed order for stable bytes."""
    items = []
    for chapter in chapters:
        item: dict[str, object] = {"startTime": round(chapter.start, 3)}
        for key in ("title", "url", "img", "toc"):
            value = getattr(chapter, key)
            if value is not None:
                item[key] = value
        items.append(item)
    document = {"version": JSON_CHAPTERS_VERSION, "title": title, "podcastName": podcast, "chapters": items}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
