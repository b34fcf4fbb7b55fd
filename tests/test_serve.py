"""`feedtool serve`: the preview's feed points at the local server, guids stay the real ones,
byte ranges work, nothing outside the temporary build is served, and saves rebuild it."""

from __future__ import annotations

import http.client
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from lxml import etree

from feedtool.cli import main
from feedtool.serve import Preview, content_type, parse_range

from .conftest import AUDIO, SHOW_YAML, episode

TONE = AUDIO / "tone.mp3"
NOW = datetime(2026, 11, 24, tzinfo=UTC)
NS = {"podcast": "https://podcastindex.org/namespace/1.0", "atom": "http://www.w3.org/2005/Atom"}


def wait_for(condition: Callable[[], object], seconds: float = 4.0) -> None:
    """Poll briefly: the watcher checks the show folder every 50 ms in these tests."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class Log(list):
    def __call__(self, message: str, error: bool) -> None:
        self.append(("err" if error else "out", message))

    def text(self) -> str:
        return "\n".join(message for _, message in self)


@pytest.fixture
def show(make_show) -> Path:
    return make_show({
        "ep1.md": episode("First", "2026-01-01", chapters="[{start: 0, title: Start}]"),
        "ep1.mp3": TONE,
    })


@pytest.fixture
def preview(show: Path, tmp_path: Path, monkeypatch) -> Iterator[Preview]:
    monkeypatch.chdir(tmp_path)  # where a stray default output/ would appear
    with Preview(show, lambda: NOW, port=0, log=Log(), poll=0.05) as running:
        yield running
    assert not (tmp_path / "output").exists()
    assert not (tmp_path / ".feedtool-cache").exists()  # the real cache is not used either
    assert not running.temp.exists()


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def test_feed_points_here_and_keeps_the_real_guids(preview: Preview, show: Path, build, tmp_path: Path) -> None:
    feed = requests.get(preview.feed_url, timeout=5)
    assert feed.status_code == 200
    assert feed.headers["Content-Type"].startswith("text/xml")
    root = parse(feed.content)
    base = f"http://127.0.0.1:{preview.port}/"
    assert preview.url == base
    assert root.xpath("//enclosure/@url") == [base + "ep1.mp3"]
    assert root.xpath("//atom:link[@rel='self']/@href", namespaces=NS) == [base + "feed.xml"]
    assert root.xpath("//podcast:chapters/@url", namespaces=NS) == [base + "chapters/ep1.json"]
    assert root.xpath("//itunes:image/@href", namespaces={"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
                      )[0] == base + "cover.png"

    normal = build(show, "--no-cache", output=tmp_path / "published")  # a normal build, elsewhere
    published = etree.parse(str(normal.feed)).getroot()
    assert root.xpath("//guid/text()") == published.xpath("//guid/text()")
    assert root.xpath("//podcast:guid/text()", namespaces=NS) == published.xpath(
        "//podcast:guid/text()", namespaces=NS)
    # the preview's own http:// address is not worth a warning
    assert not any("HTTPS" in line for line in preview.last_findings)

    page = requests.get(preview.url, timeout=5)
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'href="{base}feed.xml"' in page.text
    chapters = requests.get(base + "chapters/ep1.json", timeout=5)
    assert chapters.headers["Content-Type"] == "application/json"
    assert chapters.json()["chapters"][0]["title"] == "Start"


def test_head_and_byte_ranges(preview: Preview) -> None:
    url = preview.url + "ep1.mp3"
    data = TONE.read_bytes()
    size = len(data)

    head = requests.head(url, timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(size)
    assert head.headers["Content-Type"] == "audio/mpeg"
    assert head.headers["Accept-Ranges"] == "bytes"

    for header, first, last in (("bytes=10-19", 10, 19), ("bytes=100-", 100, size - 1),
                                ("bytes=-25", size - 25, size - 1), (f"bytes=5-{size + 100}", 5, size - 1)):
        answer = requests.get(url, headers={"Range": header}, timeout=5)
        assert answer.status_code == 206, header
        assert answer.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert answer.headers["Content-Length"] == str(last - first + 1)
        assert answer.content == data[first : last + 1]

    head = requests.head(url, headers={"Range": "bytes=0-0"}, timeout=5)
    assert head.status_code == 206 and head.headers["Content-Length"] == "1" and head.content == b""

    for header in (f"bytes={size}-", "bytes=-0"):
        answer = requests.get(url, headers={"Range": header}, timeout=5)
        assert answer.status_code == 416, header
        assert answer.headers["Content-Range"] == f"bytes */{size}"

    whole = requests.get(url, headers={"Range": "bytes=0-1,5-9"}, timeout=5)  # several ranges: may be ignored
    assert whole.status_code == 200 and whole.content == data


def test_parse_range() -> None:
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-0", 100) == (0, 0)
    assert parse_range("bytes=90-", 100) == (90, 99)
    assert parse_range("bytes=-200", 100) == (0, 99)
    assert parse_range("bytes=100-", 100) is False
    assert parse_range("bytes=0-", 0) is False
    assert parse_range("bytes=5-1", 100) is None  # invalid: ignored, the whole file is sent
    assert parse_range("items=0-1", 100) is None
    assert parse_range("bytes=-", 100) is None
    assert parse_range("bytes=" + "9" * 5000 + "-", 100) is None  # absurd numbers: the whole file


def raw_status(preview: Preview, path: str) -> int:
    """Send the path exactly as written (requests would normalise '..' away)."""
    connection = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_nothing_outside_the_build_is_served(preview: Preview, show: Path) -> None:
    secret = preview.temp / "secret.txt"  # beside the served folder: reachable by any '..'
    secret.write_text("secret")
    (preview.site / "out-link.txt").symlink_to(secret)
    (preview.site / "out-dir").symlink_to(show, target_is_directory=True)
    (preview.site / ".hidden").write_text("hidden")
    assert raw_status(preview, "/feed.xml") == 200
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2E%2E%2Fsecret.txt",
                 "/..\\secret.txt", "/..%5csecret.txt", "//etc/passwd", "/" + secret.as_posix(),
                 "/../show.yaml", "/%2e%2e/x", "/..%2fx", "/out-link.txt", "/out-dir/show.yaml",
                 "/.hidden", "/chapters/../../secret.txt", "/%ff", "/%00", "/./feed.xml", "/nothing.mp3"):
        assert raw_status(preview, path) == 404, path


def test_a_change_in_the_show_folder_rebuilds(preview: Preview, show: Path) -> None:
    (show / "ep2.mp3").write_bytes(TONE.read_bytes())
    (show / "ep2.md").write_text(episode("Second", "2026-02-01"), encoding="utf-8")
    wait_for(lambda: b"Second" in requests.get(preview.feed_url, timeout=5).content)
    titles = parse(requests.get(preview.feed_url, timeout=5).content).xpath("//item/title/text()")
    assert titles == ["Second", "First"]
    assert requests.get(preview.url + "ep2.mp3", timeout=5).content == TONE.read_bytes()
    assert "Second" in requests.get(preview.url, timeout=5).text


def test_broken_input_keeps_the_last_good_build(preview: Preview, show: Path) -> None:
    good = requests.get(preview.feed_url, timeout=5).content
    (show / "show.yaml").write_text(SHOW_YAML + "title: [unclosed\n", encoding="utf-8")
    wait_for(lambda: any(line.startswith("error YAML-SYNTAX ") and "show.yaml:" in line
                         for line in preview.last_findings))
    wait_for(lambda: "still serving the last good build" in preview.log.text())  # type: ignore[attr-defined]
    assert requests.get(preview.feed_url, timeout=5).content == good

    (show / "show.yaml").write_text(SHOW_YAML.replace("Test Show", "Fixed Show"), encoding="utf-8")
    wait_for(lambda: b"Fixed Show" in requests.get(preview.feed_url, timeout=5).content)
    assert "Fixed Show" in requests.get(preview.url, timeout=5).text


def test_a_fix_back_to_the_last_good_build_is_confirmed(preview: Preview, show: Path) -> None:
    """Undoing a mistake gives the same feed as before: the log must still say it built."""
    good = (show / "show.yaml").read_text(encoding="utf-8")
    (show / "show.yaml").write_text(good + "title: [unclosed\n", encoding="utf-8")
    wait_for(lambda: "still serving the last good build" in preview.log.text())  # type: ignore[attr-defined]
    (show / "show.yaml").write_text(good, encoding="utf-8")
    wait_for(lambda: preview.log.text().rstrip().endswith(preview.feed_url))  # type: ignore[attr-defined]
    assert preview.log.text().rstrip().splitlines()[-1].startswith("built ")  # type: ignore[attr-defined]


def test_a_show_with_errors_from_the_start_is_served_once_fixed(make_show, tmp_path: Path) -> None:
    folder = make_show({"ep1.md": episode("First"), "ep1.mp3": TONE}, show_yaml="title: [\n")
    log = Log()
    with Preview(folder, lambda: NOW, port=0, log=log, poll=0.05) as running:
        assert not running.ready
        unavailable = requests.get(running.feed_url, timeout=5)
        assert unavailable.status_code == 503 and "error YAML-SYNTAX" in unavailable.text
        assert "nothing to serve until then" in log.text()
        (folder / "show.yaml").write_text(SHOW_YAML, encoding="utf-8")
        wait_for(lambda: requests.get(running.feed_url, timeout=5).status_code == 200)


def test_public_url_is_written_into_the_feed(show: Path) -> None:
    with Preview(show, lambda: NOW, port=0, public_url="http://192.0.2.7:9999/podcast", log=Log()) as running:
        assert running.feed_url == "http://192.0.2.7:9999/podcast/feed.xml"
        local = f"http://127.0.0.1:{running.port}/"
        feed = requests.get(local + "feed.xml", timeout=5).content
        assert parse(feed).xpath("//enclosure/@url") == ["http://192.0.2.7:9999/podcast/ep1.mp3"]
        assert requests.get(local + "podcast/ep1.mp3", timeout=5).status_code == 200  # without a proxy


def test_content_types() -> None:
    assert content_type("a.m4a") == "audio/x-m4a"
    assert content_type("a.opus") == "audio/ogg"
    assert content_type("feed.xml") == "text/xml; charset=utf-8"
    assert content_type("t.vtt") == "text/vtt; charset=utf-8"
    assert content_type("t.srt") == "application/x-subrip"
    assert content_type("cover.png") == "image/png"
    assert content_type("x.bin") == "application/octet-stream"


def test_cli_refuses_a_bad_public_url_and_a_busy_port(show: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where serve makes its temporary folder
    result = CliRunner().invoke(main, ["serve", "--episodes", str(show), "--public-url", "ftp://x/"])
    assert result.exit_code == 2 and "--public-url" in result.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--episodes", str(show), "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert not [p for p in os.listdir(tmp_path) if p.startswith("feedtool-serve-")]  # removed again


def test_cli_refuses_a_missing_show_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--episodes", str(tmp_path / "nope"), "--port", "0"])
    assert result.exit_code == 1
    assert f"error SHOW-MISSING {(tmp_path / 'nope').as_posix()}: no such folder" in result.output


def test_a_bad_public_url_leaves_nothing_behind(show: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(ValueError):
        Preview(show, lambda: NOW, port=0, public_url="ftp://x/", log=Log())
    assert not [p for p in os.listdir(tmp_path) if p.startswith("feedtool-serve-")]


def test_serve_frees_each_build_even_when_run_as_a_one_shot_command(show: Path, monkeypatch) -> None:
    """`feedtool` (cli.run) marks its process as ending after the command; serve goes on
    building, so it must not keep each build's objects for the end (they would pile up)."""
    from feedtool import exiting
    from feedtool import serve as serve_module

    seen: list[bool] = []
    monkeypatch.setattr(exiting, "ENDS_AFTER_COMMAND", True)
    monkeypatch.setattr(serve_module, "serve", lambda *args: seen.append(exiting.ENDS_AFTER_COMMAND))
    result = CliRunner().invoke(main, ["serve", "--episodes", str(show), "--port", "0"])
    assert result.exit_code == 0, result.output
    assert seen == [False]
