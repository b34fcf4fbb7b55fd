"""The installed command, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import AUDIO, SAMPLE, cli, episode


def feedtool(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    return subprocess.run(
        [sys.executable, "-m", "feedtool", *args], capture_output=True, text=True, cwd=cwd, check=False,
        env={**clean, **(env or {})},
    )


def test_python_m_feedtool_builds_and_reports(make_show, tmp_path: Path) -> None:
    folder = make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"})
    done = feedtool("build", "--episodes", str(folder), "--output", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {(tmp_path / 'out' / 'feed.xml').as_posix()}: 1 episode, 1 new, 0:00:03 of audio\n"


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


def test_installed_command_flushes_its_output_and_keeps_exit_codes(make_show, tmp_path: Path) -> None:
    """The console script ends the process at once (cli.run): what it printed must still
    arrive, whole, and its exit code must be the command's."""
    command = Path(sys.executable).with_name("feedtool")
    folder = make_show({f"e{n}.md": episode(f"E{n}", date=f"2026-01-{n:02d}") for n in range(1, 30)}
                       | {f"e{n}.mp3": AUDIO / "tone.mp3" for n in range(1, 30)})
    built = subprocess.run([command, "build", "--episodes", folder, "--output", tmp_path / "out", "-v"],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    assert built.stdout.endswith("29 episodes, 29 new, 0:01:27 of audio\n")
    assert "kept what the build made" in built.stderr
    broken = make_show({"a.md": "---\ntitle: [\n---\n"})
    failed = subprocess.run([command, "build", "--episodes", broken, "--output", tmp_path / "out2"],
                            capture_output=True, text=True, check=False)
    assert failed.returncode == 1 and failed.stderr.endswith("nothing was written\n")
    usage = subprocess.run([command, "build", "--jobs", "x"], capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "Invalid value for '--jobs'" in usage.stderr
    # a reader that stops early (`feedtool --help | head -1`) gets no traceback
    piped = subprocess.run(f"'{command}' build --help | head -1", shell=True, capture_output=True, text=True,
                           check=False)
    assert piped.stdout.startswith("Usage:") and "Traceback" not in piped.stderr
    # started with stdout or stderr closed (`>&-`): Python has no stream to flush there
    for closed in (">&-", "2>&-"):
        done = subprocess.run(f"'{command}' --version {closed}", shell=True, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (closed, done.stderr)


def test_github_step_summary_tells_what_changed_and_what_failed(make_show, tmp_path: Path) -> None:
    folder = make_show({"a.md": episode("A", "2026-01-01"), "a.mp3": AUDIO / "tone.mp3"})
    out, summary = tmp_path / "out", tmp_path / "summary.md"
    assert feedtool("build", "--episodes", str(folder), "--output", str(out)).returncode == 0
    (folder / "b.md").write_text(episode("B *bold* <i>", "2026-02-01"))
    (folder / "b.mp3").write_bytes((AUDIO / "tone.mp3").read_bytes())
    done = feedtool("build", "--episodes", str(folder), "--output", str(out),
                    env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(": 2 episodes, 1 new, 0:00:06 of audio\n")
    text = summary.read_text()
    assert "| 2 | 1 | 0:00:06 | 0 | 0 |" in text
    assert "- B \\*bold\\* \\<i\\>" in text  # the new episode, its title inert Markdown

    (folder / "c.md").write_text("---\ntitle: [\n---\n")
    failed = feedtool("build", "--episodes", str(folder), "--output", str(out),
                      env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert failed.returncode == 1
    text = summary.read_text()
    assert "failed: nothing was published" in text and "error YAML-SYNTAX" in text

    printed = feedtool("build", "--episodes", str(folder), "--output", str(out), "--github-summary")
    assert printed.returncode == 1 and printed.stdout.startswith("## ❌ feedtool build")


def test_a_build_pauses_the_cycle_collector_and_turns_it_back_on(tmp_path, monkeypatch) -> None:
    """Builds run with Python's cyclic collector paused (they make no cycles worth it);
    afterwards it is on again, for a long-running `serve` or a test process."""
    import gc

    from feedtool import build as build_module

    seen = []
    real = build_module.build

    def spying(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "build", spying)
    assert gc.isenabled()
    result = cli("build", "--episodes", str(SAMPLE), "--output", str(tmp_path / "out"), "--now", "2026-11-24",
                 "--no-cache")
    assert result.exit_code == 0, result.output
    assert seen == [False] and gc.isenabled()


def test_a_process_that_ends_after_its_build_skips_the_last_collection_and_freeing(
        make_show, tmp_path: Path, monkeypatch) -> None:
    import gc

    from feedtool import cli as cli_module
    from feedtool import exiting
    from feedtool.assemble import Assembled
    from feedtool.cache import BuildCache

    folder = make_show({"a.md": episode("A"), "a.mp3": AUDIO / "tone.mp3"})
    assert gc.isenabled()
    try:
        monkeypatch.setattr(exiting, "ENDS_AFTER_COMMAND", False)  # `main`, as tests and serve run it
        with cli_module.cycle_collection_paused():
            assert not gc.isenabled()
        assert gc.isenabled()
        assert cli("build", "--episodes", str(folder), "--output", str(tmp_path / "a")).exit_code == 0
        assert exiting._LEFT == []
        monkeypatch.setattr(exiting, "ENDS_AFTER_COMMAND", True)  # `run`: the process ends next
        monkeypatch.setattr(exiting, "_LEFT", [])
        with cli_module.cycle_collection_paused():
            pass
        assert not gc.isenabled()
        assert cli("build", "--episodes", str(folder), "--output", str(tmp_path / "b")).exit_code == 0
        assert [type(kept) for kept in exiting._LEFT] == [Assembled, BuildCache]
    finally:
        gc.enable()


def test_a_first_build_big_enough_for_the_pool_matches_a_serial_one(make_show, tmp_path: Path) -> None:
    """As the installed command runs it (no test has imported the pipeline before the
    pool's fork): 1,000 episodes, so the worker probes, renders and links the media."""
    files = {}
    for n in range(1000):
        files[f"{n:04d}.md"] = episode(f"Episode {n}", f"20{10 + n // 336:02d}-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}",
                                       body=f"Notes for **{n}**.")
        files[f"{n:04d}.m4a"] = AUDIO / "tone.m4a"
    folder = make_show(files)
    pooled = feedtool("build", "--episodes", str(folder), "--output", str(tmp_path / "pooled"), "-q")
    serial = feedtool("build", "--episodes", str(folder), "--output", str(tmp_path / "serial"), "-q",
                      "--jobs", "1", "--no-cache")
    assert pooled.returncode == serial.returncode == 0, pooled.stderr
    for name in ("feed.xml", "index.html"):
        assert (tmp_path / "pooled" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()
    assert (tmp_path / "pooled" / "0999.m4a").samefile(folder / "0999.m4a")
    again = feedtool("build", "--episodes", str(folder), "--output", str(tmp_path / "pooled"))
    assert again.stdout.startswith("unchanged "), again.stdout


@pytest.mark.parametrize("value", ["nan", "inf", "1e10", "0"])
def test_a_timeout_must_be_a_number_of_seconds(tmp_path: Path, value: str) -> None:
    """inf overflowed the socket's timeout (a traceback), nan passed the range check."""
    from .conftest import cli

    result = cli("build", "--episodes", str(tmp_path), "--timeout", value)
    assert result.exit_code == 2 and "--timeout" in result.output and "Traceback" not in result.output
