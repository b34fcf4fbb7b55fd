"""Probe stage: an audio file → its duration, byte length and MIME type.

MIME types come from one fixed table (the host's `mimetypes` differs between machines
and would make feeds differ). Durations come from mutagen, except for MP3s without a
Xing/VBRI header, where mutagen extrapolates from the first frame's bitrate and can be
off by minutes: for those we count the frames.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import mutagen
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, MPEGInfo
from mutagen.mp4 import MP4, MP4Chapters, MP4Info
from mutagen.mp4._atom import Atoms
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from . import containers
from .chapters import id3_chapters, mp4_chapters
from .containers import Measured
from .folder import name_prefix, split_name
from .model import Chapter, MediaInfo
from .mpeg import audio_end, file_reader, header_promise, judge, reader, walk_file

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# extension → (mutagen classes to try, MIME type written in the feed)
AUDIO_TYPES: dict[str, tuple[tuple[type[mutagen.FileType], ...], str]] = {
    ".mp3": ((MP3,), "audio/mpeg"),
    ".m4a": ((MP4,), "audio/x-m4a"),
    ".ogg": ((OggVorbis, OggOpus), "audio/ogg"),
    ".opus": ((OggOpus,), "audio/ogg"),
    ".flac": ((FLAC,), "audio/flac"),
    ".wav": ((WAVE,), "audio/wav"),
}
AUDIO_EXTENSIONS = frozenset(AUDIO_TYPES)

# Audio-like files we recognise but cannot publish, and what to do instead.
UNSUPPORTED_AUDIO = {
    ".aac": "raw AAC has no index to read its duration from; wrap it in M4A "
    "(ffmpeg -i in.aac -c copy out.m4a)",
    ".wma": "Windows Media Audio is not played by podcast apps; convert it to MP3 or M4A",
    ".aiff": "AIFF is not played by podcast apps; convert it to MP3 or M4A",
    ".aif": "AIFF is not played by podcast apps; convert it to MP3 or M4A",
}


class ProbeError(Exception):
    """Why an audio file cannot be published; `rule` names the finding."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Probe:
    """A probe's result, plus a note when the duration needed more than mutagen."""

    info: MediaInfo
    note: str | None = None
    chapters: tuple[Chapter, ...] = ()  # chapter marks embedded in the file
    sample: str = ""  # file_sample() of the bytes probed, for the cache
    stat: tuple[int, int] | None = None  # the file's size and mtime_ns when it was probed
    truncated: str | None = None  # the file holds less audio than its header promises: what it holds


SAMPLE_BYTES = 4 * 1024


def file_sample(path: Path) -> str:
    """A cheap fingerprint of a file's bytes: its size and its first and last 4 KiB.

    A fresh checkout (in CI) gives every file a new modification time; with this, the
    cache still recognises audio it probed before without reading it whole. CRC-32s
    (not a cryptographic hash: this tells edits apart, not attacks) cost a quarter of a
    BLAKE2 hash, which was a third of a probe's time. 4 KiB rather than 16: the CRCs of
    16 KiB were a sixth of an MP3's probe, and an edit that keeps a file's size and its
    first and last 4 KiB (where its tag's header and first frames, and its last frames,
    are) is not one an editor makes.
    """
    with open(path, "rb") as handle:
        return _sample_of(handle)


def _sample_of(handle: BinaryIO) -> str:
    """file_sample() of a file already open (the probe's handle)."""
    fd = handle.fileno()  # read past the buffered reader: one system call and one copy each
    size = os.fstat(fd).st_size
    first = zlib.crc32(os.pread(fd, SAMPLE_BYTES, 0))
    last = zlib.crc32(os.pread(fd, SAMPLE_BYTES, size - SAMPLE_BYTES if size > 2 * SAMPLE_BYTES else SAMPLE_BYTES))
    return f"{size}:{first:08x}:{last:08x}"


CODECS = {OggVorbis: "Vorbis", OggOpus: "Opus", FLAC: "FLAC", WAVE: "WAV"}


def mime_for(name: str) -> str | None:
    """The MIME type for a file name or URL path, from the fixed table."""
    entry = AUDIO_TYPES.get(os.path.splitext(name)[1].lower())
    return entry[1] if entry else None


def probe(path: Path | str) -> Probe:
    """Read an audio file's facts; raise ProbeError for anything that is not publishable."""
    name = os.path.basename(path)
    dot = name.rfind(".")
    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""  # as Path.suffix has it
    if suffix in UNSUPPORTED_AUDIO:
        raise ProbeError("AUDIO-FORMAT", f"{suffix} is not supported: {UNSUPPORTED_AUDIO[suffix]}")
    if suffix not in AUDIO_TYPES:
        known = ", ".join(sorted(AUDIO_TYPES))
        raise ProbeError("AUDIO-FORMAT", f"'{suffix or name}' is not a supported audio type ({known})")
    kinds, mime = AUDIO_TYPES[suffix]
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below; one open for every read of the file
    except OSError as exc:
        raise ProbeError("AUDIO-UNREADABLE", f"cannot read it: {exc.strerror}") from None
    with handle:
        return _probe_open(handle, suffix, kinds, mime)


def _probe_open(handle: BinaryIO, suffix: str, kinds: tuple[type[mutagen.FileType], ...], mime: str) -> Probe:
    """The probe of an open file: mutagen, the frame walk and the cache's sample share one
    handle (opening a file was a tenth of a probe's time)."""
    stat = os.fstat(handle.fileno())
    length = stat.st_size
    try:
        info, codec, chapters, measured = _read(handle, suffix, kinds, length)
        if isinstance(info, MPEGInfo):
            measured = _measure_mp3(handle, info, length)
    except Exception:  # noqa: BLE001 - mutagen and struct raise many kinds of errors on damaged files
        info = None
    if info is None:
        raise ProbeError(
            "AUDIO-UNREADABLE",
            f"not a readable {suffix[1:].upper()} audio file (is the file damaged, or named "
            "with the wrong extension?)",
        )
    duration = float(info.length or 0)
    note = truncated = None
    if measured is not None:  # what the file holds, where mutagen's length is wrong
        duration, note, truncated = measured.seconds, measured.note, measured.truncated
    if duration <= 0 and truncated:  # nothing to publish, even as it is
        raise ProbeError("AUDIO-TRUNCATED", f"{truncated}; export or upload the whole file again")
    if duration <= 0:
        raise ProbeError("AUDIO-UNREADABLE", "the audio has no length (an empty or damaged file?)")
    bitrate = round(length * 8 / duration)  # the average over the file, as podcast:alternateEnclosure wants
    return Probe(MediaInfo(duration, length, mime, bitrate, codec), note, chapters, _sample_of(handle),
                 (length, stat.st_mtime_ns), truncated)


def _measure_mp3(handle: BinaryIO, info: MPEGInfo, size: int) -> Measured:
    """An MP3's duration: its header's, checked against the bytes the file holds (see
    mpeg.judge); without a header, its frames counted up to where its audio ends."""
    end = audio_end(file_reader(handle), size)  # (positioned reads: the buffer keeps the first frame,
    promise = header_promise(reader(handle), info, size)  # which mutagen has just read)
    if promise is not None:
        return judge(info, promise, end, lambda start, stop: walk_file(handle, start, stop))
    stated = float(info.length or 0)
    walked = walk_file(handle, info.frame_offset, end)
    if not walked.frames:
        return Measured(stated)
    counted = walked.seconds
    if abs(counted - stated) < 0.5:
        return Measured(counted)
    return Measured(counted, f"no Xing/VBRI header, so its length is only estimated ({stated:.1f} s); "
                             f"counted the frames instead: {counted:.1f} s")


def _read(handle: BinaryIO, suffix: str, kinds: tuple[type[mutagen.FileType], ...],
          size: int) -> tuple[object, str, tuple, Measured | None]:
    """(mutagen stream info, codec name, embedded chapters, what the file holds where its
    header says otherwise: an M4A, FLAC or WAV file cut short; MP3s are measured apart).

    MP3 and M4A are read as stream information only: parsing their tags is most of
    mutagen's time (and cover art can be megabytes), so tags are parsed only when they
    hold chapters.
    """
    if suffix == ".mp3":
        info = MPEGInfo(handle)  # skips ID3 by its declared size
        handle.seek(0)
        header = handle.read(10)
        chapters: tuple = ()
        if header[:3] == b"ID3" and _id3_has_chapters(handle, header):
            handle.seek(0)
            chapters = id3_chapters(ID3(handle))
        return info, "MP3", chapters, None  # (measured by _measure_mp3)
    if suffix == ".m4a":
        atoms = Atoms(handle)
        info = MP4Info()
        info.load(atoms, handle)
        chapters = ()
        if MP4Chapters._can_load(atoms):  # a Nero `chpl` atom
            chapters = mp4_chapters(MP4Chapters(atoms, handle))
        return info, "AAC", chapters, containers.mp4_held(handle, atoms, size)
    for kind in kinds:
        handle.seek(0)
        try:
            audio = kind(handle)
        except mutagen.MutagenError:
            continue
        held = None
        if kind is FLAC:
            held = containers.flac_held(handle, audio.info, audio_end(file_reader(handle), size))
        elif kind is WAVE:
            held = containers.wav_held(handle, audio.info, size)
        return audio.info, CODECS[kind], (), held
    return None, "", (), None


def _syncsafe(four: bytes) -> int:
    return (four[0] & 0x7F) << 21 | (four[1] & 0x7F) << 14 | (four[2] & 0x7F) << 7 | four[3] & 0x7F


def _id3_has_chapters(handle: BinaryIO, header: bytes) -> bool:
    """Whether the ID3v2 tag whose 10-byte header was just read holds CHAP frames.

    Read from the frame headers, seeking past each frame's data: most episodes embed
    their cover art (hundreds of KB), and searching the whole tag took a third of an MP3's
    probe. A tag this walk cannot follow exactly to its end or to padding of zeros (ID3v2.2,
    unsynchronisation, an extended header, ID3v2.4 sizes written without syncsafe bytes,
    which can also land the walk inside a frame) is searched whole, as before.
    """
    version, flags, size = header[3], header[5], _syncsafe(header[6:10])
    if version in (3, 4) and not flags & 0xC0:
        pos, end = 10, 10 + size
        while pos + 10 <= end:
            handle.seek(pos)  # text frames come from the reader's buffer; cover art is skipped
            frame = handle.read(10)
            ident = frame[:4]
            if ident == b"CHAP":
                return True
            if ident == b"\0\0\0\0":  # padding, if zeros fill the rest of the tag: the end of the frames
                if not handle.read(end - pos - 10).strip(b"\0"):  # (a size misread lands on zeros in a frame)
                    return False
                break
            if len(frame) < 10 or not (ident.isalnum() and ident.isupper()) or (
                    version == 4 and (frame[4] | frame[5] | frame[6] | frame[7]) & 0x80):
                break  # not a frame where one should start: search the tag whole
            pos += 10 + (_syncsafe(frame[4:8]) if version == 4 else int.from_bytes(frame[4:8], "big"))
        else:
            if pos == end:
                return False
    handle.seek(10)
    return b"CHAP" in handle.read(size)


def _probe_in_worker(path: str) -> Probe | tuple[str, str]:
    """For the process pool: a Probe, or (rule, message) (exceptions with several
    arguments do not cross process boundaries cleanly)."""
    try:
        return probe(path)
    except ProbeError as exc:
        return exc.rule, str(exc)


SERIAL_BELOW = 48  # files: under this, starting a process pool costs more than it saves
CHUNK = 32  # files per task: small enough for the main process to take over the last ones


def _probe_chunk(paths: list[str]) -> list[Probe | tuple[str, str]]:
    return [_probe_in_worker(path) for path in paths]


class Probing:
    """Probes of local files, started now in a process pool and collected later, so that
    the main process can read the episodes meanwhile. When it comes to collect them, the
    main process probes the chunks no worker has started yet, from the end, rather than
    wait. Small batches run in-process."""

    def __init__(self, paths: Sequence[Path | str], jobs: int | None = None, background: bool = False) -> None:
        """`background`: the main process has other work meanwhile, so leave it one CPU.
        `paths` may be strings (a first build's 10,000 Path objects cost 0.03 s before
        the pool could start)."""
        self.paths = list(paths)
        jobs = jobs or os.cpu_count() or 1
        if background:
            jobs = max(1, jobs - 1)
        self.pool: ProcessPoolExecutor | None = None
        self.chunks: list[list[str]] = []
        self.futures: list[Future] = []
        if (jobs > 1 or background) and len(self.paths) >= SERIAL_BELOW:
            from concurrent.futures import ProcessPoolExecutor  # with multiprocessing: only when needed

            self.pool = ProcessPoolExecutor(max_workers=jobs, initializer=_die_with_parent, initargs=(os.getpid(),))
            _widen_pipes(self.pool)
            names = [str(path) for path in self.paths]
            self.chunks = [names[start:start + CHUNK] for start in range(0, len(names), CHUNK)]
            self.futures = [self.pool.submit(_probe_chunk, chunk) for chunk in self.chunks]

    def results(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Probe | ProbeError]:
        """Every probe, in order, by the path as a string. The pool stays up for more work
        until `close()`."""
        if self.pool is None:
            outcomes = []
            for done, path in enumerate(self.paths, 1):
                outcomes.append(_probe_in_worker(str(path)))
                if progress:
                    progress(done, len(self.paths))
        else:
            outcomes = self._collect(progress)
        return {str(path): ProbeError(*outcome) if isinstance(outcome, tuple) else outcome
                for path, outcome in zip(self.paths, outcomes, strict=True)}

    def _collect(self, progress: Callable[[int, int], None] | None) -> list:
        done: dict[int, list] = {}
        count = 0
        try:
            for index in reversed(range(len(self.futures))):  # what no worker has started: here
                if not self.futures[index].cancel():
                    break
                done[index] = _probe_chunk(self.chunks[index])
                count += len(done[index])
                if progress:
                    progress(count, len(self.paths))
            for index, future in enumerate(self.futures):
                if index not in done:
                    done[index] = future.result()
                    count += len(done[index])
                    if progress:
                        progress(count, len(self.paths))
        except BaseException:
            self.close()
            raise
        return [outcome for index in range(len(self.chunks)) for outcome in done[index]]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)  # on an error, what has not started is dropped
            self.pool = None


def _die_with_parent(parent: int) -> None:
    """In a pool's worker: end when the build's process ends, however it ends. A worker
    notices a parent that exits normally, but not one killed (SIGKILL, the OOM killer, a CI
    job cancelled): it would go on probing, or wait for work, for ever. Linux only
    (PR_SET_PDEATHSIG); elsewhere the worker keeps the standard library's behaviour."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


PIPE_BYTES = 1 << 20  # Linux's largest pipe for an unprivileged process, by default


def _widen_pipes(pool: ProcessPoolExecutor) -> None:
    """Give the pool's pipes room for a whole chunk's results (a chunk of rendered items is
    about 400 KB). A pipe holds 64 KB: the worker waited for the main process to read each
    64 KB, and the main process's reading thread first waits for its turn at the
    interpreter (up to 5 ms, while the main thread runs), so the worker lost about a tenth
    of its time sending. Linux only; elsewhere, or if refused, the pipes stay as they are."""
    try:
        import fcntl

        queues = (pool._result_queue._reader, pool._call_queue._writer)  # type: ignore[attr-defined]
        for connection in queues:
            fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, ImportError, OSError):
        pass


def start_probing_all(folder: Path, jobs: int | None) -> Probing | None:
    """Probing for a build whose cache knows no audio file: every audio file at the top of
    the folder, found by one directory read without a stat, started before the build's
    fingerprint and listing (their 20,000 stats at 10,000 episodes) and before the rest
    of the pipeline is imported (the worker imports what it needs when it needs it)."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries if split_name(entry.name)[1] in AUDIO_EXTENSIONS
                           and entry.is_file())
    except OSError:
        return None  # reported by whoever reads the folder next
    if len(names) < SERIAL_BELOW or jobs == 1:
        return None
    prefix = name_prefix(folder)
    return Probing([prefix + name for name in names], jobs, background=True)


def probe_many(paths: Sequence[Path | str], jobs: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Probe | ProbeError]:
    """Probe local files across processes (`jobs`, default: one per CPU); by path as a string."""
    probing = Probing(paths, jobs)
    try:
        return probing.results(progress)
    finally:
        probing.close()
