"""Symbolic links in a show folder: loops and links to big trees lose nothing and walk nothing."""

from __future__ import annotations

import os
from pathlib import Path

import feedparser

from feedtool.build import fingerprint
from feedtool.options import Network

from .conftest import AUDIO, episode

TONE = AUDIO / "tone.mp3"


def _show(make_show, count: int) -> Path:
    return make_show({**{f"{n:02d}.md": episode(f"Episode {n}", f"2026-01-{n + 1:02d}") for n in range(count)},
                      **{f"{n:02d}.mp3": TONE for n in range(count)}})


def test_two_links_pointing_at_each_other_lose_no_episode(make_show, build) -> None:
    """The listing stopped at the loop: a first publish went out without the episodes listed
    after it, and the next build's guard blamed one of them."""
    folder = _show(make_show, 30)
    os.symlink("b.mp3", folder / "a.mp3")
    os.symlink("a.mp3", folder / "b.mp3")
    for _ in range(2):
        run = build(folder)
        assert run.exit_code == 0, run.stderr
        assert len(feedparser.parse(run.feed.read_bytes()).entries) == 30


def test_links_to_folders_are_not_walked(make_show, build, tmp_path: Path) -> None:
    """A link to a big tree (here: one that changes) or back to the show itself: the build's
    and serve's watcher's fingerprint notes the link, and does not follow it."""
    folder = _show(make_show, 3)
    outside = tmp_path / "elsewhere"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "notes.txt").write_text("one")
    os.symlink(outside, folder / "big")
    os.symlink(".", folder / "again")  # a loop: show/again/again/…
    assert build(folder).exit_code == 0
    before = fingerprint(folder, tmp_path / "output", Network(), ())
    (outside / "deep" / "notes.txt").write_text("two, and longer")
    assert fingerprint(folder, tmp_path / "output", Network(), ()) == before is not None
    again = build(folder)
    assert again.exit_code == 0 and again.stdout.startswith("unchanged "), again.stdout + again.stderr
    os.remove(folder / "big")
    os.symlink(tmp_path, folder / "big")  # pointed elsewhere: that is a change
    assert fingerprint(folder, tmp_path / "output", Network(), ()) != before
