"""`feedtool ping`: tell WebSub hubs and ping services that the feed changed.

Run it after the output is uploaded: apps that follow a hub (Pocket Casts, the
Podcast Index) then fetch the new feed within seconds instead of at their next poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from .http import RemoteError, request
from .options import NetworkOptions


@dataclass(frozen=True)
class PingResult:
    target: str  # the hub or ping URL as called
    kind: str  # "hub" or "ping"
    ok: bool
    detail: str


def ping_url(template: str, feed_url: str) -> str:
    """A ping service URL for the feed: `{url}` is replaced, else `url=` is appended."""
    encoded = quote(feed_url, safe="")
    if "{url}" in template:
        return template.replace("{url}", encoded)
    return f"{template}{'&' if '?' in template else '?'}url={encoded}"


def ping(feed_url: str, hubs: tuple[str, ...], pings: tuple[str, ...], options: NetworkOptions) -> list[PingResult]:
    """POST a WebSub publish notification to each hub and to each ping URL; report each answer."""
    results = []
    notification = {"data": {"hub.mode": "publish", "hub.url": feed_url}}
    calls = [("hub", hub, "POST", notification) for hub in hubs]
    calls += [("ping", ping_url(p, feed_url), "POST", notification) for p in pings]
    for kind, url, method, extra in calls:
        try:
            answer = request(method, url, options, **extra)
        except RemoteError as exc:
            results.append(PingResult(url, kind, False, str(exc)))
            continue
        ok = 200 <= answer.status_code < 300
        results.append(PingResult(url, kind, ok, f"HTTP {answer.status_code} {answer.reason}"))
    return results
