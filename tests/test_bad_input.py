"""Every user mistake: one readable line naming file and line, exit 1, the old feed untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .conftest import AUDIO, SHOW_YAML, episode

TONE = AUDIO / "tone.mp3"


def publish_then_break(make_show, build, files: dict) -> tuple:
    """Build a good show, then rebuild after `files` changed it; return the run and old feed."""
    folder = make_show({"good.md": episode("Good"), "good.mp3": TONE})
    first = build(folder)
    assert first.exit_code == 0, first.stderr
    before = first.feed.read_bytes()
    make_show(files)
    return build(folder), before


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"bad.md": "---\ntitle: [unclosed\ndate: 2026-01-01\n---\n", "bad.mp3": TONE},
            "error YAML-SYNTAX {f}/bad.md:3: invalid YAML:",
        ),
        (
            {"bad.md": "no front matter here\n", "bad.mp3": TONE},
            "error YAML-SYNTAX {f}/bad.md:1: no front matter",
        ),
        (
            {"bad.md": "---\ndate: 2026-01-01\n---\n", "bad.mp3": TONE},
            "error FIELD-REQUIRED {f}/bad.md:1: missing required field 'title'",
        ),
        (
            {"bad.md": episode("Bad", season="first"), "bad.mp3": TONE},
            "error FIELD-VALUE {f}/bad.md:4: season: expected a whole number from 1 to 999999999, "
            "got 'first'",
        ),
        (
            {"bad.md": episode("Bad", date="next tuesday"), "bad.mp3": TONE},
            "error FIELD-VALUE {f}/bad.md:3: date: expected an ISO 8601 date",
        ),
        (
            {"bad.md": episode("Bad", explicit="maybe"), "bad.mp3": TONE},
            "error EXPLICIT {f}/bad.md:4: explicit: expected true or false, got 'maybe'",
        ),
        (
            {"bad.md": episode("[a, b]"), "bad.mp3": TONE},
            "error FIELD-VALUE {f}/bad.md:2: title: expected a single value, got a list",
        ),
        (
            {"bad.md": episode("Bad")},
            "error AUDIO-MISSING {f}/bad.md:1: no audio: add 'audio: <file>' or put {f}/bad.mp3",
        ),
        (
            {"bad.md": episode("Bad", audio="gone.mp3")},
            "error AUDIO-MISSING {f}/bad.md:4: audio: no file {f}/gone.mp3",
        ),
        (
            {"bad.md": episode("Bad"), "bad.mp3": AUDIO / "not-audio.mp3"},
            "error AUDIO-UNREADABLE {f}/bad.md:1: audio {f}/bad.mp3: not a readable MP3 audio file",
        ),
        (
            {"bad.md": episode("Bad"), "bad.aac": AUDIO / "fake.aac"},
            "error AUDIO-FORMAT {f}/bad.md:1: audio {f}/bad.aac: .aac is not supported",
        ),
        (
            {"bad.md": episode("Bad", audio="../outside.mp3")},
            "error PATH-OUTSIDE {f}/bad.md:4: audio: '../outside.mp3' leads outside the show folder",
        ),
        (
            {"bad.md": episode("Bad", audio="/etc/passwd")},
            "error PATH-OUTSIDE {f}/bad.md:4: audio: '/etc/passwd' leads outside the show folder",
        ),
        (
            {"bad.md": episode("Bad", image="../cover.png"), "bad.mp3": TONE},
            "error PATH-OUTSIDE {f}/bad.md:4: image: '../cover.png' leads outside",
        ),
        (
            {"bad.md": episode("Bad"), "bad.mp3": TONE, "bad.m4a": AUDIO / "tone.m4a"},
            "error AUDIO-AMBIGUOUS {f}/bad.md:1: 2 audio files share this episode's name "
            "(bad.m4a, bad.mp3): say which one with 'audio: <file>'",
        ),
        (
            {"bad.md": episode("Bad", guid="shared"), "bad.mp3": TONE,
             "worse.md": episode("Worse", guid="shared"), "worse.mp3": TONE},
            "error GUID-DUPLICATE {f}/worse.md:4: guid 'shared' is also the guid of {f}/bad.md",
        ),
        (
            {"bad.md": episode("Bad", image="notes.txt"), "bad.mp3": TONE, "notes.txt": "hello"},
            "error IMAGE-TYPE {f}/bad.md:4: image: {f}/notes.txt is neither JPEG nor PNG",
        ),
    ],
    ids=lambda value: None if isinstance(value, dict) else str(value)[:40],
)
def test_mistake_is_reported_and_feed_kept(make_show, build, files, expected) -> None:
    run, before = publish_then_break(make_show, build, files)
    folder = run.feed.parent.parent / "show"
    wanted = expected.format(f=folder.as_posix())
    assert run.exit_code == 1
    assert any(line.startswith(wanted) for line in run.lines()), run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert run.feed.read_bytes() == before
    assert "nothing was written" in run.stderr


def test_non_utf8_file(make_show, build) -> None:
    folder = make_show({"bad.mp3": TONE})
    (folder / "bad.md").write_bytes(b"---\ntitle: ok\ndate: 2026-01-01\nsummary: caf\xe9\n---\n")
    run = build(folder)
    assert run.exit_code == 1
    assert f"error FILE-ENCODING {folder.as_posix()}/bad.md:4: not UTF-8 text" in run.stderr


def test_every_problem_in_every_file_in_one_run(make_show, build) -> None:
    folder = make_show(
        {
            "a.md": episode("A", season="0"),  # no audio either
            "b.md": "---\ntitle: B\n---\n",
            "c.md": episode("C", typo="x"),
            "c.mp3": TONE,
        },
        show_yaml=SHOW_YAML.replace("language: en", "language: 42x").replace("Technology", "Tech"),
    )
    run = build(folder)
    rules = [line.split()[1] for line in run.lines() if line.startswith(("error", "warning"))]
    assert run.exit_code == 1
    assert sorted(rules) == sorted(
        ["LANG", "CATEGORY", "FIELD-VALUE", "AUDIO-MISSING", "FIELD-REQUIRED",
         "AUDIO-MISSING", "FIELD-UNKNOWN"]
    ), run.stderr
    assert run.lines()[-1] == "Error: 6 errors in 3 files; nothing was written"
    assert not run.feed.exists()


def test_missing_show_yaml(make_show, build) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE}, show_yaml=None)
    run = build(folder)
    assert run.exit_code == 1
    assert f"error SHOW-MISSING {folder.as_posix()}/show.yaml: no show.yaml in" in run.stderr


def test_missing_show_fields_name_each_key(make_show, build) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE}, show_yaml="title: Only a title\n")
    run = build(folder)
    missing = {line.rsplit("'", 2)[1] for line in run.lines() if "FIELD-REQUIRED" in line}
    assert missing == {"description", "link", "feed_url", "language", "author", "owner", "image",
                       "categories"}


def test_unknown_key_warns_but_builds(make_show, build) -> None:
    folder = make_show({"a.md": episode("A", sesaon="2"), "a.mp3": TONE})
    run = build(folder)
    assert run.exit_code == 0
    assert (f"warning FIELD-UNKNOWN {folder.as_posix()}/a.md:4: unknown key 'sesaon' ignored "
            "(did you mean 'season'?)") in run.lines()


def test_unwritable_output_is_a_clear_error(make_show, build, tmp_path: Path) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    run = build(folder, output=blocker / "site")
    assert run.exit_code == 1
    assert "error WRITE-FAILED" in run.stderr and "Traceback" not in run.stderr


def test_no_published_episode_is_an_error(make_show, build) -> None:
    folder = make_show({"a.md": episode("A", draft="true")})
    run = build(folder)
    assert run.exit_code == 1
    assert "error NO-EPISODES" in run.stderr and "1 draft" in run.stderr


@pytest.mark.parametrize(
    ("front", "line", "words"),
    [
        ("title: Tomatoes: a guide\n", 2, 'must be quoted, e.g. title: "Tomatoes: a guide"'),
        ('title: "unclosed\ndate: 2026-01-01\n', 2, "is a quote or bracket left open?"),
        ("title: x\n\tdate: 2026-01-01\n", 3, "indent with spaces, not tabs"),
    ],
)
def test_yaml_errors_explain_the_usual_causes(make_show, build, front, line, words) -> None:
    folder = make_show({"bad.md": f"---\n{front}---\n", "bad.mp3": TONE})
    message = next(x for x in build(folder).lines() if x.startswith("error YAML-SYNTAX"))
    assert message.startswith(f"error YAML-SYNTAX {folder.as_posix()}/bad.md:{line}: invalid YAML:")
    assert words in message


def test_impossible_date_says_so(make_show, build) -> None:
    folder = make_show({"bad.md": episode("Bad", date="2026-02-30"), "bad.mp3": TONE})
    assert "date: '2026-02-30' is not a real date or time (day is out of range" in build(folder).stderr


def test_owner_keys_are_checked_like_top_level_keys(make_show, build) -> None:
    show = SHOW_YAML.replace("  email: tester@example.com\n", "  emial: tester@example.com\n")
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE}, show_yaml=show)
    lines = build(folder).lines()
    shown = f"{folder.as_posix()}/show.yaml"
    assert f"error FIELD-REQUIRED {shown}:7: missing required field 'owner.email'" in lines
    assert f"warning FIELD-UNKNOWN {shown}:9: unknown key 'owner.emial' ignored (did you mean 'email'?)" \
        in lines


def test_hidden_markdown_files_are_ignored(make_show, build) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    (folder / "._a.md").write_bytes(b"\x00\x05\x16\x07binary")
    run = build(folder)
    assert run.exit_code == 0
    assert [line.split()[1] for line in run.lines()] == ["GUARD-FIRST"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"episode": "9" * 5000}, "episode: expected a whole number from 1 to 999999999"),
        ({"length": "9" * 5000, "audio": "https://cdn.example.com/a.mp3", "duration": "10"},
         "length: expected a whole number of bytes"),
        ({"duration": "9" * 400}, "duration: expected seconds or H:MM:SS"),
        ({"date": "2026-01-01T09:00:00+05:30:15"}, "offset has whole minutes only"),
        ({"date": "0001-01-01"}, "needs a four-digit year"),
        ({"season": "|\n  first\n  second"}, "got 'first\\nsecond'"),
    ],
)
def test_absurd_values_are_refused_on_one_line(make_show, build, extra, words) -> None:
    folder = make_show({"bad.md": episode("Bad", **extra), "bad.mp3": TONE})
    run = build(folder)
    assert run.exit_code == 1
    assert any(line.startswith("error FIELD-VALUE") and words in line for line in run.lines()), run.stderr


@pytest.mark.parametrize("front", ["x: &a [*a]\n", "a: &x [1, 2]\nb: *x\n"])
def test_yaml_aliases_are_refused(make_show, build, front) -> None:
    folder = make_show({"bad.md": f"---\ntitle: t\ndate: 2026-01-01\n{front}---\n", "bad.mp3": TONE})
    assert "aliases (&name, *name) are not supported" in build(folder).stderr


def test_symlink_leading_outside_the_folder(make_show, build, tmp_path: Path) -> None:
    folder = make_show({"a.md": episode("A")})
    (folder / "a.mp3").symlink_to(TONE)
    run = build(folder)
    assert run.exit_code == 1
    assert run.lines()[0].startswith(f"error PATH-OUTSIDE {folder.as_posix()}/a.md: audio: "
                                     f"{folder.as_posix()}/a.mp3 is a link to {TONE.as_posix()}")


def test_symlink_inside_the_folder_publishes_the_real_file(make_show, build) -> None:
    folder = make_show({"real/a.mp3": TONE, "a.md": episode("A")})
    (folder / "a.mp3").symlink_to("real/a.mp3")
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    published = run.feed.parent / "a.mp3"
    assert not published.is_symlink() and published.read_bytes() == TONE.read_bytes()


def test_directory_with_an_audio_name_is_not_audio(make_show, build) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE, "a.m4a/keep": "x"})
    assert build(folder).exit_code == 0


def test_file_name_that_is_not_utf8(make_show, build) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE})
    bad = b"\xff".decode("utf-8", "surrogateescape")
    (folder / "a.md").rename(folder / f"{bad}.md")
    (folder / "a.mp3").rename(folder / f"{bad}.mp3")
    run = build(folder)
    assert run.exit_code == 1 and "Traceback" not in run.stderr
    assert "error FILE-NAME" in run.stderr
    assert "the file name b'\\xff.md' is not UTF-8: rename it" in run.stderr


def test_unreadable_file(tmp_path: Path) -> None:
    import uuid

    from feedtool.findings import Findings
    from feedtool.load import _Context, read_text

    findings = Findings()
    # root may read any file, so use something no one can read as a file: a folder
    assert read_text(_Context(tmp_path, findings, "", uuid.NAMESPACE_URL), tmp_path) is None
    assert [f.rule for f in findings] == ["FILE-UNREADABLE"]
    assert str(list(findings)[0]).startswith(f"error FILE-UNREADABLE {tmp_path.as_posix()}: cannot read")


def test_http_artwork_url(make_show, build, http_server) -> None:
    import shutil

    from .conftest import SAMPLE

    shutil.copy(SAMPLE / "cover.png", http_server.root / "cover.png")
    show = SHOW_YAML.replace("image: cover.png", f"image: {http_server.base}/cover.png")
    run = build(make_show({"a.md": episode("A"), "a.mp3": TONE}, show_yaml=show))
    assert run.exit_code == 0
    assert "warning IMAGE-URL" in run.stderr and "use an https URL" in run.stderr


def test_show_problems_are_all_reported_together(make_show, build) -> None:
    show = SHOW_YAML.replace("language: en", "language: english!").replace("cover.png", "missing.png")
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE}, show_yaml=show)
    rules = {line.split()[1] for line in build(folder).lines() if line.startswith("error")}
    assert rules == {"LANG", "IMAGE-MISSING"}


def test_scheduled_and_draft_lines_point_at_their_keys(make_show, build) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": TONE,
                        "b.md": episode("B", "2027-01-01"), "b.mp3": TONE,
                        "c.md": episode("C", draft="true")})
    lines = build(folder).lines()
    assert any(x.startswith(f"info SCHEDULED {folder.as_posix()}/b.md:3: scheduled for 2027") for x in lines)
    assert f"info DRAFT {folder.as_posix()}/c.md:4: draft: left out of the feed" in lines


def test_a_show_key_in_an_episode_says_where_it_belongs(make_show, build) -> None:
    folder = make_show({"a.md": episode("A", funding="https://example.com/give"), "a.mp3": TONE})
    assert f"warning FIELD-UNKNOWN {folder.as_posix()}/a.md:4: unknown key 'funding' ignored " \
        "(it belongs in show.yaml)" in build(folder).lines()


def _as_nobody(*args: str) -> subprocess.CompletedProcess | None:
    """Run feedtool as the user nobody (permissions do not bind root), or None where that
    cannot be done here (not root, no setpriv, or the interpreter unreadable to nobody)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    if subprocess.run([*drop, "-c", "import feedtool"], capture_output=True, check=False).returncode:
        return None
    return subprocess.run([*drop, "-m", "feedtool", *args], capture_output=True, text=True, check=False)


@pytest.mark.parametrize(("blocked", "message"), [
    ("cover.png", "show.yaml:13: image: cannot read {f}/cover.png: Permission denied"),
    ("audio", "003-listener-questions.md:7: audio: cannot read {f}/audio/003-listener-questions.mp3: "
              "Permission denied"),
])
def test_an_unreadable_cover_or_media_folder_is_a_message(blocked: str, message: str) -> None:
    from .conftest import SAMPLE

    top = Path(tempfile.mkdtemp())  # (pytest's own folders are closed to other users)
    try:
        folder, output = top / "show", top / "out"
        shutil.copytree(SAMPLE, folder)
        output.mkdir()
        for path in (top, output, *folder.rglob("*"), folder):
            path.chmod(0o777 if path.is_dir() else 0o644)
        (folder / blocked).chmod(0)
        done = _as_nobody("build", "--episodes", str(folder), "--output", str(output), "--now", "2026-12-01",
                          "--no-cache")
        if done is None:
            pytest.skip("needs root and setpriv to run the build as another user")
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert f"error FILE-UNREADABLE {folder.as_posix()}/" + message.format(f=folder.as_posix()) in done.stderr
        assert not (output / "feed.xml").exists()
    finally:
        for path in top.rglob("*"):
            path.chmod(0o700)
        shutil.rmtree(top)


def test_a_read_only_cache_is_a_warning_not_a_stop() -> None:
    """A cache its user cannot write (restored read-only, another user's): "attempt to write
    a readonly database" stopped every build."""
    from .conftest import SAMPLE

    top = Path(tempfile.mkdtemp())
    try:
        folder, output = top / "show", top / "out"
        shutil.copytree(SAMPLE, folder)
        first = subprocess.run([sys.executable, "-m", "feedtool", "build", "--episodes", str(folder), "--output",
                                str(top / "first"), "--now", "2026-12-01", "-q"], capture_output=True, check=False)
        assert first.returncode == 0 and (top / ".feedtool-cache" / "build.sqlite").is_file()
        with open(folder / "003-listener-questions.md", "a") as notes:
            notes.write("\nOne more line.\n")  # past the "unchanged" shortcut: the cache is written to
        output.mkdir()
        for path in (top, output, *folder.rglob("*"), folder, top / "first"):
            path.chmod(0o777 if path.is_dir() or path in (top, output) else 0o644)
        (top / ".feedtool-cache").chmod(0o755)  # root's: readable, not writable, by nobody
        done = _as_nobody("build", "--episodes", str(folder), "--output", str(output), "--now", "2026-12-01")
        if done is None:
            pytest.skip("needs root and setpriv to run the build as another user")
        assert done.returncode == 0, done.stderr
        assert "warning CACHE" in done.stderr and "readonly database" in done.stderr
        assert (output / "feed.xml").is_file()
    finally:
        shutil.rmtree(top)


def test_notes_nested_beyond_reason_are_published_as_text(make_show, build) -> None:
    """The sanitiser's time grows with the square of the nesting (1.1 MB of nested <div>s took
    half a minute): beyond 500 levels, the notes are published as text, with a warning."""
    deep = "<div>" * 2000 + "Deep down" + "</div>" * 2000
    quotes = ">" * 700 + " quoted"
    wide = "\n".join(f"- item {n} with <b>bold</b> and <i>more</i>" for n in range(600))  # many tags, flat
    folder = make_show({"a.md": episode("A", body=deep), "a.mp3": AUDIO / "tone.mp3",
                        "b.md": episode("B", "2026-01-02", body=quotes), "b.mp3": AUDIO / "tone.mp3",
                        "c.md": episode("C", "2026-01-03", body=wide), "c.mp3": AUDIO / "tone.mp3"})
    run = build(folder)
    assert run.exit_code == 0, run.stderr
    warned = [x for x in run.lines() if x.startswith("warning NOTES-DEPTH")]
    assert len(warned) == 2 and any("/a.md:" in x for x in warned) and any("/b.md:" in x for x in warned)
    assert "more than 500 deep" in warned[0]
    import feedparser

    entries = {e.title: e for e in feedparser.parse(run.feed.read_bytes()).entries}
    assert entries["A"].content[0].value.startswith("<p>&lt;div&gt;&lt;div&gt;")  # as text
    assert "<b>bold</b>" in entries["C"].content[0].value  # flat notes keep their HTML
