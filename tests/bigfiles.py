"""Large (> 10 MB) audio files for the remote-probe byte budget, made from the small fixtures.

Each is a valid file of its format whose bulk is something a prober must skip: cover
art in the tags (MP3, FLAC, Ogg, Opus), a `free` atom before a trailing `moov` (M4A),
or plain samples (WAV).
"""

from __future__ import annotations

import shutil
import struct
import wave
from pathlib import Path

from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

BULK = 11 * 1024 * 1024


def _picture_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(BULK)


def make_big_files(source: Path, target: Path) -> dict[str, Path]:
    """Write the big files into `target`; returns name → path."""
    target.mkdir(parents=True, exist_ok=True)
    made = {}

    mp3 = target / "big-cover.mp3"
    shutil.copy(source / "tone.mp3", mp3)
    tags = ID3()
    tags.add(APIC(mime="image/png", type=3, desc="cover", data=_picture_bytes()))
    tags.save(mp3)
    made[mp3.name] = mp3

    m4a = target / "big-moov-at-end.m4a"
    data = (source / "tone.m4a").read_bytes()
    pos = 0
    while pos < len(data):  # find the top-level moov atom and put a big `free` atom before it
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"moov":
            break
        pos += size
    assert pos < len(data) and pos > 0, "tone.m4a must have its moov atom after mdat"
    free = struct.pack(">I4s", BULK + 8, b"free") + bytes(BULK)
    m4a.write_bytes(data[:pos] + free + data[pos:])
    made[m4a.name] = m4a

    for name, kind in (("big-cover.ogg", OggVorbis), ("big-cover.opus", OggOpus)):
        path = target / name
        shutil.copy(source / ("tone" + Path(name).suffix), path)
        audio = kind(path)
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, "image/png", _picture_bytes()
        import base64

        audio["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
        audio.save()
        made[name] = path

    flac = target / "big-cover.flac"
    shutil.copy(source / "tone.flac", flac)
    audio = FLAC(flac)
    picture = Picture()
    picture.type, picture.mime, picture.data = 3, "image/png", _picture_bytes()
    audio.add_picture(picture)
    audio.save()
    made[flac.name] = flac

    wav = target / "big.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(BULK))
    made[wav.name] = wav

    vbr = target / "big-vbr-noxing.mp3"  # the VBR file without header, repeated past the scan limit
    vbr.write_bytes((source / "vbr-noxing.mp3").read_bytes() * 250)
    made[vbr.name] = vbr
    return made
