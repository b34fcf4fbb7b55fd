"""The build cache: cold, warm and incremental builds give the same bytes, and rebuilds are cheap."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedtool import assemble as assemble_module
from feedtool import build as build_module
from feedtool import prerender
from feedtool import probe as probe_module
from feedtool.cli import main

from .conftest import AUDIO, episode

FORMATS = ["tone.mp3", "tone.m4a", "tone.ogg", "chapters.mp3", "vbr-noxing.mp3"]


def files(count: int) -> dict:
    made = {}
    for n in range(count):
        name = FORMATS[n % len(FORMATS)]
        stem = f"{n:03d}-ep"
        made[f"{stem}.md"] = episode(f"Episode title {n}", f"2026-01-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
                                     body=f"Notes for **{n}**: Привет, 東京, 🎙️, é.")
        made[f"{stem}{Path(name).suffix}"] = AUDIO / name
    return made


@pytest.fixture
def probed(monkeypatch) -> list[Path]:
    """Every audio path handed to the prober, in order."""
    seen: list[Path] = []
    real = assemble_module.probe_many

    def recording(paths, *args, **kwargs):
        seen.extend(Path(path) for path in paths)
        return real(paths, *args, **kwargs)

    monkeypatch.setattr(assemble_module, "probe_many", recording)
    return seen


def test_cold_warm_and_incremental_builds_are_byte_identical(make_show, build, tmp_path) -> None:
    folder = make_show(files(12))
    cold = build(folder, "--no-cache", output=tmp_path / "cold")
    warm_out = tmp_path / "warm"
    build(folder, output=warm_out)
    (warm_out / "feed.xml").unlink()  # force a full render from cached media facts and items
    warm = build(folder, output=warm_out)
    (folder / "011-ep.md").rename(tmp_path / "held-back.md")
    build(folder, output=tmp_path / "incremental")
    (tmp_path / "held-back.md").rename(folder / "011-ep.md")
    incremental = build(folder, output=tmp_path / "incremental")
    assert cold.exit_code == warm.exit_code == incremental.exit_code == 0, incremental.stderr
    assert cold.feed.read_bytes() == warm.feed.read_bytes() == incremental.feed.read_bytes()
    pages = [(run.feed.parent / "index.html").read_bytes() for run in (cold, warm, incremental)]
    assert pages[0] == pages[1] == pages[2] and b"Episode title 11" in pages[0]


def test_a_rebuild_with_nothing_changed_rewrites_nothing(make_show, build, probed) -> None:
    folder = make_show(files(6))
    first = build(folder)
    stat = first.feed.stat()
    again = build(folder)
    assert again.exit_code == 0 and again.stdout.startswith("unchanged ")
    assert again.feed.stat().st_mtime_ns == stat.st_mtime_ns and again.feed.stat().st_ino == stat.st_ino
    assert len(probed) == 6  # only the first build probed


def test_adding_an_episode_probes_only_that_episode(make_show, build, probed) -> None:
    folder = make_show(files(6))
    build(folder)
    make_show({"100-new.md": episode("New one", "2026-02-01"), "100-new.mp3": AUDIO / "tone.mp3"})
    run = build(folder)
    assert run.exit_code == 0 and run.stdout.startswith("wrote ")
    assert probed[6:] == [folder / "100-new.mp3"]


def test_editing_audio_probes_it_again(make_show, build, probed) -> None:
    folder = make_show(files(3))
    build(folder)
    shutil.copy(AUDIO / "vbr-noxing.mp3", folder / "000-ep.mp3")
    run = build(folder, "--allow-changes")
    assert probed[3:] == [folder / "000-ep.mp3"]
    assert "<itunes:duration>7</itunes:duration>" in run.feed.read_text()


def test_a_fresh_checkout_reuses_the_facts_of_unchanged_audio(make_show, build, probed) -> None:
    """git gives every file a new modification time: the same bytes are recognised (size,
    first and last 4 KiB), a file with other bytes of the same size is probed again."""
    folder = make_show(files(6))
    first = build(folder)
    later = time.time() + 3600
    for path in folder.iterdir():
        os.utime(path, (later, later))
    data = bytearray((folder / "005-ep.mp3").read_bytes())
    data[-100] ^= 0xFF  # same size, other bytes in its last 4 KiB
    (folder / "005-ep.mp3").write_bytes(bytes(data))
    again = build(folder)
    assert again.exit_code == 0, again.stderr
    assert probed[6:] == [folder / "005-ep.mp3"]
    assert again.feed.read_bytes() == first.feed.read_bytes()
    third = build(folder)  # the new times were remembered
    assert third.stdout.startswith("unchanged ") and len(probed) == 7


def test_a_scheduled_episode_appears_on_time_even_with_nothing_changed(make_show, build) -> None:
    folder = make_show({**files(2), "later.md": episode("Later", "2026-12-01"), "later.mp3": AUDIO / "tone.mp3"})
    assert "Later" not in build(folder).feed.read_text()
    assert "Later" in build(folder, "--now", "2026-12-02").feed.read_text()


@pytest.mark.parametrize("damage", ["garbage", "foreign"])
def test_a_damaged_or_foreign_cache_is_discarded_with_a_warning(make_show, build, tmp_path, damage) -> None:
    folder = make_show(files(2))
    cache = tmp_path / ".feedtool-cache" / "build.sqlite"
    cache.parent.mkdir()
    if damage == "garbage":
        cache.write_bytes(b"this is not a database" * 100)
    else:
        db = sqlite3.connect(cache)
        db.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); "
                         "INSERT INTO meta VALUES ('version', 'something-else-7');")
        db.commit()
        db.close()
    run = build(folder)
    assert run.exit_code == 0
    assert any(x.startswith("warning CACHE") and "discarded the cache" in x for x in run.lines()), run.stderr
    again = build(folder)
    assert again.stdout.startswith("unchanged")  # and the new cache works
    assert "CACHE" not in again.stderr and "warning" not in again.stdout  # said once, not replayed


def test_a_cache_damaged_in_the_middle_warns_once_and_builds_without_it(make_show, build, tmp_path) -> None:
    """Pages garbled in the middle of the file (a disk, a CI cache restored half): the header
    is fine, the damage shows only when a query reaches it. Every later build and check
    failed with a traceback until `feedtool clean`. (Half the file is garbled, so that the
    build's queries meet the damage whatever the layout of its pages.)"""
    folder = make_show(files(12))
    assert build(folder).exit_code == 0
    cache = tmp_path / ".feedtool-cache" / "build.sqlite"
    data = bytearray(cache.read_bytes())
    start, stop = len(data) // 4, len(data) * 3 // 4
    data[start:stop] = (bytes(range(256)) * (len(data) // 256 + 1))[: stop - start]
    cache.write_bytes(bytes(data))
    (folder / "000-ep.md").write_text(episode("Edited", "2026-01-01"))  # past the "unchanged" shortcut
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    (warned,) = [x for x in run.lines() if x.startswith("warning CACHE")]
    assert "is damaged" in warned and "the next build starts a new one" in warned
    checked = CliRunner().invoke(main, ["check", "--episodes", str(folder), "--now", "2026-11-24"])
    assert checked.exit_code == 0 and "Traceback" not in checked.output and "CACHE" not in checked.output
    again = build(folder)
    assert again.exit_code == 0 and not any("CACHE" in x for x in again.lines())


@pytest.mark.parametrize("link", ["folder", "file", "journal"])
def test_a_cache_that_is_a_link_is_not_written_through(make_show, build, tmp_path, link) -> None:
    """The cache folder can come from where others write (a CI cache): a link there must not
    make the build create or overwrite a file elsewhere."""
    folder = make_show(files(2))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache = tmp_path / ".feedtool-cache"
    if link == "folder":
        cache.symlink_to(elsewhere)
    else:
        cache.mkdir()
        name = "build.sqlite" if link == "file" else "build.sqlite-journal"
        (cache / name).symlink_to(elsewhere / "target")  # dangling: SQLite would create it
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    assert any(x.startswith("warning CACHE") and "is a symbolic link" in x for x in run.lines()), run.stderr
    assert list(elsewhere.iterdir()) == []
    if link != "journal":  # and `clean` deletes nothing through it
        (elsewhere / ("build.sqlite" if link == "folder" else "target")).write_text("someone else's")
        cleaned = CliRunner().invoke(main, ["clean", "--episodes", str(folder)])
        assert cleaned.exit_code == 1 and "is a symbolic link: not deleting through it" in cleaned.output
        assert len(list(elsewhere.iterdir())) == 1


def test_an_unusable_cache_folder_is_only_a_warning(make_show, build, tmp_path) -> None:
    folder = make_show(files(2))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    run = build(folder, "--cache-dir", str(blocker / "cache"))
    assert run.exit_code == 0
    assert any(x.startswith("warning CACHE") and "cannot be used" in x for x in run.lines())


def test_clean_and_no_cache(make_show, build, tmp_path) -> None:
    folder = make_show(files(2))
    build(folder, "--no-cache")
    assert not (tmp_path / ".feedtool-cache").exists()
    build(folder)
    assert (tmp_path / ".feedtool-cache" / "build.sqlite").is_file()
    result = CliRunner().invoke(main, ["clean", "--episodes", str(folder)])
    assert result.exit_code == 0 and result.stdout.startswith("deleted ")
    assert not (tmp_path / ".feedtool-cache" / "build.sqlite").exists()


def test_parallel_and_serial_probing_agree(make_show, build, tmp_path) -> None:
    folder = make_show(files(60))  # above the size where a process pool is used
    serial = build(folder, "--no-cache", "--jobs", "1", output=tmp_path / "serial")
    parallel = build(folder, "--no-cache", "--jobs", "2", output=tmp_path / "parallel")
    assert serial.exit_code == parallel.exit_code == 0
    assert serial.feed.read_bytes() == parallel.feed.read_bytes()
    assert "probing audio" not in parallel.stderr  # no progress bar outside a terminal


def test_a_cleaned_output_folder_is_filled_again(make_show, build) -> None:
    folder = make_show(files(3))
    first = build(folder)
    (first.feed.parent / "000-ep.mp3").unlink()
    again = build(folder)
    assert again.stdout.startswith("wrote ") and (again.feed.parent / "000-ep.mp3").is_file()


def test_media_in_output_is_the_source_as_it_is_now(make_show, build, tmp_path) -> None:
    """output/ gets the media file its source is now, whatever builds came between: a
    changed source, a build that failed, one into another folder, one without the cache,
    and a file with the same size and time as the one it replaced."""
    folder = make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3", "b.md": episode("B", "2026-01-02"),
                        "b.mp3": AUDIO / "tone.mp3"})
    out, elsewhere = tmp_path / "output", tmp_path / "elsewhere"
    assert build(folder).exit_code == 0

    def replace_audio(source: Path) -> None:
        (folder / "a.mp3").unlink()
        shutil.copyfile(source, folder / "a.mp3")

    replace_audio(AUDIO / "vbr-noxing.mp3")
    assert build(folder).exit_code == 0
    assert (out / "a.mp3").read_bytes() == (folder / "a.mp3").read_bytes()
    # a failed build (the guard refuses a removal) publishes nothing and vouches for nothing
    replace_audio(AUDIO / "chapters.mp3")
    (folder / "b.md").rename(tmp_path / "b.md")
    assert build(folder).exit_code == 1
    (tmp_path / "b.md").rename(folder / "b.md")
    assert build(folder).exit_code == 0
    assert (out / "a.mp3").read_bytes() == (folder / "a.mp3").read_bytes()
    # a build into another folder publishes there only
    replace_audio(AUDIO / "tone.mp3")
    assert build(folder, output=elsewhere).exit_code == 0
    assert build(folder).exit_code == 0
    assert (out / "a.mp3").read_bytes() == (elsewhere / "a.mp3").read_bytes() == (AUDIO / "tone.mp3").read_bytes()
    # a build without the cache in between, then the first file back (with its own stat)
    (folder / "a.mp3").rename(tmp_path / "kept.mp3")
    shutil.copyfile(AUDIO / "vbr-noxing.mp3", folder / "a.mp3")
    assert build(folder, "--no-cache").exit_code == 0
    (tmp_path / "kept.mp3").replace(folder / "a.mp3")
    (folder / "c.md").write_text(episode("C", "2026-01-03"))  # past the "unchanged" shortcut
    shutil.copyfile(AUDIO / "tone.mp3", folder / "c.mp3")
    assert build(folder).exit_code == 0
    assert (out / "a.mp3").read_bytes() == (folder / "a.mp3").read_bytes()
    # another file with the same size and time (cp -p, rsync -t): output/ gets it all the same
    same_size = bytearray((folder / "a.mp3").read_bytes())
    same_size[-1] ^= 0xFF
    stat = (folder / "a.mp3").stat()
    (folder / "a.mp3").unlink()
    (folder / "a.mp3").write_bytes(bytes(same_size))
    os.utime(folder / "a.mp3", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (folder / "d.md").write_text(episode("D", "2026-01-04"))
    shutil.copyfile(AUDIO / "tone.mp3", folder / "d.mp3")
    assert build(folder).exit_code == 0
    assert (out / "a.mp3").read_bytes() == bytes(same_size)


def test_cached_episodes_keep_their_warnings_and_notice_missing_files(make_show, build) -> None:
    folder = make_show({"a.md": episode("A", typo="1", transcript="a.vtt"), "a.mp3": AUDIO / "tone.mp3",
                        "a.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\nHi.\n",
                        "b.md": episode("B", "2026-01-02"), "b.mp3": AUDIO / "tone.mp3"})
    build(folder)
    (folder / "b.md").write_text(episode("B, edited", "2026-01-02"))  # a full build, with `a` from the cache
    run = build(folder)
    assert any(x.startswith("warning FIELD-UNKNOWN") and "'typo'" in x for x in run.lines())
    (folder / "a.vtt").unlink()
    run = build(folder)
    assert run.exit_code == 1
    assert any(x.startswith("error TRANSCRIPT") and "a.vtt" in x for x in run.lines()), run.stderr


def test_verbose_tells_each_stage_and_quiet_only_problems(make_show, build) -> None:
    folder = make_show({**files(2), "x.md": episode("X", typo="1"), "x.mp3": AUDIO / "tone.mp3"})
    verbose = build(folder, "-v", "--no-cache")
    for stage in ("loaded 3 episodes in", "probed 3 local and 0 remote audio files", "rendered 3 items"):
        assert any(line.startswith(stage) for line in verbose.lines()), verbose.stderr
    quiet = build(folder, "-q", "--no-cache")
    assert quiet.stdout == "" and [x.split()[0] for x in quiet.lines()] == ["warning"]


def test_a_build_from_records_reports_and_writes_what_a_build_doing_the_work_does(make_show, build, tmp_path) -> None:
    """Records keep each stage's findings and replay them in the same order; a scheduled
    episode that comes due, and a change to show.yaml, are handled like a cold build."""
    made = files(8)
    made["050-long.md"] = episode("Long notes", "2026-01-05", body="word " * 1000)  # NOTES-LEN
    made["050-long.mp3"] = AUDIO / "tone.mp3"
    made["060-later.md"] = episode("Later", "2026-03-01")
    made["060-later.mp3"] = AUDIO / "tone.mp3"
    folder = make_show(made)

    def both(*args: str):
        (tmp_path / "cold" / "feed.xml").unlink(missing_ok=True)  # both builds publish for the first time
        cold = build(folder, "--no-cache", *args, output=tmp_path / "cold")
        build(folder, *args, output=tmp_path / "warm")
        (tmp_path / "warm" / "feed.xml").unlink()  # not the "unchanged" shortcut: a build from records
        warm = build(folder, *args, output=tmp_path / "warm")
        assert warm.exit_code == cold.exit_code == 0, warm.stderr
        assert warm.stderr == cold.stderr.replace(str(tmp_path / "cold"), str(tmp_path / "warm"))
        assert warm.feed.read_bytes() == cold.feed.read_bytes()
        assert (tmp_path / "warm" / "index.html").read_bytes() == (tmp_path / "cold" / "index.html").read_bytes()
        return warm

    first = both("--now", "2026-02-01")
    for rule in ("NOTES-LEN", "MP3-ESTIMATE", "SCHEDULED", "ENC-TYPE"):
        assert rule in first.stderr
    due = both("--now", "2026-04-01")  # the scheduled episode's record has no XML yet
    assert "SCHEDULED" not in due.stderr and "<title>Later</title>" in due.feed.read_text()
    show = (folder / "show.yaml").read_text().replace("title: Test Show", "title: Episode title")
    (folder / "show.yaml").write_text(show)
    renamed = both("--now", "2026-04-01", "--allow-changes")
    assert "repeats the show's name" in renamed.stderr


_render_many = prerender._render_many
RENDERED_HERE: list[int] = []


def _counting_render_many(work, show):
    """prerender._render_many, counting the items rendered in this process (a pool worker
    counts in its own copy of the list)."""
    RENDERED_HERE.append(len(work))
    return _render_many(work, show)


def test_items_rendered_partly_in_the_probing_pool_are_the_same(make_show, build, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(assemble_module, "SERIAL_BELOW", 4)  # a pool for a small show
    monkeypatch.setattr(probe_module, "SERIAL_BELOW", 4)
    monkeypatch.setattr(prerender, "PARALLEL_FROM", 10)
    monkeypatch.setattr(prerender, "CHUNK", 3)
    monkeypatch.setattr(prerender, "_render_many", _counting_render_many)
    RENDERED_HERE.clear()
    folder = make_show(files(20))
    serial = build(folder, "--no-cache", "--jobs", "1", output=tmp_path / "serial")
    assert sum(RENDERED_HERE) == 20
    RENDERED_HERE.clear()
    pooled = build(folder, "--jobs", "2", output=tmp_path / "pooled")
    assert sum(RENDERED_HERE) < 20  # the rest (all of it, at times) was rendered by the pool's worker
    assert pooled.exit_code == serial.exit_code == 0, pooled.stderr
    assert pooled.feed.read_bytes() == serial.feed.read_bytes()
    assert pooled.stderr.replace("pooled", "serial") == serial.stderr
    assert (tmp_path / "pooled" / "index.html").read_bytes() == (tmp_path / "serial" / "index.html").read_bytes()


def test_records_are_stored_as_json_and_leave_with_their_episode(make_show, tmp_path) -> None:
    import json

    from .conftest import cli

    folder = make_show(files(5))
    assert cli("check", "--episodes", str(folder)).exit_code == 0
    database = tmp_path / ".feedtool-cache" / "build.sqlite"

    def stored() -> set[str]:
        db = sqlite3.connect(database)
        try:
            rows = db.execute("SELECT path, data FROM records").fetchall()
            assert all(isinstance(json.loads(data), list) for _, data in rows)  # plain data, nothing to unpickle
            return {path for path, _ in rows}
        finally:
            db.close()

    assert {Path(p).name for p in stored()} == {f"{n:03d}-ep.md" for n in range(5)}
    (folder / "002-ep.md").unlink()
    assert cli("check", "--episodes", str(folder)).exit_code == 0
    assert {Path(p).name for p in stored()} == {f"{n:03d}-ep.md" for n in (0, 1, 3, 4)}


def test_a_failure_from_outside_the_files_is_not_kept(make_show, build, tmp_path, monkeypatch) -> None:
    """An audio file that could not be read (a permission, an I/O error) is read again at
    the next build, although the file itself did not change."""
    folder = make_show(files(3))
    real = probe_module.probe

    def failing(path):
        if Path(path).name == "001-ep.m4a":
            raise probe_module.ProbeError("AUDIO-UNREADABLE", "cannot read it: Input/output error")
        return real(path)

    monkeypatch.setattr(probe_module, "probe", failing)
    assert build(folder).exit_code == 1
    monkeypatch.setattr(probe_module, "probe", real)
    again = build(folder)
    assert again.exit_code == 0, again.stderr
    assert again.feed.read_bytes() == build(folder, "--no-cache", output=tmp_path / "cold").feed.read_bytes()


def test_a_new_feedtool_does_not_reuse_an_older_ones_records(make_show, build, monkeypatch) -> None:
    """Records hold what feedtool's code made (findings, XML, pickled classes): a change to
    the code, an upgrade or an edit, parses and renders every episode again."""
    from feedtool import cache as cache_module
    from feedtool import load as load_module
    from feedtool import record as record_module

    folder = make_show(files(4))
    parsed = []
    real = load_module._load_episode

    def counting(ctx, shown, name, siblings):
        parsed.append(name)
        return real(ctx, shown, name, siblings)

    monkeypatch.setattr(load_module, "_load_episode", counting)
    build(folder)
    (folder.parent / "output" / "feed.xml").unlink()  # past the "unchanged" shortcut
    build(folder)
    assert len(parsed) == 4  # the second build used the records
    for module in (load_module, record_module, cache_module):
        monkeypatch.setattr(module, "code_version", lambda: "another feedtool")
    (folder.parent / "output" / "feed.xml").unlink()
    assert build(folder).exit_code == 0
    assert len(parsed) == 8


def test_a_file_gone_between_listing_and_stat_leaves_the_others_listed(make_show, monkeypatch) -> None:
    import contextlib

    from feedtool import folder as folder_module

    folder = make_show(files(3))
    (folder / "ghost.md").write_text("an editor's temporary file")
    real = os.scandir

    def racing(path):
        entries = sorted(real(path), key=lambda entry: entry.name != "ghost.md")  # the ghost first
        (folder / "ghost.md").unlink()
        return contextlib.nullcontext(entries)

    monkeypatch.setattr(folder_module.os, "scandir", racing)
    listing = folder_module.Listing(folder)
    assert "ghost.md" not in listing.files() and {"000-ep.md", "001-ep.md", "002-ep.md"} <= set(listing.files())


def test_the_cover_is_read_once_while_it_stays_the_same(make_show, build, monkeypatch) -> None:
    from feedtool.checks import artwork

    folder = make_show(files(2))
    opened = []
    real = artwork.image_facts

    def counting(handle, verify):
        opened.append(handle)
        return real(handle, verify)

    monkeypatch.setattr(artwork, "image_facts", counting)
    build(folder)
    (folder.parent / "output" / "feed.xml").unlink()  # past the "unchanged" shortcut
    assert build(folder).exit_code == 0
    assert len(opened) == 1
    cover = folder / "cover.png"
    cover.write_bytes(cover.read_bytes()[:-10])  # damaged: read again, and reported
    run = build(folder)
    assert len(opened) == 3 and "IMAGE-TYPE" in run.stderr, run.stderr


def test_show_notes_are_rendered_once_for_their_text(make_show, build, monkeypatch) -> None:
    """A change to show.yaml renders every item again, but not every episode's notes: they
    are kept by their text."""
    from feedtool import notes

    folder = make_show(files(4))
    seen = []
    real = notes.to_html

    def counting(markdown):
        seen.append(markdown)
        return real(markdown)

    monkeypatch.setattr(notes, "to_html", counting)
    build(folder)
    episode_notes = [text for text in seen if "Notes for" in text]
    assert len(episode_notes) == 4
    show = (folder / "show.yaml").read_text().replace("title: Test Show", "title: Renamed Show")
    (folder / "show.yaml").write_text(show)
    seen.clear()
    assert build(folder, "--allow-changes").exit_code == 0
    assert [text for text in seen if "Notes for" in text] == []


def test_audio_moved_out_of_the_folder_and_linked_back_is_refused_as_before(make_show, build, tmp_path) -> None:
    folder = make_show(files(2))
    assert build(folder).exit_code == 0
    outside = tmp_path / "elsewhere.mp3"
    (folder / "000-ep.mp3").rename(outside)  # the same size and time
    (folder / "000-ep.mp3").symlink_to(outside)
    cold = build(folder, "--no-cache", output=tmp_path / "cold")
    warm = build(folder)
    assert cold.exit_code == warm.exit_code == 1
    assert "PATH-OUTSIDE" in warm.stderr and "PATH-OUTSIDE" in cold.stderr


def test_audio_linked_within_the_folder_is_published_as_the_file(make_show, build) -> None:
    folder = make_show(files(2))
    (folder / "store").mkdir()
    (folder / "000-ep.mp3").rename(folder / "store" / "real.mp3")
    (folder / "000-ep.mp3").symlink_to("store/real.mp3")  # relative: a copy of the link would dangle
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    published = run.feed.parent / "000-ep.mp3"
    assert not published.is_symlink() and published.stat().st_size == (folder / "store" / "real.mp3").stat().st_size


def _sibling_show(tmp_path: Path, name: str, made: dict) -> Path:
    """A second show beside make_show's (same parent: the same default cache folder)."""
    folder = tmp_path / name
    folder.mkdir()
    for file, content in made.items():
        if isinstance(content, Path):
            shutil.copy(content, folder / file)
        else:
            (folder / file).write_text(content)
    return folder


def test_shows_side_by_side_keep_their_records_and_their_own_covers(make_show, build, tmp_path) -> None:
    from .conftest import SAMPLE, SHOW_YAML

    first = make_show(files(3))
    second = _sibling_show(tmp_path, "other", {**files(2), "show.yaml": SHOW_YAML})
    small = tmp_path / "small.png"
    from PIL import Image

    Image.new("RGB", (600, 600)).save(small)
    shutil.copy(small, second / "cover.png")
    os.utime(second / "cover.png", ns=(os.stat(first / "cover.png").st_mtime_ns,) * 2)
    assert build(first, output=tmp_path / "out1").exit_code == 0
    other = build(second, output=tmp_path / "out2")
    assert "ART-SIZE" in other.stderr  # not the first show's cover, though its size and time may match
    database = tmp_path / ".feedtool-cache" / "build.sqlite"
    db = sqlite3.connect(database)
    stored = {path for (path,) in db.execute("SELECT path FROM records")}
    db.close()
    assert {Path(p).parent.name for p in stored} == {"show", "other"}
    assert SAMPLE.is_dir()


def test_rendered_notes_that_no_episode_uses_leave_the_cache(make_show, build, tmp_path) -> None:
    folder = make_show(files(3))
    build(folder)
    database = tmp_path / ".feedtool-cache" / "build.sqlite"

    def rows() -> int:
        db = sqlite3.connect(database)
        try:
            return db.execute("SELECT count(*) FROM notes").fetchone()[0]
        finally:
            db.close()

    assert rows() == 3
    for n in range(3):
        text = (folder / "000-ep.md").read_text().replace("Notes for", f"Edit {n} of the notes for")
        (folder / "000-ep.md").write_text(text)
        assert build(folder, "--allow-changes").exit_code == 0
    assert rows() == 3


def test_a_new_feedtool_rebuilds_a_show_it_would_call_unchanged(make_show, build, monkeypatch) -> None:
    folder = make_show(files(2))
    assert build(folder).exit_code == 0
    assert build(folder).stdout.startswith("unchanged ")
    assert "loaded 2 episodes" not in build(folder, "-v").stderr  # the shortcut: nothing read
    monkeypatch.setattr(build_module, "code_version", lambda: "another feedtool")
    assert "loaded 2 episodes" in build(folder, "-v").stderr


def test_the_listing_splits_names_as_splitext_does(tmp_path) -> None:
    from feedtool.folder import Listing

    names = ["a.mp3", "B.MP3", ".hidden", ".hidden.mp3", "..a", "..a.mp3", "a.", "noext", "a.b.md", "x.Mp3", "_.ogg"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    split = {name: (stem, suffix) for name, stem, suffix in Listing(tmp_path).suffixes()}
    assert split == {name: (os.path.splitext(name)[0], os.path.splitext(name)[1].lower()) for name in names}


def test_a_first_build_starts_probing_before_reading_the_folder(make_show, build, tmp_path, monkeypatch) -> None:
    """With nothing in the cache, every audio file is probed: the pool starts before the
    fingerprint and the listing; once the cache knows the files, only new ones are probed."""
    monkeypatch.setattr(assemble_module, "SERIAL_BELOW", 4)
    monkeypatch.setattr(probe_module, "SERIAL_BELOW", 4)
    started: list[str] = []
    real_all, real_listed = probe_module.start_probing_all, assemble_module.start_probing

    def all_files(folder, jobs):
        probing = real_all(folder, jobs)
        started.append(f"all {len(probing.paths) if probing else 0}")
        return probing

    def listed(listing, cache, network):
        probing = real_listed(listing, cache, network)
        started.append(f"listed {len(probing.paths) if probing else 0}")
        return probing

    monkeypatch.setattr(probe_module, "start_probing_all", all_files)
    monkeypatch.setattr(assemble_module, "start_probing", listed)
    folder = make_show(files(8))
    serial = build(folder, "--no-cache", "--jobs", "1", output=tmp_path / "serial")
    started.clear()
    first = build(folder, "--jobs", "2")
    assert first.exit_code == serial.exit_code == 0, first.stderr
    assert first.feed.read_bytes() == serial.feed.read_bytes()
    assert started == ["all 8"]
    for n in (8, 9, 10, 11, 12):  # five new episodes: enough for the pool
        shutil.copy(folder / "000-ep.mp3", folder / f"{n:03d}-ep.mp3")
        (folder / f"{n:03d}-ep.md").write_text(f"---\ntitle: New {n}\ndate: 2026-01-0{n % 9 + 1}\n---\nNew.\n")
    again = build(folder, "--jobs", "2")
    assert again.exit_code == 0, again.stderr
    assert started == ["all 8", "listed 5"]


def test_media_linked_by_the_pools_worker_are_published_as_here(make_show, build, tmp_path, monkeypatch) -> None:
    """A cold build's pool links the media while this process stores the records: the
    output is the serial build's, every media file is the source itself (a hard link),
    and a file the worker cannot write is a WRITE-FAILED error that names it, with the
    feed untouched."""
    monkeypatch.setattr(assemble_module, "SERIAL_BELOW", 4)
    monkeypatch.setattr(probe_module, "SERIAL_BELOW", 4)
    monkeypatch.setattr(assemble_module, "POOL_LINKS_FROM", 4)
    linked_here: list[str] = []  # a worker appends to its own copy
    real = build_module._publish

    def counting(source_dir, target_dir, path, present=True):
        linked_here.append(path)
        return real(source_dir, target_dir, path, present)

    monkeypatch.setattr(build_module, "_publish", counting)
    folder = make_show(files(8))
    serial = build(folder, "--no-cache", "--jobs", "1", output=tmp_path / "serial")
    assert len(linked_here) == 9  # eight episodes' audio and the cover, in this process
    linked_here.clear()
    pooled = build(folder, "--jobs", "2", output=tmp_path / "pooled")
    assert pooled.exit_code == serial.exit_code == 0, pooled.stderr
    assert linked_here == []  # the worker's own copy of the function did it
    assert sorted(p.name for p in (tmp_path / "pooled").iterdir()) == \
        sorted(p.name for p in (tmp_path / "serial").iterdir())
    assert pooled.feed.read_bytes() == serial.feed.read_bytes()
    for name in (p.name for p in folder.iterdir() if p.suffix in (".mp3", ".m4a", ".ogg", ".opus", ".flac", ".wav")):
        assert (tmp_path / "pooled" / name).samefile(folder / name)

    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "feed.xml").write_bytes(serial.feed.read_bytes())  # the published feed
    (blocked / "003-ep.mp3").mkdir()  # a folder where a media file must go
    (blocked / "003-ep.mp3" / "x").write_text("keeps the folder from being replaced")
    shutil.rmtree(tmp_path / ".feedtool-cache")
    failed = build(folder, "--jobs", "2", output=blocked)
    assert failed.exit_code == 1 and "Traceback" not in failed.stderr
    assert f"error WRITE-FAILED {(blocked / '003-ep.mp3').as_posix()}" in failed.stderr, failed.stderr
    assert (blocked / "feed.xml").read_bytes() == serial.feed.read_bytes()
    assert not (blocked / "index.html").exists()  # written after the media, like the feed


def test_a_file_replaced_between_its_early_probe_and_the_listing_is_probed_again(
        make_show, build, tmp_path, monkeypatch) -> None:
    """A first build probes before it lists the folder: a file replaced in between (a sync
    still running) must not be published, or cached, with the old file's facts."""
    from concurrent.futures import wait

    monkeypatch.setattr(assemble_module, "SERIAL_BELOW", 4)
    monkeypatch.setattr(probe_module, "SERIAL_BELOW", 4)
    shows = {f"{n:03d}-ep.md": episode(f"E{n}", f"2026-01-{n + 1:02d}") for n in range(8)}
    folder = make_show({**shows, **{f"{n:03d}-ep.mp3": AUDIO / "tone.mp3" for n in range(8)}})
    real = probe_module.start_probing_all

    def then_replace(folder_, jobs):
        probing = real(folder_, jobs)
        wait(probing.futures)  # every file probed...
        shutil.copy(AUDIO / "vbr-noxing.mp3", folder_ / "000-ep.mp3")  # ...then one is replaced
        return probing

    monkeypatch.setattr(probe_module, "start_probing_all", then_replace)
    first = build(folder, "--jobs", "2")
    monkeypatch.setattr(probe_module, "start_probing_all", real)
    truth = build(folder, "--no-cache", "--jobs", "1", output=tmp_path / "truth")
    assert first.exit_code == truth.exit_code == 0, first.stderr
    assert first.feed.read_bytes() == truth.feed.read_bytes()
    (folder / "099-ep.md").write_text(episode("Another", "2026-02-01"))  # a rebuild from the cache
    shutil.copy(AUDIO / "tone.mp3", folder / "099-ep.mp3")
    again = build(folder, "--jobs", "2")
    assert again.feed.read_bytes() == build(folder, "--no-cache", output=tmp_path / "truth").feed.read_bytes()


def test_records_read_back_as_they_were_made(tmp_path) -> None:
    """Every field of every record of the sample show (people, transcripts, chapters,
    soundbites, locations, alternate files, findings) comes back from its JSON equal."""
    from datetime import UTC, datetime

    from feedtool.assemble import assemble
    from feedtool.findings import Findings
    from feedtool.options import Network
    from feedtool.record import record_from_json, record_to_json

    from .conftest import SAMPLE

    cache = build_module.BuildCache(tmp_path / "build.sqlite")
    try:
        assembled = assemble(SAMPLE, datetime(2026, 12, 1, tzinfo=UTC), Findings(), "feed.xml", Network(), cache)
    finally:
        cache.close()
    assert assembled is not None and len(assembled.records) == 3
    for record in assembled.records.values():
        again = record_from_json(record.key, record_to_json(record), record.xml, record.page)
        again.fresh = record.fresh
        assert again == record
        assert again.item is None or again.item.episode is again.episode


def test_a_crafted_cache_runs_nothing(make_show, build, tmp_path) -> None:
    """A cache restored from where others write: a pickle that runs a command, put where the
    records and the last build's result are, is only data that does not fit (a miss)."""
    import pickle

    folder = make_show(files(3))
    assert build(folder).exit_code == 0
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    crafted = pickle.dumps(Payload())
    db = sqlite3.connect(tmp_path / ".feedtool-cache" / "build.sqlite")
    db.execute("UPDATE records SET data = ?", (crafted,))
    db.execute("UPDATE meta SET value = ? WHERE key IN ('build:result', 'guard:snapshot')", (crafted,))
    db.commit()
    db.close()
    (folder / "000-ep.md").write_text(episode("Edited", "2026-01-01"))  # past the "unchanged" shortcut
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    assert not marker.exists()
    assert run.feed.read_bytes() == build(folder, "--no-cache", output=tmp_path / "clean").feed.read_bytes()
