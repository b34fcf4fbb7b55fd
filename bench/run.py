#!/usr/bin/env python3
"""feedtool's benchmark: time builds of generated shows and print them beside their floors.

For each N (default 1,000 and 10,000) it makes the corpus (bench/make_corpus.py), then
measures, as the median of several runs: a cold build, a rebuild with nothing changed,
a rebuild after adding one episode, and a cold build with --jobs 1; the peak memory of
a cold build's whole process tree (in a first, untimed cold build that also warms the
page cache); and, on the same files and in the same run (this
machine's speed drifts by tens of percent within minutes), the floors: a bare mutagen
loop (one and two processes) and feedgen writing N podcast items, plus, for reference,
the mutagen loop without reading the MP3s' and M4As' tags (as feedtool reads them). It
checks every duration feedtool probes, and every one in the feed, against the corpus's
true durations (ffprobe's, see make_corpus.py), and that the
cold build's feed is the serial, uncached build's. Timings are printed, never
asserted.

Usage: python bench/run.py [N ...] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import Pool
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
NOW = "2030-01-01"


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(c) for c in children.read().split()]
        except (OSError, ValueError):
            continue
    return total


def timed(args: list[str], memory: bool = False) -> tuple[float, int, str]:
    """(seconds, peak tree RSS if `memory`, stdout) of one command. Sampling the memory
    takes a few percent of a CPU, so timed runs are not sampled."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    if memory:
        sampler.start()
    out, _ = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    if memory:
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}")
    return elapsed, peak, out


def build(show: Path, output: Path, *extra: str) -> list[str]:
    return [PYTHON, "-m", "feedtool", "build", "--episodes", str(show), "--output", str(output),
            "--now", NOW, "-q", *extra]


def duration_of(path: str) -> float:
    import mutagen

    return mutagen.File(path).info.length


def stream_info_of(path: str) -> float:
    """The duration as mutagen reads it without the tags, where it can: MP3 and M4A (as
    feedtool reads them); the other formats' readers cannot leave their tags out."""
    import mutagen
    from mutagen.mp3 import MPEGInfo
    from mutagen.mp4 import MP4Info
    from mutagen.mp4._atom import Atoms

    if path.endswith((".mp3", ".m4a")):
        with open(path, "rb") as handle:
            if path.endswith(".mp3"):
                return MPEGInfo(handle).length
            info = MP4Info()
            info.load(Atoms(handle), handle)
            return info.length
    return mutagen.File(path).info.length


def mutagen_floor(files: list[str], processes: int, read=duration_of) -> float:
    start = time.perf_counter()
    if processes == 1:
        for path in files:
            read(path)
    else:
        with Pool(processes) as pool:
            pool.map(read, files, chunksize=64)
    return time.perf_counter() - start


def feedgen_floor(n: int) -> float:
    """feedgen writing n items with what every podcast item has (its own podcast extension
    for the iTunes tags), notes as long as the corpus's."""
    from feedgen.feed import FeedGenerator

    day = datetime(2020, 1, 1, tzinfo=UTC)
    start = time.perf_counter()
    feed = FeedGenerator()
    feed.load_extension("podcast")
    feed.title("t")
    feed.link(href="https://example.com/")
    feed.description("d")
    for i in range(n):
        entry = feed.add_entry(order="append")
        entry.title(f"Episode {i}")
        entry.guid(f"guid-{i}")
        entry.pubDate(day + timedelta(hours=i))
        entry.description(f"<p>Show notes for episode {i}. We talk about <strong>topic {i}</strong>.</p>"
                          "<ul><li>Point one</li><li>Point two, with "
                          f"<a href='https://example.com/{i}'>a link</a></li></ul>")
        entry.enclosure(f"https://example.com/{i}.mp3", "1000", "audio/mpeg")
        entry.podcast.itunes_duration(i % 3600)
        entry.podcast.itunes_explicit("no")
    feed.rss_str(pretty=True)
    return time.perf_counter() - start


def check_probes(audio: list[str], truth: dict[str, float]) -> tuple[int, float]:
    """(how many of feedtool's probed durations differ from the truth by more than 0.5 s,
    the largest difference): the durations before the feed rounds them to whole seconds.
    A file feedtool refuses counts as off."""
    from feedtool.probe import Probe, probe_many

    worst, off = 0.0, 0
    for path, result in probe_many(audio, jobs=2).items():
        ok = isinstance(result, Probe) and not result.truncated
        error = abs(result.info.duration - truth[Path(path).name]) if ok else float("inf")
        worst = max(worst, error)
        off += error > 0.5
    return off, worst


def check_durations(feed: Path, truth: dict[str, float]) -> tuple[int, float]:
    from lxml import etree

    ns = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
    worst, off = 0.0, 0
    for item in etree.parse(str(feed)).iter("item"):
        name = item.find("enclosure").get("url").rsplit("/", 1)[1]
        error = abs(int(item.findtext("itunes:duration", namespaces=ns)) - truth[name])
        worst = max(worst, error)
        off += error > 1.0  # written as whole seconds: up to 0.5 s of rounding
    return off, worst


def bench(n: int, runs: int) -> dict:
    subprocess.run([PYTHON, str(HERE / "make_corpus.py"), str(n)], check=True)
    # the package's bytecode, as an installed package has it (pip compiles at install time),
    # even where PYTHONDONTWRITEBYTECODE keeps the builds from writing it
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(HERE.parent / "feedtool")], check=True)
    corpus = HERE / ".corpus" / f"show-{n}"
    show, truth = corpus / "episodes", json.loads((corpus / "truth.json").read_text())
    work = corpus / "work"
    audio = sorted(str(p) for p in show.iterdir() if p.suffix != ".md" and p.name not in ("show.yaml", "cover.png"))
    figures: dict[str, list[float]] = {k: [] for k in ("cold", "unchanged", "one_added", "jobs1", "memory",
                                                       "mutagen_1", "mutagen_2", "feedgen", "ratio", "info_2")}
    cache = ["--cache-dir", str(work / "cache")]
    shutil.rmtree(work, ignore_errors=True)  # a first, untimed cold build warms the page cache and measures memory
    figures["memory"].append(timed(build(show, work / "out", *cache), memory=True)[1])
    for _ in range(runs):  # each run measures the floors too: the machine's speed drifts between runs
        shutil.rmtree(work, ignore_errors=True)
        seconds, _, _ = timed(build(show, work / "out", *cache))
        figures["cold"].append(seconds)
        cold_feed = (work / "out" / "feed.xml").read_bytes()
        seconds, _, out = timed(build(show, work / "out", *cache))
        assert out == "", out  # -q: "unchanged" is not printed, nothing was rewritten
        figures["unchanged"].append(seconds)
        extra, extra_audio = show / "99999-added.md", show / "99999-added.mp3"
        shutil.copy(next(p for p in sorted(show.glob("*.mp3"))), extra_audio)
        extra.write_text("---\ntitle: Added\ndate: 2029-12-31\n---\nA new episode.\n")
        try:
            seconds, _, _ = timed(build(show, work / "out", *cache))
            figures["one_added"].append(seconds)
        finally:
            extra.unlink()
            extra_audio.unlink()
        shutil.rmtree(work / "cache", ignore_errors=True)
        seconds, _, _ = timed(build(show, work / "out-j1", "--no-cache", "--jobs", "1"))
        figures["jobs1"].append(seconds)
        if (work / "out-j1" / "feed.xml").read_bytes() != cold_feed:
            raise SystemExit("the cold build's feed differs from the --jobs 1 --no-cache build's")
        figures["mutagen_1"].append(mutagen_floor(audio, 1))
        figures["mutagen_2"].append(mutagen_floor(audio, 2))
        figures["feedgen"].append(feedgen_floor(n))
        figures["info_2"].append(mutagen_floor(audio, 2, stream_info_of))
        figures["ratio"].append(figures["cold"][-1] / (figures["mutagen_2"][-1] + figures["feedgen"][-1]))
    off, worst = check_durations(work / "out-j1" / "feed.xml", truth)
    probes_off, probes_worst = check_probes(audio, truth)
    result = {k: statistics.median(v) for k, v in figures.items()}
    return {"n": n, **result, "ratios": figures["ratio"], "durations_off": off, "worst_error": worst,
            "probes_off": probes_off, "probes_worst": probes_worst}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"feedtool benchmark: medians of {args.runs} runs, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    for n in args.n:
        r = bench(n, args.runs)
        floor = r["mutagen_2"] + r["feedgen"]
        print(f"\nN = {n:,}")
        print(f"  cold build            {r['cold']:7.2f} s   (floor: mutagen in 2 processes {r['mutagen_2']:.2f} s "
              f"+ feedgen {r['feedgen']:.2f} s = {floor:.2f} s)")
        print(f"  cold / floor          {r['ratio']:7.2f}     (each run's cold build over its own floor: "
              f"{', '.join(f'{x:.2f}' for x in r['ratios'])})")
        print(f"  cold build, --jobs 1  {r['jobs1']:7.2f} s   (mutagen in 1 process {r['mutagen_1']:.2f} s)")
        print(f"  mutagen without tags  {r['info_2']:7.2f} s   (2 processes; MP3 and M4A read as feedtool reads "
              "them, without their tags)")
        print(f"  unchanged rebuild     {r['unchanged']:7.2f} s")
        print(f"  one episode added     {r['one_added']:7.2f} s")
        print(f"  peak memory           {r['memory'] / 2**20:7.0f} MB  (a cold build's whole process tree)")
        print(f"  durations             {r['probes_off']} of {n} differ from ffprobe's by more than 0.5 s; "
              f"worst {r['probes_worst']:.2f} s")
        print(f"  in the feed           {r['durations_off']} of {n} off by more than 1 s; "
              f"worst {r['worst_error']:.2f} s (whole seconds: up to 0.5 s of rounding)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
