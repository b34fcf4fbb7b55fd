"""`feedtool new`: an audio file → a ready-to-edit episode file beside it.

The scaffold carries what the audio already knows (title, date and chapters from its
tags), the next episode number, and an explicit guid: the one the build would derive
from the file name, written down so that the file can be renamed later without the
episode changing identity. It starts as a draft, so its template text is never
published by accident.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from pathlib import Path

import mutagen
import yaml

from .chapters import clock
from .findings import Findings
from .load import SHOW_FILE, default_guid, episode_files, front_matters, load_show
from .numbers import whole
from .probe import ProbeError, probe
from .write import create_new

TEMPLATE_START = "One or two sentences on what this episode is about"  # `check` warns while it is there
TEMPLATE = f"""\
{TEMPLATE_START}: apps show them under the title.

## In this episode

- The first thing you talk about

## Links

- [A page you mention](https://example.com/)
"""


def scaffold(audio: Path, findings: Findings, now: datetime, title: str | None = None,
             folder: Path | None = None) -> Path | None:
    """Write `<audio stem>.md` at the top of the show folder (beside `audio` when it is
    there); None (with findings) when it cannot be done."""
    folder = folder or show_folder_of(audio)
    target = folder / (audio.stem + ".md")
    shown = target.as_posix()
    try:
        rel = audio.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        findings.add("PATH-OUTSIDE", audio.as_posix(), None,
                     f"the audio is outside the show folder {folder.as_posix()}/: move it into the folder")
        return None
    if target.exists():
        findings.add("NEW-EXISTS", shown, None, "already exists: feedtool new never overwrites an episode file")
        return None
    show = load_show(folder, findings)
    try:
        facts = probe(audio)
    except ProbeError as exc:
        findings.add(exc.rule, audio.as_posix(), None, str(exc))
        return None
    if facts.truncated:  # said now, not at the build
        findings.add("AUDIO-TRUNCATED", audio.as_posix(), None,
                     f"{facts.truncated}. Export or upload the whole file again; to publish it as it is, "
                     f"write its episode file by hand with 'duration: {max(1, round(facts.info.duration))}'")
        return None
    if show is None:
        return None
    tags = _tags(audio)
    season, number = _next_number(folder)
    front: dict = {
        "title": title or tags.get("title") or _title_from_name(audio.stem),
        "date": tags.get("date") or now.replace(second=0, microsecond=0).isoformat(),
        "guid": default_guid(uuid.UUID(show.guid), audio.stem),
    }
    if "/" in rel:  # in a subfolder: episode files live at the top, so name the audio
        front["audio"] = rel
    if season is not None:
        front["season"] = season
    front["episode"] = number
    if facts.chapters:
        front["chapters"] = [
            {"start": clock(c.start), **{k: v for k, v in (("title", c.title), ("url", c.url)) if v}}
            for c in facts.chapters
        ]
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
    text += "draft: true  # remove this line to publish\n---\n\n" + TEMPLATE
    try:
        create_new(target, text)
    except OSError as exc:  # FileExistsError included: appeared meanwhile, or a dangling link
        findings.add("WRITE-FAILED", shown, None, f"cannot write: {exc.strerror or exc}")
        return None
    return target


def show_folder_of(audio: Path) -> Path:
    """The audio's folder, or the nearest folder above it that has a show.yaml."""
    for folder in (audio.parent, *audio.parent.parents):
        if (folder / SHOW_FILE).is_file():
            return folder
    return audio.parent


def _tags(audio: Path) -> dict[str, str]:
    """Title and date (YYYY-MM-DD) from the file's tags, where it has them."""
    try:
        tagged = mutagen.File(audio, easy=True)
    except Exception:  # noqa: BLE001 - unreadable tags are only missing tags
        return {}
    tags = getattr(tagged, "tags", None) or {}
    found = {}
    titles = [t.strip() for t in tags.get("title", []) if t.strip()]
    if titles:
        found["title"] = " ".join(titles[0].split())
    for value in tags.get("date", []):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()[:10]):
            found["date"] = value.strip()[:10]
            break
    return found


def _title_from_name(stem: str) -> str:
    """'004-the-long-road' → 'The long road'."""
    words = re.sub(r"^[\d\s._-]+", "", stem).replace("_", " ").replace("-", " ").strip()
    return (words[:1].upper() + words[1:]) if words else stem


def _next_number(folder: Path) -> tuple[int | None, int]:
    """(season, episode) for a new episode: the latest season, one past its highest number
    (or one past the count of episode files when the show does not number them)."""
    numbered: list[tuple[int, int]] = []
    count = len(episode_files(folder))
    for _, mapping in front_matters(folder):
        values = {k: mapping[k].value for k in ("season", "episode") if k in mapping}
        if (number := whole(values.get("episode"))) is not None:
            numbered.append((whole(values.get("season")) or 0, number))
    if not numbered:
        return None, count + 1
    season = max(s for s, _ in numbered)
    return (season or None), max(n for s, n in numbered if s == season) + 1
