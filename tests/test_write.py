"""Atomic output: a reader sees the old file or the new one, never a mix or nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedtool.write import publish_file, write_atomic


def test_write_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "site" / "feed.xml"
    write_atomic(target, b"old")
    inode = target.stat().st_ino
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_ino != inode  # a new file was renamed over the old one
    assert sorted(p.name for p in target.parent.iterdir()) == ["feed.xml"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "feed.xml"
    write_atomic(target, b"published")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"published"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.xml"]


def test_publish_links_once_then_skips(tmp_path: Path) -> None:
    source = tmp_path / "a.mp3"
    source.write_bytes(b"audio")
    target = tmp_path / "out" / "media" / "a.mp3"
    assert publish_file(source, target) is True
    assert os.path.samefile(source, target)
    assert publish_file(source, target) is False


def test_publish_replaces_a_different_file(tmp_path: Path) -> None:
    source = tmp_path / "a.mp3"
    source.write_bytes(b"new audio")
    target = tmp_path / "out" / "a.mp3"
    target.parent.mkdir()
    target.write_bytes(b"old audio")
    os.utime(target, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns))
    assert publish_file(source, target) is True
    assert target.read_bytes() == b"new audio"
