"""Settings of a build that many stages share, kept light so that a no-change rebuild
can decide it has nothing to do without importing the whole pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cache import FILE as CACHE_FILE
from .cache import BuildCache
from .findings import Findings


@dataclass(frozen=True)
class NetworkOptions:
    timeout: float = 20.0  # seconds to connect, and between bytes when reading
    retries: int = 2  # for connection errors, timeouts and 5xx answers
    backoff: float = 0.3  # seconds; doubles per retry
    offline: bool = False  # --offline: no request at all (http.request refuses them)


@dataclass(frozen=True)
class Previous:
    """The published feed the guard compares with: where it is (a URL or path; None: the
    feed.xml already in the output folder), and whether nothing is published yet, so that
    a feed that is not there is expected (--first-publish) rather than an error."""

    where: str | None = None
    first_publish: bool = False


@dataclass(frozen=True)
class Network:
    """How to treat remote media: HTTP settings, the probe cache, redirects."""

    options: NetworkOptions = NetworkOptions()
    cache_dir: Path | None = None  # None: no cache
    refresh: bool = False  # probe again even when the cache has the file
    resolve_redirects: bool = False  # publish the URL a redirect leads to
    jobs: int | None = None  # processes for probing local audio; None: one per CPU
    progress: Callable[[int, int], None] | None = None  # called with (files probed so far, files to probe)
    log: Callable[[str], None] | None = None  # -v: told what each stage did and how long it took


def open_cache(network: Network, findings: Findings) -> BuildCache:
    """The build cache of this network setting (none without a cache folder)."""
    cache = BuildCache(network.cache_dir / CACHE_FILE if network.cache_dir else None)
    shown = (network.cache_dir or Path(".")).as_posix()
    if cache.problem:
        findings.add("CACHE", shown, None, cache.problem)
    cache.report = lambda message: findings.add("CACHE", shown, None, message)  # a failure later on
    return cache


def default_cache_dir(folder: Path, output: Path | None = None) -> Path:
    """Beside the show folder, never inside output/ (which gets published): when the
    output folder holds the show folder's parent, the cache goes into the show folder."""
    beside = folder.resolve().parent / ".feedtool-cache"
    if output is not None and beside.is_relative_to(output.resolve()):
        return folder.resolve() / ".feedtool-cache"
    return beside
