"""Chapters: from the front matter, a JSON chapters file, or the audio's own chapter marks.

Whatever the source, the result is one ordered list that becomes a JSON Chapters file
(Podcasting 2.0, version 1.2.0) and inline Podlove Simple Chapters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .findings import Findings
from .model import Chapter

if TYPE_CHECKING:
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Chapters

JSON_CHAPTERS_TYPE = "application/json+chapters"
JSON_CHAPTERS_VERSION = "1.2.0"


def id3_chapters(tags: ID3) -> tuple[Chapter, ...]:
    """Chapters from ID3 CHAP frames (MP3), in time order."""
    found = []
    for frame in tags.getall("CHAP"):
        sub = frame.sub_frames
        title = str(sub["TIT2"].text[0]) if "TIT2" in sub and sub["TIT2"].text else None
        urls = [f.url for key, f in sub.items() if key.startswith("WXXX")]
        found.append(Chapter(frame.start_time / 1000, title, urls[0] if urls else None))
    return tuple(sorted(found, key=lambda c: c.start))


def mp4_chapters(marks: MP4Chapters) -> tuple[Chapter, ...]:
    """Chapters from an M4A's chapter atom."""
    return tuple(Chapter(float(c.start), c.title or None) for c in marks)


def read_json(path: Path, source: str, findings: Findings) -> tuple[Chapter, ...] | None:
    """Read a JSON Chapters file; report what is wrong with it, at its line."""
    shown = path.as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")
        document = json.loads(text, parse_constant=_refuse_constant)
    except (OSError, UnicodeDecodeError) as exc:
        findings.add("CHAPTERS", source, None, f"chapters: cannot read {shown}: {exc}")
        return None
    except json.JSONDecodeError as exc:
        findings.add("CHAPTERS", shown, exc.lineno, f"not valid JSON: {exc.msg}")
        return None
    except ValueError as exc:
        findings.add("CHAPTERS", shown, 1, str(exc))
        return None
    items = document.get("chapters") if isinstance(document, dict) else None
    if not isinstance(items, list):
        findings.add("CHAPTERS", shown, 1, 'a JSON chapters file is {"version": "1.2.0", "chapters": [...]}')
        return None
    starts = [m.start() for m in re.finditer(r'"startTime"', text)]
    chapters = []
    for number, item in enumerate(items, 1):
        line = text.count("\n", 0, starts[number - 1]) + 1 if number <= len(starts) else 1
        problem = _item_problem(item)
        if problem:
            findings.add("CHAPTERS", shown, line, f"chapter {number}: {problem}")
            return None
        chapters.append(Chapter(float(item["startTime"]), item.get("title"), item.get("url"), item.get("img"),
                                item.get("toc"), line))
    return tuple(chapters)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _item_problem(item: object) -> str | None:
    """What is wrong with one chapter object of a JSON Chapters file, if anything."""
    if not isinstance(item, dict):
        return "expected an object with startTime and title"
    start = item.get("startTime")
    if isinstance(start, bool) or not isinstance(start, int | float) or not 0 <= start < 1e7:
        return "startTime must be a number of seconds from 0"
    for key in ("title",):
        if key in item and not isinstance(item[key], str):
            return f"{key} must be text"
    for key in ("url", "img"):
        if key in item and not (isinstance(item[key], str) and item[key].startswith(("https://", "http://"))):
            return f"{key} must be an http(s) URL"
    if "toc" in item and not isinstance(item["toc"], bool):
        return "toc must be true or false"
    return None


def validate(chapters: Sequence[Chapter], duration: float, source: str, findings: Findings) -> bool:
    """Chapters must be in order, start inside the audio, and not repeat a start time.

    `source` is the file the chapters come from (the episode, a JSON file, the audio).
    """
    ok = True
    previous: Chapter | None = None
    seen: set[float] = set()
    for chapter in chapters:
        name = f"chapter '{chapter.title}'" if chapter.title else f"the chapter at {chapter.start:g} s"
        start = round(chapter.start, 3)  # as written: two starts a microsecond apart are one
        if chapter.start >= duration:
            findings.add(
                "CHAPTERS", source, chapter.line,
                f"{name} starts at {clock(chapter.start)}, after the audio ends ({clock(duration)})",
            )
            ok = False
        if start in seen:
            findings.add("CHAPTERS", source, chapter.line, f"{name} starts at the same time as another chapter")
            ok = False
        elif previous is not None and chapter.start < previous.start:
            findings.add(
                "CHAPTERS", source, chapter.line,
                f"{name} starts at {clock(chapter.start)}, before the one above it: list chapters in order",
            )
            ok = False
        seen.add(start)
        previous = chapter
    return ok


def hms(seconds: float, short: bool = False) -> str:
    """Whole seconds → H:MM:SS, or with `short` M:SS under an hour (what players show)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{minutes}:{secs:02d}" if short and not hours else f"{hours}:{minutes:02d}:{secs:02d}"


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
