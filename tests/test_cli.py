"""The installed command, run as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import AUDIO, episode


def feedtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "feedtool", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_python_m_feedtool_builds_and_reports(make_show, tmp_path: Path) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"})
    done = feedtool("build", "--episodes", str(folder), "--output", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {(tmp_path / 'out' / 'feed.xml').as_posix()}: 1 episode\n"


def test_errors_exit_1_without_traceback(make_show, tmp_path: Path) -> None:
    folder = make_show({"a.md": "---\ntitle: [\n---\n"})
    done = feedtool("build", "--episodes", str(folder), "--output", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error YAML-SYNTAX {folder.as_posix()}/a.md:")


def test_missing_show_folder(tmp_path: Path) -> None:
    done = feedtool("build", "--episodes", str(tmp_path / "nope"), "--output", str(tmp_path / "out"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"error SHOW-MISSING {(tmp_path / 'nope').as_posix()}: no such folder" in done.stderr


def test_bad_option_value_is_a_usage_error() -> None:
    done = feedtool("build", "--now", "someday")
    assert done.returncode == 2
    assert "Invalid value for '--now': expected an ISO 8601 date or time, got 'someday'" in done.stderr


def test_version_and_help() -> None:
    assert feedtool("--version").stdout.startswith("feedtool, version ")
    assert "--episodes" in feedtool("build", "--help").stdout
