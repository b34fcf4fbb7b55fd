"""Probe remote audio and artwork over HTTP, reading as few bytes as possible.

Only stream information is read: tag blocks (ID3, FLAC pictures, MP4 metadata) are
skipped by their declared sizes, because embedded cover art alone can be megabytes.
Results are cached by URL + ETag/Last-Modified/length in the build cache (never in
output/), so an unchanged file is not read again.
"""

from __future__ import annotations

import json
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from urllib.parse import urlsplit

from mutagen.flac import StreamInfo as FlacStreamInfo
from mutagen.mp3 import BitrateMode, MPEGInfo
from mutagen.mp4 import MP4Info
from mutagen.mp4._atom import Atoms
from mutagen.wave import WaveStreamInfo

from . import containers
from .cache import BuildCache
from .containers import Measured
from .http import BLOCK, Head, HttpFile, RemoteError, head
from .model import MediaInfo
from .mpeg import Walked, audio_end, frame_at, header_promise, judge, reader, walk
from .options import NetworkOptions
from .probe import mime_for

SCAN_LIMIT = 8 * 1024 * 1024  # bytes we may read to count the frames of a VBR MP3 without header
WORKERS = 8


@dataclass(frozen=True)
class RemoteProbe:
    """A remote file's facts, how many bytes it cost, and a note on how the duration was found."""

    info: MediaInfo
    fetched: int
    final_url: str
    note: str | None = None  # "scanned" (info) or "estimate" (warning)
    estimated: bool = False
    truncated: str | None = None  # the file holds less audio than its header promises: what it holds


def _streaminfo(handle: HttpFile, suffix: str) -> tuple[float, str, object, Measured | None]:
    """(duration, codec, mutagen info, what the file holds where its header says otherwise)
    from stream headers, and the few bytes that tell truncation (MP3s: see _mp3)."""
    handle.seek(0)
    if suffix == ".mp3":
        info = MPEGInfo(handle)
        return info.length, "MP3", info, None  # (checked by _mp3)
    if suffix == ".m4a":
        atoms = Atoms(handle)
        info = MP4Info()
        info.load(atoms, handle)
        return info.length, "AAC", info, containers.mp4_held(handle, atoms, handle.size)
    if suffix in (".ogg", ".opus"):
        return (*_ogg(handle), None)
    if suffix == ".flac":
        head_bytes = handle.read(10)
        if head_bytes[:3] == b"ID3":  # rare, but allowed: skip the tag by its declared size
            size = ((head_bytes[6] & 0x7F) << 21) | ((head_bytes[7] & 0x7F) << 14)
            size |= ((head_bytes[8] & 0x7F) << 7) | (head_bytes[9] & 0x7F)
            handle.seek(10 + size)
        else:
            handle.seek(0)
        if handle.read(4) != b"fLaC":
            raise RemoteError("AUDIO-UNREADABLE", "not FLAC audio")
        block_type, length = handle.read(1)[0] & 0x7F, struct.unpack(">I", b"\0" + handle.read(3))[0]
        if block_type != 0:
            raise RemoteError("AUDIO-UNREADABLE", "the FLAC file does not start with its STREAMINFO block")
        info = FlacStreamInfo(handle.read(length))
        return info.length, "FLAC", info, containers.flac_held(handle, info, audio_end(reader(handle), handle.size))
    if suffix == ".wav":
        info = WaveStreamInfo(handle)
        return info.length, "WAV", info, containers.wav_held(handle, info, handle.size)
    raise RemoteError("AUDIO-FORMAT", f"'{suffix}' is not a supported audio type")


def _ogg(handle: HttpFile) -> tuple[float, str, None]:
    """Ogg Vorbis or Opus: the rate from the first page, the length from the last page's granule.

    mutagen's own last-page search reads the final 64 KiB; the last page is usually
    in the final few KiB, so look there first.
    """
    header = handle.read(27 + 255 + 64)
    if header[:4] != b"OggS":
        raise RemoteError("AUDIO-UNREADABLE", "not Ogg audio")
    serial = header[14:18]
    packet = header[27 + header[26] :]
    if packet.startswith(b"\x01vorbis"):
        codec, rate, skip = "Vorbis", struct.unpack("<I", packet[12:16])[0], 0
    elif packet.startswith(b"OpusHead"):
        codec, rate, skip = "Opus", 48000, struct.unpack("<H", packet[10:12])[0]
    else:
        raise RemoteError("AUDIO-UNREADABLE", "an Ogg stream that is neither Vorbis nor Opus")
    for window in (BLOCK, 70_000):  # the last page is usually small; a page is at most 65,307 bytes
        handle.seek(max(0, handle.size - window))
        tail = handle.read()
        end = len(tail)
        while (index := tail.rfind(b"OggS", 0, end)) >= 0:
            granule = struct.unpack("<q", tail[index + 6 : index + 14])[0] if index + 18 <= len(tail) else -1
            if tail[index + 14 : index + 18] == serial and granule >= 0:
                return max(0.0, (granule - skip) / rate), codec, None
            end = index
    raise RemoteError("AUDIO-UNREADABLE", "no final Ogg page found")


def _sample_bitrates(handle: HttpFile, info: MPEGInfo) -> tuple[bool, float]:
    """Sample frames at a few places: (all at the first frame's bitrate, their mean bitrate).

    A CBR file without header has one bitrate throughout; for a VBR one, the mean of
    the samples gives a far better estimate than the first frame alone.
    """
    rates: list[float] = []
    for fraction in (0.23, 0.41, 0.58, 0.77, 0.93):  # irregular, so no periodic structure hides a change
        at = int(info.frame_offset + (handle.size - info.frame_offset) * fraction)
        handle.seek(at - at % BLOCK)  # one whole block: a window across two blocks would cost both
        window = handle.read(BLOCK)
        pos = next((p for p in range(len(window) - 4) if _chained(window, p)), None)
        while pos is not None and pos + 4 <= len(window):  # every whole frame in the window
            frame = frame_at(window, pos)
            if frame is None or pos + frame[0] > len(window):
                break
            rates.append(frame[0] * 8 * frame[2] / frame[1])  # bytes per frame → bits per second
            pos += frame[0]
    if not rates:
        return True, float(info.bitrate)
    same = all(abs(rate - info.bitrate) <= 0.02 * info.bitrate for rate in rates)
    return same, sum(rates) / len(rates)


def _chained(data: bytes, pos: int) -> bool:
    """A frame header at pos that the next frame header follows (not a chance 0xFFE pattern)."""
    frame = frame_at(data, pos)
    return bool(frame) and pos + frame[0] + 4 <= len(data) and frame_at(data, pos + frame[0]) is not None


def _walk(handle: HttpFile, start: int, end: int) -> Walked:
    """Count every MPEG frame over HTTP, reading the file up to `end` (mpeg.walk)."""
    handle.seek(0)
    return walk(handle.read(end), start, end)


def _mp3(handle: HttpFile, info: MPEGInfo) -> Measured | None:
    """A remote MP3's duration where mutagen's is not the one to publish: its header checked
    against the file's length as the server gives it, with one range read of its tail for
    the tags after its audio; without a header, its frames counted (up to SCAN_LIMIT) or
    estimated."""
    read = reader(handle)
    end = audio_end(read, handle.size)
    small = handle.size <= SCAN_LIMIT
    promise = header_promise(read, info, handle.size)
    if promise is not None:
        measured = judge(info, promise, end, lambda start, stop: _walk(handle, start, stop) if small else None)
        if measured.estimated:  # longer than its header says, and too big to count over HTTP
            return replace(measured, note=(f"its header's length ({info.length:.0f} s) does not match the "
                                           f"file's size, and it is over {SCAN_LIMIT // 2**20} MiB to count its "
                                           "frames: add 'duration:' to the front matter"))
        return measured
    if info.bitrate_mode is not BitrateMode.UNKNOWN:
        return None
    constant, mean_rate = _sample_bitrates(handle, info)
    if constant:
        return Measured((end - info.frame_offset) * 8 / info.bitrate)
    if small:
        return Measured(_walk(handle, info.frame_offset, end).seconds,
                        f"VBR MP3 without Xing/VBRI header: read all {handle.size} bytes to count its frames")
    duration = (end - info.frame_offset) * 8 / mean_rate
    return Measured(duration, (f"VBR MP3 without Xing/VBRI header and over {SCAN_LIMIT // 2**20} MiB: its "
                               f"duration ({duration:.0f} s, from the bitrate of sampled frames) is an estimate; add "
                               "'duration:' to the front matter, or re-encode it with a Xing header"), estimated=True)


def probe_url(url: str, options: NetworkOptions, known: Head | None = None) -> tuple[Head, RemoteProbe]:
    """HEAD the URL, then read the stream information through byte ranges."""
    facts = known or head(url, options)
    path = urlsplit(url).path
    suffix = os.path.splitext(path)[1].lower()
    mime = mime_for(path)
    if mime is None:
        raise RemoteError("AUDIO-FORMAT", f"cannot tell the audio type from its extension '{suffix}'")
    if not facts.length:
        raise RemoteError("REMOTE-LENGTH", "the server sends no Content-Length, so the file size is unknown")
    handle = HttpFile(facts.url, facts.length, options)
    try:
        duration, codec, info, measured = _streaminfo(handle, suffix)
        if isinstance(info, MPEGInfo):
            measured = _mp3(handle, info)
        note, estimated, truncated = None, False, None
        if measured is not None:  # what the file holds, where mutagen's length is wrong
            duration, note, estimated, truncated = (measured.seconds, measured.note, measured.estimated,
                                                    measured.truncated)
    except RemoteError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure of remote bytes is "not audio"
        raise RemoteError("AUDIO-UNREADABLE", f"not readable {suffix[1:].upper()} audio ({exc})") from None
    if duration <= 0 and truncated:  # nothing to publish, even as it is
        raise RemoteError("AUDIO-TRUNCATED", f"{truncated}; upload the whole file again")
    if duration <= 0:
        raise RemoteError("AUDIO-UNREADABLE", "the audio has no length")
    bitrate = round(facts.length * 8 / duration)
    media = MediaInfo(duration, facts.length, mime, bitrate, codec)
    return facts, RemoteProbe(media, handle.fetched, facts.url, note, estimated, truncated)


class RemoteCache:
    """Remote probe results by URL, valid while ETag, Last-Modified and length are the same.

    Kept in the build cache's `remote` table; read and written from the main thread only
    (SQLite connections stay in their thread), the probes run in between.
    """

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self.entries: dict[str, dict] = {}
        self.changed: dict[str, dict] = {}

    def load(self, urls: list[str]) -> None:
        for url in urls:
            raw = self.cache.get(f"remote:{url}")
            if raw:
                try:
                    self.entries[url] = json.loads(raw)
                except ValueError:
                    pass

    def get(self, url: str, facts: Head) -> RemoteProbe | None:
        entry = self.entries.get(url)
        if not (facts.etag or facts.last_modified):
            return None  # nothing tells a replaced file of the same size apart: probe again
        try:
            if not entry or (facts.etag, facts.last_modified, facts.length) != tuple(entry["key"]):
                return None
            return RemoteProbe(MediaInfo(**entry["info"]), 0, entry["final_url"], entry["note"], entry["estimated"],
                               entry["truncated"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # a damaged entry is only a slower build

    def known(self, url: str) -> RemoteProbe | None:
        """What the cache knows of a URL, whatever the server would answer now (--offline)."""
        entry = self.entries.get(url)
        try:
            return RemoteProbe(MediaInfo(**entry["info"]), 0, entry["final_url"], entry["note"], entry["estimated"],
                               entry["truncated"]) if entry else None
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def put(self, url: str, facts: Head, result: RemoteProbe) -> None:
        self.changed[url] = {"key": [facts.etag, facts.last_modified, facts.length], "info": asdict(result.info),
                             "final_url": result.final_url, "note": result.note, "estimated": result.estimated,
                             "truncated": result.truncated}

    def save(self) -> None:
        for url, entry in sorted(self.changed.items()):
            self.cache.set(f"remote:{url}", json.dumps(entry, sort_keys=True))


def probe_all(urls: list[str], options: NetworkOptions, cache: RemoteCache,
              refresh: bool = False) -> dict[str, RemoteProbe | RemoteError]:
    """Probe URLs concurrently (a bounded pool); each result is a probe or the error it met."""

    def one(url: str) -> RemoteProbe | RemoteError:
        if options.offline:
            return cache.known(url) or RemoteError(
                "REMOTE-OFFLINE", "its duration and length are not in the cache, and --offline fetches nothing: "
                "build online once, or give 'duration:' and 'length:' in the front matter")
        try:
            facts = head(url, options)
            cached = None if refresh else cache.get(url, facts)
            if cached is not None:
                return cached
            facts, result = probe_url(url, options, facts)
            cache.put(url, facts, result)
            return result
        except RemoteError as exc:
            return exc

    unique = sorted(set(urls))
    cache.load(unique)
    with ThreadPoolExecutor(max_workers=min(WORKERS, max(1, len(unique)))) as pool:
        results = dict(zip(unique, pool.map(one, unique), strict=True))
    cache.save()
    return results
