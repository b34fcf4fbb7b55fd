"""`feedtool check`: each rule fires on a show that breaks it, and none fires on the sample."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from PIL import Image, PngImagePlugin

from feedtool.checks import check_feed
from feedtool.cli import main
from feedtool.findings import Findings
from feedtool.rules import RULES

from .conftest import AUDIO, ROOT, SAMPLE, SHOW_YAML, episode

TONE = AUDIO / "tone.mp3"
NOW = "2026-11-24"


def check(folder: Path, *args: str):
    return CliRunner().invoke(main, ["check", "--episodes", str(folder), "--now", NOW, "--no-cache", *args])


def rules_of(result) -> list[str]:
    return [line.split()[1] for line in result.stdout.splitlines()]


def image(path: Path, size: tuple[int, int] = (1400, 1400), mode: str = "RGB", **save) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = {"CMYK": (200, 100, 0, 0), "RGBA": (0, 0, 128, 255)}.get(mode, "navy")
    Image.new(mode, size, colour).save(path, **save)
    return path


def test_sample_show_is_clean() -> None:
    result = check(SAMPLE)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "0 errors, 0 warnings\n"


def test_json_output_has_the_same_fields(make_show) -> None:
    folder = make_show({"a.md": episode("A", typo="1"), "a.ogg": AUDIO / "tone.ogg"})
    result = check(folder, "--format", "json")
    assert result.exit_code == 0
    found = json.loads(result.stdout)
    assert {"level": "warning", "rule": "FIELD-UNKNOWN", "path": f"{folder.as_posix()}/a.md", "line": 4,
            "message": "unknown key 'typo' ignored (did you mean 'type'?)"} in found
    assert {f["rule"] for f in found} == {"FIELD-UNKNOWN", "ENC-TYPE"}


def test_warnings_fail_only_with_strict(make_show) -> None:
    folder = make_show({"a.md": episode("A"), "a.ogg": AUDIO / "tone.ogg"})
    assert check(folder).exit_code == 0
    assert check(folder, "--strict").exit_code == 1


def test_errors_exit_1_and_check_writes_nothing(make_show, tmp_path: Path) -> None:
    folder = make_show({"a.md": episode("A", explicit="maybe"), "a.mp3": TONE})
    result = check(folder)
    assert result.exit_code == 1 and "EXPLICIT" in rules_of(result)
    assert not (tmp_path / "output").exists()


def _long_show(show: str) -> str:
    return show.replace("A show for **tests**.", "Long. " * 800)


def _art(folder_files: dict, name: str, **kwargs) -> dict:
    return {**folder_files, "ep.md": episode("E", image=name), "ep.mp3": TONE}


# rule → (show.yaml or None for the default, files, a function given the folder to add files)
SOURCE_CASES = {
    "LANG": (SHOW_YAML.replace("language: en", "language: english"), {}),
    "OWNER-EMAIL": (SHOW_YAML.replace("tester@example.com", "tester.example.com"), {}),
    "SHOW-TYPE": (SHOW_YAML + "type: serial\n", {}),
    "EP-TYPE": (None, {"ep.md": episode("E", type="teaser")}),
    "EXPLICIT": (None, {"ep.md": episode("E", explicit="clean")}),
    "CATEGORY": (SHOW_YAML.replace("Technology", "Technology > Gadgets"), {}),
    "DESC-LEN": (_long_show(SHOW_YAML), {}),
    "TEXT-LEN": (None, {"ep.md": episode("T" * 300)}),
    "TITLE-DUPLICATE": (None, {"ep.md": episode("Same"), "ep2.md": episode("same", "2026-01-02"),
                               "ep2.m4a": AUDIO / "tone.m4a"}),
    "EPISODE-DUPLICATE": (None, {"ep.md": episode("A", episode="3"),
                                 "ep2.md": episode("B", "2026-01-02", episode="3"),
                                 "ep2.m4a": AUDIO / "tone.m4a"}),
    "SERIAL-GAP": (SHOW_YAML + "type: serial\n", {"ep.md": episode("A", episode="1"),
                                                   "ep2.md": episode("B", "2026-01-02", episode="3"),
                                                   "ep2.m4a": AUDIO / "tone.m4a"}),
    "ENC-URL": (None, {"ep.md": episode("E", audio="https://cdn.example.com/my episode.mp3",
                                        duration="60", length="1000")}),
    "ENC-HTTPS": (None, {"ep.md": episode("E", audio="http://cdn.example.com/e.mp3",
                                          duration="60", length="1000")}),
    "ENC-UNIQUE": (None, {"ep.md": episode("A", audio="ep.mp3"),
                          "ep2.md": episode("B", "2026-01-02", audio="ep.mp3")}),
    "ENC-TYPE": (None, {"ep.mp3": None, "ep.flac": AUDIO / "tone.flac"}),
    "DURATION": (None, {"ep.md": episode("E", duration="0.4")}),
    "DURATION-LONG": (None, {"ep.md": episode("E", duration="13:00:00")}),
    "PUBDATE-OLD": (None, {"ep.md": episode("E", date="1985-06-01")}),
    "ART-SIZE": (SHOW_YAML.replace("cover.png", "small.png"), {"small.png": ("image", (600, 600), "RGB")}),
    "ART-MODE": (SHOW_YAML.replace("cover.png", "cmyk.jpg"), {"cmyk.jpg": ("image", (1400, 1400), "CMYK")}),
    "ART-BYTES": (SHOW_YAML.replace("cover.png", "heavy.png"), {"heavy.png": ("heavy",)}),
    "MP3-ESTIMATE": (None, {"ep.mp3": AUDIO / "vbr-noxing.mp3"}),
    "TITLE-NUMBER": (None, {"ep.md": episode("'Ep. 12: The big one'")}),
    "GUID-SHORT": (None, {"ep.md": episode("E", guid="'42'")}),
    "SCHEDULED": (None, {"ep2.md": episode("Later", "2027-01-01"), "ep2.mp3": TONE}),
    "DRAFT": (None, {"ep2.md": episode("Later", draft="true")}),
    "REMOVED": (None, {"ep2.md": episode("Gone", removed="true")}),
}


@pytest.mark.parametrize("rule", sorted(SOURCE_CASES))
def test_source_rule_fires(make_show, rule: str) -> None:
    show, changes = SOURCE_CASES[rule]
    folder = make_show({"ep.md": episode("E"), "ep.mp3": TONE}, show_yaml=show or SHOW_YAML)
    for name, content in changes.items():
        target = folder / name
        if content is None:
            target.unlink()
        elif isinstance(content, tuple) and content[0] == "image":
            image(target, content[1], content[2])
        elif isinstance(content, tuple) and content[0] == "heavy":
            info = PngImagePlugin.PngInfo()
            info.add_text("padding", "x" * 600_000, zip=False)
            image(target, pnginfo=info)
        elif isinstance(content, Path):
            target.write_bytes(content.read_bytes())
        else:
            target.write_text(content)
    result = check(folder)
    assert rule in rules_of(result), result.stdout
    expected_exit = 1 if RULES[rule].level.name == "ERROR" else 0
    assert result.exit_code == expected_exit, result.stdout


def test_audio_url_with_another_scheme(make_show) -> None:
    folder = make_show({"ep.md": episode("E", audio="ftp://files.example.com/e.mp3")})
    result = check(folder)
    assert f"error ENC-URL {folder.as_posix()}/ep.md:4: audio: 'ftp://files.example.com/e.mp3' is not an " \
        "http(s) URL" in result.stdout


def test_episode_artwork_is_checked_too(make_show) -> None:
    folder = make_show({"ep.md": episode("E", image="art/ep.png"), "ep.mp3": TONE})
    image(folder / "art" / "ep.png", (1400, 1000), "RGBA")
    lines = check(folder).stdout.splitlines()
    assert any(x.startswith(f"error ART-SIZE {folder.as_posix()}/ep.md:4: image: ") and "1400×1000" in x
               for x in lines)
    assert any(x.startswith("error ART-MODE") and "transparency" in x for x in lines)


def _write(folder: Path, files: dict) -> None:
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(target)
        elif isinstance(content, Path):
            target.write_bytes(content.read_bytes())
        else:
            target.write_text(content)


SERIAL = SHOW_YAML + "type: serial\n"
M4A = AUDIO / "tone.m4a"

# near misses: shows that come close to a rule and must not trip it
QUIET = {
    "serial numbering running on across seasons": (SERIAL, {
        "ep.md": episode("A", season="1", episode="1"),
        "b.md": episode("B", "2026-01-02", season="2", episode="2"), "b.m4a": M4A}, {"SERIAL-GAP", "SHOW-TYPE"}),
    "unnumbered trailer and bonus in a serial show": (SERIAL, {
        "ep.md": episode("A", episode="1"), "t.md": episode("Trailer", "2026-01-02", type="trailer"),
        "t.m4a": M4A, "b.md": episode("Extra", "2026-01-03", type="bonus"), "b.ogg": AUDIO / "tone.ogg"},
        {"SERIAL-GAP", "SHOW-TYPE"}),
    "two trailers with the same title": (None, {
        "t1.md": episode("Trailer", type="trailer", season="1"), "t1.mp3": TONE,
        "t2.md": episode("Trailer", "2026-01-02", type="trailer", season="2"), "t2.m4a": M4A},
        {"TITLE-DUPLICATE"}),
    "a bonus episode sharing a full episode's number": (None, {
        "ep.md": episode("A", episode="1"), "b.md": episode("B", "2026-01-02", episode="1", type="bonus"),
        "b.m4a": M4A}, {"EPISODE-DUPLICATE"}),
    "JPEG artwork of 3000 px": (SHOW_YAML.replace("cover.png", "big.jpg"), {
        "big.jpg": lambda p: image(p, (3000, 3000), quality=30)}, {"ART-SIZE", "ART-MODE", "IMAGE-TYPE"}),
    "palette PNG artwork": (SHOW_YAML.replace("cover.png", "p.png"), {
        "p.png": lambda p: Image.new("RGB", (1400, 1400), "navy").convert("P").save(p)}, {"ART-MODE"}),
    "a signed https URL with a query string": (None, {"ep.md": episode(
        "E", audio="'https://cdn.example.com/e.mp3?sig=a%2Fb&exp=1'", duration="60", length="1000")},
        {"ENC-URL", "ENC-HTTPS"}),
    "the word episode without a number": (None, {"ep.md": episode("The episode we never made")},
                                          {"TITLE-NUMBER"}),
}


@pytest.mark.parametrize("case", sorted(QUIET))
def test_near_misses_stay_quiet(make_show, case: str) -> None:
    show, files, rules = QUIET[case]
    folder = make_show({"ep.md": episode("E"), "ep.mp3": TONE}, show_yaml=show or SHOW_YAML)
    _write(folder, files)
    fired = set(rules_of(check(folder)))
    assert not fired & rules, check(folder).stdout


LOUD = {
    "artwork of 3001 px": ("ART-SIZE", {"a.png": lambda p: image(p, (3001, 3001))}, "3001×3001"),
    "opaque RGBA artwork": ("ART-MODE", {"a.png": lambda p: image(p, mode="RGBA")}, "alpha"),
    "a truncated PNG": ("IMAGE-TYPE", {"a.png": lambda p: (image(p), p.write_bytes(p.read_bytes()[:2000]))},
                        "damaged"),
    "a decompression bomb": ("ART-SIZE", {"a.png": lambda p: Image.new("1", (10000, 10000)).save(p)},
                             "far too large"),
}


@pytest.mark.parametrize("case", sorted(LOUD))
def test_artwork_edge_cases(make_show, case: str) -> None:
    rule, files, words = LOUD[case]
    folder = make_show({"ep.md": episode("E"), "ep.mp3": TONE}, show_yaml=SHOW_YAML.replace("cover.png", "a.png"))
    _write(folder, files)
    result = check(folder)
    assert any(line.split()[1] == rule and words in line for line in result.stdout.splitlines()), result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(("url", "words"), [
    ("https://user:secret@cdn.example.com/a.mp3", "user name or password"),
    ("https://cdn.example.com/100%.mp3", "does not start a percent-escape"),
    ("https://bücher.example/a.mp3", "punycode"),
])
def test_enclosure_url_problems(make_show, url: str, words: str) -> None:
    folder = make_show({"ep.md": episode("E", audio=f"'{url}'", duration="60", length="1000")})
    assert any(line.startswith("error ENC-URL") and words in line for line in check(folder).stdout.splitlines())


def test_owner_email_with_mailto_is_refused(make_show) -> None:
    show = SHOW_YAML.replace("tester@example.com", "mailto:tester@example.com")
    assert "OWNER-EMAIL" in rules_of(check(make_show({"ep.md": episode("E"), "ep.mp3": TONE}, show_yaml=show)))


def test_c1_control_character_is_removed_with_a_warning(make_show) -> None:
    folder = make_show({"ep.md": episode("It\u0092s here"), "ep.mp3": TONE})
    result = check(folder)
    assert result.exit_code == 0
    assert rules_of(result) == ["XML-CHARS"]


def test_plain_description_stays_under_the_limit_when_escaped(make_show, build) -> None:
    summary = '"quoted" & <b> ' * 400
    body = "\n\n".join("Paragraph " + "words " * 80 for _ in range(12))
    folder = make_show({"ep.md": episode("E", body=body, summary=repr(summary)), "ep.mp3": TONE})
    from lxml import etree

    feed = build(folder).feed
    description = etree.parse(str(feed)).xpath("//item/description/text()")[0]
    assert len(description.encode()) <= 4000 and "&amp;" in description and '"quoted"' in description


# -- rules about the rendered XML, triggered by editing a good feed ------------------------


@pytest.fixture(scope="module")
def good_xml(tmp_path_factory) -> str:
    output = tmp_path_factory.mktemp("good")
    CliRunner().invoke(main, ["build", "--episodes", str(SAMPLE), "--output", str(output), "--now", NOW, "--no-cache"])
    return (output / "feed.xml").read_text(encoding="utf-8")


XML_CASES = {
    "XML-WF": ("</channel>", "</chanel>"),
    "XML-NS": ("http://www.itunes.com/dtds/podcast-1.0.dtd", "http://www.itunes.com/DTDs/Podcast-1.0.dtd"),
    "RSS-CORE": ('version="2.0"', 'version="0.91"'),
    "APPLE-CH-REQ": ("<language>en-gb</language>", ""),
    "ITEM-REQ": ('<guid isPermaLink="false">', '<guid isPermaLink="false"></guid><x>'),
    "PUBDATE": ("<pubDate>Fri, 20 Nov 2026", "<pubDate>Mon, 20 Nov 2026"),
    "SELF-LINK": ('rel="self"', 'rel="alternate"'),
    "PC-GUID": ("<podcast:guid>", "<podcast:guid>not-"),
    "NO-WS": ("<title>Frontline Dispatches</title>", "<title> Frontline Dispatches</title>"),
}


def test_good_feed_passes_every_xml_rule(good_xml: str) -> None:
    findings = Findings()
    check_feed(good_xml.encode(), "feed.xml", findings)
    assert list(findings) == []


@pytest.mark.parametrize("rule", sorted(XML_CASES))
def test_xml_rule_fires(good_xml: str, rule: str) -> None:
    old, new = XML_CASES[rule]
    if rule == "ITEM-REQ":
        new, old = "<guid", "<guid"  # remove every item's guid below instead
        broken = re.sub(r"<guid[^>]*>[^<]*</guid>", "", good_xml, count=1)
    else:
        assert old in good_xml
        broken = good_xml.replace(old, new, 1)
    findings = Findings()
    check_feed(broken.encode(), "feed.xml", findings)
    assert rule in {f.rule for f in findings}


def test_items_checked_by_an_earlier_build_report_their_findings_again_where_they_now_are(good_xml: str) -> None:
    broken = good_xml.replace("<pubDate>Fri, 20 Nov 2026", "<pubDate>Mon, 20 Nov 2026", 1)
    first = Findings()
    checked = check_feed(broken.encode(), "feed.xml", first)
    dates = [f for f in first if f.rule == "PUBDATE"]
    assert len(dates) == 1 and any(found for found in checked.values())
    # a new item above shifts every line: the findings kept by guid move with their item
    shifted = broken.replace("<item>", "<item>\n<title>New</title><guid>new</guid><pubDate>Wed, 25 Nov 2026 "
                             "10:00:00 +0000</pubDate><enclosure url=\"https://example.com/n.mp3\" length=\"1\" "
                             "type=\"audio/mpeg\"/>\n</item>\n<item>", 1)
    again = Findings()
    rechecked = check_feed(shifted.encode(), "feed.xml", again, known=checked)
    assert list(rechecked) == ["new"]  # only the new item was checked
    assert [f.line for f in again if f.rule == "PUBDATE"] == [dates[0].line + 3]


def _parts(xml: str) -> tuple[bytes, list[tuple[str, bytes]], bytes]:
    """A feed as render_feed hands it to check_feed: the channel, (guid, item XML), the rest."""
    data = xml.encode()
    starts = [m.start() for m in re.finditer(rb"    <item>", data)]
    end = data.rindex(b"</item>\n") + len(b"</item>\n")
    items = [data[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]
    return data[:starts[0]], [(re.search(rb"<guid[^>]*>([^<]*)</guid>", x)[1].decode(), x) for x in items], data[end:]


def test_known_items_are_not_parsed_again_and_their_findings_keep_their_lines(good_xml: str) -> None:
    head, items, tail = _parts(good_xml)
    assert len(items) >= 2
    broken = [(guid, x.replace(b"<pubDate>", b"<pubDate>  ", 1) if n == 1 else x) for n, (guid, x) in enumerate(items)]
    xml = b"".join((head, *(x for _, x in broken), tail))
    every = Findings()
    checked = check_feed(xml, "feed.xml", every, parts=(head, broken, tail))
    assert {f.rule for f in every} >= {"NO-WS", "PUBDATE"}
    # a new item on top; the known ones are blanked out (even a broken one is not read)
    new = (b"    <item>\n      <title>New</title>\n      <guid>new</guid>\n      <pubDate>Wed, 25 Nov 2026 10:00:00 "
           b"+0000</pubDate>\n      <enclosure url=\"https://example.com/n.mp3\" length=\"1\" type=\"audio/mpeg\"/>\n"
           b"    </item>\n")
    again_items = [("new", new), *broken]
    again_xml = b"".join((head, *(x for _, x in again_items), tail))
    expected = Findings()
    check_feed(again_xml, "feed.xml", expected)
    again = Findings()
    known = {guid: found for guid, found in checked.items() if guid != items[0][0]}
    unread = [(guid, x.replace(b"</title>", b"</titel>") if guid in known else x) for guid, x in again_items]
    rechecked = check_feed(again_xml, "feed.xml", again, known=known, parts=(head, unread, tail))
    assert sorted(rechecked) == sorted(["new", items[0][0]])  # only the items not known were parsed
    assert [(f.rule, f.line, f.message) for f in again] == [(f.rule, f.line, f.message) for f in expected]


def test_an_item_checked_as_it_is_rendered_gets_what_the_feed_check_finds(good_xml: str) -> None:
    from feedtool.checks.feedxml import check_item
    from feedtool.render import CHANNEL_NAMESPACES, in_channel

    head, items, tail = _parts(good_xml)
    broken = [(guid, x.replace(b"<pubDate>", b"<pubDate>  ", 1).replace(b"<title>", b"<title> ", 1) if n == 0 else x)
              for n, (guid, x) in enumerate(items)]
    checked = check_feed(b"".join((head, *(x for _, x in broken), tail)), "feed.xml", Findings())
    assert checked[broken[0][0]] and {rule for rule, _, _ in checked[broken[0][0]]} == {"NO-WS", "PUBDATE"}
    declared = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in CHANNEL_NAMESPACES.items())
    fresh = etree.XMLParser(remove_blank_text=True, strip_cdata=False)  # an element as feedgen makes it
    for guid, xml in broken:
        element = etree.fromstring(f"<channel {declared}>".encode() + xml + b"</channel>", fresh)[0]
        assert in_channel(element) == xml
        assert check_item(element, xml, CHANNEL_NAMESPACES) == checked[guid]


# -- the rule table ------------------------------------------------------------------------


def test_every_rule_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule_id, rule in RULES.items():
        row = re.search(rf"^\| `{rule_id}` \| (\w+) \| (.+) \| (.+) \|$", readme, re.MULTILINE)
        assert row, f"{rule_id} is missing from the README's rule table"
        assert row.group(1) == str(rule.level), rule_id
        assert row.group(3) == rule.source, rule_id


def test_every_rule_has_a_test_that_triggers_it() -> None:
    tests = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py"))
    untested = [rule for rule in RULES if not re.search(rf"(?<![\w-]){rule}(?![\w-])", tests)]
    assert untested == []


def test_items_sharing_a_guid_are_checked_afresh_not_from_an_earlier_check(good_xml: str) -> None:
    first = good_xml.index("<item>")
    end = good_xml.index("</item>", first) + len("</item>")
    doubled = good_xml[:end] + "\n" + good_xml[first:end] + good_xml[end:]
    guid = re.search(r"<guid[^>]*>([^<]*)</guid>", good_xml[first:end])[1]
    findings = Findings()
    checked = check_feed(doubled.encode(), "feed.xml", findings, known={guid: (("NO-WS", 1, "kept from before"),)})
    assert "kept from before" not in {f.message for f in findings}
    assert guid not in checked
