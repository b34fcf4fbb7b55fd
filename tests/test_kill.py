"""A build killed with SIGKILL leaves no probing workers behind.

A worker notices a parent that exits, but not one that is killed (the OOM killer, a
cancelled CI job, kill -9): it would live on. The build's pool asks Linux to end its
workers with the build (see probe._die_with_parent)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import AUDIO, SAMPLE, SHOW_YAML, episode

EPISODES = 600  # enough for the build to use its pool (probe.SERIAL_BELOW) for a while
MOMENTS = [0.0, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2]  # seconds after the workers appear


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    for child in children.read().split():
                        found.add(int(child))
                        todo.append(int(child))
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for whoever inherited it to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG are Linux's")
def test_killed_builds_leave_no_workers(tmp_path: Path) -> None:
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "show.yaml").write_text(SHOW_YAML)
    shutil.copy(SAMPLE / "cover.png", folder / "cover.png")
    for n in range(EPISODES):
        (folder / f"{n:04d}.md").write_text(episode(f"Episode {n}", date=f"2026-01-01T{n % 24:02d}:{n % 60:02d}:00Z"))
        shutil.copy(AUDIO / "tone.mp3", folder / f"{n:04d}.mp3")
    had_workers = 0
    for moment in MOMENTS:
        output = tmp_path / f"out-{moment}"
        build = subprocess.Popen([sys.executable, "-m", "feedtool", "build", "--episodes", str(folder),
                                  "--output", str(output), "--no-cache", "--jobs", "2", "--now", "2026-12-01", "-q"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic() + 20
        while not _descendants(build.pid) and build.poll() is None and time.monotonic() < started:
            time.sleep(0.005)  # until the pool is up
        time.sleep(moment)
        workers = _descendants(build.pid)
        build.send_signal(signal.SIGKILL)
        build.wait()
        had_workers += bool(workers)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if _alive(pid)], f"workers alive after a kill at {moment} s"
    assert had_workers >= 5, had_workers  # the kills came while the pool was up (else the test tests nothing)
