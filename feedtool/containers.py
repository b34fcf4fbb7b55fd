"""Truncation of M4A, FLAC and WAV files: less audio than their headers promise.

An upload or copy that breaks off keeps a file's header: mutagen reads the full
duration from an M4A's movie header, a FLAC STREAMINFO or a WAV's data chunk size,
while players stop where the bytes stop. Each function here compares what a header
promises with what the file holds, reading little: an M4A's chunk offsets (and the sizes
of the samples in its last chunk), a FLAC file's last frame header, a WAV's chunk list.
They take any seekable file (a local file, or HttpFile over byte ranges).

Each returns None where mutagen's length stands, or a `Measured` duration: what the file
holds, with why it is cut short.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class Measured:
    """A duration found otherwise than from mutagen's reading of the header, and how."""

    seconds: float
    note: str | None = None  # how the length was found instead (MP3-ESTIMATE)
    truncated: str | None = None  # the file holds less audio than its header promises: what it holds
    estimated: bool = False  # neither header nor count: an estimate (remote files too big to count)


Held = Measured | None


def slack(promised: float, unit: float) -> float:
    """How far short of a promise a file may fall: one frame, or 0.5 % (encoder slack)."""
    return max(unit, 0.005 * promised)


def cut_short(held: float, promised: float, about: bool = False) -> str:
    """What a truncated file holds, for a finding's message."""
    return (f"it holds {'about ' if about else ''}{held:.1f} s of audio, but its header promises {promised:.1f} s: "
            "the file was cut short (an upload or copy that broke off?)")


def _short(held: float, promised: float, unit: float) -> Held:
    if held < promised - slack(promised, unit):
        return Measured(held, truncated=cut_short(held, promised))
    return None


# -- M4A: the sample table ------------------------------------------------------------------


def mp4_held(handle: BinaryIO, atoms: object, size: int) -> Held:
    """The first sound track's samples whose bytes lie in the file (`atoms`: mutagen's tree)."""
    try:
        traks = list(atoms[b"moov"].findall(b"trak"))  # type: ignore[index]
    except KeyError:
        return None
    for trak in traks:
        try:
            ok, hdlr = trak[b"mdia", b"hdlr"].read(handle)
            if not ok or hdlr[8:12] != b"soun":
                continue
            stbl = trak[b"mdia", b"minf", b"stbl"]
            table = _SampleTable(handle, stbl, trak[b"mdia", b"mdhd"])
        except (KeyError, struct.error, ValueError):
            return None  # a fragmented file, or a table we cannot follow: mutagen's word stands
        return table.held(size, atoms)
    return None


def _data_offset(atom: object) -> int:
    return atom.offset + atom.length - atom.datalength  # type: ignore[attr-defined]


class _SampleTable:
    """The parts of an `stbl` that place samples in the file and in time."""

    def __init__(self, handle: BinaryIO, stbl: object, mdhd: object) -> None:
        self.handle = handle
        ok, head = mdhd.read(handle)  # type: ignore[attr-defined]
        self.timescale = struct.unpack(">I", head[20:24] if head[0] == 1 else head[12:16])[0]
        if not ok or not self.timescale:
            raise ValueError("no time scale")
        children = {child.name: child for child in stbl.children}  # type: ignore[attr-defined]
        chunks = children.get(b"stco") or children.get(b"co64")
        if chunks is None or b"stsz" not in children or b"stsc" not in children or b"stts" not in children:
            raise ValueError("not a plain sample table")
        wide = chunks.name == b"co64"
        data = self._read(chunks)
        count = struct.unpack(">I", data[4:8])[0]
        self.offsets = struct.unpack(f">{count}{'Q' if wide else 'I'}", data[8 : 8 + count * (8 if wide else 4)])
        data = self._read(children[b"stsc"])
        count = struct.unpack(">I", data[4:8])[0]
        self.runs = [struct.unpack(">III", data[8 + 12 * i : 20 + 12 * i]) for i in range(count)]
        data = self._read(children[b"stts"])
        count = struct.unpack(">I", data[4:8])[0]
        self.times = [struct.unpack(">II", data[8 + 8 * i : 16 + 8 * i]) for i in range(count)]
        self.stsz = children[b"stsz"]
        handle.seek(_data_offset(self.stsz) + 4)
        self.uniform, self.samples = struct.unpack(">II", handle.read(8))

    def _read(self, atom: object) -> bytes:
        ok, data = atom.read(self.handle)  # type: ignore[attr-defined]
        if not ok:
            raise ValueError("a sample table beyond the file")
        return data

    def _sizes(self, first: int, count: int) -> tuple[int, ...]:
        """The byte sizes of samples first..first+count-1."""
        if self.uniform:
            return (self.uniform,) * count
        self.handle.seek(_data_offset(self.stsz) + 12 + 4 * first)
        data = self.handle.read(4 * count)
        if len(data) < 4 * count:
            raise ValueError("a sample table beyond the file")
        return struct.unpack(f">{count}I", data)

    def _inside_whole_mdat(self, offset: int, size: int, atoms: object) -> bool:
        """Whether `offset` lies in a top-level `mdat` atom that ends within the file, by
        its declared size (an atom of size 0, "to the end of the file", tells nothing)."""
        for atom in atoms.atoms:  # type: ignore[attr-defined]
            if atom.name == b"mdat" and atom.offset <= offset < atom.offset + atom.length:
                self.handle.seek(atom.offset)
                return self.handle.read(4) != bytes(4) and atom.offset + atom.length <= size
        return False

    def _chunks(self) -> list[tuple[int, int, int]]:
        """(offset, first sample, sample count) of every chunk, from stsc's runs."""
        out, sample = [], 0
        for index, (first, per_chunk, _) in enumerate(self.runs):
            last = self.runs[index + 1][0] - 1 if index + 1 < len(self.runs) else len(self.offsets)
            for chunk in range(first, last + 1):
                if 1 <= chunk <= len(self.offsets):
                    out.append((self.offsets[chunk - 1], sample, per_chunk))
                    sample += per_chunk
        return out

    def _seconds(self, samples: int) -> float:
        ticks = 0
        for count, delta in self.times:
            take = min(count, samples)
            ticks += take * delta
            samples -= take
            if samples <= 0:
                break
        return ticks / self.timescale

    def held(self, size: int, atoms: object) -> Held:
        if not self.offsets or not self.samples:
            return None
        top = max(self.offsets)
        if self._inside_whole_mdat(top, size, atoms):
            return None  # the usual case, without reading the sample sizes (one chunk can hold them all)
        if top < size:  # only the chunk placed last can reach past the end
            chunks = self._chunks()
            last = max(chunks, key=lambda chunk: chunk[0])
            if top + sum(self._sizes(last[1], min(last[2], self.samples - last[1]))) <= size:
                return None
        else:
            chunks = self._chunks()
        whole = 0  # samples whose bytes are all in the file, in order until the first that is not
        for offset, first, count in sorted(chunks, key=lambda chunk: chunk[1]):
            count = min(count, self.samples - first)
            if count <= 0:
                break
            sizes = self._sizes(first, count) if offset < size else ()
            end = offset
            for sample_size in sizes:
                end += sample_size
                if end > size:
                    break
                whole += 1
            if whole < first + count:
                break
        promised = self._seconds(self.samples)
        unit = self._seconds(1)
        return _short(self._seconds(whole), promised, unit)


# -- FLAC: the last frame header ------------------------------------------------------------

_CRC8 = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc << 1) ^ 0x07 if _crc & 0x80 else _crc << 1
    _CRC8.append(_crc & 0xFF)

_FLAC_RATES = (0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000)
_FLAC_BITS = (0, 8, 12, 0, 16, 20, 24, 32)
FLAC_WINDOW = 256 * 1024  # where a STREAMINFO gives no largest frame size
_FLAC_SYNC = re.compile(b"\xff[\xf8\xf9]")


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def flac_frame(data: bytes, pos: int, info: object) -> tuple[int, int] | None:
    """(first sample, block size) of a FLAC frame header at pos that fits the stream `info`
    (mutagen's StreamInfo) and whose CRC-8 is right; None for anything else."""
    if len(data) < pos + 6 or data[pos] != 0xFF or data[pos + 1] & 0xFE != 0xF8:
        return None
    variable = data[pos + 1] & 1
    size_code, rate_code = data[pos + 2] >> 4, data[pos + 2] & 0x0F
    channels_code, bits_code = data[pos + 3] >> 4, (data[pos + 3] >> 1) & 7
    if size_code == 0 or rate_code == 15 or channels_code > 10 or bits_code == 3 or data[pos + 3] & 1:
        return None
    if (channels_code + 1 if channels_code < 8 else 2) != info.channels:  # type: ignore[attr-defined]
        return None
    if rate_code and rate_code < 12 and _FLAC_RATES[rate_code] != info.sample_rate:  # type: ignore[attr-defined]
        return None
    if bits_code and _FLAC_BITS[bits_code] != info.bits_per_sample:  # type: ignore[attr-defined]
        return None
    at = pos + 4
    lead = data[at]
    if lead == 0xFF:
        return None
    extra = next((n for n in range(7) if not lead & (0x80 >> n)), 7)  # leading ones: the number's length
    if extra == 1 or extra == 7 and not variable or extra > 7:
        return None
    number = lead & (0x7F >> extra) if extra else lead
    for index in range(1, extra):
        if len(data) <= at + index or data[at + index] & 0xC0 != 0x80:
            return None
        number = number << 6 | data[at + index] & 0x3F
    at += max(1, extra)
    if size_code == 1:
        block = 192
    elif size_code <= 5:
        block = 576 << (size_code - 2)
    elif size_code <= 7:
        width = size_code - 5
        block = int.from_bytes(data[at : at + width], "big") + 1
        at += width
    else:
        block = 256 << (size_code - 8)
    at += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if len(data) <= at or _crc8(data[pos:at]) != data[at]:
        return None
    first = number if variable else number * info.max_blocksize  # type: ignore[attr-defined]
    return first, block


def flac_held(handle: BinaryIO, info: object, end: int) -> Held:
    """A FLAC file's samples up to its last frame header, against STREAMINFO's total
    (`end`: where its audio ends, trailing tags excluded)."""
    total, rate = info.total_samples, info.sample_rate  # type: ignore[attr-defined]
    if not total or not rate:
        return None  # "unknown": nothing promised
    largest = info.max_framesize  # type: ignore[attr-defined]
    window = min(end, largest + 64 if 0 < largest < FLAC_WINDOW else FLAC_WINDOW)
    handle.seek(end - window)
    data = handle.read(window)
    reach = start = -1  # the furthest sample a frame header in the window reaches, and starts at
    for found in reversed(list(_FLAC_SYNC.finditer(data))):  # one pass (not rfind after rfind)
        frame = flac_frame(data, found.start(), info)
        if frame is not None and frame[0] + frame[1] <= total:  # (a header found by chance may reach beyond)
            if frame[0] + frame[1] >= total:
                return None  # the last frame is here
            reach, start = max(reach, frame[0] + frame[1]), max(start, frame[0])
    if reach < 0:
        return None  # no frame found near the end: nothing to say (mutagen's word stands)
    # the last frame found may be whole or cut: it counts as cut (at most one frame of difference)
    return _short(start / rate, total / rate, info.max_blocksize / rate)  # type: ignore[attr-defined]


# -- WAV: the data chunk ---------------------------------------------------------------------


def wav_held(handle: BinaryIO, info: object, size: int) -> Held:
    """The PCM bytes a WAV file holds, against its data chunk's declared size."""
    handle.seek(0)
    head = handle.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= size:
        handle.seek(pos)
        name, length = struct.unpack("<4sI", handle.read(8))
        if name == b"data":
            rate = info.sample_rate  # type: ignore[attr-defined]
            frame = info.channels * info.bits_per_sample // 8  # type: ignore[attr-defined]
            if not rate or not frame:
                return None
            held = max(0, min(length, size - pos - 8)) // frame
            if length == 0xFFFF_FFFF or head[4:8] == b"\xff\xff\xff\xff":
                return Measured(held / rate)  # written to a pipe: no size was known, the data runs to the end
            return _short(held / rate, length // frame / rate, 0.0)
        pos += 8 + length + (length & 1)
    return None
