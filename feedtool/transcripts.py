"""Transcripts: check WebVTT, SRT and JSON files so that apps can show them.

A malformed file is an error at its line; a cue that ends after the audio is a
warning (the transcript probably belongs to another cut of the episode).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .findings import Findings
from .numbers import whole

_VTT_TIME = r"(?:(\d+):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_TIME = r"(\d+):([0-5]\d):([0-5]\d),(\d{3})"


def _seconds(match: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, millis = match
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0) + int(millis or 0) / 1000


def check(path: Path, mime: str, duration: float, findings: Findings) -> None:
    """Check a local transcript of the given type against the audio's duration."""
    shown = path.as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        findings.add("TRANSCRIPT", shown, line, "not UTF-8 text: save the transcript as UTF-8")
        return
    if mime == "text/vtt":
        cues = _timed(text, shown, findings, _VTT_TIME, header="WEBVTT")
    elif mime == "application/x-subrip":
        cues = _timed(text, shown, findings, _SRT_TIME, header=None)
    elif mime == "application/json":
        cues = _json(text, shown, findings)
    else:
        if not text.strip():
            findings.add("TRANSCRIPT", shown, 1, "the transcript is empty")
        return
    late = [(line, end) for line, end in cues if end > duration + 0.5]
    if late:
        line, end = late[0]
        findings.add(
            "TRANSCRIPT-RANGE", shown, line,
            f"a cue ends at {end:.1f} s, after the audio ends ({duration:.1f} s); "
            f"{len(late)} cue(s) in all: is this the transcript of another cut?",
        )


def _timed(text: str, shown: str, findings: Findings, time: str, header: str | None) -> list[tuple[int, float]]:
    """Cues of a WebVTT or SRT file as (line, end time); errors name the line."""
    lines = text.splitlines()
    if header and not (lines and re.fullmatch(rf"{header}([ \t].*)?", lines[0])):
        findings.add("TRANSCRIPT", shown, 1, f"a WebVTT file starts with a '{header}' line")
        return []
    timing = re.compile(rf"{time}[ \t]+-->[ \t]+{time}(?:[ \t].*)?")
    cues: list[tuple[int, float, float]] = []
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*lines, ""], 1):
        if line.strip():
            block.append((number, line))
            continue
        if block:
            if not _cue(block, timing, shown, findings, cues, srt=header is None):
                return [(line, end) for line, _start, end in cues]
            block = []
    if not cues:
        findings.add("TRANSCRIPT", shown, 1, "the transcript has no cues")
    return [(line, end) for line, _start, end in cues]


def _cue(block, timing, shown, findings, cues, srt: bool) -> bool:
    first_number, first = block[0]
    if not srt and re.match(r"(NOTE|STYLE|REGION|WEBVTT)(\s|$)", first):
        return True  # WebVTT comment, style and region blocks, and the header block
    timed = [(n, timing.fullmatch(line.strip())) for n, line in block[:2]]
    found = next(((n, m) for n, m in timed if m), None)
    if found is None:
        where = block[1][0] if srt and len(block) > 1 else first_number
        findings.add(
            "TRANSCRIPT", shown, where,
            "expected a cue timing like "
            + ("00:01:02,500 --> 00:01:05,000" if srt else "00:01:02.500 --> 00:01:05.000"),
        )
        return False
    number, match = found
    if srt and (number == first_number or whole(first.strip()) is None):
        findings.add("TRANSCRIPT", shown, first_number, "an SRT cue starts with its number, then its timing")
        return False
    start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:8])
    if end < start:
        findings.add("TRANSCRIPT", shown, number, "the cue ends before it starts")
        return False
    if cues and start < cues[-1][1]:
        findings.add("TRANSCRIPT", shown, number, "the cue starts before the one above it: cues go in time order")
        return False
    cues.append((number, start, end))
    return True


def _json(text: str, shown: str, findings: Findings) -> list[tuple[int, float]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        findings.add("TRANSCRIPT", shown, exc.lineno, f"not valid JSON: {exc.msg}")
        return []
    segments = document.get("segments") if isinstance(document, dict) else None
    if not isinstance(segments, list):
        findings.add("TRANSCRIPT", shown, 1, 'a JSON transcript is {"version": "1.0.0", "segments": [...]}')
        return []
    cues = []
    for number, segment in enumerate(segments, 1):
        end = segment.get("endTime") if isinstance(segment, dict) else None
        if not isinstance(end, int | float) or "body" not in segment:
            findings.add("TRANSCRIPT", shown, 1, f"segment {number} needs startTime, endTime and body")
            return cues
        cues.append((None, float(end)))
    return cues
