"""MPEG audio (MP3): where the audio ends, how long it is, and whether its header lies.

mutagen reads an MP3's length from its Xing/Info/VBRI header, or estimates it from the
first frame's bitrate when there is none. feedtool checks and completes that here:

- `audio_end` finds where the frames end: tags appended after them (ID3v1, APEv2,
  Lyrics3, an ID3v2 footer tag) are not audio, and a frame walk that ran into them
  would count bytes of text as frames.
- `walk` counts the frames between two offsets the way a decoder keeps its sync, and
  sums *seconds* per sample rate (a file joined from parts of two rates is common).
- `header_promise` reads what a Xing/Info/VBRI header promises (frames and bytes), so
  that a file cut short in uploading, or longer than its header says, is noticed.

The same functions serve local files (an mmap) and remote ones (bytes read over HTTP).
"""

from __future__ import annotations

import mmap
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from .containers import Measured, cut_short, slack

# Frame header tables (ISO 11172-3, 13818-3): bitrates in kbit/s by (MPEG-1?, layer), rates in Hz.
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}

Reader = Callable[[int, int], bytes]  # (offset, count) → the bytes there (fewer at the end)


def frame_at(data: mmap.mmap | bytes, pos: int) -> tuple[int, int, int] | None:
    """(frame bytes, samples, sample rate) of a valid MPEG audio frame header at pos."""
    if pos + 4 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xE0 != 0xE0:
        return None
    b1, b2 = data[pos + 1], data[pos + 2]
    version = (b1 >> 3) & 3  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 = reserved
    layer = 4 - ((b1 >> 1) & 3)  # 4 = reserved
    bitrate_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if version == 1 or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4, 384, rate
    samples = 1152 if (layer == 2 or mpeg1) else 576
    return samples // 8 * bitrate // rate + padding, samples, rate


# -- where the audio ends ------------------------------------------------------------------

TAIL = 160  # bytes that hold every trailer's signature: ID3v1 (128), an APEv2 footer (32), Lyrics3's end (15)
LYRICS3V1_MAX = 5100 + 11 + 9  # its text, LYRICSBEGIN and LYRICSEND


def audio_end(read: Reader, size: int) -> int:
    """The offset where the audio ends: `size` less the tags appended after the frames.

    Tags stack (an APEv2 tag or Lyrics3 before an ID3v1 tag is how taggers write them),
    so they are peeled off one by one from the end. A signature whose size field does not
    fit is not a tag (and such bytes are left to the walk, which counts no frame there).
    """
    end = size
    for _ in range(8):  # more stacked tags than this are not written by any tagger
        tail = read(max(0, end - TAIL), min(end, TAIL))
        if len(tail) >= 128 and tail[-128:-125] == b"TAG":  # ID3v1, and an Enhanced TAG+ before it
            end -= 128
            if end >= 227 and read(end - 227, 4) == b"TAG+":
                end -= 227
            continue
        if len(tail) >= 32 and tail[-32:-24] == b"APETAGEX":  # an APEv1/v2 footer
            declared = int.from_bytes(tail[-20:-16], "little")  # items and footer
            flags = int.from_bytes(tail[-12:-8], "little")
            whole = declared + (32 if flags & 0x8000_0000 else 0)  # the header, if there is one
            if 32 <= declared and whole <= end:
                end -= whole
                continue
        if tail[-9:] == b"LYRICS200" and tail[-15:-9].isdigit():  # Lyrics3 v2: its size before the end
            start = end - 15 - int(tail[-15:-9])
            if start >= 0 and read(start, 11) == b"LYRICSBEGIN":
                end = start
                continue
        if tail[-9:] == b"LYRICSEND":  # Lyrics3 v1: no size, at most 5,100 bytes of text
            window_start = max(0, end - LYRICS3V1_MAX)
            begin = read(window_start, end - window_start).rfind(b"LYRICSBEGIN")
            if begin >= 0:
                end = window_start + begin
                continue
        if len(tail) >= 10 and tail[-10:-7] == b"3DI" and tail[-7] == 4:  # an ID3v2.4 tag with a footer
            footer = tail[-4:]
            whole = 20 + ((footer[0] & 0x7F) << 21 | (footer[1] & 0x7F) << 14 | (footer[2] & 0x7F) << 7
                          | footer[3] & 0x7F)
            if whole <= end:
                end -= whole
                continue
        break
    return end


def file_reader(handle: BinaryIO) -> Reader:
    """A Reader over a local file: positioned reads, which leave the file object's buffer as it is."""
    import os

    fd = handle.fileno()
    return lambda offset, count: os.pread(fd, count, offset)


def reader(handle: BinaryIO) -> Reader:
    """A Reader over a seekable file object (HttpFile's byte ranges)."""

    def read(offset: int, count: int) -> bytes:
        handle.seek(offset)
        return handle.read(count)

    return read


# -- the frame walk ------------------------------------------------------------------------


@dataclass(frozen=True)
class Walked:
    """What a walk counted: frames, and samples by sample rate."""

    frames: int
    samples: dict[int, int]

    @property
    def seconds(self) -> float:
        """Seconds per rate, added in a fixed order (rates of joined files each count as theirs)."""
        return sum(count / rate for rate, count in sorted(self.samples.items()))


_KINDS: dict[int, list[int]] = {}  # header kind → frame bytes by header bytes 2 and 3 (0: not of the kind)
_UNSEEN = (0, 0, 0)
_HEADERS: list[tuple[int, int, int] | None] = []  # frame facts by header bytes 2 and 3, filled as met


def kind_of(b1: int, b2: int) -> int:
    """What frames of one stream share: MPEG version, layer and sample rate (not the CRC bit,
    bitrate, padding or channel mode). A decoder keeps its sync only across frames of one kind."""
    return (b1 & 0xFE) << 8 | (b2 & 0x0C)


def _kind_lengths(kind: int) -> list[int]:
    """Frame lengths by header bytes 2 and 3 for valid headers of this kind, 0 for any other:
    the table of the walk's inner loop, built once per kind and process."""
    lengths = _KINDS.get(kind)
    if lengths is None:
        lengths = [0] * 65536
        for key in range(0xE000, 0x10000):  # the second byte's top three bits are sync
            if kind_of(key >> 8, key & 0xFF) == kind:
                facts = frame_at(bytes((0xFF, key >> 8, key & 0xFF, 0)), 0)
                if facts is not None:
                    lengths[key] = facts[0]
        _KINDS[kind] = lengths
    return lengths


def walk(data: mmap.mmap | bytes, start: int, end: int) -> Walked:
    """Count the MPEG frames in data[start:end] as a decoder does.

    The rules (tests/test_mpeg.py holds a plain one-frame-at-a-time version of them):
    a frame counts only if it lies wholly before `end`. Out of sync, a header starts a
    run only if the end of the region or a header of the same kind follows its frame
    (a stray 0xFFE bit pattern in junk or tag bytes is rarely followed by another); in
    sync, every following frame of that kind counts, the last one too, whatever comes
    after it. Anything else (junk, a frame of another kind) ends the run and the search
    for the next run starts there.

    A tenth of a show's files can need this walk over every frame, so its common case
    is an inner loop of a few operations per frame, frame lengths looked up by header
    bytes in a table per kind of frame.
    """
    end = min(end, len(data))
    if not _HEADERS:
        _HEADERS.extend([_UNSEEN] * 65536)
    headers, unseen = _HEADERS, _UNSEEN
    frames, samples = 0, {}
    pos = start
    while 0 <= pos < end:
        facts = None
        if pos + 4 <= end and data[pos] == 0xFF:
            key = data[pos + 1] << 8 | data[pos + 2]
            facts = headers[key]
            if facts is unseen:
                facts = headers[key] = frame_at(data, pos)
        if facts is not None and pos + facts[0] <= end:
            lengths = _kind_lengths(kind_of(data[pos + 1], data[pos + 2]))
            following = pos + facts[0]
            chained = following == end or (
                following + 4 <= end and data[following] == 0xFF
                and 0 < (size := lengths[data[following + 1] << 8 | data[following + 2]])
                and following + size <= end)
            if chained:  # a run: this frame and every one of its kind that follows and fits
                run, last = 1, end - 4
                pos = following
                while pos <= last and data[pos] == 0xFF:
                    size = lengths[data[pos + 1] << 8 | data[pos + 2]]
                    if not size or pos + size > end:
                        break
                    run += 1
                    pos += size
                frames += run
                samples[facts[2]] = samples.get(facts[2], 0) + run * facts[1]
                continue  # pos: the end, junk, or a header of another kind
        pos = data.find(b"\xff", pos + 1, end)
    return Walked(frames, samples)


def walk_file(handle: BinaryIO, start: int, end: int) -> Walked:
    """walk() over a local file, mapped rather than read."""
    try:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except ValueError:  # an empty file cannot be mapped
        return Walked(0, {})
    with data:
        return walk(data, start, end)


# -- what a VBR header promises -------------------------------------------------------------


@dataclass(frozen=True)
class Promise:
    """What a Xing/Info or VBRI header says of the stream after it (-1 where it says nothing)."""

    frames: int
    bytes: int  # from the header's own frame to the end of the audio
    header_bytes: int  # the header frame's size: it is not audio (decoders skip it)
    samples: int  # per frame
    rate: int


def header_promise(read: Reader, info: object, size: int) -> Promise | None:
    """The Xing/Info or VBRI header at mutagen's first frame (`info`: its MPEGInfo), if any,
    read as mutagen reads it (its XingHeader and VBRIHeader parse it again, with the LAME
    tag, for twice the time: tests/test_mpeg.py holds the two to the same answers)."""
    if info.layer != 3:  # type: ignore[attr-defined]
        return None  # (MPEG layer I and II files have no such header)
    start = info.frame_offset  # type: ignore[attr-defined]
    data = read(start, 160)  # the frame header, side information and every field either header has
    first = frame_at(data, 0)
    if first is None:
        return None
    mono = info.mode == 3  # type: ignore[attr-defined]
    at = (21 if mono else 36) if info.version == 1 else (13 if mono else 21)  # type: ignore[attr-defined]
    if data[at : at + 4] in (b"Xing", b"Info") and len(data) >= at + 8:
        flags = int.from_bytes(data[at + 4 : at + 8], "big")
        fields = 4 * bool(flags & 1) + 4 * bool(flags & 2) + 100 * bool(flags & 4) + 4 * bool(flags & 8)
        if start + at + 8 + fields <= size:  # frames, bytes, TOC, scale (mutagen refuses a header cut short)
            frames = int.from_bytes(data[at + 8 : at + 12], "big") if flags & 1 else -1
            pos = at + 12 if flags & 1 else at + 8
            count = int.from_bytes(data[pos : pos + 4], "big") if flags & 2 else -1
            return Promise(frames, count, *first)
    if data[36:40] == b"VBRI" and len(data) >= 62 and data[40:42] == b"\0\1" and data[58:60] in (b"\0\2", b"\0\4"):
        table = int.from_bytes(data[54:56], "big") * data[59]  # entries of 2 or 4 bytes
        if start + 62 + table <= size:
            return Promise(int.from_bytes(data[50:54], "big"), int.from_bytes(data[46:50], "big"), *first)
    return None


Walker = Callable[[int, int], "Walked | None"]  # walk(start, end) of the file, None where too costly


def judge(info: object, promise: Promise, end: int, walker: Walker) -> Measured:
    """The duration of an MP3 with a Xing/Info/VBRI header, checked against the bytes the
    file holds (`end`: where its audio ends). The byte count is compared first, without a
    walk (the common case: all there, and no more); a file shorter than promised is walked
    to tell what it holds, one longer (parts joined after the header was written) to count
    them all. Where a walk is too costly, the bytes tell in proportion."""
    stated: float | None = float(info.length)  # type: ignore[attr-defined]
    start = info.frame_offset  # type: ignore[attr-defined]
    frame_seconds = promise.samples / promise.rate
    promised = promise.frames * frame_seconds if promise.frames > 0 else None
    counted_bytes = promise.bytes - promise.header_bytes  # the audio bytes the header counts
    if promised and promise.bytes > 0 and not 4_000 <= promise.bytes * 8 / promised <= 640_000:
        promised = stated = None  # bytes and frames that no MPEG bitrate joins: a damaged header
    if promise.bytes > 0 and stated is not None:
        frame_bytes = promise.bytes / promise.frames if promise.frames > 0 else promise.header_bytes
        if abs(end - (start + promise.bytes)) <= slack(promise.bytes, frame_bytes):
            return Measured(stated)
    audio = max(0, end - start - promise.header_bytes)  # the audio bytes the file holds
    walked = walker(start + promise.header_bytes, end)
    if walked is None:
        if stated is None:  # at the first frame's bitrate
            return Measured(audio / promise.header_bytes * frame_seconds, estimated=True)
        if counted_bytes <= 0:
            return Measured(stated)  # nothing to compare the file with
        if audio >= counted_bytes:
            return Measured(stated, estimated=True)  # longer than its header says, and not counted
        promised = promised or stated
        held = promised * audio / counted_bytes
        if held < promised - slack(promised, frame_seconds):
            return Measured(held, truncated=cut_short(held, promised, about=True))
        return Measured(stated)
    held = walked.seconds
    if promised is None and 0 < audio < counted_bytes:
        promised = held * counted_bytes / audio  # what its bytes would hold
    if promised is not None and held < promised - slack(promised, frame_seconds):
        return Measured(held, truncated=cut_short(held, promised))
    if stated is not None and abs(held - stated) < 0.5:
        return Measured(stated)
    if stated is None:
        return Measured(held, note=f"its Xing/VBRI header is damaged: counted the frames instead ({held:.1f} s)")
    return Measured(held, note=f"its Xing/VBRI header says {stated:.1f} s, but its frames last {held:.1f} s "
                               "(parts joined after the header was written?): counted the frames")
