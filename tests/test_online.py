"""`feedtool check --online` against a real server on 127.0.0.1 that serves the built site."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from feedtool.cli import main

from .conftest import AUDIO, SHOW_YAML, episode


@pytest.fixture
def site(make_show, build, http_server):
    """A show built into the server's folder, so every URL of its feed is live."""
    show = SHOW_YAML.replace("https://example.com/show/", f"{http_server.base}/")
    folder = make_show({"a.md": episode("A", transcript="a.vtt"), "a.mp3": AUDIO / "tone.mp3",
                        "a.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\nHello.\n"}, show_yaml=show)
    assert build(folder, output=http_server.root).exit_code == 0
    return folder, show


def online(folder, *args):
    result = CliRunner().invoke(main, ["check", "--episodes", str(folder), "--now", "2026-11-24", "--online",
                                       "--format", "json", *args])
    return result.exit_code, json.loads(result.stdout)


def test_a_good_host_passes(site, http_server) -> None:
    folder, _ = site
    code, found = online(folder)
    assert sorted(f["rule"] for f in found if f["level"] != "info") == ["ENC-HTTPS", "PC-HTTPS"]  # http server
    assert code == 0
    assert http_server.requests["/a.mp3"] == 2 and http_server.requests["/a.vtt"] == 2  # HEAD + range
    assert http_server.requests["/cover.png"] == 2


@pytest.mark.parametrize(("mode", "rule", "words"), [
    ("norange", "REMOTE-RANGE", "not 206 Partial Content"),
    ("wronglength", "REMOTE-LENGTH", "Content-Length is"),
    ("badtype", "HOST-TYPE", "is served as 'text/html', the feed says audio/mpeg"),
    ("nohead", "HOST-HEAD", "answers HEAD with 405"),
    ("loop", "REMOTE-UNREACHABLE", "more than 5 redirects"),
    ("status/404", "REMOTE-STATUS", "answers HTTP 404"),
])
def test_each_fault_is_flagged(site, http_server, make_show, mode: str, rule: str, words: str) -> None:
    folder, show = site
    (folder / "show.yaml").write_text(show + f"media_base_url: {http_server.base}/{mode}/\n")
    code, found = online(folder)
    audio = [f for f in found if f["rule"] == rule and f["message"].startswith("audio ")]
    assert audio and words in audio[0]["message"], found
    assert audio[0]["path"] == f"{folder.as_posix()}/a.md"
    assert code == (1 if audio[0]["level"] == "error" else 0)


def test_slow_and_flaky_hosts(site, http_server) -> None:
    folder, show = site
    (folder / "show.yaml").write_text(show + f"media_base_url: {http_server.base}/flaky/\n")
    code, found = online(folder)
    assert code == 0 and not [f for f in found if f["rule"].startswith(("REMOTE", "HOST"))]  # 500, then fine
    (folder / "show.yaml").write_text(show + f"media_base_url: {http_server.base}/slow/\n")
    code, found = online(folder, "--timeout", "0.5")
    assert code == 1 and any(f["rule"] == "REMOTE-UNREACHABLE" and "no answer within" in f["message"] for f in found)


def test_offline_check_makes_no_requests(site, http_server) -> None:
    folder, _ = site
    before = sum(http_server.requests.values())
    CliRunner().invoke(main, ["check", "--episodes", str(folder), "--now", "2026-11-24"])
    assert sum(http_server.requests.values()) == before
