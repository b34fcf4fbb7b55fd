"""What a build reports: one line for the terminal and CI logs, and a Markdown summary
for a GitHub Actions job page (GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

import os
from pathlib import Path

from .build import BuildResult
from .chapters import hms
from .findings import Findings, plural
from .rules import Level

MAX_LISTED = 30  # findings listed in the Markdown summary; the log has them all


def one_line(result: BuildResult, findings: Findings) -> str:
    """`wrote output/feed.xml: 3 episodes, 1 new, 1:02:03 of audio, 1 draft, 2 warnings`."""
    warnings = sum(1 for f in findings if f.level is Level.WARNING)
    parts = [plural(result.published, "episode"), plural(len(result.new), "new"),
             f"{hms(result.duration)} of audio"]
    parts += [plural(n, word) for n, word in (
        (result.scheduled, "scheduled"), (result.drafts, "draft"), (warnings, "warning")) if n]
    verb = "unchanged" if result.unchanged else "wrote"
    return f"{verb} {result.feed_path.as_posix()}: {', '.join(parts)}"


def markdown(result: BuildResult | None, findings: Findings, folder: Path) -> str:
    """A job summary: the figures, the new episodes, and the findings worth reading."""
    if result is None:
        lines = [f"## ❌ feedtool build of `{folder.as_posix()}` failed: nothing was published", ""]
    else:
        verb = "unchanged" if result.unchanged else "built"
        lines = [f"## feedtool: {result.show_title or folder.as_posix()} ({verb})", "",
                 "| episodes | new | audio | scheduled | drafts |", "| --- | --- | --- | --- | --- |",
                 f"| {result.published} | {len(result.new)} | {hms(result.duration)} | {result.scheduled} "
                 f"| {result.drafts} |", ""]
        if result.new:
            lines += ["New since the previous feed:", ""]
            lines += [f"- {_escape(title)}" for title in result.new[:MAX_LISTED]]
            lines.append("")
    worth = [f for f in findings if f.level is not Level.INFO]
    if worth:
        counts = ", ".join(plural(sum(1 for f in worth if f.level is level), str(level))
                           for level in (Level.ERROR, Level.WARNING) if any(f.level is level for f in worth))
        lines += [f"{counts}:", "", "```"]
        lines += [str(f) for f in worth[:MAX_LISTED]]
        if len(worth) > MAX_LISTED:
            lines.append(f"… and {len(worth) - MAX_LISTED} more (see the log)")
        lines += ["```", ""]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """Markdown-inert text for a list item."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in text)


def write_github_summary(text: str) -> bool:
    """Append to the file GitHub Actions names in GITHUB_STEP_SUMMARY; False when unset."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(text)
    return True
