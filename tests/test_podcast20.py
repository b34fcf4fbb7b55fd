"""Podcasting 2.0 tags, chapters, transcripts and alternate enclosures, checked by XPath."""

from __future__ import annotations

import json
from pathlib import Path

import podcastparser
import pytest
from lxml import etree

from feedtool.rules import RULES

from .conftest import AUDIO, SAMPLE, SHOW_YAML, episode

NS = {"podcast": "https://podcastindex.org/namespace/1.0", "psc": "http://podlove.org/simple-chapters",
      "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
TONE = AUDIO / "tone.mp3"
TRANSCRIPTS = Path(__file__).parent / "fixtures" / "transcripts"


def xpath(feed: Path, path: str) -> list:
    return etree.parse(str(feed)).xpath(path, namespaces=NS)


def attrs(feed: Path, path: str) -> list[dict]:
    return [dict(element.attrib, text=element.text) for element in xpath(feed, path)]


# -- the sample show ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    from feedtool.cli import main

    output = tmp_path_factory.mktemp("sample")
    result = CliRunner().invoke(main, ["build", "--episodes", str(SAMPLE), "--output", str(output), "--no-cache",
                                       "--now", "2026-11-24"])
    assert result.exit_code == 0, result.output
    return output / "feed.xml"


def test_sample_channel_carries_the_podcast_tags(sample: Path) -> None:
    assert attrs(sample, "/rss/channel/podcast:locked") == [{"owner": "podcast@example.com", "text": "yes"}]
    assert attrs(sample, "/rss/channel/podcast:funding") == [
        {"url": "https://example.com/podcast/support", "text": "Support independent reporting"}]
    assert attrs(sample, "/rss/channel/podcast:person") == [
        {"role": "host", "group": "cast", "href": "https://example.com/podcast/team/sam", "text": "Sam Example"}]
    assert attrs(sample, "/rss/channel/podcast:location") == [
        {"rel": "creator", "geo": "geo:51.5074,-0.1278", "osm": "R65606", "country": "gb", "text": "London"}]
    assert xpath(sample, "/rss/channel/podcast:medium/text()") == ["podcast"]
    assert xpath(sample, "/rss/channel/podcast:license/text()") == ["ARR"]
    assert attrs(sample, "/rss/channel/podcast:txt") == [
        {"purpose": "verify", "text": "frontline-dispatches-verify-4f7c2a"}]


def test_sample_first_episode_has_people_transcript_and_chapters(sample: Path) -> None:
    item = "/rss/channel/item[itunes:episode='1']"
    people = attrs(sample, f"{item}/podcast:person")
    assert [(p["text"], p["role"]) for p in people] == [
        ("Sam Example", "host"), ("Amaliya Zatari", "guest"), ("Nina Nazarova", "guest")]
    assert attrs(sample, f"{item}/podcast:transcript") == [{
        "url": "https://example.com/podcast/transcripts/001-deserters.vtt", "type": "text/vtt",
        "language": "en-gb", "rel": "captions", "text": None}]
    assert attrs(sample, f"{item}/podcast:chapters") == [{
        "url": "https://example.com/podcast/chapters/001-deserters.json", "type": "application/json+chapters",
        "text": None}]
    written = json.loads((sample.parent / "chapters" / "001-deserters.json").read_text())
    assert written["version"] == "1.2.0"
    assert [(c["startTime"], c["title"]) for c in written["chapters"]] == [
        (0, "Introduction"), (6.15, "Our guests"), (10.44, "The scale of desertion")]
    assert (sample.parent / "transcripts" / "001-deserters.vtt").is_file()
    assert xpath(sample, f"{item}/podcast:season/text()") == ["1"]
    assert xpath(sample, f"{item}/podcast:episode/text()") == ["1"]
    assert attrs(sample, f"{item}/podcast:soundbite") == [
        {"startTime": "2.8", "duration": "18.8", "text": "Why soldiers walk away"}]
    assert attrs(sample, f"{item}/podcast:location") == [
        {"geo": "geo:48.0,67.0", "country": "kz", "text": "Kazakhstan"}]


def test_sample_alternate_enclosures(sample: Path) -> None:
    item = "/rss/channel/item[itunes:episode='1']"
    alternates = xpath(sample, f"{item}/podcast:alternateEnclosure")
    assert [(a.get("type"), a.get("default")) for a in alternates] == [("audio/mpeg", "true"), ("audio/ogg", None)]
    assert alternates[1].get("length") == str((SAMPLE / "001-deserters.opus").stat().st_size)
    assert alternates[1].get("title").startswith("Opus ") and int(alternates[1].get("bitrate")) > 8000
    assert xpath(sample, f"{item}/podcast:alternateEnclosure/podcast:source/@uri") == [
        "https://example.com/podcast/001-deserters.mp3", "https://example.com/podcast/001-deserters.opus"]
    assert xpath(sample, f"{item}/enclosure/@url") == ["https://example.com/podcast/001-deserters.mp3"]
    assert (sample.parent / "001-deserters.opus").is_file()


def test_podcastparser_reads_the_inline_chapters(sample: Path) -> None:
    with open(sample, "rb") as handle:
        parsed = podcastparser.parse("https://example.com/podcast/feed.xml", handle)
    first = parsed["episodes"][-1]
    assert first["chapters"] == [
        {"start": 0, "title": "Introduction"}, {"start": 6, "title": "Our guests"},
        {"start": 10, "title": "The scale of desertion", "href": "https://example.com/podcast/deserters"}]


# -- keys -------------------------------------------------------------------------------------


def test_short_forms_and_inferred_person_group(make_show, build) -> None:
    show = SHOW_YAML + "persons: Jane Doe\ntxt: abc123\nlicense: {name: my-licence, url: https://e.com/l}\n"
    folder = make_show({"ep.md": episode("E", persons="[{name: Max, role: producer}]"), "ep.mp3": TONE},
                       show_yaml=show)
    feed = build(folder).feed
    assert attrs(feed, "/rss/channel/podcast:person") == [{"role": "host", "group": "cast", "text": "Jane Doe"}]
    assert attrs(feed, "/rss/channel/podcast:txt") == [{"text": "abc123"}]
    assert attrs(feed, "/rss/channel/podcast:license") == [{"url": "https://e.com/l", "text": "my-licence"}]
    assert attrs(feed, "//item/podcast:person") == [
        {"role": "producer", "group": "creative direction", "text": "Max"}]


def test_trailer_episodes_become_channel_trailers(make_show, build) -> None:
    folder = make_show({"t.md": episode("Coming soon", "2026-01-01T08:00:00Z", type="trailer", season="2"),
                        "t.mp3": TONE, "ep.md": episode("E", "2026-02-01"), "ep.m4a": AUDIO / "tone.m4a"})
    assert attrs(build(folder).feed, "/rss/channel/podcast:trailer") == [{
        "pubdate": "Thu, 01 Jan 2026 08:00:00 +0000", "url": "https://example.com/show/t.mp3",
        "length": str(TONE.stat().st_size), "type": "audio/mpeg", "season": "2", "text": "Coming soon"}]


@pytest.mark.parametrize(("name", "mime"), [
    ("ok.vtt", "text/vtt"), ("ok.srt", "application/x-subrip"), ("ok.json", "application/json"),
    ("ok.html", "text/html"), ("ok.txt", "text/plain"),
])
def test_every_transcript_format(make_show, build, name: str, mime: str) -> None:
    folder = make_show({"ep.md": episode("E", transcript=f"t/{name}"), "ep.mp3": TONE, f"t/{name}": TRANSCRIPTS / name})
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    assert attrs(run.feed, "//item/podcast:transcript") == [
        {"url": f"https://example.com/show/t/{name}", "type": mime, "text": None}]
    assert (run.feed.parent / "t" / name).read_bytes() == (TRANSCRIPTS / name).read_bytes()


def test_remote_transcript_and_chapters_are_linked_as_given(make_show, build, http_server) -> None:
    base = http_server.base
    (http_server.root / "e.srt").write_text((TRANSCRIPTS / "ok.srt").read_text())
    (http_server.root / "e-chapters.json").write_text('{"version": "1.2.0", "chapters": []}')
    folder = make_show({"ep.md": episode(
        "E", transcript=f"[{{url: '{base}/e.srt', language: de}}]",
        chapters=f"{base}/e-chapters.json"), "ep.mp3": TONE})
    feed = build(folder).feed
    assert attrs(feed, "//item/podcast:transcript") == [
        {"url": f"{base}/e.srt", "type": "application/x-subrip", "language": "de", "text": None}]
    assert xpath(feed, "//item/podcast:chapters/@url") == [f"{base}/e-chapters.json"]
    assert xpath(feed, "//psc:chapters") == []


@pytest.mark.parametrize("name", ["chapters.mp3", "chapters.m4a"])
def test_chapters_embedded_in_the_audio(make_show, build, name: str) -> None:
    folder = make_show({"ep.md": episode("E", audio=name), name: AUDIO / name})
    run = build(folder)
    written = json.loads((run.feed.parent / "chapters" / "ep.json").read_text())
    assert [(c["startTime"], c["title"]) for c in written["chapters"]] == [(0, "Opening"), (1.5, "Middle")]
    assert xpath(run.feed, "//psc:chapter/@start") == ["00:00:00.000", "00:00:01.500"]


def test_chapters_from_a_json_file(make_show, build) -> None:
    chapters = json.dumps({"version": "1.2.0", "chapters": [{"startTime": 0, "title": "A"},
                                                             {"startTime": 2, "title": "B", "toc": False}]})
    folder = make_show({"ep.md": episode("E", chapters="ep.chapters.json"), "ep.mp3": TONE,
                        "ep.chapters.json": chapters})
    written = json.loads((build(folder).feed.parent / "chapters" / "ep.json").read_text())
    assert written["chapters"] == [{"startTime": 0, "title": "A"}, {"startTime": 2, "title": "B", "toc": False}]


# -- validation -------------------------------------------------------------------------------

CASES = {
    "PERSON": ({"persons": "[{name: X, role: hots}]"}, "'hots' is not a Podcast Taxonomy role (did you mean 'host'?)"),
    "PERSON ": ({"persons": "[{name: X, role: guest, group: writing}]"}, "role 'guest' is not in group 'writing'"),
    "LOCATION": ({"location": "{name: X, geo: '51.5,-0.1'}"}, "expected 'geo:LATITUDE,LONGITUDE'"),
    "LOCATION ": ({"location": "{name: X, country: uk}"}, "'uk' is not a ISO 3166-1 country code"),
    "LANG": ({"transcript": "[{file: t.vtt, language: xx}]", "t.vtt": "ok.vtt"}, "'xx' is not an ISO 639"),
    "TRANSCRIPT": ({"transcript": "t.vtt", "t.vtt": "bad-timing.vtt"}, "t.vtt:6: expected a cue timing"),
    "TRANSCRIPT  ": ({"transcript": "t.vtt", "t.vtt": "no-header.vtt"}, "starts with a 'WEBVTT' line"),
    "TRANSCRIPT ": ({"transcript": "t.srt", "t.srt": "bad.srt"}, "t.srt:6: expected a cue timing like 00:01:02,500"),
    "TRANSCRIPT   ": ({"transcript": "t.doc"}, "cannot tell the type of 't.doc'"),
    "TRANSCRIPT-RANGE": ({"transcript": "t.vtt", "t.vtt": "late.vtt"}, "t.vtt:6: a cue ends at 9.0 s, after the"),
    "CHAPTERS": ({"chapters": "[{start: 2, title: B}, {start: 1, title: A}]"}, "before the one above it"),
    "CHAPTERS ": ({"chapters": "[{start: 0, title: A}, {start: 0, title: B}]"}, "at the same time as another chapter"),
    "CHAPTERS  ": ({"chapters": "[{start: 0, title: A}, {start: '0:05', title: B}]"}, "after the audio ends"),
    "CHAPTERS   ": ({"chapters": "c.json", "c.json": "{not json"}, "c.json:1: not valid JSON"),
    "SOUNDBITE": ({"soundbites": "[{start: 2, duration: 5}]"}, "runs past the end of the audio"),
    "PC-HTTPS": ({"persons": "[{name: X, href: 'http://example.com/x'}]"}, "is not https"),
}


CASES.update({
    "SOUNDBITE ": ({"soundbites": "[{start: 2.9, duration: 0.2}]"}, "runs past the end of the audio"),
    "CHAPTERS    ": ({"chapters": "[{start: 0, title: A}, {start: 2, title: B}, {start: 0, title: C}]"},
                     "at the same time as another chapter"),
    "TRANSCRIPT    ": ({"transcript": "gone.vtt"}, "transcript: no file"),
    "TRANSCRIPT     ": ({"transcript": "[{file: t.txt, rel: captions}]", "t.txt": "ok.txt"},
                        "captions need timed cues"),
    "TRANSCRIPT      ": ({"transcript": "t.vtt", "t.vtt": "WEBVTT\n\n00:02.000 --> 00:02.500\nB\n\n"
                                                          "00:01.000 --> 00:01.500\nA\n"},
                         "t.vtt:6: the cue starts before the one above it"),
    "FIELD-VALUE": ({"audio": "[]"}, "audio: list at least one file"),
    "FIELD-VALUE ": ({"audio": "[ep.mp3, ep.mp3]"}, "audio: a file is listed twice"),
})


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_podcasting_values_are_reported(make_show, build, case: str) -> None:
    keys, words = CASES[case]
    files = {"ep.mp3": TONE}
    front = {}
    for key, value in keys.items():
        if "." in key:
            source = TRANSCRIPTS / value
            files[key] = source if source.exists() else value
        else:
            front[key] = value
    folder = make_show({"ep.md": episode("E", **front), **files})
    run = build(folder)
    rule = case.strip()
    level = str(RULES[rule].level)
    assert any(line.split()[:2] == [level, rule] and words in line for line in run.lines()), run.stderr
    if level == "error":
        assert run.exit_code == 1


@pytest.mark.parametrize(("extra", "words"), [
    ("medium: radio\n", "medium: expected one of podcast, music"),
    ("license: my-own\n", "a custom licence needs a url"),
])
def test_bad_show_values(make_show, build, extra: str, words: str) -> None:
    run = build(make_show({"ep.md": episode("E"), "ep.mp3": TONE}, show_yaml=SHOW_YAML + extra))
    assert run.exit_code == 1 and words in run.stderr
    assert any(line.split()[1] in ("MEDIUM", "LICENSE") for line in run.lines())


@pytest.mark.parametrize(("content", "words"), [
    ('{"version": "1.2.0", "chapters": [{"startTime": NaN}]}', "NaN is not a number JSON allows"),
    ('{"version": "1.2.0", "chapters": [{"startTime": 1e999}]}', "startTime must be a number"),
    ('{"version": "1.2.0", "chapters": [{"startTime": 0,\n "title": 42}]}', "c.json:1: chapter 1: title must be text"),
    ('{"chapters": [{"startTime": 0},\n {"startTime": 1, "url": {"x": 1}}]}', "c.json:2: chapter 2: url must be"),
    ('{"chapters": [{"startTime": 0, "toc": "no"}]}', "toc must be true or false"),
    ('{"chapters": [{"startTime": 2},\n{"startTime": 1}]}', "c.json:2: the chapter at 1 s starts at 00:00:01.000"),
])
def test_bad_json_chapters_name_the_json_file(make_show, build, content: str, words: str) -> None:
    folder = make_show({"ep.md": episode("E", chapters="c.json"), "ep.mp3": TONE, "c.json": content})
    run = build(folder)
    assert run.exit_code == 1 and "Traceback" not in run.stderr
    assert any(x.startswith(f"error CHAPTERS {folder.as_posix()}/c.json") and words in x for x in run.lines()), \
        run.stderr


def test_json_chapters_with_a_bom_and_hidden_chapters(make_show, build) -> None:
    content = '\ufeff{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "A"}, ' \
              '{"startTime": 1, "title": "Hidden", "toc": false}]}'
    folder = make_show({"ep.md": episode("E", chapters="c.json"), "ep.mp3": TONE, "c.json": content})
    feed = build(folder).feed
    assert xpath(feed, "//psc:chapter/@title") == ["A"]  # a toc: false chapter is not listed inline


def test_license_forms(make_show, build) -> None:
    ok = build(make_show({"ep.md": episode("E"), "ep.mp3": TONE}, show_yaml=SHOW_YAML + "license: POD-V4V-1.0\n"))
    assert ok.exit_code == 0
    for bad in ("license: [MIT, ARR]\n", "license: []\n", "license: {url: 'https://e.com/l'}\n"):
        run = build(make_show({"ep.md": episode("E"), "ep.mp3": TONE}, show_yaml=SHOW_YAML + bad))
        assert run.exit_code == 1 and "Traceback" not in run.stderr, bad


def test_transcript_url_without_extension_takes_a_type(make_show, build, http_server) -> None:
    (http_server.root / "t").write_text((TRANSCRIPTS / "ok.vtt").read_text())
    item = f"[{{url: '{http_server.base}/t?id=3', type: text/vtt, language: en}}]"
    feed = build(make_show({"ep.md": episode("E", transcript=item), "ep.mp3": TONE})).feed
    assert xpath(feed, "//podcast:transcript/@type") == ["text/vtt"]


def test_webvtt_cue_named_like_a_note(make_show, build) -> None:
    vtt = "WEBVTT\n\nNOTEBOOK\n00:00.000 --> 00:01.000\nHi.\n"
    run = build(make_show({"ep.md": episode("E", transcript="t.vtt"), "ep.mp3": TONE, "t.vtt": vtt}))
    assert run.exit_code == 0, run.stderr


def test_opus_alternate_says_its_codec(sample: Path) -> None:
    assert xpath(sample, "//podcast:alternateEnclosure[@type='audio/ogg']/@codecs") == ["opus"]


def test_alternate_urls_are_checked_like_the_enclosure(make_show, build, http_server) -> None:
    import shutil

    shutil.copy(AUDIO / "tone.ogg", http_server.root / "e.ogg")
    host = http_server.base.removeprefix("http://")
    audio = f"[ep.mp3, 'http://user:pw@{host}/e.ogg']"
    run = build(make_show({"ep.md": episode("E", audio=audio), "ep.mp3": TONE}))
    assert any(x.startswith("error ENC-URL") and "user name or password" in x for x in run.lines()), run.stderr
    assert any(x.startswith("warning PC-HTTPS") and "/e.ogg is not https" in x for x in run.lines())
