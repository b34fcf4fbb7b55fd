"""The command line: options in, one call into the pipeline, findings out."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import click

from . import exiting
from .findings import Findings, Level, plural


def _parse_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)  # the one place feedtool reads the clock
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected an ISO 8601 date or time, got '{value}'") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


episodes_option = click.option(
    "--episodes", "folder", default="episodes", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="The show folder.",
)
now_option = click.option(
    "--now", callback=_parse_now, metavar="DATETIME",
    help="The time to publish at: episodes dated later are left out. Default: the current time.",
)


class _Seconds(click.FloatRange):
    """A timeout: from 0.1 s to an hour, and a number (nan passes a range's comparisons, and
    inf overflows the socket's timeout)."""

    name = "seconds"

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 - click's signature
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:  # nan
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


SECONDS = _Seconds(min=0.1, max=3600)


def network_options(command):
    """--timeout, --refresh, --cache-dir and --no-cache: how remote media are probed."""
    command = click.option("--timeout", type=SECONDS, default=20.0, show_default=True,
                           metavar="SECONDS", help="Give up on a remote server after this long.")(command)
    command = click.option("--refresh", is_flag=True,
                           help="Probe remote media again even if the cache knows them.")(command)
    command = click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                           help="Where the cache lives. Default: .feedtool-cache beside the show folder.")(command)
    command = click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")(command)
    command = click.option("--jobs", type=click.IntRange(min=1), metavar="N",
                           help="Processes for probing audio, rendering new items and linking media. "
                                "Default: one per CPU.")(command)
    command = click.option("--offline", is_flag=True,
                           help="Use no network: remote media from the cache and the front matter only.")(command)
    command = click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")(command)
    command = click.option("-v", "--verbose", is_flag=True,
                           help="Also print what each stage did, and its time.")(command)
    return command


def network(folder: Path, timeout: float, refresh: bool, cache_dir: Path | None, no_cache: bool,
            jobs: int | None, quiet: bool, resolve_redirects: bool = False, output: Path | None = None,
            verbose: bool = False, offline: bool = False):
    from .options import Network, NetworkOptions, default_cache_dir

    if quiet and verbose:
        raise click.UsageError("-q (print less) and -v (print more) cannot go together")

    cache = None if no_cache else (cache_dir or default_cache_dir(folder, output))
    progress = None if quiet or not sys.stderr.isatty() else Progress()
    log = (lambda message: click.echo(message, err=True)) if verbose and not quiet else None
    if offline and refresh:
        raise click.UsageError("--offline (use no network) and --refresh (probe remote media again) cannot go together")
    return Network(NetworkOptions(timeout=timeout, offline=offline), cache, refresh, resolve_redirects, jobs, progress,
                   log)


class Progress:
    """A progress bar on stderr for probing many files; only on a terminal, never in CI logs."""

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if total < 200:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="probing audio", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)
        if done == total:
            self.bar.__exit__(None, None, None)


def echo_findings(findings: Findings, quiet: bool, out_err: bool = True) -> None:
    lines = [str(finding) for finding in findings if not (quiet and finding.level is Level.INFO)]
    if lines:  # one write: thousands of findings (a large show's warnings) took one echo each
        click.echo("\n".join(lines), err=out_err)


def count(findings: Findings, level: Level) -> int:
    return sum(1 for f in findings if f.level is level)


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one build or check. A build makes
    hundreds of thousands of objects that live until it ends and form no cycles to
    collect; the collector would walk them over and over (about a quarter of a build's
    time at 10,000 episodes). Plain reference counting still frees everything else, and
    the collector is on again afterwards, unless the process ends then (see `run`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled and not exiting.ENDS_AFTER_COMMAND:  # turning it on walked every object the
            gc.enable()  # build made once more (10-20 ms at 10,000 episodes), for a process that ends


@click.group()
@click.version_option(package_name="feedtool", prog_name="feedtool")
def main() -> None:
    """Publish a podcast from plain files: Markdown episodes + audio → an RSS feed."""


def run() -> None:
    """The `feedtool` command (and `python -m feedtool`): `main`, then an immediate exit.

    By the time a command returns, everything it wrote is closed and committed; what is
    left is the interpreter's own teardown, which frees a large build's objects one by
    one: 0.1–0.2 s, a tenth of a rebuild at 10,000 episodes. So only the output streams
    are flushed, and the process ends. (Tests call `main` itself, which returns.)
    """
    exiting.ENDS_AFTER_COMMAND = True
    try:
        main(prog_name="feedtool")
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: started with that descriptor closed (`>&-`)
                stream.flush()
        except (OSError, ValueError):  # a reader that went away (`| head`), or a closed stream
            pass
    os._exit(code)


@main.command("build")
@episodes_option
@click.option(
    "--output", default="output", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="Where feed.xml and the media go.",
)
@now_option
@click.option(
    "--previous", metavar="URL_OR_PATH",
    help="The published feed to guard against. Default: the feed.xml already in --output.",
)
@click.option(
    "--first-publish", "first_publish", is_flag=True,
    help="Nothing is published yet: a previous feed that is not there (404, no file) is expected.",
)
@click.option(
    "--allow-removal", "allow_removal", multiple=True, metavar="GUID",
    help="Let the published episode with this guid leave the feed (repeatable).",
)
@click.option(
    "--allow-changes", is_flag=True,
    help="Let published audio URLs, the feed URL and podcast:guid change (not removals).",
)
@click.option("--resolve-redirects", is_flag=True,
              help="Publish the address a remote audio URL redirects to, not the one written.")
@click.option("--github-summary", is_flag=True,
              help="Write a Markdown summary to $GITHUB_STEP_SUMMARY (on by itself when that is set), "
                   "else to stdout.")
@network_options
def build_command(
    folder: Path, output: Path, now: datetime, previous: str | None, first_publish: bool,
    allow_removal: tuple[str, ...], allow_changes: bool, resolve_redirects: bool, github_summary: bool,
    timeout: float, refresh: bool,
    cache_dir: Path | None, no_cache: bool, jobs: int | None, offline: bool, quiet: bool, verbose: bool,
) -> None:
    """Build the feed of the show in --episodes into --output/feed.xml."""
    from .build import build
    from .options import Previous
    from .summary import markdown, one_line, write_github_summary

    findings = Findings()
    net = network(folder, timeout, refresh, cache_dir, no_cache, jobs, quiet, resolve_redirects, output, verbose,
                  offline)
    result = None
    try:
        with cycle_collection_paused():
            result = build(folder, output, now, findings, Previous(previous, first_publish), frozenset(allow_removal),
                           allow_changes, net)
    finally:
        echo_findings(findings, quiet)
        if github_summary or os.environ.get("GITHUB_STEP_SUMMARY"):
            text = markdown(result, findings, folder)
            if not write_github_summary(text):  # --github-summary outside GitHub Actions: print it
                click.echo(text, nl=False)
    if not quiet:
        click.echo(one_line(result, findings))


@main.command("check")
@episodes_option
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text: one line per finding; json: a list of findings (for CI).",
)
@click.option("--online", is_flag=True,
              help="Also check the hosts: every URL of the feed answers HEAD and byte ranges, with the right "
                   "length and type.")
@now_option
@network_options
def check_command(folder: Path, strict: bool, fmt: str, online: bool, now: datetime, timeout: float,
                  refresh: bool, cache_dir: Path | None, no_cache: bool, jobs: int | None, offline: bool,
                  quiet: bool, verbose: bool) -> None:
    """Check the show against the rules directories and apps enforce; write nothing."""
    from .assemble import assemble, remember_records
    from .options import open_cache

    findings = Findings()
    if online and offline:
        raise click.UsageError("--online (check the hosts) and --offline (use no network) cannot go together")
    net = network(folder, timeout, refresh, cache_dir, no_cache, jobs, quiet, verbose=verbose, offline=offline)
    cache = open_cache(net, findings)
    try:
        with cycle_collection_paused():
            assembled = assemble(folder, now, findings, "feed.xml", net, cache)
            if assembled is not None:
                remember_records(cache, assembled, folder)
    finally:
        cache.close()
    if online and assembled is not None:
        from .checks.online import check_online

        check_online(assembled, net.options, findings)
    errors, warnings = count(findings, Level.ERROR), count(findings, Level.WARNING)
    if fmt == "json":
        items = [{**asdict(f), "level": str(f.level)} for f in findings]
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
    else:
        echo_findings(findings, quiet, out_err=False)
        if not quiet:
            click.echo(f"{plural(errors, 'error')}, {plural(warnings, 'warning')}", err=True)
    if errors or (strict and warnings):
        raise SystemExit(1)


@main.command("ping")
@episodes_option
@click.option("--feed-url", metavar="URL", help="The feed to announce. Default: feed_url from show.yaml.")
@click.option("--strict", is_flag=True, help="Exit 1 when a hub or ping service fails.")
@click.option("--timeout", type=SECONDS, default=20.0, show_default=True, metavar="SECONDS",
              help="Give up on a hub after this long.")
def ping_command(folder: Path, feed_url: str | None, strict: bool, timeout: float) -> None:
    """Tell the WebSub hubs (hub:) and ping services (pings:) of show.yaml that the feed changed.

    Run it after uploading the output folder.
    """
    from .findings import Aborted
    from .load import load_show
    from .options import NetworkOptions
    from .ping import ping

    findings = Findings()
    show = load_show(folder, findings)
    for finding in findings:
        click.echo(str(finding), err=True)
    if show is None:
        raise Aborted(findings, "nothing was pinged")
    if not show.hubs and not show.pings:
        click.echo(f"nothing to ping: add 'hub:' or 'pings:' URLs to {show.source}")
        return
    failed = 0
    for result in ping(feed_url or show.feed_url, show.hubs, show.pings, NetworkOptions(timeout=timeout)):
        if result.ok:
            click.echo(f"pinged {result.kind} {result.target}: {result.detail}")
        else:
            failed += 1
            line = show.lines.get("hub" if result.kind == "hub" else "pings")
            where = f"{show.source}:{line}" if line else show.source
            click.echo(f"warning PING-FAILED {where}: {result.kind} {result.target}: {result.detail}", err=True)
    if failed and strict:
        raise SystemExit(1)


@main.command("import")
@click.argument("source", metavar="FEED_URL_OR_FILE")
@episodes_option
@click.option("--update", is_flag=True, help="Add only the feed's items that the folder does not have yet.")
@click.option("--feed-url", metavar="URL",
              help="The feed's address for show.yaml. Default: its atom:link rel=self, else FEED_URL.")
@click.option("--max-size", type=click.IntRange(min=1), default=64, show_default=True, metavar="MB",
              help="Refuse a feed larger than this.")
@click.option("--timeout", type=SECONDS, default=30.0, show_default=True, metavar="SECONDS",
              help="Give up on the server after this long.")
def import_command(source: str, folder: Path, update: bool, feed_url: str | None, max_size: int,
                   timeout: float) -> None:
    """Move an existing show to feedtool: its feed → show.yaml and one episode file per item.

    Guids, audio URLs, lengths, dates and durations are kept exactly as published;
    no file is ever overwritten.
    """
    from .findings import Aborted
    from .importer import import_feed
    from .options import NetworkOptions

    findings = Findings()
    result = import_feed(source, folder, findings, update, feed_url, NetworkOptions(timeout=timeout),
                         max_size * 1024 * 1024)
    echo_findings(findings, quiet=False)
    if result is None:
        raise Aborted(findings, "nothing was imported")
    made = (["show.yaml"] if result.show_written else []) + [plural(len(result.written), "episode file")]
    kept = f"; {result.already_there} already there" if result.already_there else ""
    click.echo(f"imported into {folder.as_posix()}/: {', '.join(made)}{kept}")
    if result.show_written:
        live = source if source.startswith(("https://", "http://")) else "<the live feed URL>"
        click.echo(f"next: feedtool check --episodes {folder.as_posix()}, then feedtool build --episodes "
                   f"{folder.as_posix()} --previous {live} (the guard compares every guid)")


@main.command("new")
@click.argument("audio", metavar="AUDIO_FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="The episode's title. Default: the audio's title tag, else its file name.")
@click.option("--episodes", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="The show folder. Default: the audio's folder, or the nearest one above it with a show.yaml.")
@click.option("--now", callback=_parse_now, metavar="DATETIME",
              help="The episode's date when the audio has no date tag. Default: the current time.")
def new_command(audio: Path, title: str | None, folder: Path | None, now: datetime) -> None:
    """Start an episode: write AUDIO_FILE's .md at the top of the show folder, as a draft to edit.

    Title, date and chapters come from the audio's tags where it has them; the next
    episode number and an explicit guid are filled in. Never overwrites a file.
    """
    from .findings import Aborted
    from .scaffold import scaffold

    findings = Findings()
    written = scaffold(audio, findings, now, title, folder)
    echo_findings(findings, quiet=False)
    if written is None:
        raise Aborted(findings, "nothing was written")
    click.echo(f"wrote {written.as_posix()}: edit the title and notes, then delete 'draft: true' to publish")


@main.command("clean")
@episodes_option
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The cache folder. Default: .feedtool-cache beside the show folder.")
def clean_command(folder: Path, cache_dir: Path | None) -> None:
    """Delete the build cache (the next build probes and renders everything again)."""
    from .cache import FILE
    from .options import default_cache_dir

    path = (cache_dir or default_cache_dir(folder)) / FILE
    if path.parent.is_symlink() or path.is_symlink():  # as the build, never through a link
        link = path.parent if path.parent.is_symlink() else path
        click.echo(f"{link.as_posix()} is a symbolic link: not deleting through it (remove the link itself)",
                   err=True)
        raise SystemExit(1)
    if path.exists():
        path.unlink()
        try:
            path.parent.rmdir()  # only when nothing else is in it
        except OSError:
            pass
        click.echo(f"deleted {path.as_posix()}")
    else:
        click.echo(f"no cache at {path.as_posix()}")


@main.command("serve")
@episodes_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, metavar="N",
              help="The port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="H",
              help="The address to listen on (0.0.0.0: every network interface, e.g. for a phone).")
@click.option("--public-url", metavar="URL",
              help="The address written into the preview feed, e.g. http://192.168.1.20:8000/ for a phone "
                   "on your network. Default: http://HOST:PORT/.")
@now_option
def serve_command(folder: Path, port: int, host: str, public_url: str | None, now: datetime) -> None:
    """Preview the show: build it into a temporary folder, serve its feed, page and media, and
    rebuild on every change. output/ is never touched. Ctrl-C stops."""
    from .serve import ListenError, normalise_url, serve

    if public_url is not None:
        try:
            normalise_url(public_url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--public-url'") from None
    if not folder.is_dir():  # nothing to watch: say so rather than serve errors forever
        from .findings import Aborted

        findings = Findings()
        findings.add("SHOW-MISSING", folder.as_posix(), None, "no such folder (check --episodes)")
        echo_findings(findings, quiet=False)
        raise Aborted(findings, "nothing to serve")
    given = click.get_current_context().get_parameter_source("now") is not click.core.ParameterSource.DEFAULT
    clock = (lambda: now) if given else (lambda: datetime.now(UTC))  # the clock, read at every rebuild
    exiting.ENDS_AFTER_COMMAND = False  # a server goes on building: what a build made must be freed
    try:
        serve(folder, host, port, public_url, clock)
    except ListenError as exc:
        raise click.ClickException(str(exc)) from None
