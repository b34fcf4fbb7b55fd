"""Shared fixtures: a show-folder factory over real audio, and a CLI runner."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedtool.cli import main

ROOT = Path(__file__).resolve().parent.parent
AUDIO = Path(__file__).resolve().parent / "fixtures" / "audio"
DURATIONS: dict[str, float] = json.loads((AUDIO / "durations.json").read_text())
SAMPLE = ROOT / "episodes"

SHOW_YAML = """\
title: Test Show
description: A show for **tests**.
link: https://example.com/show/
feed_url: https://example.com/show/feed.xml
language: en
author: Tester
owner:
  name: Tester
  email: tester@example.com
image: cover.png
categories:
  - Technology
"""


def episode(title: str = "Episode", date: str = "2026-01-01", body: str = "Notes.", **extra: str) -> str:
    """The text of an episode file; extra keys are written as given."""
    lines = ["---", f"title: {title}", f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n---\n\n" + textwrap.dedent(body) + "\n"


def cli(*args: str):
    """Run a feedtool command in-process (click's runner); a crash is raised, not hidden."""
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# Builds in tests behave as on a workstation: with CI set, a build without --previous warns
# that its guard has nothing to compare with (the tests of that set CI themselves). Read
# here, then hidden from feedtool, module-scoped fixtures and subprocesses included.
IN_CI = os.environ.pop("CI", None) == "true"


@pytest.fixture(autouse=True)
def _no_job_summary(monkeypatch):
    """Tests run under GitHub Actions too: builds must not write into the real job summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture(autouse=True)
def _only_localhost(monkeypatch):
    """Tests talk to servers on 127.0.0.1 only: a lookup of any other host fails at once."""
    import socket

    real = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not reach {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture
def make_show(tmp_path: Path):
    """Write a show folder: {relative path: text, or a Path to copy}; show.yaml and cover by default."""

    def make(files: dict[str, str | Path], show_yaml: str | None = SHOW_YAML) -> Path:
        folder = tmp_path / "show"
        folder.mkdir(exist_ok=True)
        if show_yaml is not None:
            (folder / "show.yaml").write_text(show_yaml, encoding="utf-8")
            shutil.copy(SAMPLE / "cover.png", folder / "cover.png")
        for name, content in files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copy(content, target)
            else:
                target.write_text(content, encoding="utf-8")
        return folder

    return make


@pytest.fixture
def http_server(tmp_path: Path):
    """A real HTTP server on 127.0.0.1 (ranges, fault modes, byte counts): see tests/httpserver.py."""
    from .httpserver import TestServer

    root = tmp_path / "www"
    root.mkdir()
    server = TestServer(root)
    try:
        yield server
    finally:
        server.close()


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    feed: Path

    def lines(self) -> list[str]:
        return self.stderr.splitlines()


@pytest.fixture
def build(tmp_path: Path):
    """Run `feedtool build` in-process on a folder; returns exit code, output and the feed path."""

    def run(folder: Path, *args: str, output: Path | None = None) -> Run:
        output = output or tmp_path / "output"
        result = CliRunner().invoke(
            main,
            ["build", "--episodes", str(folder), "--output", str(output), "--now", "2026-11-24", *args],
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr, output / "feed.xml")

    return run
