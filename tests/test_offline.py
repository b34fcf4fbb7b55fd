"""Builds that need the network only for what they cannot know otherwise.

An imported show keeps its artwork on the old host, which a build checks; CI runners and
trains are offline at times, and CDNs hiccup. Linked artwork, transcripts and chapters
that cannot be reached are a warning (REMOTE-UNVERIFIED); `--offline` fetches nothing and
fails only where an enclosure's duration or length is unknown (REMOTE-OFFLINE). The
tests may reach 127.0.0.1 only (conftest): every other host is unreachable here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import feedparser

from .conftest import AUDIO, SHOW_YAML, cli, episode

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Moved Show</title>
  <atom:link href="https://old-host.example.org/feed.xml" rel="self" type="application/rss+xml"/>
  <link>https://old-host.example.org/</link>
  <description>A show moving in.</description>
  <language>en</language>
  <itunes:author>Someone</itunes:author>
  <itunes:owner><itunes:name>Someone</itunes:name><itunes:email>someone@example.org</itunes:email></itunes:owner>
  <itunes:image href="https://old-host.example.org/cover.jpg"/>
  <itunes:category text="News"/>
  <itunes:explicit>false</itunes:explicit>
  <item>
    <title>First</title>
    <guid isPermaLink="false">first-guid</guid>
    <pubDate>Mon, 01 Jan 2024 08:00:00 +0000</pubDate>
    <description>Notes.</description>
    <enclosure url="https://cdn.example.org/first.mp3" length="123456" type="audio/mpeg"/>
    <itunes:duration>00:30:00</itunes:duration>
    <podcast:transcript url="https://cdn.example.org/first.vtt" type="text/vtt"/>
  </item>
</channel>
</rss>
"""


def test_an_imported_show_builds_offline_and_with_its_old_host_unreachable(tmp_path: Path) -> None:
    source = tmp_path / "feed.xml"
    source.write_text(FEED)
    show = tmp_path / "show"
    assert cli("import", str(source), "--episodes", str(show)).exit_code == 0
    for extra in (["--offline"], []):
        output = tmp_path / f"out{len(extra)}"
        run = cli("build", "--episodes", str(show), "--output", str(output), "--now", "2026-12-01", *extra)
        assert run.exit_code == 0, run.stderr
        lines = run.stderr.splitlines()
        assert any(x.startswith("warning REMOTE-UNVERIFIED") and "image https://old-host.example.org/cover.jpg: "
                   "not checked" in x for x in lines), run.stderr
        assert any(x.startswith("warning REMOTE-UNVERIFIED") and "https://cdn.example.org/first.vtt: not checked"
                   in x for x in lines), run.stderr
        entry = feedparser.parse((output / "feed.xml").read_bytes()).entries[0]
        assert entry.enclosures[0].href == "https://cdn.example.org/first.mp3" and entry.itunes_duration == "1800"
        if extra:
            assert any("(--offline)" in x for x in lines)


def test_offline_uses_what_the_cache_learnt_and_fails_only_where_nothing_is_known(
        make_show, build, http_server, tmp_path: Path) -> None:
    shutil.copy(AUDIO / "tone.mp3", http_server.root / "a.mp3")
    folder = make_show({"a.md": episode("A", audio=f"{http_server.base}/a.mp3")})
    online = build(folder)
    assert online.exit_code == 0, online.stderr
    (http_server.root / "a.mp3").unlink()  # the host is gone: what the cache knows still holds
    (folder / "a.md").write_text(episode("A, edited", audio=f"{http_server.base}/a.mp3"))
    offline = build(folder, "--offline")
    assert offline.exit_code == 0, offline.stderr
    assert feedparser.parse(offline.feed.read_bytes()).entries[0].itunes_duration == "3"
    (folder / "b.md").write_text(episode("B", "2026-01-02", audio=f"{http_server.base}/b.mp3"))
    run = build(folder, "--offline")
    assert run.exit_code == 1
    assert any(x.startswith("error REMOTE-OFFLINE") and "/b.md" in x and "duration and length are not in the "
               "cache" in x for x in run.lines()), run.stderr
    (folder / "b.md").write_text(episode("B", "2026-01-02", audio=f"{http_server.base}/b.mp3", duration="60",
                                         length="1000"))
    assert build(folder, "--offline").exit_code == 0  # given in the front matter: nothing to fetch


def test_offline_fetches_no_previous_feed(make_show, build, http_server) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"})
    run = build(folder, "--offline", "--previous", f"{http_server.base}/feed.xml")
    assert run.exit_code == 1
    assert f"error GUARD-PREVIOUS {http_server.base}/feed.xml: cannot fetch the published feed: not fetched " \
           "(--offline)" in run.lines()
    assert http_server.requests[("/feed.xml")] == 0


def test_unreachable_linked_artwork_is_a_warning_but_a_missing_one_an_error(make_show, build, http_server) -> None:
    show = SHOW_YAML.replace("image: cover.png", "image: https://unreachable.example.org/cover.png")
    run = build(make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"}, show_yaml=show))
    assert run.exit_code == 0
    assert any(x.startswith("warning REMOTE-UNVERIFIED") and "not checked" in x for x in run.lines())
    gone = SHOW_YAML.replace("image: cover.png", f"image: {http_server.base}/missing.png")
    run = build(make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"}, show_yaml=gone))
    assert run.exit_code == 1 and any(x.startswith("error REMOTE-STATUS") for x in run.lines())
