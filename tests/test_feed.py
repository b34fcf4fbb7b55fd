"""The feed itself, read back by real podcast-app parsers (gPodder's podcastparser, feedparser)."""

from __future__ import annotations

import uuid
from pathlib import Path

import feedparser
import podcastparser
import pytest
from lxml import etree
from PIL import Image

from feedtool.load import podcast_guid

from .conftest import AUDIO, DURATIONS, SAMPLE, SHOW_YAML, episode

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
TONE = AUDIO / "tone.mp3"


def gpodder(feed: Path, url: str = "https://example.com/show/feed.xml") -> dict:
    with open(feed, "rb") as handle:
        return podcastparser.parse(url, handle)


def xpath(feed: Path, path: str) -> list:
    return etree.parse(str(feed)).xpath(path, namespaces=NS)


# -- the sample show -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_feed(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    from feedtool.cli import main

    output = tmp_path_factory.mktemp("sample")
    result = CliRunner().invoke(
        main, ["build", "--episodes", str(SAMPLE), "--output", str(output), "--now", "2026-11-24", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr and "error" not in result.stderr, result.stderr
    return output / "feed.xml"


def test_sample_show_read_by_podcastparser(sample_feed: Path) -> None:
    parsed = gpodder(sample_feed, "https://example.com/podcast/feed.xml")
    assert parsed["title"] == "Frontline Dispatches"
    assert parsed["cover_url"] == "https://example.com/podcast/cover.png"
    episodes = parsed["episodes"]
    assert [e["title"] for e in episodes] == [
        "Listener questions", "The newsroom in exile", "Deserters: the Russian soldiers who walked away",
    ]
    first = episodes[-1]
    assert first["guid"] == str(uuid.uuid5(uuid.UUID(podcast_guid("https://example.com/podcast/feed.xml")),
                                           "001-deserters"))
    assert first["enclosures"] == [{
        "url": "https://example.com/podcast/001-deserters.mp3",
        "file_size": (SAMPLE / "001-deserters.mp3").stat().st_size,
        "mime_type": "audio/mpeg",
    }]
    assert 20 <= first["total_time"] <= 24
    assert first["number"] == 1
    assert "<h3>The scale of desertion</h3>" in first["description_html"]
    assert "Amaliya Zatari" in first["description_html"] and "Nina Nazarova" in first["description_html"]
    assert episodes[1]["enclosures"][0]["mime_type"] == "audio/x-m4a"
    assert episodes[0]["enclosures"][0]["url"] == (
        "https://example.com/podcast/audio/003-listener-questions.mp3"
    )


def test_sample_show_read_by_feedparser(sample_feed: Path) -> None:
    parsed = feedparser.parse(str(sample_feed))
    assert not parsed.bozo
    assert parsed.feed.language == "en-gb"
    assert parsed.feed.link == "https://example.com/podcast/"
    assert [t.term for t in parsed.feed.tags] == ["News", "Politics"]
    assert parsed.feed.itunes_type == "episodic"
    deserters = parsed.entries[-1]
    assert deserters.published == "Fri, 06 Nov 2026 06:00:00 +0000"
    assert deserters.itunes_duration == "22"
    assert deserters.summary.startswith("A record number of Russian soldiers")  # itunes:summary
    assert deserters.content[0].value.count("<h3>") == 3


def test_sample_channel_tags(sample_feed: Path) -> None:
    assert xpath(sample_feed, "/rss/channel/itunes:explicit/text()") == ["false"]
    assert xpath(sample_feed, "/rss/channel/itunes:category/@text") == ["News"]
    assert xpath(sample_feed, "/rss/channel/itunes:category/itunes:category/@text") == ["Politics"]
    assert xpath(sample_feed, "/rss/channel/itunes:owner/itunes:email/text()") == ["podcast@example.com"]
    assert xpath(sample_feed, "/rss/channel/atom:link[@rel='self']/@href") == [
        "https://example.com/podcast/feed.xml"
    ]
    assert xpath(sample_feed, "/rss/channel/podcast:guid/text()") == [
        podcast_guid("https://example.com/podcast/feed.xml")
    ]
    assert xpath(sample_feed, "/rss/channel/generator/text()") == ["feedtool"]
    assert xpath(sample_feed, "/rss/channel/lastBuildDate/text()") == ["Fri, 20 Nov 2026 06:00:00 +0000"]


def test_items_are_written_as_lxml_writes_them_in_the_channel(sample_feed: Path, make_show, build) -> None:
    """Items rendered apart and put in the channel's place must read exactly as if lxml had
    written the whole tree: same indentation, no namespace declared again in an item."""
    unicode_show = make_show({"ep.md": episode("Привет 東京", body="É 🎙️ <b>x</b>\n\n- a\n- b"), "ep.mp3": TONE})
    for feed in (sample_feed, build(unicode_show).feed):
        written = feed.read_bytes()
        parser = etree.XMLParser(remove_blank_text=True, strip_cdata=False)
        tree = etree.ElementTree(etree.fromstring(written, parser))
        assert etree.tostring(tree, pretty_print=True, encoding="UTF-8", xml_declaration=True) == written
        assert written.count(b"xmlns:") == written.split(b">", 2)[1].count(b"xmlns:")  # all on <rss>
        assert written.count(b"<item>") >= 1


def test_sample_media_is_copied_into_output(sample_feed: Path) -> None:
    site = sample_feed.parent
    for name in ("cover.png", "001-deserters.mp3", "002-exile-newsroom.m4a",
                 "audio/003-listener-questions.mp3"):
        assert (site / name).read_bytes() == (SAMPLE / name).read_bytes()


def test_sample_cover_art_meets_apple_rules() -> None:
    with Image.open(SAMPLE / "cover.png") as image:
        assert image.format == "PNG" and image.mode == "RGB"
        assert image.width == image.height and 1400 <= image.width <= 3000
    assert (SAMPLE / "cover.png").stat().st_size < 512 * 1024


# -- determinism -------------------------------------------------------------------------


def test_unchanged_input_gives_identical_bytes(make_show, build, tmp_path: Path) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE, "b.md": episode("B", "2026-02-01"),
                        "b.m4a": AUDIO / "tone.m4a"})
    one = build(folder, output=tmp_path / "one").feed.read_bytes()
    two = build(folder, "--now", "2027-06-01", output=tmp_path / "two").feed.read_bytes()
    assert one == two


def test_items_sort_newest_first_then_by_file_name(make_show, build) -> None:
    folder = make_show({
        "b.md": episode("B same day", "2026-03-01T10:00:00+01:00"), "b.mp3": TONE,
        "a.md": episode("A same day", "2026-03-01T09:00:00Z"), "a.mp3": TONE,
        "c.md": episode("C older", "2026-01-01"), "c.mp3": TONE,
        "d.md": episode("D newest", "2026-05-01"), "d.mp3": TONE,
    })
    run = build(folder)
    assert xpath(run.feed, "//item/title/text()") == ["D newest", "B same day", "A same day", "C older"]
    # pubDate keeps the offset the publisher wrote
    assert xpath(run.feed, "//item[title='B same day']/pubDate/text()") == ["Sun, 01 Mar 2026 10:00:00 +0100"]


# -- guids -------------------------------------------------------------------------------


def test_default_guid_survives_edits_of_title_date_and_audio(make_show, build) -> None:
    folder = make_show({"ep.md": episode("First title", "2026-01-01"), "ep.mp3": TONE})
    before = xpath(build(folder).feed, "//item/guid/text()")
    (folder / "ep.mp3").unlink()
    make_show({"ep.md": episode("New title", "2026-01-02", audio="ep.ogg"), "ep.ogg": AUDIO / "tone.ogg"})
    run = build(folder)
    assert xpath(run.feed, "//item/guid/text()") == before
    assert xpath(run.feed, "//item/guid/@isPermaLink") == ["false"]
    show_guid = uuid.UUID(podcast_guid("https://example.com/show/feed.xml"))
    assert before == [str(uuid.uuid5(show_guid, "ep"))]


def test_explicit_guid_wins_and_keeps_its_text(make_show, build) -> None:
    folder = make_show({"ep.md": episode("E", guid="0042"), "ep.mp3": TONE})
    assert gpodder(build(folder).feed)["episodes"][0]["guid"] == "0042"


def test_show_guid_can_be_set(make_show, build) -> None:
    fixed = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    folder = make_show({"ep.md": episode("E"), "ep.mp3": TONE}, show_yaml=SHOW_YAML + f"guid: {fixed}\n")
    feed = build(folder).feed
    assert xpath(feed, "/rss/channel/podcast:guid/text()") == [fixed]
    assert xpath(feed, "//item/guid/text()") == [str(uuid.uuid5(uuid.UUID(fixed), "ep"))]


# -- audio and enclosures -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DURATIONS))
def test_every_format_gets_its_duration_length_and_type(make_show, build, name: str) -> None:
    folder = make_show({"ep.md": episode("E", audio=f"media/{name}"), f"media/{name}": AUDIO / name})
    item = gpodder(build(folder).feed)["episodes"][0]
    assert item["total_time"] == round(DURATIONS[name])
    assert item["enclosures"][0]["file_size"] == (AUDIO / name).stat().st_size


def test_enclosure_url_is_percent_encoded(make_show, build) -> None:
    folder = make_show({"ep.md": episode("E", audio="'my files/ep #1 é.mp3'"), "my files/ep #1 é.mp3": TONE})
    run = build(folder)
    assert xpath(run.feed, "//enclosure/@url") == ["https://example.com/show/my%20files/ep%20%231%20%C3%A9.mp3"]
    assert (run.feed.parent / "my files" / "ep #1 é.mp3").is_file()


def test_cdn_media_base_url_is_used_and_media_not_copied(make_show, build) -> None:
    show = SHOW_YAML + "media_base_url: https://cdn.example.net/audio\n"
    folder = make_show({"ep.md": episode("E"), "ep.mp3": TONE}, show_yaml=show)
    run = build(folder)
    assert xpath(run.feed, "//enclosure/@url") == ["https://cdn.example.net/audio/ep.mp3"]
    assert xpath(run.feed, "/rss/channel/itunes:image/@href") == ["https://cdn.example.net/audio/cover.png"]
    assert sorted(p.name for p in run.feed.parent.iterdir()) == ["feed.xml", "index.html"]


def test_remote_audio_with_overrides(make_show, build) -> None:
    folder = make_show({"ep.md": episode(
        "E", audio="https://cdn.example.com/ep.m4a?x=1", duration="1:02:03", length="123456"
    )})
    item = gpodder(build(folder).feed)["episodes"][0]
    assert item["enclosures"] == [{"url": "https://cdn.example.com/ep.m4a?x=1", "file_size": 123456,
                                   "mime_type": "audio/x-m4a"}]
    assert item["total_time"] == 3723


def test_vbr_mp3_gets_its_counted_duration_and_an_info_line(make_show, build) -> None:
    folder = make_show({"ep.md": episode("E"), "ep.mp3": AUDIO / "vbr-noxing.mp3"})
    run = build(folder)
    assert xpath(run.feed, "//itunes:duration/text()") == ["7"]
    assert any(line.startswith("info MP3-ESTIMATE") for line in run.lines())


# -- publishing rules --------------------------------------------------------------------


def test_drafts_and_future_episodes_stay_out_until_their_date(make_show, build) -> None:
    folder = make_show({
        "past.md": episode("Past", "2026-11-01"), "past.mp3": TONE,
        "draft.md": episode("Draft", "2026-11-02", draft="true"),
        "soon.md": episode("Soon", "2026-12-01T09:00:00+00:00"), "soon.mp3": TONE,
    })
    run = build(folder)
    assert xpath(run.feed, "//item/title/text()") == ["Past"]
    assert "1 episode, 1 new, 0:00:03 of audio, 1 scheduled, 1 draft" in run.stdout
    assert any(line.startswith("info SCHEDULED") for line in run.lines())
    later = build(folder, "--now", "2026-12-01T09:00:00Z")
    assert xpath(later.feed, "//item/title/text()") == ["Soon", "Past"]


def test_readme_and_subfolder_markdown_are_not_episodes(make_show, build) -> None:
    folder = make_show({"README.md": "# About this folder\n", "notes/x.md": "draft notes",
                        "ep.md": episode("E"), "ep.mp3": TONE})
    assert xpath(build(folder).feed, "//item/title/text()") == ["E"]


def test_explicit_flags_are_true_false(make_show, build) -> None:
    folder = make_show({"ep.md": episode("E", explicit="yes", episode="1"), "ep.mp3": TONE},
                       show_yaml=SHOW_YAML + "explicit: true\ntype: serial\n")
    feed = build(folder).feed
    assert xpath(feed, "/rss/channel/itunes:explicit/text()") == ["true"]
    assert xpath(feed, "//item/itunes:explicit/text()") == ["true"]
    assert xpath(feed, "/rss/channel/itunes:type/text()") == ["serial"]


# -- show notes ----------------------------------------------------------------------------


def test_notes_are_sanitised(make_show, build) -> None:
    body = (
        "Hello <script>alert(1)</script><b onclick=\"x()\">bold</b> "
        "<a href=\"javascript:alert(2)\">bad</a> [good](https://example.com)\n\n"
        "<iframe src=\"https://evil.example\"></iframe><style>p{}</style>"
    )
    folder = make_show({"ep.md": episode("E", body=body), "ep.mp3": TONE})
    html = gpodder(build(folder).feed)["episodes"][0]["description_html"]
    for bad in ("script", "onclick", "javascript:", "iframe", "style"):
        assert bad not in html
    assert '<a href="https://example.com">good</a>' in html and "<b>bold</b>" in html


def test_cdata_terminator_and_forbidden_characters(make_show, build) -> None:
    body = "Arrays like a[b[0]]> end. Bell:\x07 and \x1b. Unicode: Привет, 東京, 🎙️, é."
    folder = make_show({"ep.md": episode('"E\\a title"', body=body), "ep.mp3": TONE})
    run = build(folder)
    assert run.exit_code == 0
    item = gpodder(run.feed)["episodes"][0]
    assert item["title"] == "E title"
    assert "a[b[0]]&gt; end. Bell: and . Unicode: Привет, 東京, 🎙️, é." in item["description_html"]
    assert any(line.startswith("warning XML-CHARS") for line in run.lines())


def test_long_notes_get_a_plain_description_and_full_content(make_show, build) -> None:
    body = "\n\n".join(f"Paragraph {n} " + "words " * 60 for n in range(20))
    folder = make_show({"ep.md": episode("E", body=body, summary="Short summary."), "ep.mp3": TONE})
    run = build(folder)
    assert xpath(run.feed, "//item/description/text()") == ["Short summary."]
    assert len(xpath(run.feed, "//item/content:encoded/text()")[0]) > 4000
    assert any(line.startswith("warning NOTES-LEN") for line in run.lines())


def test_subtitle_and_summary_come_from_the_first_paragraph(make_show, build) -> None:
    folder = make_show({"ep.md": episode("E", body="# Heading\n\nFirst *para*.\n\nSecond."), "ep.mp3": TONE})
    feed = build(folder).feed
    assert xpath(feed, "//item/itunes:subtitle/text()") == ["First para."]
    assert xpath(feed, "//item/itunes:summary/text()") == ["First para."]


def test_plain_summary_in_description_is_escaped(make_show, build) -> None:
    folder = make_show({"ep.md": episode("E", body="", summary="'<script>x()</script> Q&A'"),
                        "ep.mp3": TONE})
    feed = build(folder).feed
    assert xpath(feed, "//item/description/text()") == ["&lt;script&gt;x()&lt;/script&gt; Q&amp;A"]


def test_cdata_terminator_inside_an_attribute(make_show, build) -> None:
    body = '<a href="https://example.com/" title="x]]>y">link</a>'
    folder = make_show({"ep.md": episode("E", body=body), "ep.mp3": TONE})
    html = gpodder(build(folder).feed)["episodes"][0]["description_html"]
    assert 'title="x]]&gt;y"' in html


@pytest.mark.parametrize(("given", "written"), [("12.5", "13"), ("12.49", "12"), ("0:59.6", "60")])
def test_durations_round_half_up(make_show, build, given: str, written: str) -> None:
    folder = make_show({"ep.md": episode(
        "E", audio="https://cdn.example.com/e.mp3", duration=f"'{given}'", length="1000")})
    assert xpath(build(folder).feed, "//itunes:duration/text()") == [written]


def test_show_type_defaults_to_episodic(make_show, build) -> None:
    folder = make_show({"ep.md": episode("E"), "ep.mp3": TONE})
    assert xpath(build(folder).feed, "/rss/channel/itunes:type/text()") == ["episodic"]


def test_default_guid_ignores_unicode_normalisation(make_show, build) -> None:
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    one = make_show({f"{nfc}.md": episode("E"), f"{nfc}.mp3": TONE})
    guid = xpath(build(one).feed, "//item/guid/text()")
    (one / f"{nfc}.md").rename(one / f"{nfd}.md")
    (one / f"{nfc}.mp3").rename(one / f"{nfd}.mp3")
    assert xpath(build(one).feed, "//item/guid/text()") == guid


def test_identical_bytes_across_processes_time_zones_and_hash_seeds(make_show, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    folder = make_show({"a.md": episode("A", "2026-01-01T10:00:00+02:00"), "a.mp3": TONE,
                        "b.md": episode("B", "2026-02-01"), "b.ogg": AUDIO / "tone.ogg"})
    feeds = []
    for n, (tz, seed) in enumerate([("UTC", "1"), ("Asia/Kolkata", "2")]):
        out = tmp_path / f"out{n}"
        env = {**os.environ, "TZ": tz, "PYTHONHASHSEED": seed, "LC_ALL": "C.UTF-8"}
        subprocess.run([sys.executable, "-m", "feedtool", "build", "--episodes", str(folder),
                        "--output", str(out)], env=env, check=True, capture_output=True)
        feeds.append((out / "feed.xml").read_bytes())
        (folder / "a.md").touch()  # a newer mtime must not matter either
    assert feeds[0] == feeds[1]
    assert b"<lastBuildDate>Sun, 01 Feb 2026 00:00:00 +0000</lastBuildDate>" in feeds[0]


def test_media_urls_are_what_urljoin_gives() -> None:
    """The fast path of media_url must not change a published URL (the guard would stop the build)."""
    from urllib.parse import quote, urljoin

    from feedtool.load import media_url

    for base in ("https://example.com/podcast/", "https://cdn.example.net/podcast/../audio/", "https://x/a//b/",
                 "HTTPS://Example.com/a/", "https://x/a/./b/", "https://x/a/?q=1"):
        for path in ("ep 1.mp3", "audio/é.m4a", "a:b.mp3"):
            assert media_url(base, path) == urljoin(base, quote(path, safe="/")), (base, path)
