"""`feedtool import`: feeds from feedtool and from another generator round-trip through
import and build without any guid or enclosure change; untrusted feeds are refused safely."""

from __future__ import annotations

import re
import shutil
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import podcastparser
import pytest
from lxml import etree

from .conftest import SAMPLE
from .conftest import cli as run

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
WORDPRESS = FIXTURES / "wordpress-powerpress.xml"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


def seconds(value: str) -> float:
    total = 0.0
    for part in value.split(":"):
        total = total * 60 + float(part)
    return total


def items(feed: bytes) -> list[tuple]:
    """(guid, enclosure URL, length, date, duration in seconds) of every item, in feed order."""
    channel = etree.fromstring(feed).find("channel")
    found = []
    for item in channel.iterfind("item"):
        enclosure = item.find("enclosure")
        url = enclosure.get("url")
        found.append((
            (item.findtext("guid") or "").strip() or url, url, int(enclosure.get("length")),
            parsedate_to_datetime(item.findtext("pubDate")), seconds(item.findtext(f"{ITUNES}duration")),
        ))
    return found


def use_local_cover(folder: Path) -> None:
    """Apple wants https artwork that answers; the tests are offline, so the art moves into the folder."""
    shutil.copy(SAMPLE / "cover.png", folder / "cover.png")
    text = (folder / "show.yaml").read_text()
    (folder / "show.yaml").write_text(re.sub(r"(?m)^image: .*$", "image: cover.png", text))


def test_another_generators_feed_round_trips_with_the_same_guids_and_enclosures(tmp_path: Path) -> None:
    show = tmp_path / "show"
    result = run("import", str(WORDPRESS), "--episodes", str(show))
    assert result.exit_code == 0, result.output
    assert "3 episode files" in result.output
    use_local_cover(show)
    built = run("build", "--episodes", str(show), "--output", str(tmp_path / "out"), "--now", "2026-11-24",
                "--previous", str(WORDPRESS))  # the guard compares with the original feed
    assert built.exit_code == 0, built.output
    assert "GUARD" not in built.stderr.replace("GUARD-FIRST", "")
    original, rebuilt = WORDPRESS.read_bytes(), (tmp_path / "out" / "feed.xml").read_bytes()
    assert items(rebuilt) == items(original)
    # the conventions were really exercised: a permalink guid, no guid, H:MM:SS, M:SS, seconds
    assert [i[0] for i in items(original)] == [
        "https://gardenshed.example.org/2024/02/part-2/", "https://gardenshed.example.org/?p=123",
        "https://media.example.org/gardenshed/ep1-compost.mp3"]
    assert [i[4] for i in items(rebuilt)] == [3723, 754, 330]
    # apps read the same episodes from both feeds
    before = podcastparser.parse("https://gardenshed.example.org/feed/podcast/", WORDPRESS.open("rb"))
    after = podcastparser.parse("https://gardenshed.example.org/feed/podcast/",
                                (tmp_path / "out" / "feed.xml").open("rb"))
    assert [(e["guid"], e["enclosures"][0]["url"], e["total_time"]) for e in before["episodes"]] == [
        (e["guid"], e["enclosures"][0]["url"], e["total_time"]) for e in after["episodes"]]


def test_html_notes_stay_html_and_plain_text_stays_text(tmp_path: Path) -> None:
    show = tmp_path / "show"
    assert run("import", str(WORDPRESS), "--episodes", str(show)).exit_code == 0
    use_local_cover(show)
    assert run("build", "--episodes", str(show), "--output", str(tmp_path / "out"), "--now", "2026-11-24",
               "--previous", str(WORDPRESS)).exit_code == 0
    parsed = feedparser.parse((tmp_path / "out" / "feed.xml").read_bytes())
    by_title = {e.title: e for e in parsed.entries}
    roof = by_title['Part 2/2: ../../sheds & "the roof"'].content[0].value
    assert '<a href="https://gardenshed.example.org/felt">roofing felt</a>' in roof
    assert "<li>Nails</li>" in roof and "<script" not in roof  # the list survived its blank line
    sheds = by_title["Part 1/2: sheds"].summary
    assert "a # that is no heading" in sheds and "<h1>" not in sheds


def test_our_own_feed_round_trips_over_http(make_show, build, http_server, tmp_path: Path) -> None:
    """The sample show, published on a local server, imported from its URL and rebuilt."""
    base = http_server.base + "/podcast/"
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    text = (folder / "show.yaml").read_text().replace("https://example.com/podcast/", base)
    (folder / "show.yaml").write_text(text)
    first = build(folder, output=http_server.root / "podcast")
    assert first.exit_code == 0, first.stderr
    live = base + "feed.xml"

    show = tmp_path / "imported"
    result = run("import", live, "--episodes", str(show))
    assert result.exit_code == 0, result.output
    use_local_cover(show)
    rebuilt = build(show, "--previous", live, output=tmp_path / "out")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    original = (http_server.root / "podcast" / "feed.xml").read_bytes()
    assert items(rebuilt.feed.read_bytes()) == items(original)
    # people, transcripts, chapters and the Opus alternate came along
    front = next(show.glob("*-deserters-*.md")).read_text()
    for expected in ("name: Nina Nazarova", "role: guest", "transcript:", "chapters: " + base, ".opus"):
        assert expected in front
    rebuilt_text = rebuilt.feed.read_text()
    for tag in ("podcast:alternateEnclosure", "<podcast:license>ARR</podcast:license>", "podcast:txt",
                "podcast:location", "podcast:soundbite"):
        assert tag in rebuilt_text and tag in original.decode(), tag
    podcast_guid = re.compile(rb"<podcast:guid>(.*?)</podcast:guid>")
    assert podcast_guid.search(rebuilt.feed.read_bytes())[1] == podcast_guid.search(original)[1]


def test_reimport_never_overwrites_and_update_adds_only_new_items(tmp_path: Path) -> None:
    show = tmp_path / "show"
    assert run("import", str(WORDPRESS), "--episodes", str(show)).exit_code == 0
    edited = show / "2024-01-01-compost-the-basics.md"
    edited.write_text(edited.read_text() + "\nMore notes, added by hand.\n")
    before = {p.name: p.read_bytes() for p in show.iterdir()}

    again = run("import", str(WORDPRESS), "--episodes", str(show))
    assert again.exit_code == 1
    assert "error IMPORT-EXISTS" in again.stderr
    assert {p.name: p.read_bytes() for p in show.iterdir()} == before

    newer = tmp_path / "newer.xml"
    extra = """<item><title>Seeds</title><pubDate>Sat, 17 Feb 2024 09:00:00 +0000</pubDate>
      <guid isPermaLink="false">seeds-4</guid><enclosure url="https://media.example.org/gardenshed/ep4.mp3"
      length="1000" type="audio/mpeg"/><itunes:duration>60</itunes:duration></item>"""
    newer.write_text(WORDPRESS.read_text().replace("<item>", extra + "<item>", 1))
    updated = run("import", str(newer), "--episodes", str(show), "--update")
    assert updated.exit_code == 0, updated.output
    assert "1 episode file" in updated.output and "3 already there" in updated.output
    after = {p.name: p.read_bytes() for p in show.iterdir()}
    assert set(after) - set(before) == {"2024-02-17-seeds.md"}
    assert all(after[name] == data for name, data in before.items())

    other = run("import", str(FIXTURES / "other-show.xml"), "--episodes",
                str(show), "--update")
    assert other.exit_code == 1
    assert "this folder holds another show ('The Garden Shed Hour'" in other.stderr
    assert {p.name for p in show.iterdir()} == set(after)


def test_file_names_are_slugs_inside_the_show_folder(tmp_path: Path) -> None:
    titles = ["../../../etc/passwd", "/absolute/path", "a\\b\\..\\c", "..", "", "CON", "Ünïcödé — 日本語",
              "x" * 300, "Same", "Same", "%2e%2e%2f"]
    entries = "".join(
        f"<item><title>{t}</title><pubDate>Mon, 01 Jan 2024 08:00:00 +0000</pubDate><guid>g{n}</guid>"
        f'<enclosure url="https://media.example.org/{n}.mp3" length="1" type="audio/mpeg"/></item>'
        for n, t in enumerate(titles))
    feed = tmp_path / "feed.xml"
    feed.write_text(f'<rss version="2.0"><channel><title>T</title>{entries}</channel></rss>')
    show = tmp_path / "deep" / "show"
    result = run("import", str(feed), "--episodes", str(show))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in show.iterdir() if p.suffix == ".md")
    assert len(names) == len(titles)
    assert all(re.fullmatch(r"2024-01-01-[a-z0-9-]+\.md", name) and len(name) < 90 for name in names), names
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p.parent != show] == [feed]
    assert {"2024-01-01-same.md", "2024-01-01-same-2.md", "2024-01-01-etc-passwd.md"} <= set(names)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title></channel></rss>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>T</title><item><title>&secret;</title><guid>x</guid>
<enclosure url="https://media.example.org/x.mp3" length="1" type="audio/mpeg"/></item></channel></rss>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_entity_declarations_are_refused_before_parsing(tmp_path: Path, text: str) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(text)
    result = run("import", str(feed), "--episodes", str(tmp_path / "show"))
    assert result.exit_code == 1
    assert f"error IMPORT-UNSAFE {feed.as_posix()}: the feed declares XML entities" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "show").exists()


def test_entity_declarations_the_byte_scan_cannot_see_are_refused_after_parsing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = (f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rss [<!ENTITY s SYSTEM "file://{secret}">]>'
           '<rss version="2.0"><channel><title>T</title><item><title>&s;</title><guid>x</guid>'
           '<enclosure url="https://m.example.org/s.mp3" length="1" type="audio/mpeg"/></item></channel></rss>')
    hidden = ('<?xml version="1.0"?><!-- <looks like a tag> --><!DOCTYPE rss [<!ENTITY e "INJECTED">]>'
              '<rss version="2.0"><channel><title>T</title><item><title>a</title><guid>x</guid>'
              '<enclosure url="https://m.example.org/&e;.mp3" length="1" type="audio/mpeg"/></item></channel></rss>')
    for name, data in (("utf16.xml", xxe.encode("utf-16")), ("comment.xml", hidden.encode())):
        feed = tmp_path / name
        feed.write_bytes(data)
        result = run("import", str(feed), "--episodes", str(tmp_path / "show"))
        assert result.exit_code == 1, name
        assert "error IMPORT-UNSAFE" in result.stderr
        assert not (tmp_path / "show").exists()


def test_no_external_dtd_is_read(tmp_path: Path) -> None:
    """The parser loads no DTD, so entities defined outside the feed stay unknown."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "TOPSECRET">')
    feed = tmp_path / "feed.xml"
    feed.write_text(f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "file://{dtd}"><rss version="2.0"><channel>'
                    "<title>T &secret;</title><item><title>a &secret;</title><guid>x</guid>"
                    '<enclosure url="https://m.example.org/a.mp3" length="1" type="audio/mpeg"/></item>'
                    "</channel></rss>")
    run("import", str(feed), "--episodes", str(tmp_path / "show"))
    written = [p.read_text() for p in (tmp_path / "show").glob("*")] if (tmp_path / "show").exists() else []
    assert not any("TOPSECRET" in text for text in written)


def test_no_dtd_is_fetched(tmp_path: Path, http_server) -> None:
    (http_server.root / "evil.dtd").write_text('<!ENTITY title "from the DTD">')
    feed = tmp_path / "feed.xml"
    feed.write_text(f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{http_server.base}/evil.dtd">'
                    '<rss version="2.0"><channel><title>T</title></channel></rss>')
    result = run("import", str(feed), "--episodes", str(tmp_path / "show"))
    assert result.exit_code == 0, result.output
    assert http_server.requests["/evil.dtd"] == 0


def test_size_limit_for_files_and_downloads(tmp_path: Path, http_server) -> None:
    big = "<item><title>x</title></item>" * 40_000  # about 1.2 MB
    text = f'<rss version="2.0"><channel><title>T</title>{big}</channel></rss>'
    feed = tmp_path / "big.xml"
    feed.write_text(text)
    (http_server.root / "big.xml").write_text(text)
    # a file, a download that says its size, one that does not, and a file without end
    for source in (str(feed), http_server.base + "/big.xml", http_server.base + "/unsized/big.xml", "/dev/zero"):
        result = run("import", source, "--episodes", str(tmp_path / "show"), "--max-size", "1")
        assert result.exit_code == 1
        assert f"error IMPORT-SIZE {source}: the feed is larger than 1 MB" in result.stderr
    assert not (tmp_path / "show").exists()


def test_a_download_has_an_overall_deadline_and_a_size_cap(tmp_path: Path, http_server) -> None:
    """A server that trickles (each byte well within --timeout) stops at the deadline, 6 x
    --timeout; an endless body and a gzip bomb stop at the size cap."""
    (http_server.root / "slow.xml").write_bytes(b'<rss version="2.0"><channel>' + b" " * 400 + b"</channel></rss>")
    source = http_server.base + "/trickle/slow.xml"  # 20 ms a byte: about 9 s in all
    result = run("import", source, "--episodes", str(tmp_path / "show"), "--timeout", "0.3")
    assert result.exit_code == 1
    assert f"error IMPORT-FETCH {source}: cannot fetch the feed: too slow:" in result.stderr
    for source in (http_server.base + "/endless/feed.xml", http_server.base + "/bomb/feed.xml"):
        result = run("import", source, "--episodes", str(tmp_path / "show"), "--max-size", "1")
        assert result.exit_code == 1
        assert f"error IMPORT-SIZE {source}: the feed is larger than 1 MB" in result.stderr
    assert not (tmp_path / "show").exists()


def test_unreadable_or_broken_feeds(tmp_path: Path, http_server) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text('<rss version="2.0">\n<channel>\n<title>T</title>\n</rss>\n')
    atom = tmp_path / "atom.xml"
    atom.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title></feed>')
    missing_url = http_server.base + "/nothing.xml"
    page = tmp_path / "page.xml"
    page.write_text("<!DOCTYPE html>\n<html><head><title>My show</title></head><body><p>Hi</body></html>")
    cases = [
        (str(page), f"error IMPORT-XML {page.as_posix()}: this is a web page, not a feed"),
        ("example.org:8080/feed.xml", "error IMPORT-FETCH example.org:8080/feed.xml: no such file; a feed URL must"),
        ("ftp://example.org/feed.xml", "error IMPORT-FETCH ftp://example.org/feed.xml: no such file; a feed URL"),
        (str(broken), f"error IMPORT-XML {broken.as_posix()}:4: the feed is not well-formed XML"),
        (str(atom), f"error IMPORT-XML {atom.as_posix()}:1: not an RSS feed"),
        (str(tmp_path / "missing.xml"), "error IMPORT-FETCH"),
        (missing_url, f"error IMPORT-FETCH {missing_url}: answers HTTP 404"),
    ]
    for source, message in cases:
        result = run("import", source, "--episodes", str(tmp_path / "show"))
        assert result.exit_code == 1
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.output
    assert not (tmp_path / "show").exists()


def test_missing_values_are_pointed_out_and_the_files_still_written(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text('<rss version="2.0"><channel><title>T</title><item><title>No audio</title>'
                    "<guid>a</guid></item><item><title>No date</title><guid>b</guid>"
                    '<enclosure url="https://m.example.org/b.mp3" length="5" type="audio/mpeg"/></item>'
                    "</channel></rss>")
    show = tmp_path / "show"
    result = run("import", str(feed), "--episodes", str(show))
    assert result.exit_code == 0
    assert "warning IMPORT-INCOMPLETE " + (show / "show.yaml").as_posix() + ": the feed gives no link" in result.stderr
    assert "itunes:owner email" in result.stderr
    assert "no enclosure, so it is imported as a draft" in result.stderr
    assert (show / "undated-no-date.md").is_file()
    assert "draft: true" in (show / "undated-no-audio.md").read_text()


def test_digits_that_are_not_ascii_are_no_numbers(tmp_path: Path) -> None:
    """"²", "³" and "٣" are digits to str.isdigit(); int() refuses the first two (a traceback
    before) and reads the third: none of them is a season, an episode or a length."""
    feed = tmp_path / "feed.xml"
    feed.write_text('<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
                    "<title>T</title><item><title>Odd</title><guid>a</guid>"
                    "<pubDate>Mon, 01 Jan 2024 08:00:00 +0000</pubDate>"
                    "<itunes:season>²</itunes:season><itunes:episode>\u0663</itunes:episode>"
                    '<enclosure url="https://m.example.org/a.mp3" length="12\u00b3" type="audio/mpeg"/></item>'
                    "</channel></rss>", encoding="utf-8")
    result = run("import", str(feed), "--episodes", str(tmp_path / "show"))
    assert result.exit_code == 0, result.output
    text = (tmp_path / "show" / "2024-01-01-odd.md").read_text()
    assert "season:" not in text and "episode:" not in text and "length:" not in text


def test_with_duplicate_guids_the_first_item_is_kept_as_apps_do(tmp_path: Path) -> None:
    items = "".join(
        f"<item><title>{title}</title><pubDate>{date}</pubDate><guid>dup</guid>"
        f'<enclosure url="https://m.example.org/{title}.mp3" length="1" type="audio/mpeg"/></item>'
        for title, date in (("new", "Tue, 02 Jan 2024 08:00:00 +0000"), ("old", "Mon, 01 Jan 2024 08:00:00 +0000")))
    feed = tmp_path / "feed.xml"
    feed.write_text(f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>')
    result = run("import", str(feed), "--episodes", str(tmp_path / "show"))
    assert result.exit_code == 0
    assert f"warning IMPORT-DUPLICATE {feed.as_posix()}:1: 'old' has the guid 'dup'" in result.stderr
    assert [p.name for p in (tmp_path / "show").glob("*.md")] == ["2024-01-02-new.md"]


def test_notes_starting_inline_stay_html(tmp_path: Path) -> None:
    from feedtool.importer import _as_html_notes

    assert _as_html_notes("<br>[x](y) *z*") == "<div>\n<br>[x](y) *z*\n</div>"
    assert _as_html_notes("<p>a</p>\n\n<p>b</p>") == "<p>a</p>\n<p>b</p>"


def test_a_name_taken_by_a_dangling_link_is_not_written_through(tmp_path: Path) -> None:
    show = tmp_path / "show"
    show.mkdir()
    (show / "show.yaml").symlink_to(tmp_path / "nowhere.yaml")
    result = run("import", str(WORDPRESS), "--episodes", str(show))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"error WRITE-FAILED {(show / 'show.yaml').as_posix()}: something already has this name" in result.stderr
    assert not (tmp_path / "nowhere.yaml").exists()
