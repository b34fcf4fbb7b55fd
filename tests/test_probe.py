"""Probing real audio files of every supported format."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from mutagen.mp3 import MP3

from feedtool.mpeg import file_reader, header_promise, walk_file
from feedtool.probe import ProbeError, _id3_has_chapters, mime_for, probe

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
        promise = header_promise(file_reader(handle), info, (AUDIO / "tone.mp3").stat().st_size)
        assert promise is not None and promise.frames > 0
        counted = walk_file(handle, info.frame_offset + promise.header_bytes, (AUDIO / "tone.mp3").stat().st_size)
        assert counted.frames == promise.frames  # the Info frame itself is not audio
        assert abs(counted.seconds - info.length) < 0.1


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


@pytest.mark.parametrize("version", [3, 4])
@pytest.mark.parametrize("art", [False, True])
@pytest.mark.parametrize("chapters", [False, True])
def test_chapters_are_found_behind_cover_art_in_either_id3_version(
        tmp_path: Path, version: int, art: bool, chapters: bool) -> None:
    from mutagen.id3 import APIC, CHAP, ID3, TIT2

    path = tmp_path / "episode.mp3"
    path.write_bytes((AUDIO / "tone.mp3").read_bytes())
    tags = ID3()
    tags.add(TIT2(encoding=3, text="An episode"))
    if art:  # before the chapters, as a tag's frames often are; bigger than any read the probe makes
        tags.add(APIC(encoding=3, mime="image/png", type=3, desc="", data=random.Random(1).randbytes(300_000)))
    if chapters:
        tags.add(CHAP(element_id="ch0", start_time=0, end_time=1000, sub_frames=[TIT2(text=["Opening"])]))
    tags.save(path, v2_version=version)
    result = probe(path)
    assert [c.title for c in result.chapters] == (["Opening"] if chapters else [])
    with open(path, "rb") as handle:
        assert _id3_has_chapters(handle, handle.read(10)) is chapters


@pytest.mark.parametrize("before", [
    b"APIC" + (200).to_bytes(4, "big") + b"\0\0" + bytes(200),  # 200 = 0xC8: a size byte no syncsafe one has
    b"PRIV" + (323).to_bytes(4, "big") + b"\0\0" + b"WM/Id\0" + bytes(317),  # 323 = 01 43: read syncsafe, 195
])
def test_an_id3v24_tag_with_plain_frame_sizes_is_searched_whole(tmp_path: Path, before: bytes) -> None:
    """Some writers put ID3v2.3's plain sizes into v2.4 tags; walking those by syncsafe
    sizes lands inside a frame (here on zeros, which look like padding) and must not
    miss the chapters."""
    frames = before + b"CHAP" + (10).to_bytes(4, "big") + b"\0\0" + bytes(10)
    tag = b"ID3\x04\x00\x00" + bytes((0, (len(frames) >> 14) & 0x7F, (len(frames) >> 7) & 0x7F, len(frames) & 0x7F))
    (tmp_path / "plain-sizes.mp3").write_bytes(tag + frames + b"\xff\xfb\x90\x00")
    with open(tmp_path / "plain-sizes.mp3", "rb") as handle:
        assert _id3_has_chapters(handle, handle.read(10)) is True


@pytest.mark.parametrize("as_string", [False, True])
def test_the_type_comes_from_the_extension_as_path_suffix_has_it(tmp_path: Path, as_string: bool) -> None:
    """Given as a Path or as a string: "..mp3" is an MP3; "ep." has no extension, and the
    message names the file."""
    dots = tmp_path / "..mp3"
    dots.write_bytes((AUDIO / "tone.mp3").read_bytes())
    assert probe(str(dots) if as_string else dots).info.mime == "audio/mpeg"
    bare = tmp_path / "ep."
    bare.write_bytes((AUDIO / "tone.mp3").read_bytes())
    with pytest.raises(ProbeError, match="^'ep.' is not a supported audio type"):
        probe(str(bare) if as_string else bare)


def test_the_pools_pipes_hold_a_chunks_results() -> None:
    """A chunk of rendered items is about 400 KB: with Linux's default 64 KB pipe, the worker
    waited for the main process to read every 64 KB (see probe._widen_pipes)."""
    import fcntl
    from concurrent.futures import ProcessPoolExecutor

    from feedtool.probe import PIPE_BYTES, _widen_pipes

    pool = ProcessPoolExecutor(max_workers=1)
    try:
        _widen_pipes(pool)
        for connection in (pool._result_queue._reader, pool._call_queue._writer):
            assert fcntl.fcntl(connection.fileno(), fcntl.F_GETPIPE_SZ) >= PIPE_BYTES
        assert pool.submit(len, "x" * 500_000).result() == 500_000
    finally:
        pool.shutdown()
