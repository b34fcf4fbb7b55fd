#!/usr/bin/env python3
"""Regenerate the media of the sample show in episodes/.

The sample show is a fictional news podcast, "Frontline Dispatches"
(category News > Politics). This script makes:

  episodes/cover.png                       1400x1400 RGB PNG cover, drawn with Pillow
  episodes/001-deserters.mp3               ~20 s espeak-ng speech, MP3 mono 22050 Hz CBR 40 kbps
  episodes/002-exile-newsroom.m4a          ~12 s speech, AAC-LC in MP4, mono 48 kbps, faststart
  episodes/audio/003-listener-questions.mp3 ~10 s speech, MP3 like 001

Speech is synthesised with espeak-ng (voice en-gb) to WAV and encoded with
ffmpeg. The MP3s are encoded with libmp3lame via ffmpeg rather than the lame
CLI: lame only writes its Info header when the header fits in one frame,
which at 22050 Hz needs >= 56 kbps, whereas ffmpeg writes the Info frame at
a larger bitrate of its own and keeps the audio frames at 40 kbps CBR. Encoder
metadata, dates and ID3 tags are stripped (-map_metadata -1, bitexact flags,
-id3v2_version 0), so re-running gives the same bytes with the same tools.

Usage:  .venv/bin/python tools/make_sample_media.py

Needs espeak-ng, ffmpeg/ffprobe and Pillow; mutagen (optional) is used to
print its view of each file. Nothing at test or run time needs these tools,
only the committed output files.
"""

from __future__ import annotations

import glob
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
EPISODES = ROOT / "episodes"

TITLE = "Frontline Dispatches"
VOICE = "en-gb"
SPEED = 160  # words per minute

SCRIPTS = {
    "001-deserters.mp3": (
        "Frontline Dispatches. Episode one. Deserters: Russian soldiers who "
        "walked away. With BBC Russian journalists Amaliya Zatari and Nina "
        "Nazarova. Since the full-scale invasion of Ukraine, thousands of "
        "Russian soldiers have deserted. Some hid at home, others crossed "
        "borders on foot. We hear why they left, and what it cost them."
    ),
    "002-exile-newsroom.m4a": (
        "Frontline Dispatches. Episode two. The newsroom in exile: how "
        "journalists report on Russia from abroad. Reporters, editors and "
        "sources, working across borders, and still reaching an audience at "
        "home."
    ),
    "audio/003-listener-questions.mp3": (
        "Frontline Dispatches. Episode three. Listener questions. You asked, "
        "and our reporters answer: how we verify videos from the front, and "
        "how we keep our sources safe."
    ),
}

MAX_BYTES = 150_000
COVER_MAX_BYTES = 300_000

FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
BITEXACT = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True)


# --------------------------------------------------------------------- cover

NAVY = (11, 24, 48)
ACCENT = (230, 72, 62)  # signal red
LIGHT = (240, 236, 226)  # warm white


def mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=False))  # type: ignore[return-value]


def find_font(bold: bool = True) -> str | None:
    names = ["DejaVuSans-Bold.ttf"] if bold else ["DejaVuSans.ttf"]
    for name in names:
        hits = sorted(glob.glob(f"/usr/share/fonts/**/{name}", recursive=True))
        if hits:
            return hits[0]
    return None


def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = find_font(bold)
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)  # Pillow >= 10.1


def make_cover(path: Path) -> None:
    S = 2  # draw at 2x and downsample for antialiased edges
    W = 1400 * S
    img = Image.new("RGB", (W, W), NAVY)
    d = ImageDraw.Draw(img)

    # Radio waves: concentric rings around a map pin, fading into the navy.
    cx, cy = W // 2, 450 * S
    for i, r in enumerate(range(150, 431, 70)):
        col = mix(ACCENT, NAVY, 0.15 + i * 0.17)
        rr = r * S
        d.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), outline=col, width=15 * S)

    # Map pin: a circle with a point, and a red dot.
    pr = 72 * S
    pin_cy = cy - 35 * S
    d.ellipse((cx - pr, pin_cy - pr, cx + pr, pin_cy + pr), fill=LIGHT)
    d.polygon(
        [(cx - int(pr * 0.86), pin_cy + pr // 2), (cx + int(pr * 0.86), pin_cy + pr // 2),
         (cx, pin_cy + int(pr * 2.05))],
        fill=LIGHT,
    )
    hr = 30 * S
    d.ellipse((cx - hr, pin_cy - hr, cx + hr, pin_cy + hr), fill=ACCENT)

    # Title, two lines, centred.
    f_title = font(150 * S)
    y = 930 * S
    for line in ("Frontline", "Dispatches"):
        d.text((W // 2, y), line, font=f_title, fill=LIGHT, anchor="mt")
        y += 168 * S

    # Short rule and category line.
    d.rectangle((W // 2 - 70 * S, 1282 * S, W // 2 + 70 * S, 1288 * S), fill=ACCENT)
    f_sub = font(40 * S)
    d.text((W // 2, 1335 * S), "NEWS  \u00b7  POLITICS", font=f_sub, fill=ACCENT, anchor="mm")

    img = img.resize((1400, 1400), Image.LANCZOS)
    img.save(path, format="PNG", optimize=True)


# --------------------------------------------------------------------- audio

# the same speech in a second format, for podcast:alternateEnclosure
ALTERNATES = {"001-deserters.mp3": "001-deserters.opus"}


def speak(text: str, wav: Path) -> None:
    run(["espeak-ng", "-v", VOICE, "-s", str(SPEED), "-w", str(wav), text])


def encode(wav: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    common = ["-i", str(wav), "-ac", "1", "-ar", "22050"]
    if out.suffix == ".mp3":
        run(FF + common + ["-c:a", "libmp3lame", "-b:a", "40k", "-write_xing", "1",
                           "-id3v2_version", "0", *BITEXACT, str(out)])
    elif out.suffix == ".opus":  # the alternate enclosure of episode 1
        run(FF + common[:-2] + ["-ar", "48000", "-c:a", "libopus", "-b:a", "16k", *BITEXACT, str(out)])
    elif out.suffix == ".m4a":
        run(FF + common + ["-c:a", "aac", "-b:a", "48k", "-movflags", "+faststart",
                           *BITEXACT, str(out)])
    else:
        raise ValueError(out)


def decoded_duration(path: Path) -> float:
    rate = int(
        subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "a:0",
             "-show_entries", "stream=sample_rate", "-of", "csv=p=0", str(path)],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )
    pcm = subprocess.run(
        FF + ["-i", str(path), "-map", "0:a:0", "-ac", "1", "-f", "s16le", "-"],
        check=True, capture_output=True,
    ).stdout
    return len(pcm) / 2 / rate


def main() -> int:
    EPISODES.mkdir(exist_ok=True)
    problems = []

    cover = EPISODES / "cover.png"
    make_cover(cover)
    with Image.open(cover) as im:
        if im.size != (1400, 1400) or im.mode != "RGB" or im.format != "PNG":
            problems.append(f"cover.png: {im.format} {im.mode} {im.size}")
    if cover.stat().st_size > COVER_MAX_BYTES:
        problems.append(f"cover.png is {cover.stat().st_size} bytes")

    with tempfile.TemporaryDirectory() as td:
        for name, text in SCRIPTS.items():
            wav = Path(td) / (Path(name).stem + ".wav")
            speak(text, wav)
            encode(wav, EPISODES / name)
            if name in ALTERNATES:
                encode(wav, EPISODES / ALTERNATES[name])

    try:
        import mutagen
    except ImportError:
        mutagen = None

    print(f"{'file':<36} {'bytes':>7} {'decoded s':>9} {'mutagen s':>9}")
    print(f"{'cover.png':<36} {cover.stat().st_size:7d}")
    for name in [*SCRIPTS, *ALTERNATES.values()]:
        p = EPISODES / name
        size = p.stat().st_size
        dur = decoded_duration(p)
        ms = "-"
        if mutagen is not None:
            f = mutagen.File(p)
            if f is None:
                problems.append(f"{name}: mutagen cannot parse it")
            else:
                ms = f"{f.info.length:.3f}"
                if abs(f.info.length - dur) > 0.5:
                    problems.append(f"{name}: mutagen {f.info.length:.2f}s vs decoded {dur:.2f}s")
        if size > MAX_BYTES:
            problems.append(f"{name} is {size} bytes (> {MAX_BYTES})")
        print(f"{name:<36} {size:7d} {dur:9.3f} {ms:>9}")

    if problems:
        print("\nPROBLEMS:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
