"""Durations of the files publishers really have, against what ffprobe decoded from them.

The files in fixtures/hard/ (made by fixtures/make_hard_audio.py) carry tags and junk
after their last frame, join parts of two sample rates, use MPEG-2 and 2.5 rates and CRC
-protected frames, or were cut short in half; expected.json holds the duration ffprobe
read from each (the sum of its packets) when they were made.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedtool.options import NetworkOptions
from feedtool.probe import ProbeError, probe
from feedtool.remote import SCAN_LIMIT, probe_url

from .conftest import AUDIO, episode
from .test_remote import BUDGET

HARD = Path(__file__).resolve().parent / "fixtures" / "hard"
EXPECTED: dict[str, dict] = json.loads((HARD / "expected.json").read_text())
TOLERANCE = 0.5  # seconds: what a listener notices, and more than encoder delay and padding


def test_the_fixtures_cover_every_case() -> None:
    names = set(EXPECTED)
    for part in ("id3v1-ascii", "id3v1-latin1", "apev2", "lyrics3", "junk-tail", "joined-44k-22k",
                 "joined-info", "mpeg25", "mpeg2-22k-crc", "big-apic", "short-16k", "layer2", "piped",
                 "xing-damaged"):
        assert any(part in name for name in names), part
    assert {name for name, facts in EXPECTED.items() if facts["cut"]} == {
        "cut-cbr-info.mp3", "cut-vbr-xing.mp3", "cut.flac", "cut.m4a", "cut.wav"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_local_durations_match_ffprobe(name: str) -> None:
    result = probe(HARD / name)
    assert abs(result.info.duration - EXPECTED[name]["ffprobe"]) < TOLERANCE
    assert bool(result.truncated) is EXPECTED[name]["cut"], result.truncated


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_remote_durations_match_ffprobe(http_server, name: str) -> None:
    shutil.copy(HARD / name, http_server.root / name)
    _, result = probe_url(f"{http_server.base}/{name}", NetworkOptions())
    assert abs(result.info.duration - EXPECTED[name]["ffprobe"]) < TOLERANCE
    assert bool(result.truncated) is EXPECTED[name]["cut"], result.truncated


def test_a_truncated_file_stops_the_build_and_says_how_to_accept_it(make_show, build) -> None:
    folder = make_show({"ep.md": episode("Cut"), "ep.m4a": HARD / "cut.m4a"})
    run = build(folder)
    assert run.exit_code == 1 and not run.feed.exists()
    (line,) = [x for x in run.lines() if x.startswith("error AUDIO-TRUNCATED")]
    assert f"{folder.as_posix()}/ep.md:1: audio {folder.as_posix()}/ep.m4a: it holds 3.7 s of audio" in line
    assert "promises 8.0 s" in line and "add 'duration: 4' to the front matter" in line
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("name", ["cut-cbr-info.mp3", "cut-vbr-xing.mp3", "cut.flac", "cut.wav"])
def test_every_kind_of_cut_file_is_refused(make_show, build, name: str) -> None:
    folder = make_show({"ep.md": episode("Cut"), f"ep{Path(name).suffix}": HARD / name})
    run = build(folder)
    assert run.exit_code == 1
    assert any(x.startswith("error AUDIO-TRUNCATED") for x in run.lines())


def test_a_duration_in_the_front_matter_accepts_a_cut_file(make_show, build) -> None:
    folder = make_show({"ep.md": episode("Cut", duration="4"), "ep.m4a": HARD / "cut.m4a"})
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    assert feedparser.parse(run.feed.read_bytes()).entries[0].itunes_duration == "4"


def test_a_remote_cut_file_is_refused_too(make_show, build, http_server) -> None:
    shutil.copy(HARD / "cut.flac", http_server.root / "a.flac")
    folder = make_show({"ep.md": episode("Cut", audio=f"{http_server.base}/a.flac")})
    run = build(folder)
    assert run.exit_code == 1
    (line,) = [x for x in run.lines() if x.startswith("error AUDIO-TRUNCATED")]
    assert f"audio {http_server.base}/a.flac: it holds " in line and "promises 6.0 s" in line


@pytest.mark.parametrize("name", ["short-16k-id3v1.mp3", "short-22k-vbr-junk.mp3", "id3v1-ascii-8k.mp3"])
def test_short_clips_with_a_trailer_are_published_with_their_length(make_show, build, name: str) -> None:
    folder = make_show({"ep.md": episode("Short"), "ep.mp3": HARD / name})
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    seconds = EXPECTED[name]["ffprobe"]
    assert abs(float(feedparser.parse(run.feed.read_bytes()).entries[0].itunes_duration) - seconds) < 1


def test_a_truncated_jpeg_cover_is_refused(make_show, build) -> None:
    folder = make_show({"ep.md": episode("E", image="cut-cover.jpg"), "ep.mp3": HARD / "junk-tail.mp3",
                        "cut-cover.jpg": HARD / "cut-cover.jpg"})
    run = build(folder)
    assert run.exit_code == 1
    (line,) = [x for x in run.lines() if x.startswith("error IMAGE-TYPE")]
    assert "cut-cover.jpg is damaged" in line and "truncated" in line


def _big_cbr_with_info(path: Path, copies: int) -> float:
    """tone.mp3's frames repeated past remote probing's scan limit, its Info header rewritten
    to count them; returns the seconds they hold."""
    from mutagen.mp3 import MP3

    from feedtool.mpeg import frame_at, walk

    source = AUDIO / "tone.mp3"
    data, start = source.read_bytes(), MP3(source).info.frame_offset
    size, samples, rate = frame_at(data, start)
    body = data[start + size :]
    frames = walk(data, start + size, len(data)).frames
    header = bytearray(data[start : start + size])
    at = header.find(b"Info")
    assert at > 0 and header[at + 7] & 3 == 3  # frames and bytes fields
    header[at + 8 : at + 16] = struct.pack(">II", frames * copies, size + len(body) * copies)
    path.write_bytes(data[:start] + bytes(header) + body * copies)
    return frames * copies * samples / rate


def test_a_big_remote_file_cut_short_is_found_from_its_length(make_show, build, http_server) -> None:
    """Over the scan limit, the Content-Length against the header's byte count tells: what it
    holds is in proportion, and the probe still reads only a few kilobytes."""
    whole = _big_cbr_with_info(http_server.root / "whole.mp3", 900)
    data = (http_server.root / "whole.mp3").read_bytes()
    assert len(data) // 2 > SCAN_LIMIT  # too big to count over HTTP, even cut
    (http_server.root / "cut.mp3").write_bytes(data[: len(data) // 2])
    _, result = probe_url(f"{http_server.base}/whole.mp3", NetworkOptions())
    assert abs(result.info.duration - whole) < 1 and not result.truncated and result.fetched < BUDGET
    _, result = probe_url(f"{http_server.base}/cut.mp3", NetworkOptions())
    assert abs(result.info.duration - whole / 2) < 2 and result.fetched < BUDGET
    assert result.truncated and f"it holds about {result.info.duration:.1f} s" in result.truncated


def test_a_big_remote_file_longer_than_its_header_is_an_estimate(make_show, build, http_server) -> None:
    _big_cbr_with_info(http_server.root / "long.mp3", 500)
    with open(http_server.root / "long.mp3", "ab") as handle:
        handle.write((AUDIO / "tone.mp3").read_bytes() * 50)  # another part joined after it
    folder = make_show({"ep.md": episode("Long", audio=f"{http_server.base}/long.mp3")})
    run = build(folder)
    assert run.exit_code == 0
    assert any(x.startswith("warning REMOTE-ESTIMATE") and "does not match the file's size" in x
               for x in run.lines())


PACKETS: dict[str, list[list[float]]] = json.loads((HARD / "packets.json").read_text())


@pytest.mark.parametrize("name", sorted(PACKETS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(share=st.floats(0.0, 1.0))
def test_a_file_cut_anywhere_holds_the_packets_ffprobe_found_before_the_cut(tmp_path: Path, name: str,
                                                                            share: float) -> None:
    """Cut a complete file at any byte: what feedtool says it holds is what ffprobe's packet
    table (recorded when the fixture was made) puts wholly before the cut, within a frame
    or two, and it is refused exactly when that falls short of the whole by more than
    the slack."""
    packets, data = PACKETS[name], (HARD / name).read_bytes()
    first = int(packets[0][0]) + 16  # (a cut inside the headers leaves no audio file at all)
    cut = first + round(share * (len(data) - first))
    held = sum(seconds for pos, size, seconds in packets if pos + size <= cut)
    whole = sum(seconds for _, _, seconds in packets)
    frame = max(seconds for _, _, seconds in packets)
    path = tmp_path / f"{cut}-{name}"
    path.write_bytes(data[:cut])
    try:
        result = probe(path)
    except ProbeError as exc:  # nothing of it can be played
        assert exc.rule == "AUDIO-TRUNCATED" and held < 2 * frame and "it holds 0.0 s" in str(exc)
        return
    if result.truncated:
        assert abs(result.info.duration - held) <= 2 * frame + 0.001
        assert held < whole - max(frame, 0.005 * whole) + 2 * frame
    else:
        assert held >= whole - max(frame, 0.005 * whole) - 2 * frame
        assert abs(result.info.duration - whole) < TOLERANCE

