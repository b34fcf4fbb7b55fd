"""Probing real audio files of every supported format."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.mp3 import MP3

from feedtool.probe import ProbeError, count_mp3_duration, mime_for, probe

from .conftest import AUDIO, DURATIONS

EXPECTED_MIME = {
    "chapters.mp3": "audio/mpeg",
    "chapters.m4a": "audio/x-m4a",
    "tone.mp3": "audio/mpeg",
    "tone.m4a": "audio/x-m4a",
    "tone.ogg": "audio/ogg",
    "tone.opus": "audio/ogg",
    "tone.flac": "audio/flac",
    "tone.wav": "audio/wav",
    "vbr-noxing.mp3": "audio/mpeg",
}


@pytest.mark.parametrize("name", sorted(DURATIONS))
def test_duration_length_and_type_of_every_format(name: str) -> None:
    result = probe(AUDIO / name)
    assert abs(result.info.duration - DURATIONS[name]) < 0.5
    assert result.info.length == (AUDIO / name).stat().st_size
    assert result.info.mime == EXPECTED_MIME[name]


def test_vbr_mp3_without_xing_header_is_counted_not_estimated() -> None:
    path = AUDIO / "vbr-noxing.mp3"
    # plain mutagen extrapolates from the first (silent, low-bitrate) frame: far off
    assert abs(MP3(path).info.length - DURATIONS["vbr-noxing.mp3"]) > 5
    result = probe(path)
    assert abs(result.info.duration - DURATIONS["vbr-noxing.mp3"]) < 0.5
    assert result.note and "counted the frames" in result.note


def test_frame_count_agrees_with_xing_header_on_a_cbr_file() -> None:
    info = MP3(AUDIO / "tone.mp3").info
    with open(AUDIO / "tone.mp3", "rb") as handle:
        assert abs(count_mp3_duration(handle, info.frame_offset) - info.length) < 0.1


def test_mp3_with_a_header_gets_no_note() -> None:
    assert probe(AUDIO / "tone.mp3").note is None


def test_mime_table_is_fixed_and_case_insensitive() -> None:
    assert mime_for("A.WAV") == "audio/wav"
    assert mime_for("https://cdn.example.com/x.m4a") == "audio/x-m4a"
    assert mime_for("x.txt") is None


@pytest.mark.parametrize(
    ("name", "rule", "words"),
    [
        ("not-audio.mp3", "AUDIO-UNREADABLE", "not a readable MP3"),
        ("fake.aac", "AUDIO-FORMAT", "wrap it in M4A"),
        ("missing.mp3", "AUDIO-UNREADABLE", "cannot read it"),
    ],
)
def test_unpublishable_files_say_why(name: str, rule: str, words: str) -> None:
    with pytest.raises(ProbeError) as caught:
        probe(AUDIO / name)
    assert caught.value.rule == rule
    assert words in str(caught.value)


def test_wrong_extension_is_not_audio(tmp_path: Path) -> None:
    disguised = tmp_path / "x.mp3"
    disguised.write_bytes((AUDIO / "tone.flac").read_bytes())
    with pytest.raises(ProbeError, match="wrong extension"):
        probe(disguised)


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="not a supported audio type"):
        probe(tmp_path / "x.mid")
