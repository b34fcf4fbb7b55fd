"""output/index.html: what the show's page holds, that it is escaped and deterministic, and
(in Debian's headless Chromium, through `feedtool serve`) that its players and chapters work."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedtool.assemble import assemble
from feedtool.chapters import hms
from feedtool.findings import Findings
from feedtool.serve import Preview

from .conftest import AUDIO, IN_CI, SAMPLE, SHOW_YAML, episode

TONE = AUDIO / "tone.mp3"
NOW = datetime(2026, 11, 24, tzinfo=UTC)
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def test_the_sample_page(build, tmp_path: Path) -> None:
    run = build(SAMPLE, "--no-cache")
    page = (run.feed.parent / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en-gb\">")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<title>Frontline Dispatches</title>" in page
    assert '<img class="cover" src="cover.png"' in page
    assert ">https://example.com/podcast/feed.xml</a>" in page and ">Copy</button>" in page
    # newest first, each with its player and duration
    titles = re.findall(r'<article class="episode" id="[^"]+">\n<h2>(.*?)</h2>', page)
    assert titles == ["Listener questions", "The newsroom in exile", "Deserters: the Russian soldiers who walked away"]
    assert '<audio controls preload="metadata"><source src="001-deserters.mp3" type="audio/mpeg">' in page
    assert '<source src="002-exile-newsroom.m4a" type="audio/x-m4a">' in page
    assert '<time datetime="2026-11-06T06:00:00+00:00">6 November 2026</time> · 0:22' in page
    assert '<a href="#t=6.15" data-start="6.15"><span class="at">0:06</span> Our guests</a>' in page
    assert "<h2>Key points</h2>" in page  # the show notes, as HTML
    # self-contained: no external scripts, styles or fonts
    assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet|@import|@font-face|//cdn", page)


def test_page_is_escaped(make_show, build) -> None:
    show = SHOW_YAML.replace("title: Test Show", "title: 'Tom & Jerry <script>alert(1)</script> \"quoted\"'")
    folder = make_show({
        "ep.md": episode(
            "'<img src=x onerror=alert(1)> & \"more\"'",
            chapters='[{start: 1.5, title: "</a><script>x()</script>"}]',
            body='<script>alert("notes")</script>\n\n[bad](javascript:alert(1)) <b onclick="x()">bold</b>',
        ),
        "ep.mp3": TONE,
    }, show_yaml=show)
    page = (build(folder, "--no-cache").feed.parent / "index.html").read_text(encoding="utf-8")
    assert "<title>Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;</title>" in page
    assert "<h2>&lt;img src=x onerror=alert(1)&gt; &amp; &quot;more&quot;</h2>" in page
    assert '<span class="at">0:01</span> &lt;/a&gt;&lt;script&gt;x()&lt;/script&gt;</a>' in page
    assert 'data-start="1.5"' in page
    assert "alert(" not in page.replace("&lt;script&gt;alert(1)", "").replace("onerror=alert(1)", "")
    assert "javascript:" not in page and "onclick" not in page
    assert page.count("<script>") == 1  # only the page's own


def test_page_is_deterministic_and_restored_when_deleted(make_show, build, tmp_path: Path) -> None:
    folder = make_show({"ep.md": episode("E"), "ep.mp3": TONE})
    first = build(folder)
    page = first.feed.parent / "index.html"
    data = page.read_bytes()
    assert build(folder, output=tmp_path / "again").feed.with_name("index.html").read_bytes() == data
    assert "unchanged" in build(folder).stdout
    page.unlink()
    build(folder)  # the no-change shortcut notices the missing page
    assert page.read_bytes() == data


def test_clock() -> None:
    assert [hms(s, short=True) for s in (0, 59.9, 90, 3599, 3600, 3661.2, 36000)] == [
        "0:00", "0:59", "1:30", "59:59", "1:00:00", "1:01:01", "10:00:00"]


# -- in a browser, through `feedtool serve` ----------------------------------------------


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """Debian's headless Chromium driven by selenium (never downloading a driver)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "install Debian's chromium and chromium-driver to run the browser test"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                     f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def test_players_and_chapters_in_chromium(browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    folder = tmp_path / "episodes"
    shutil.copytree(SAMPLE, folder)
    with Preview(folder, lambda: NOW, port=0, log=lambda *_: None) as preview:
        assembled = assemble(folder, NOW, Findings(), "feed.xml", preview_url=preview.url)
        assert assembled is not None
        durations = {item.episode.audio.url: item.media.duration for item in assembled.published}

        browser.get(preview.url)
        assert browser.title == "Frontline Dispatches"
        audios = browser.find_elements(By.TAG_NAME, "audio")
        assert len(audios) == 3
        WebDriverWait(browser, 10, 0.05).until(
            lambda b: b.execute_script("return [...document.querySelectorAll('audio')]"
                                       ".every(a => a.readyState >= 1 || a.error)"))
        for audio in audios:
            src = audio.get_property("currentSrc")
            assert src in durations, src
            assert browser.execute_script("return arguments[0].error", audio) is None, src
            assert abs(audio.get_property("duration") - durations[src]) < 0.5, src

        deserters = browser.find_element(By.ID, "001-deserters")
        player = deserters.find_element(By.TAG_NAME, "audio")
        assert player.get_property("currentSrc") == preview.url + "001-deserters.mp3"
        for start in (10.44, 6.15):
            deserters.find_element(By.CSS_SELECTOR, f'a[data-start="{start}"]').click()
            assert abs(player.get_property("currentTime") - start) < 0.5
        assert browser.current_url == preview.url  # the link seeks; it does not navigate
