"""Paged feeds (RFC 5005): the newest items in feed.xml, older ones in archive pages."""

from __future__ import annotations

import shutil

import podcastparser
from lxml import etree

from .conftest import AUDIO, SHOW_YAML, episode

PAGED = SHOW_YAML + "max_items: 3\npaging: true\n"
ATOM = {"atom": "http://www.w3.org/2005/Atom", "fh": "http://purl.org/syndication/history/1.0"}


def show_of(count: int) -> dict:
    files = {}
    for n in range(count):
        files[f"{n:02d}.md"] = episode(f"Episode title {n}", f"2026-01-{n + 1:02d}")
        files[f"{n:02d}.mp3"] = AUDIO / "tone.mp3"
    return files


def page(path):
    tree = etree.parse(str(path))
    links = {link.get("rel"): link.get("href") for link in tree.xpath("//atom:link", namespaces=ATOM)}
    return tree.xpath("//item/title/text()"), tree.xpath("//item/guid/text()"), links, tree


def test_newest_items_in_the_feed_and_older_ones_in_archive_pages(make_show, build) -> None:
    run = build(make_show(show_of(7), show_yaml=PAGED))
    assert run.exit_code == 0, run.stderr
    site = run.feed.parent
    titles, guids, links, _ = page(run.feed)
    assert titles == ["Episode title 6", "Episode title 5", "Episode title 4"]
    base = "https://example.com/show/"
    assert links["next"] == links["prev-archive"] == base + "feed-archive-2.xml"
    assert links["first"] == base + "feed.xml" and links["last"] == base + "feed-archive-1.xml"
    oldest = page(site / "feed-archive-1.xml")
    newer = page(site / "feed-archive-2.xml")
    assert oldest[0] == ["Episode title 2", "Episode title 1", "Episode title 0"]
    assert newer[0] == ["Episode title 3"]
    assert newer[2]["next"] == base + "feed-archive-1.xml" and newer[2]["previous"] == base + "feed.xml"
    assert oldest[2]["self"] == base + "feed-archive-1.xml" and oldest[2]["current"] == base + "feed.xml"
    assert oldest[3].xpath("//fh:archive", namespaces=ATOM) and not page(run.feed)[3].xpath(
        "//fh:archive", namespaces=ATOM)
    assert len(set(guids + oldest[1] + newer[1])) == 7
    assert any(line.startswith("warning PAGING") and "4 older episodes" in line for line in run.lines())
    with open(run.feed, "rb") as handle:
        assert podcastparser.parse(base + "feed.xml", handle)["paged_feed_next"] == base + "feed-archive-2.xml"
    show_page = (site / "index.html").read_text()  # the show's web page lists every episode, archived or not
    assert show_page.startswith("<!DOCTYPE html>") and all(f"Episode title {n}<" in show_page for n in range(7))


def test_items_moving_into_an_archive_are_not_removals(make_show, build) -> None:
    folder = make_show(show_of(7), show_yaml=PAGED)
    assert build(folder).exit_code == 0
    make_show({"07.md": episode("Episode title 7", "2026-01-08"), "07.mp3": AUDIO / "tone.mp3"}, show_yaml=PAGED)
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    (folder / "00.md").unlink()  # an archived episode deleted: still a removal
    run = build(folder)
    assert run.exit_code == 1
    assert any(x.startswith("error GUARD-REMOVED") and "'Episode title 0'" in x for x in run.lines())


def test_the_guard_follows_the_archive_pages_of_a_live_feed(make_show, build, http_server, tmp_path) -> None:
    show = PAGED.replace("https://example.com/show/", f"{http_server.base}/")
    folder = make_show(show_of(7), show_yaml=show)
    assert build(folder, output=http_server.root).exit_code == 0
    (folder / "01.md").unlink()
    run = build(folder, "--previous", f"{http_server.base}/feed.xml", output=tmp_path / "fresh")
    assert any(x.startswith("error GUARD-REMOVED") and "'Episode title 1'" in x for x in run.lines()), run.stderr


def test_max_items_without_paging_is_refused(make_show, build) -> None:
    run = build(make_show(show_of(2), show_yaml=SHOW_YAML + "max_items: 3\n"))
    assert run.exit_code == 1
    assert any(x.startswith("error FIELD-VALUE") and "feedtool never drops episodes" in x for x in run.lines())


def test_a_small_paged_show_has_one_page(make_show, build) -> None:
    run = build(make_show(show_of(3), show_yaml=PAGED))
    assert sorted(p.name for p in run.feed.parent.glob("feed*.xml")) == ["feed.xml"]
    assert "PAGING" not in run.stderr
    shutil.rmtree(run.feed.parent)
