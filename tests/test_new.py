"""`feedtool new`: an audio file → a draft episode file beside it, which then builds."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from mutagen.easyid3 import EasyID3
from mutagen.easymp4 import EasyMP4

from feedtool.load import default_guid, podcast_guid

from .conftest import AUDIO, SAMPLE
from .conftest import cli as run

NOW = "2026-11-27T09:30:00+00:00"


def sample(tmp_path: Path) -> Path:
    folder = tmp_path / "show"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_new_takes_title_date_and_chapters_from_the_tags(tmp_path: Path) -> None:
    folder = sample(tmp_path)
    audio = folder / "004-road.mp3"
    shutil.copy(AUDIO / "chapters.mp3", audio)
    tags = EasyID3(audio)
    tags["title"], tags["date"] = "The long road home", "2026-11-26"
    tags.save()
    result = run("new", str(audio), "--now", NOW)
    assert result.exit_code == 0, result.output
    text = (folder / "004-road.md").read_text()
    assert "title: The long road home\n" in text
    assert "date: '2026-11-26'\n" in text
    assert "season: 1\nepisode: 4\n" in text  # the sample show has season 1, episodes 1–3
    assert "- start: '00:00:00.000'\n  title: Opening\n- start: '00:00:01.500'\n  title: Middle\n" in text
    assert "url: https://example.com/middle" in text
    guid = default_guid(uuid.UUID(podcast_guid("https://example.com/podcast/feed.xml")), "004-road")
    assert f"guid: {guid}\n" in text
    assert "draft: true" in text

    # a draft is left out; without the draft line it is published, under that guid, even after a rename
    out = tmp_path / "out"
    assert run("build", "--episodes", str(folder), "--output", str(out), "--now", NOW).exit_code == 0
    assert "The long road home" not in (out / "feed.xml").read_text()
    (folder / "004-road.md").write_text(text.replace("draft: true  # remove this line to publish\n", ""))
    (folder / "004-road.md").rename(folder / "004-the-long-road-home.md")
    (folder / "004-road.mp3").rename(folder / "004-the-long-road-home.mp3")
    built = run("build", "--episodes", str(folder), "--output", str(out), "--now", NOW)
    assert built.exit_code == 0, built.output
    assert "warning NOTES-TEMPLATE" in built.stderr and "004-the-long-road-home.md:" in built.stderr
    feed = (out / "feed.xml").read_text()
    assert "The long road home" in feed and f'<guid isPermaLink="false">{guid}</guid>' in feed


def test_new_without_tags_uses_the_file_name_the_clock_and_title_option(tmp_path: Path) -> None:
    folder = sample(tmp_path)
    shutil.copy(AUDIO / "tone.m4a", folder / "010_bonus_interview.m4a")
    assert run("new", str(folder / "010_bonus_interview.m4a"), "--now", NOW).exit_code == 0
    text = (folder / "010_bonus_interview.md").read_text()
    assert "title: Bonus interview\n" in text and f"date: '{NOW}'\n" in text and "chapters" not in text

    shutil.copy(AUDIO / "tone.m4a", folder / "011.m4a")
    tags = EasyMP4(folder / "011.m4a")
    tags["title"] = "From the tag"
    tags.save()
    assert run("new", str(folder / "011.m4a"), "--title", "Given", "--now", NOW).exit_code == 0
    assert "title: Given\n" in (folder / "011.md").read_text()
    assert "episode: 5\n" in (folder / "011.md").read_text()  # after the new draft's 4


def test_new_refuses_to_overwrite_and_reports_bad_audio(tmp_path: Path) -> None:
    folder = sample(tmp_path)
    existing = folder / "001-deserters.md"
    before = existing.read_bytes()
    result = run("new", str(folder / "001-deserters.mp3"), "--now", NOW)
    assert result.exit_code == 1
    assert f"error NEW-EXISTS {existing.as_posix()}: already exists" in result.stderr
    assert existing.read_bytes() == before

    shutil.copy(AUDIO / "not-audio.mp3", folder / "005-broken.mp3")
    result = run("new", str(folder / "005-broken.mp3"), "--now", NOW)
    assert result.exit_code == 1 and "error AUDIO-UNREADABLE" in result.stderr
    assert not (folder / "005-broken.md").exists()

    shutil.copy(AUDIO.parent / "hard" / "cut-vbr-xing.mp3", folder / "006-cut.mp3")
    result = run("new", str(folder / "006-cut.mp3"), "--now", NOW)
    assert result.exit_code == 1 and not (folder / "006-cut.md").exists()
    assert f"error AUDIO-TRUNCATED {folder.as_posix()}/006-cut.mp3: it holds " in result.stderr

    (tmp_path / "loose.mp3").write_bytes((AUDIO / "tone.mp3").read_bytes())
    result = run("new", str(tmp_path / "loose.mp3"), "--now", NOW)
    assert result.exit_code == 1 and "error SHOW-MISSING" in result.stderr and "Traceback" not in result.output


def test_audio_in_a_subfolder_gets_its_episode_file_at_the_top(tmp_path: Path) -> None:
    folder = sample(tmp_path)
    (folder / "audio").mkdir(exist_ok=True)
    shutil.copy(AUDIO / "tone.mp3", folder / "audio" / "007-deep.mp3")
    result = run("new", str(folder / "audio" / "007-deep.mp3"), "--now", NOW)
    assert result.exit_code == 0, result.output
    text = (folder / "007-deep.md").read_text()
    assert "audio: audio/007-deep.mp3\n" in text and not (folder / "audio" / "007-deep.md").exists()
    (folder / "007-deep.md").write_text(text.replace("draft: true  # remove this line to publish\n", ""))
    built = run("build", "--episodes", str(folder), "--output", str(tmp_path / "out"), "--now", NOW)
    assert built.exit_code == 0, built.output
    assert "audio/007-deep.mp3" in (tmp_path / "out" / "feed.xml").read_text()

    outside = tmp_path / "elsewhere.mp3"
    shutil.copy(AUDIO / "tone.mp3", outside)
    result = run("new", str(outside), "--episodes", str(folder), "--now", NOW)
    assert result.exit_code == 1
    assert "error PATH-OUTSIDE" in result.stderr and "outside the show folder" in result.stderr
