"""`feedtool ping` against a local WebSub hub and ping service, and the hub link in the feed."""

from __future__ import annotations

from urllib.parse import parse_qs

from click.testing import CliRunner
from lxml import etree

from feedtool.cli import main

from .conftest import AUDIO, SHOW_YAML, episode


def run_ping(folder, *args):
    return CliRunner().invoke(main, ["ping", "--episodes", str(folder), *args])


def test_hub_gets_a_websub_publish_and_ping_urls_a_get(make_show, build, http_server) -> None:
    show = SHOW_YAML + f"hub: {http_server.base}/hub\npings:\n  - {http_server.base}/ping?key=1\n" \
        f"  - '{http_server.base}/notify/{{url}}'\n"
    folder = make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"}, show_yaml=show)
    feed = build(folder).feed
    hubs = etree.parse(str(feed)).xpath("//atom:link[@rel='hub']/@href",
                                        namespaces={"atom": "http://www.w3.org/2005/Atom"})
    assert hubs == [f"{http_server.base}/hub"]
    result = run_ping(folder)
    assert result.exit_code == 0, result.output
    body = "hub.mode=publish&hub.url=https%3A%2F%2Fexample.com%2Fshow%2Ffeed.xml"
    assert http_server.posts == [("/hub", body), ("/ping?key=1&url=https%3A%2F%2Fexample.com%2Fshow%2Ffeed.xml", body),
                                 ("/notify/https%3A%2F%2Fexample.com%2Fshow%2Ffeed.xml", body)]
    assert parse_qs(http_server.posts[0][1])["hub.url"] == ["https://example.com/show/feed.xml"]
    assert result.stdout.count("pinged ") == 3


def test_a_failed_ping_is_a_warning_and_fails_only_when_strict(make_show, http_server) -> None:
    show = SHOW_YAML + f"hub: [{http_server.base}/status/500, {http_server.base}/hub]\n"
    folder = make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"}, show_yaml=show)
    result = run_ping(folder, "--feed-url", "https://example.org/other.xml")
    assert result.exit_code == 0
    assert f"warning PING-FAILED {folder.as_posix()}/show.yaml:13: hub {http_server.base}/status/500: HTTP 500" \
        in result.stderr
    assert ("/hub", "hub.mode=publish&hub.url=https%3A%2F%2Fexample.org%2Fother.xml") in http_server.posts
    assert run_ping(folder, "--strict").exit_code == 1


def test_nothing_to_ping(make_show) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"})
    result = run_ping(folder)
    assert result.exit_code == 0 and "nothing to ping" in result.stdout
