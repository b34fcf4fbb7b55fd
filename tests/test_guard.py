"""The publish guard, against a feed from a real earlier build and one served over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from feedtool.load import podcast_guid

from .conftest import AUDIO, SHOW_YAML, episode

TONE = AUDIO / "tone.mp3"
SHOW_GUID = podcast_guid("https://example.com/show/feed.xml")


@pytest.fixture
def published(make_show, build):
    """A show with three episodes, built once; returns (folder, run of the first build)."""
    folder = make_show({
        "001-one.md": episode("One", "2026-01-01"), "001-one.mp3": TONE,
        "002-two.md": episode("Two", "2026-02-01"), "002-two.mp3": TONE,
        "003-three.md": episode("Three", "2026-03-01"), "003-three.mp3": TONE,
    })
    first = build(folder)
    assert first.exit_code == 0
    assert any(line.startswith("info GUARD-FIRST") for line in first.lines())
    return folder, first


def rename(folder: Path, old: str, new: str) -> None:
    (folder / old).rename(folder / new)


AFFECTED = {  # the episode each removal case takes out of the feed
    "renamed episode file": "Two", "deleted episode": "Three", "episode turned draft": "One",
    "episode moved into the future": "One",
}

CASES = {
    # name: (change the show folder, rule, words in the message, the option that lets it through)
    "renamed episode file": (
        lambda f: rename(f, "002-two.md", "002-second.md") or rename(f, "002-two.mp3", "002-second.mp3"),
        "GUARD-REMOVED", "(was the file renamed?): add 'guid: ", "allow-removal",
    ),
    "deleted episode": (
        lambda f: (f / "003-three.md").unlink(),
        "GUARD-REMOVED", "the published episode 'Three' (guid ", "allow-removal",
    ),
    "episode turned draft": (
        lambda f: (f / "001-one.md").write_text(episode("One", "2026-01-01", draft="true")),
        "GUARD-REMOVED", "'One' is published but is now a draft", "allow-removal",
    ),
    "episode moved into the future": (
        lambda f: (f / "001-one.md").write_text(episode("One", "2027-01-01")),
        "GUARD-REMOVED", "'One' is published but is now dated 2027-01-01", "allow-removal",
    ),
    "audio file renamed": (
        lambda f: rename(f, "002-two.mp3", "002-two-final.mp3")
        or (f / "002-two.md").write_text(episode("Two", "2026-02-01", audio="002-two-final.mp3")),
        "GUARD-ENCLOSURE", "its audio URL would change from https://example.com/show/002-two.mp3 to "
        "https://example.com/show/002-two-final.mp3", "allow-changes",
    ),
    "feed_url changed": (
        lambda f: (f / "show.yaml").write_text(
            SHOW_YAML.replace("https://example.com/show/feed.xml", "https://example.org/pod/feed.xml")
            + f"guid: {SHOW_GUID}\n"),  # the podcast:guid kept, as the README says to
        "GUARD-SHOW", "would change from https://example.com/show/feed.xml to https://example.org/pod/feed.xml",
        "allow-changes",
    ),
    "show guid changed": (
        lambda f: (f / "show.yaml").write_text(SHOW_YAML + "guid: 917393e3-1b1e-5cef-ace4-edaa54e1f810\n"),
        "GUARD-SHOW", "the podcast:guid would change", "allow-changes+removal",
    ),
}


def guids_by_title(feed: Path) -> dict[str, str]:
    from lxml import etree

    items = etree.parse(str(feed)).xpath("//item")
    return {item.findtext("title"): item.findtext("guid") for item in items}


def allow_args(option: str, case: str, run) -> list[str]:
    old = guids_by_title(run.feed)
    if case in AFFECTED:
        removals = ["--allow-removal", old[AFFECTED[case]]]
    else:
        removals = [arg for guid in sorted(old.values()) for arg in ("--allow-removal", guid)]
    return {"allow-changes": ["--allow-changes"], "allow-removal": removals,
            "allow-changes+removal": ["--allow-changes", *removals]}[option]


@pytest.mark.parametrize("case", sorted(CASES))
def test_guard_against_the_previous_build(published, build, case: str) -> None:
    folder, first = published
    change, rule, words, option = CASES[case]
    before = first.feed.read_bytes()
    published_guids = guids_by_title(first.feed)
    change(folder)
    run = build(folder)
    assert run.exit_code == 1, run.stderr
    message = next((x for x in run.lines() if x.startswith(f"error {rule} ")), "")
    assert words in message, run.stderr
    assert run.feed.read_bytes() == before
    allowed = build(folder, *allow_args(option, case, first))
    assert allowed.exit_code == 0, allowed.stderr
    assert any(line.startswith("info GUARD-ALLOWED") for line in allowed.lines())
    if case in AFFECTED:  # exactly that episode left; the others kept their guids
        after = guids_by_title(allowed.feed)
        assert {t: g for t, g in published_guids.items() if t != AFFECTED[case]}.items() <= after.items()
        assert published_guids[AFFECTED[case]] not in after.values()


@pytest.mark.parametrize("case", sorted(CASES))
def test_guard_against_the_live_feed_over_http(published, build, http_server, tmp_path, case: str) -> None:
    folder, first = published
    www, base = http_server
    shutil.copy(first.feed, www / "feed.xml")
    change, rule, words, option = CASES[case]
    change(folder)
    fresh = tmp_path / "ci-checkout-output"  # CI starts without the old output folder
    run = build(folder, "--previous", f"{base}/feed.xml", output=fresh)
    assert run.exit_code == 1
    assert any(x.startswith(f"error {rule} ") and words in x for x in run.lines()), run.stderr
    assert not (fresh / "feed.xml").exists()
    allow = allow_args(option, case, first)
    allowed = build(folder, "--previous", f"{base}/feed.xml", *allow, output=fresh)
    assert allowed.exit_code == 0, allowed.stderr


def test_renamed_file_message_names_the_fix(published, build) -> None:
    folder, first = published
    (folder / "002-two.md").unlink()
    (folder / "002-second.md").write_text(episode("Two", "2026-02-01", audio="002-two.mp3"))
    from lxml import etree

    old_guid = etree.parse(str(first.feed)).xpath("//item[title='Two']/guid/text()")[0]
    lines = build(folder).lines()
    assert (f"error GUARD-REMOVED {folder.as_posix()}/002-second.md:1: 'Two' was published with guid "
            f"{old_guid}") in lines[0]
    assert lines[0].endswith(f"add 'guid: {old_guid}' to the front matter of 002-second.md")
    (folder / "002-second.md").write_text(episode("Two", "2026-02-01", audio="002-two.mp3", guid=old_guid))
    fixed = build(folder)
    assert fixed.exit_code == 0, fixed.stderr


def test_removed_true_takes_an_episode_down_without_tripping_the_guard(published, build) -> None:
    folder, _ = published
    (folder / "003-three.md").write_text(episode("Three", "2026-03-01", removed="true"))
    (folder / "003-three.mp3").unlink()
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    assert any(line.startswith("info REMOVED") for line in run.lines())


def test_unchanged_show_passes_the_guard(published, build) -> None:
    folder, first = published
    before = first.feed.read_bytes()
    run = build(folder)
    assert run.exit_code == 0 and run.stderr == ""
    assert run.feed.read_bytes() == before


def test_new_episode_passes_the_guard(published, build) -> None:
    folder, _ = published
    (folder / "004-four.md").write_text(episode("Four", "2026-04-01"))
    shutil.copy(TONE, folder / "004-four.mp3")
    assert build(folder).exit_code == 0


def test_allow_removal_lets_only_the_named_episode_go(published, build) -> None:
    folder, first = published
    from lxml import etree

    guids = dict(zip(etree.parse(str(first.feed)).xpath("//item/title/text()"),
                     etree.parse(str(first.feed)).xpath("//item/guid/text()"), strict=True))
    (folder / "001-one.md").unlink()
    (folder / "002-two.md").unlink()
    run = build(folder, "--allow-removal", guids["One"])
    assert run.exit_code == 1
    assert [x.split()[1] for x in run.lines() if x.startswith("error")] == ["GUARD-REMOVED"]
    assert "'Two'" in run.stderr


def test_allow_changes_does_not_allow_removals(published, build) -> None:
    folder, _ = published
    (folder / "001-one.md").unlink()
    assert build(folder, "--allow-changes").exit_code == 1


def test_podcast_guid_change_is_guarded(published, build) -> None:
    folder, _ = published
    (folder / "show.yaml").write_text(SHOW_YAML + "guid: 917393e3-1b1e-5cef-ace4-edaa54e1f810\n")
    run = build(folder)
    assert run.exit_code == 1
    errors = [x for x in run.lines() if x.startswith("error")]
    assert [x.split()[1] for x in errors] == ["GUARD-REMOVED", "GUARD-SHOW"]
    assert "the default guid of 3 published episode(s)" in errors[0]
    assert errors[0].endswith(f"Set 'guid: {SHOW_GUID}' in show.yaml")


def test_moving_the_feed_with_the_old_guid_keeps_the_show_guid(published, build) -> None:
    folder, first = published
    from lxml import etree

    old = etree.parse(str(first.feed)).xpath(
        "//podcast:guid/text()", namespaces={"podcast": "https://podcastindex.org/namespace/1.0"})[0]
    (folder / "show.yaml").write_text(
        SHOW_YAML.replace("https://example.com/show/feed.xml", "https://example.org/pod/feed.xml")
        + f"guid: {old}\n")
    run = build(folder)
    errors = {x.split()[1] for x in run.lines() if x.startswith("error")}
    assert errors == {"GUARD-SHOW", "GUARD-ENCLOSURE"}  # the media moved with the feed
    assert build(folder, "--allow-changes").exit_code == 0


def test_preview_with_now_then_a_normal_build_explains_itself(published, build) -> None:
    folder, _ = published
    (folder / "004-four.md").write_text(episode("Four", "2026-12-01"))
    shutil.copy(TONE, folder / "004-four.mp3")
    assert build(folder, "--now", "2026-12-02").exit_code == 0  # a preview into the real output
    run = build(folder)  # back to the real clock (2026-11-24 in these tests)
    assert run.exit_code == 1
    message = next(x for x in run.lines() if x.startswith("error GUARD-REMOVED"))
    assert "004-four.md:3: 'Four' is published but is now dated 2026-12-01" in message
    assert "previewed it with --now, pass --allow-removal" in message


def test_a_new_episode_with_a_recurring_title_is_not_a_rename(published, build) -> None:
    folder, _ = published
    (folder / "003-three.md").unlink()
    (folder / "004-three.md").write_text(episode("Three", "2026-04-01"))
    shutil.copy(TONE, folder / "004-three.mp3")
    message = next(x for x in build(folder).lines() if x.startswith("error GUARD-REMOVED"))
    assert "the published episode 'Three'" in message and "renamed" not in message


def test_moving_all_media_is_one_finding_naming_show_yaml(published, build) -> None:
    folder, _ = published
    (folder / "show.yaml").write_text(SHOW_YAML + "media_base_url: https://cdn.example.net/pod/\n")
    errors = [x for x in build(folder).lines() if x.startswith("error")]
    assert len(errors) == 1
    assert errors[0].startswith(f"error GUARD-ENCLOSURE {folder.as_posix()}/show.yaml:")
    assert "the audio of 3 published episodes would move from https://example.com/show/ to " \
        "https://cdn.example.net/pod/" in errors[0]


def test_rename_with_its_audio_names_both_fixes(published, build) -> None:
    folder, first = published
    rename(folder, "002-two.md", "002-second.md")
    rename(folder, "002-two.mp3", "002-second.mp3")
    message = next(x for x in build(folder).lines() if x.startswith("error GUARD-REMOVED"))
    assert f"add 'guid: {guids_by_title(first.feed)['Two']}'" in message
    assert "its audio URL also changes from https://example.com/show/002-two.mp3" in message


def test_foreign_previous_feed_without_guids_and_with_duplicates(make_show, build, tmp_path) -> None:
    previous = tmp_path / "old.xml"
    previous.write_text(
        '<rss version="2.0"><channel><title>Old</title>'
        '<item><title>No guid</title><enclosure url="https://old.example/a.mp3" length="1" type="audio/mpeg"/></item>'
        '<item><title>Dup A</title><guid>dup</guid></item><item><title>Dup B</title><guid>dup</guid></item>'
        "</channel></rss>")
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    lines = build(folder, "--previous", str(previous)).lines()
    assert any("'No guid' (guid https://old.example/a.mp3) is missing" in x for x in lines)
    assert any("'Dup A' (guid dup) is missing" in x for x in lines)


def test_live_feed_redirect_is_followed(published, build, http_server, tmp_path) -> None:
    folder, first = published
    www, base = http_server
    shutil.copy(first.feed, www / "feed.xml")
    (folder / "003-three.md").unlink()
    run = build(folder, "--previous", f"{base}/redirect/feed.xml", output=tmp_path / "fresh")
    assert any(x.startswith("error GUARD-REMOVED") and "'Three'" in x for x in run.lines()), run.stderr


def test_a_named_previous_feed_that_is_not_there_stops_the_build(make_show, build, http_server, tmp_path) -> None:
    """A typo in --previous, or a placeholder left in a workflow, must not turn the guard off."""
    _, base = http_server
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    run = build(folder, "--previous", f"{base}/feed.xml")
    assert run.exit_code == 1 and not run.feed.exists()
    assert (f"error GUARD-PREVIOUS {base}/feed.xml: answers HTTP 404; the guard needs the published feed to "
            "compare with: check the URL, or give --first-publish if nothing is published there yet") in run.lines()
    missing = (tmp_path / "nowhere" / "feed.xml").as_posix()
    run = build(folder, "--previous", missing)
    assert run.exit_code == 1 and not run.feed.exists()
    assert any(x.startswith(f"error GUARD-PREVIOUS {missing}: cannot read the previous feed") and "--first-publish"
               in x for x in run.lines())


def test_first_publish_expects_no_previous_feed(make_show, build, http_server, tmp_path) -> None:
    _, base = http_server
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    run = build(folder, "--previous", f"{base}/feed.xml", "--first-publish")
    assert run.exit_code == 0
    assert f"info GUARD-FIRST {base}/feed.xml: answers 404: publishing for the first time (--first-publish)" \
        in run.lines()
    missing = (tmp_path / "nowhere" / "feed.xml").as_posix()
    run = build(folder, "--previous", missing, "--first-publish", output=tmp_path / "other")
    assert run.exit_code == 0 and any(x.startswith(f"info GUARD-FIRST {missing}: no such file") for x in run.lines())


def test_in_ci_a_build_with_nothing_to_compare_says_so(make_show, build, monkeypatch, tmp_path) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    monkeypatch.setenv("CI", "true")
    run = build(folder)
    assert run.exit_code == 0
    (line,) = [x for x in run.lines() if x.startswith("warning GUARD-NONE")]
    assert "no --previous" in line and "give --previous with the live feed's URL" in line
    run = build(folder, "--first-publish", output=tmp_path / "first")
    assert run.exit_code == 0 and not any("GUARD-NONE" in x for x in run.lines())
    for value in ("false", "0"):
        monkeypatch.setenv("CI", value)
        run = build(folder, output=tmp_path / f"ci-{value}")
        assert not any("GUARD-NONE" in x for x in run.lines())
    monkeypatch.delenv("CI")
    run = build(folder, output=tmp_path / "local")
    assert any(x.startswith("info GUARD-FIRST") for x in run.lines())


def test_the_previous_feed_is_read_within_a_deadline_and_a_size_cap(make_show, build, http_server) -> None:
    """A server that trickles (each byte within --timeout, the whole far beyond it), an endless
    body and a gzip bomb: each is a clear error, soon, in bounded memory."""
    www, base = http_server
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    (www / "slow.xml").write_bytes(b"<rss>" + b" " * 400 + b"</rss>")  # 20 ms a byte: 8 s in all
    run = build(folder, "--previous", f"{base}/trickle/slow.xml", "--timeout", "0.3")  # the deadline: 6 x 0.3 s
    assert run.exit_code == 1
    assert any(x.startswith(f"error GUARD-PREVIOUS {base}/trickle/slow.xml: cannot fetch the published feed: "
                            "too slow") for x in run.lines())
    run = build(folder, "--previous", f"{base}/endless/feed.xml")
    assert run.exit_code == 1
    assert f"error GUARD-PREVIOUS {base}/endless/feed.xml: cannot fetch the published feed: larger than 64 MB" \
        in run.lines()
    run = build(folder, "--previous", f"{base}/bomb/feed.xml")
    assert run.exit_code == 1
    assert f"error GUARD-PREVIOUS {base}/bomb/feed.xml: cannot fetch the published feed: larger than 64 MB" \
        in run.lines()


@pytest.mark.parametrize("path", ["/status/500", "/status/403", "/status/410"])
def test_live_feed_errors_stop_the_build(make_show, build, http_server, path: str) -> None:
    _, base = http_server
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    run = build(folder, "--previous", base + path)
    assert run.exit_code == 1
    assert f"error GUARD-PREVIOUS {base}{path}: answers HTTP {path[-3:]}" in run.stderr
    assert not run.feed.exists()


def test_unreachable_or_garbled_previous_feed(make_show, build, http_server, tmp_path) -> None:
    www, base = http_server
    (www / "feed.xml").write_text("<html>not a feed</html>")
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    garbled = build(folder, "--previous", f"{base}/feed.xml")
    assert "error GUARD-PREVIOUS" in garbled.stderr and "not an RSS feed" in garbled.stderr
    closed = build(folder, "--previous", "http://127.0.0.1:9/feed.xml")
    assert "error GUARD-PREVIOUS http://127.0.0.1:9/feed.xml: cannot fetch the published feed: cannot connect: " \
        "the connection was refused" in closed.stderr
    missing = build(folder, "--previous", str(tmp_path / "nowhere.xml"))
    assert "error GUARD-PREVIOUS" in missing.stderr and "cannot read the previous feed" in missing.stderr


def test_a_mistyped_allow_removal_is_pointed_out(published, build) -> None:
    folder, _ = published
    (folder / "001-one.md").unlink()
    run = build(folder, "--allow-removal", "not-a-guid")
    assert run.exit_code == 1
    assert any(x.startswith("warning GUARD-UNKNOWN") and "--allow-removal not-a-guid names no published" in x
               for x in run.lines()), run.stderr


def test_the_remembered_snapshot_is_what_parsing_the_written_feed_gives(make_show, tmp_path) -> None:
    """The next build takes its guard snapshot from the cache instead of parsing the feed: it
    must be exactly what parsing gives (titles with spaces inside, offsets, fractions of seconds)."""
    from datetime import UTC, datetime

    from feedtool.assemble import assemble
    from feedtool.findings import Findings
    from feedtool.guard import snapshot, snapshot_of

    folder = make_show({
        "001-one.md": episode("One  two", "2026-01-01T10:00:00+02:00"), "001-one.mp3": TONE,
        "002-two.md": episode("Ünïcode & <markup>", "2026-02-01T10:00:00.5Z"), "002-two.mp3": TONE,
        "003-three.md": episode("Three", "2026-03-01", guid="https://example.com/?p=3"), "003-three.mp3": TONE,
    })
    assembled = assemble(folder, datetime(2026, 11, 24, tzinfo=UTC), Findings(), "feed.xml")
    assert assembled is not None
    assert snapshot_of(assembled) == snapshot(assembled.xml)
    assert list(snapshot_of(assembled).items) == list(snapshot(assembled.xml).items)


def test_a_hand_edited_feed_is_parsed_not_taken_from_the_cache(published, build) -> None:
    folder, first = published
    extra = b"<item><title>By hand</title><guid>hand-added</guid></item></channel>"
    first.feed.write_bytes(first.feed.read_bytes().replace(b"</channel>", extra))
    run = build(folder)
    assert run.exit_code != 0
    assert "hand-added" in run.stderr and "GUARD-REMOVED" in run.stderr


def test_the_next_build_takes_the_guard_snapshot_from_the_cache(published, build, monkeypatch) -> None:
    """Parsing a 10,000-item feed again costs a quarter second: a feed this build wrote is not parsed."""
    import feedtool.guard

    folder, _ = published
    (folder / "004-four.md").write_text(episode("Four", "2026-04-01"))
    shutil.copy(TONE, folder / "004-four.mp3")

    def refuse(_xml):
        raise AssertionError("the previous feed was parsed")

    monkeypatch.setattr(feedtool.guard, "snapshot", refuse)
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    assert "Four" in run.feed.read_text()
