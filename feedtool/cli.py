"""The command line: options in, one call into the pipeline, findings out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from .findings import Findings, Level


def _parse_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)  # the one place feedtool reads the clock
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected an ISO 8601 date or time, got '{value}'") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def report(findings: Findings) -> None:
    """Print findings, one line each, in the order they were found."""
    for finding in findings:
        click.echo(str(finding), err=True, color=False)


@click.group()
@click.version_option(package_name="feedtool", prog_name="feedtool")
def main() -> None:
    """Publish a podcast from plain files: Markdown episodes + audio → an RSS feed."""


@main.command("build")
@click.option(
    "--episodes", "folder", default="episodes", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="The show folder.",
)
@click.option(
    "--output", default="output", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="Where feed.xml and the media go.",
)
@click.option(
    "--now", callback=_parse_now, metavar="DATETIME",
    help="The time to publish at: episodes dated later are left out. Default: the current time.",
)
def build_command(folder: Path, output: Path, now: datetime) -> None:
    """Build the feed of the show in --episodes into --output/feed.xml."""
    from .build import build

    findings = Findings()
    try:
        result = build(folder, output, now, findings)
    finally:
        report(findings)
    warnings = sum(1 for f in findings if f.level is Level.WARNING)
    counts = [plural(result.published, "episode")]
    counts += [plural(n, word) for n, word in (
        (result.scheduled, "scheduled"), (result.drafts, "draft"), (warnings, "warning")) if n]
    click.echo(f"wrote {result.feed_path.as_posix()}: {', '.join(counts)}")


def plural(count: int, word: str) -> str:
    if word == "scheduled":
        return f"{count} scheduled"
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
