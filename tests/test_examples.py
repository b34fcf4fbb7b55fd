"""The CI workflow and pre-commit hook publishers copy: they must say what the README says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_workflow_checks_builds_against_the_live_feed_and_publishes() -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "publish.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "push" in triggers and triggers["schedule"][0]["cron"]
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    commands = "\n".join(runs)
    assert re.search(r"feedtool check --episodes \"\$SHOW\"", commands)
    assert re.search(r"feedtool build .*--previous \"\$LIVE_FEED\"", commands)
    assert "feedtool ping" in commands
    uses = [step.get("uses", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    # the README shows the same file, whole
    assert "```yaml\n" + (ROOT / "examples" / "publish.yml").read_text() + "```" in (ROOT / "README.md").read_text()


def test_the_pre_commit_hook_runs_feedtool_check_on_the_sample_show() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "feedtool-check")
    assert hook["pass_filenames"] is False and re.search(hook["files"], "episodes/001-deserters.md")
    command, *rest = hook["entry"].split()
    assert command == "feedtool"
    done = subprocess.run([sys.executable, "-m", "feedtool", *rest, *hook["args"]], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors, 0 warnings" in done.stderr
