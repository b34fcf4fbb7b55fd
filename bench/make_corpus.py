#!/usr/bin/env python3
"""Generate a deterministic benchmark show of N episodes with real, distinct audio files.

A few dozen base clips are encoded once with ffmpeg/lame (kept in bench/.corpus/base/);
every episode's file is then derived in Python: MP3s are cut to a length by whole
frames (their Xing header rewritten to match; about 10 % are VBR without any header,
the case that needs a frame count), Ogg, Opus, FLAC and M4A files are retagged copies
of base clips of many lengths, WAVs are written directly. Like a real show's files, every
MP3 and M4A carries the tags podcast hosts write (title, artist, album, date, genre,
track, a comment with the notes) and half of them the show's cover (184 KB); Ogg, Opus
and FLAC files carry the same text tags. About a tenth of the MP3s carry what taggers and
uploads leave after the last frame (an ID3v1 tag, in Latin-1 too, an APEv2 tag, a few
junk bytes), and a few are joined from an intro at 44.1 kHz and a body at 22.05 kHz.

Each file's true duration, the sum of the durations of the packets ffprobe reads from it
(what a player decodes), is recorded in truth.json beside the show. Needs ffmpeg, ffprobe
and lame (Debian packages).

Usage: python bench/make_corpus.py N [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from multiprocessing import Pool
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE / ".corpus" / "base"
FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
VERSION = 3  # 3: trailers, joined files, ffprobe's truth; 2: tags and cover art like a real show's files
RATE = 22050
BASE_SECONDS = (2, 3, 5, 8, 12, 17, 23, 30, 38, 45, 52, 60)
# share of each format in the corpus (MP3 dominates real shows)
MIX = [("mp3", 0.55), ("vbr", 0.10), ("m4a", 0.15), ("ogg", 0.05), ("opus", 0.05), ("flac", 0.05), ("wav", 0.05)]


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True)


def speechlike(seconds: float, seed: int) -> bytes:
    """Mono 16-bit PCM that varies like speech (so VBR encoders vary their bitrate)."""
    rng = random.Random(seed)
    out = bytearray()
    for i in range(int(seconds * RATE)):
        envelope = 0.6 if (i // (RATE // 4)) % 3 else 0.05
        out += struct.pack("<h", int(rng.uniform(-1, 1) * 12000 * envelope))
    return bytes(out)


def make_base() -> None:
    """Encode the base clips once."""
    if (BASE / "done").exists():
        return
    BASE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        long_wav = Path(tmp) / "long.wav"
        with wave.open(str(long_wav), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(speechlike(65, 1))
        # ffmpeg writes a Xing/Info header even at low bitrates (lame leaves it out when it
        # does not fit in one frame)
        run(FF + ["-i", str(long_wav), "-c:a", "libmp3lame", "-b:a", "32k", "-write_xing", "1",
                  "-id3v2_version", "0", "-fflags", "+bitexact", str(BASE / "long-cbr.mp3")])
        run(["lame", "--quiet", "-m", "m", "-V", "6", "-t", str(long_wav), str(BASE / "long-vbr-noxing.mp3")])
        intro = Path(tmp) / "intro.wav"  # an intro at 44.1 kHz, for files joined from two rates
        run(FF + ["-t", "6", "-i", str(long_wav), "-ar", "44100", str(intro)])
        run(["lame", "--quiet", "-m", "m", "-b", "64", str(intro), str(BASE / "intro-44k.mp3")])  # with an Info header
        run(["lame", "--quiet", "-m", "m", "-b", "48", "-t", str(intro), str(BASE / "intro-44k-noxing.mp3")])
        for seconds in BASE_SECONDS:
            cut = ["-t", str(seconds), "-i", str(long_wav)]
            bitexact = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
            run(FF + cut + ["-c:a", "aac", "-b:a", "24k", *bitexact, str(BASE / f"{seconds}.m4a")])
            run(FF + cut + ["-c:a", "libvorbis", "-q:a", "0", *bitexact, str(BASE / f"{seconds}.ogg")])
            run(FF + cut + ["-ar", "48000", "-c:a", "libopus", "-b:a", "12k", *bitexact, str(BASE / f"{seconds}.opus")])
            run(FF + cut + ["-c:a", "flac", *bitexact, str(BASE / f"{seconds}.flac")])
    (BASE / "done").write_text("ok\n")


def mp3_frames(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of every MPEG frame (MPEG-2 layer III here: 576 samples each)."""
    rates = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
    frames, pos = [], 0
    while pos + 4 <= len(data):
        if data[pos] == 0xFF and data[pos + 1] & 0xE0 == 0xE0:
            bitrate = rates[data[pos + 2] >> 4] * 1000
            size = 72 * bitrate // RATE + ((data[pos + 2] >> 1) & 1)
            if size > 0:
                frames.append((pos, size))
                pos += size
                continue
        pos += 1
    return frames


def cut_mp3(data: bytes, frames: list[tuple[int, int]], count: int, xing: bool) -> bytes:
    """The first `count` audio frames; with `xing`, the header frame first, rewritten to match."""
    if xing:
        head_at, head_size = frames[0]
        header = bytearray(data[head_at : head_at + head_size])
        tag = max(header.find(b"Xing"), header.find(b"Info"))
        assert tag > 0, "the base MP3 must start with a Xing/Info frame"
        flags = struct.unpack(">I", header[tag + 4 : tag + 8])[0]
        audio = frames[1 : 1 + count]
        body = b"".join(data[o : o + s] for o, s in audio)
        field = tag + 8
        if flags & 1:
            header[field : field + 4] = struct.pack(">I", len(audio))
            field += 4
        if flags & 2:
            header[field : field + 4] = struct.pack(">I", len(body) + head_size)
        return bytes(header) + body
    return b"".join(data[o : o + s] for o, s in frames[:count])


TRAILERS = ("id3v1", "id3v1-latin1", "apev2", "junk")


def trailer(path: Path, kind: str, number: int) -> None:
    """What taggers and broken uploads leave after the last frame."""
    if kind == "apev2":
        from mutagen.apev2 import APEv2

        tags = APEv2()
        tags["Title"] = f"Episode {number}"
        tags["Comment"] = "Naïve ÿã\x90 review"
        tags.save(path)
        return
    with open(path, "ab") as handle:
        if kind == "junk":
            handle.write(bytes((0xFF, 0xFB, number % 256, 0x0A, 0x00)))  # a few bytes, one looking like a header
        else:
            text = "Café ÿóD: Naïve ÿã\x90 review" if kind == "id3v1-latin1" else f"Episode {number} notes"
            body = text.encode("latin-1").ljust(30, b" ")[:30]
            handle.write(b"TAG" + body + b"Bench".ljust(30, b" ") + b"Benchmark Show".ljust(30, b" ")
                         + b"2026" + body[:28] + b"\0" + bytes((number % 256, 12)))


def packet_seconds(path: str) -> float:
    """The sum of the durations of the packets ffprobe reads from a file: what a player decodes."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=duration_time",
         "-of", "csv=p=0", path], check=True, capture_output=True, text=True).stdout
    return sum(float(value.strip(",")) for value in out.split() if value.strip(","))


def tag(path: Path, title: str, date: str, number: int, notes: str, art: bytes | None) -> None:
    """The tags a podcast host writes into an episode's file (the cover only if `art`)."""
    import mutagen
    from mutagen.id3 import APIC, COMM, ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK
    from mutagen.mp4 import MP4Cover

    if path.suffix == ".mp3":
        tags = ID3()
        for frame in (TIT2(encoding=3, text=title), TPE1(encoding=3, text="Bench"),
                      TALB(encoding=3, text="Benchmark Show"), TDRC(encoding=3, text=date[:10]),
                      TCON(encoding=3, text="Podcast"), TRCK(encoding=3, text=str(number)),
                      COMM(encoding=3, lang="eng", desc="", text=notes)):
            tags.add(frame)
        if art:
            tags.add(APIC(encoding=3, mime="image/png", type=3, desc="Cover", data=art))
        tags.save(path)
        return
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    if path.suffix == ".m4a":
        audio.tags.update({"\xa9nam": [title], "\xa9ART": ["Bench"], "\xa9alb": ["Benchmark Show"],
                           "\xa9day": [date[:10]], "\xa9gen": ["Podcast"], "trkn": [(number, 0)],
                           "\xa9cmt": [notes]})
        if art:
            audio.tags["covr"] = [MP4Cover(art, imageformat=MP4Cover.FORMAT_PNG)]
    else:
        audio.tags.update({"title": [title], "artist": ["Bench"], "album": ["Benchmark Show"],
                           "date": [date[:10]], "genre": ["Podcast"], "tracknumber": [str(number)],
                           "comment": [notes]})
    audio.save()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = args.out or HERE / ".corpus" / f"show-{args.n}"
    marker = out / "corpus-version"
    if (out / "truth.json").exists() and marker.exists() and marker.read_text().strip() == str(VERSION):
        print(f"{out} exists")
        return 0
    shutil.rmtree(out, ignore_errors=True)  # an older corpus's files
    make_base()
    cbr = (BASE / "long-cbr.mp3").read_bytes()
    cbr_frames = mp3_frames(cbr)
    vbr = (BASE / "long-vbr-noxing.mp3").read_bytes()
    vbr_frames = mp3_frames(vbr)
    intros = [(BASE / "intro-44k.mp3").read_bytes(), (BASE / "intro-44k-noxing.mp3").read_bytes()]
    rng = random.Random(args.n)
    folder = out / "episodes"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "show.yaml").write_text(
        "title: Benchmark Show\ndescription: A generated show for feedtool's benchmark.\n"
        "link: https://example.com/bench/\nfeed_url: https://example.com/bench/feed.xml\nlanguage: en\n"
        "author: Bench\nowner: {name: Bench, email: bench@example.com}\nimage: cover.png\n"
        "categories: [Technology]\n"
    )
    shutil.copy(HERE.parent / "episodes" / "cover.png", folder / "cover.png")
    art = (folder / "cover.png").read_bytes()
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    for n in range(args.n):
        kind = rng.choices(kinds, weights)[0]
        stem = f"{n:05d}-episode"
        title = f"{rng.choice(['News', 'Interview', 'Analysis', 'Report'])} from day {n}"
        date = f"{2000 + n // 365 % 26}-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"
        notes = (f"Show notes for episode {n}. We talk about **topic {rng.randint(1, 999)}** with a guest.\n\n"
                 f"- Point one\n- Point two, with [a link](https://example.com/{n})\n")
        cover = art if rng.random() < 0.5 else None
        if kind in ("mp3", "vbr"):
            seconds = rng.uniform(1.5, 60)
            count = max(1, int(seconds * RATE / 576))
            name = f"{stem}.mp3"
            if kind == "mp3":
                body = cut_mp3(cbr, cbr_frames, count, xing=True)
            else:
                body = cut_mp3(vbr, vbr_frames, count, xing=False)
            if rng.random() < 0.004:  # joined: an intro at 44.1 kHz, then the body at 22.05 kHz
                body = rng.choice(intros) + body
            (folder / name).write_bytes(body)
        elif kind == "wav":
            seconds = round(rng.uniform(1.5, 60), 2)
            name = f"{stem}.wav"
            with wave.open(str(folder / name), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(1)
                w.setframerate(8000)
                w.writeframes(bytes([128]) * int(seconds * 8000))
        else:
            seconds = rng.choice(BASE_SECONDS)
            name = f"{stem}.{kind}"
            shutil.copy(BASE / f"{seconds}.{kind}", folder / name)
        if kind != "wav":
            tag(folder / name, title, date, n + 1, notes, cover if kind in ("mp3", "vbr", "m4a") else None)
        if kind in ("mp3", "vbr") and rng.random() < 0.1:
            trailer(folder / name, rng.choice(TRAILERS), n)
        (folder / f"{stem}.md").write_text(f'---\ntitle: "{title}"\ndate: {date}\nepisode: {n + 1}\n---\n\n{notes}')
    names = sorted(p.name for p in folder.iterdir() if p.suffix not in (".md", ".yaml", ".png"))
    print(f"reading {len(names)} files with ffprobe for their true durations")
    with Pool(os.cpu_count()) as pool:
        seconds = pool.map(packet_seconds, [str(folder / name) for name in names], chunksize=16)
    truth = dict(zip(names, seconds, strict=True))
    (out / "truth.json").write_text(json.dumps(truth, indent=0, sort_keys=True))
    marker.write_text(f"{VERSION}\n")
    print(f"made {args.n} episodes in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
