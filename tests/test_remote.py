"""Remote audio, probed over real HTTP on 127.0.0.1 with byte ranges, and the faults servers have."""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

import pytest
from lxml import etree

from feedtool.options import NetworkOptions
from feedtool.probe import probe
from feedtool.remote import probe_url

from .bigfiles import make_big_files
from .conftest import AUDIO, DURATIONS, episode

BUDGET = 64 * 1024


def xpath(feed: Path, path: str) -> list:
    ns = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
    return etree.parse(str(feed)).xpath(path, namespaces=ns)


@pytest.fixture(scope="module")
def big_files(tmp_path_factory) -> dict[str, Path]:
    return make_big_files(AUDIO, tmp_path_factory.mktemp("big"))


def test_big_files_cost_a_few_kilobytes_each(http_server, big_files) -> None:
    fetched = []
    for name, path in big_files.items():
        if name == "big-vbr-noxing.mp3":
            continue
        shutil.copy(path, http_server.root / name)
        _, result = probe_url(f"{http_server.base}/{name}", NetworkOptions())
        assert abs(result.info.duration - probe(path).info.duration) < 0.01, name
        assert result.info.length == path.stat().st_size
        assert http_server.wait_served(f"/{name}", result.fetched)  # the server agrees on what it sent
        fetched.append(result.fetched)
        assert result.fetched < BUDGET, name  # every format, not only the median
    assert len(fetched) == 6 and all(p.stat().st_size > 10_000_000 for n, p in big_files.items() if "vbr" not in n)
    assert statistics.median(fetched) < BUDGET, fetched


def test_big_vbr_mp3_without_header_is_an_estimate_with_a_warning(make_show, build, http_server, big_files) -> None:
    shutil.copy(big_files["big-vbr-noxing.mp3"], http_server.root / "v.mp3")
    folder = make_show({"ep.md": episode("E", audio=f"{http_server.base}/v.mp3")})
    run = build(folder)
    assert run.exit_code == 0
    assert any(x.startswith("warning REMOTE-ESTIMATE") and "is an estimate" in x for x in run.lines())
    assert _settled(http_server, "/v.mp3") < BUDGET


@pytest.mark.parametrize("name", sorted(DURATIONS))
def test_remote_audio_of_every_format_builds(make_show, build, http_server, name: str) -> None:
    shutil.copy(AUDIO / name, http_server.root / name)
    url = f"{http_server.base}/{name}"
    folder = make_show({"ep.md": episode("E", audio=url)})
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    assert xpath(run.feed, "//enclosure/@url") == [url]
    assert xpath(run.feed, "//enclosure/@length") == [str((AUDIO / name).stat().st_size)]
    assert xpath(run.feed, "//itunes:duration/text()") == [str(int(DURATIONS[name] + 0.5))]
    if name == "vbr-noxing.mp3":  # small enough to count its frames over HTTP, and it says so
        assert any(x.startswith("info MP3-ESTIMATE") and "read all" in x for x in run.lines())


def test_overrides_skip_the_probe(make_show, build, http_server) -> None:
    folder = make_show({"ep.md": episode("E", audio=f"{http_server.base}/nothing-here.mp3", duration="60",
                                         length="1000")})
    assert build(folder).exit_code == 0
    assert sum(http_server.requests.values()) == 0


@pytest.mark.parametrize(("mode", "rule", "words"), [
    ("norange", "REMOTE-RANGE", "ignores byte-range requests (answered 200, not 206"),
    ("wronglength", "REMOTE-LENGTH", "Content-Length says"),
    ("loop", "REMOTE-UNREACHABLE", "more than 5 redirects"),
    ("status/404", "REMOTE-STATUS", "answers HTTP 404"),
    ("status/503", "REMOTE-STATUS", "answers HTTP 503"),
])
def test_server_faults_are_clear_errors(make_show, build, http_server, mode: str, rule: str, words: str) -> None:
    shutil.copy(AUDIO / "tone.mp3", http_server.root / "tone.mp3")
    url = f"{http_server.base}/{mode}/tone.mp3"
    folder = make_show({"ep.md": episode("E", audio=url)})
    run = build(folder)
    assert run.exit_code == 1
    line = next(x for x in run.lines() if x.startswith("error"))
    assert line.startswith(f"error {rule} {folder.as_posix()}/ep.md:4: audio {url}: "), line
    assert words in line and "Traceback" not in run.stderr


def test_slow_server_times_out(make_show, build, http_server) -> None:
    shutil.copy(AUDIO / "tone.mp3", http_server.root / "tone.mp3")
    folder = make_show({"ep.md": episode("E", audio=f"{http_server.base}/slow/tone.mp3")})
    run = build(folder, "--timeout", "0.5")
    assert run.exit_code == 1
    assert any(x.startswith("error REMOTE-UNREACHABLE") and "no answer within 0.5 s" in x for x in run.lines())


def test_a_passing_500_is_retried(make_show, build, http_server) -> None:
    shutil.copy(AUDIO / "tone.ogg", http_server.root / "tone.ogg")
    folder = make_show({"ep.md": episode("E", audio=f"{http_server.base}/flaky/tone.ogg")})
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    assert http_server.requests["/flaky/tone.ogg"] >= 3  # the 500, the HEAD again, the range reads


def test_redirects_are_followed_and_the_written_url_kept(make_show, build, http_server) -> None:
    shutil.copy(AUDIO / "tone.m4a", http_server.root / "tone.m4a")
    url = f"{http_server.base}/redirect/tone.m4a"
    folder = make_show({"ep.md": episode("E", audio=url)})
    assert xpath(build(folder).feed, "//enclosure/@url") == [url]
    resolved = build(folder, "--resolve-redirects", "--allow-changes")
    assert xpath(resolved.feed, "//enclosure/@url") == [f"{http_server.base}/tone.m4a"]


def test_unchanged_remote_files_are_not_read_again(make_show, build, http_server) -> None:
    shutil.copy(AUDIO / "tone.flac", http_server.root / "tone.flac")
    folder = make_show({"ep.md": episode("E", audio=f"{http_server.base}/tone.flac")})
    first = build(folder)
    sent = _settled(http_server, "/tone.flac")
    assert first.exit_code == 0 and sent > 0
    assert not (first.feed.parent / ".feedtool-cache").exists()  # never inside output/
    assert build(folder).feed.read_bytes() == first.feed.read_bytes()
    assert http_server.wait_served("/tone.flac", sent)  # only a HEAD the second time
    build(folder, "--refresh")
    assert http_server.wait_served("/tone.flac", 2 * sent)
    build(folder, "--no-cache")
    assert http_server.wait_served("/tone.flac", 3 * sent)


def _settled(server, path: str) -> int:
    """The byte count once the server thread has finished counting."""
    import time

    last = -1
    while server.served[path] != last:
        last = server.served[path]
        time.sleep(0.05)
    return last


def test_a_changed_remote_file_is_probed_again(make_show, build, http_server) -> None:
    target = http_server.root / "ep.mp3"
    shutil.copy(AUDIO / "tone.mp3", target)
    folder = make_show({"ep.md": episode("E", audio=f"{http_server.base}/ep.mp3")})
    assert xpath(build(folder).feed, "//itunes:duration/text()") == ["3"]
    shutil.copy(AUDIO / "vbr-noxing.mp3", target)  # same URL, new file: new ETag and length
    run = build(folder, "--allow-changes")
    assert xpath(run.feed, "//itunes:duration/text()") == ["7"]


def test_remote_artwork_is_checked_from_its_header(make_show, build, http_server) -> None:
    from PIL import Image

    from .conftest import SAMPLE, SHOW_YAML

    shutil.copy(SAMPLE / "cover.png", http_server.root / "cover.png")
    small = http_server.root / "small.png"
    Image.new("RGB", (600, 600), "navy").save(small)
    with open(small, "ab") as handle:  # a heavy file (bytes after IEND are ignored): only its header is read
        handle.write(bytes(3_000_000))
    good = SHOW_YAML.replace("image: cover.png", f"image: {http_server.base}/cover.png")
    run = build(make_show({"a.md": episode("A", image=f"{http_server.base}/small.png"),
                           "a.mp3": AUDIO / "tone.mp3"}, show_yaml=good))
    art = [x for x in run.lines() if x.split()[1].startswith("ART-")]
    assert len(art) == 2 and all(f"{http_server.base}/small.png" in x for x in art), run.stderr
    assert any("ART-SIZE" in x and "600×600" in x for x in art)
    assert any("ART-BYTES" in x for x in art)
    assert _settled(http_server, "/small.png") < 64 * 1024
    gone = good.replace("/cover.png", "/missing.png")
    run = build(make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"}, show_yaml=gone))
    assert any(x.startswith("error REMOTE-STATUS") and "missing.png: answers HTTP 404" in x for x in run.lines())


@pytest.mark.parametrize(("mode", "extra", "check"), [
    ("cutfirst", [], "ok"),  # a transfer that breaks off once is tried again
    ("gzip", [], "ok"),  # feedtool asks for the file itself (identity), so sizes stay right
    ("nolength", [], "ok"),  # no Content-Length on HEAD: the size comes from a 1-byte range
    ("retryafter", ["--timeout", "1"], "error REMOTE-STATUS"),  # Retry-After: 3600 is not waited for
    ("trickle", ["--timeout", "0.5"], "error REMOTE-UNREACHABLE"),  # a deadline for the whole file
])
def test_awkward_servers(make_show, build, http_server, mode, extra, check) -> None:
    import time

    shutil.copy(AUDIO / "tone.m4a", http_server.root / "tone.m4a")
    url = f"{http_server.base}/{mode}/tone.m4a"
    folder = make_show({"ep.md": episode("E", audio=url)})
    started = time.monotonic()
    run = build(folder, *extra)
    assert time.monotonic() - started < 10
    if check == "ok":
        assert run.exit_code == 0, run.stderr
        assert xpath(run.feed, "//enclosure/@length") == [str((AUDIO / "tone.m4a").stat().st_size)]
    else:
        assert run.exit_code == 1 and any(x.startswith(check) for x in run.lines()), run.stderr


def test_urls_with_a_fragment_and_refused_connections(make_show, build, http_server) -> None:
    shutil.copy(AUDIO / "tone.mp3", http_server.root / "tone.mp3")
    folder = make_show({"ep.md": episode("E", audio=f"{http_server.base}/tone.mp3#t=10")})
    assert build(folder).exit_code == 0
    folder = make_show({"ep.md": episode("E", audio="http://127.0.0.1:9/tone.mp3")})
    run = build(folder)
    assert any(x.startswith("error REMOTE-UNREACHABLE") and "connection was refused" in x for x in run.lines())


def test_a_damaged_cache_entry_is_only_a_slower_build(make_show, build, http_server, tmp_path) -> None:
    import sqlite3

    shutil.copy(AUDIO / "tone.ogg", http_server.root / "tone.ogg")
    folder = make_show({"ep.md": episode("E", audio=f"{http_server.base}/tone.ogg")})
    assert build(folder).exit_code == 0
    db = sqlite3.connect(tmp_path / ".feedtool-cache" / "build.sqlite")
    db.execute("UPDATE meta SET value = '{\"key\": 3, \"info\": \"x\"}' WHERE key LIKE 'remote:%'")
    db.commit()
    db.close()
    (folder / "ep.md").touch()  # not the no-change fast path
    run = build(folder)
    assert run.exit_code == 0 and "Traceback" not in run.stderr


def test_remote_transcripts_and_chapters_must_answer(make_show, build, http_server) -> None:
    (http_server.root / "t.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHi.\n")
    base = http_server.base
    good = make_show({"ep.md": episode("E", transcript=f"{base}/t.vtt", chapters=f"{base}/c.json"),
                      "ep.mp3": AUDIO / "tone.mp3"})
    (http_server.root / "c.json").write_text('{"version": "1.2.0", "chapters": []}')
    assert build(good).exit_code == 0
    (http_server.root / "t.vtt").unlink()
    run = build(good)
    assert run.exit_code == 1
    assert any(x.startswith(f"error REMOTE-STATUS {good.as_posix()}/ep.md:4: {base}/t.vtt: answers HTTP 404")
               for x in run.lines()), run.stderr
