"""HTTP for feedtool: one configured requests Session, and remote files read by byte range.

`HttpFile` is a read-only, seekable file object over HTTP Range requests with a small
block cache, so mutagen (or Pillow) can read a remote file's headers while fetching
only the few kilobytes they look at.
"""

from __future__ import annotations

import io
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .numbers import whole
from .options import NetworkOptions

if TYPE_CHECKING:
    import requests

# requests (and urllib3) are imported where a request is made: most builds make none,
# and importing them costs about a tenth of a second at every start

USER_AGENT = "feedtool (+https://example.com/feedtool)"
MAX_REDIRECTS = 5
BLOCK = 8 * 1024  # bytes per range request unit; headers live in the first few blocks


class RemoteError(Exception):
    """Why a URL could not be read; `rule` names the finding."""

    def __init__(self, rule: str, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.rule = rule
        self.retryable = retryable  # a transfer that broke off: asking again is safe


_local = threading.local()


def session(options: NetworkOptions) -> requests.Session:
    """A Session per thread (connections are reused per host), with bounded retries."""
    cached = getattr(_local, "sessions", {})
    if options in cached:
        return cached[options]
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    s = requests.Session()
    retry = Retry(
        total=options.retries, connect=options.retries, read=options.retries, status=options.retries,
        backoff_factor=options.backoff, status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"HEAD", "GET"}), raise_on_status=False, redirect=MAX_REDIRECTS,
        respect_retry_after_header=False,  # a server's "Retry-After: 3600" must not stall a build
    )
    adapter = HTTPAdapter(max_retries=retry)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.max_redirects = MAX_REDIRECTS
    s.headers["User-Agent"] = USER_AGENT
    s.headers["Accept-Encoding"] = "identity"  # sizes and byte ranges must be of the file itself
    cached[options] = s
    _local.sessions = cached
    return s


def request(method: str, url: str, options: NetworkOptions, **kwargs) -> requests.Response:
    """One request with feedtool's timeouts and retries; network failures become RemoteError.
    Every request goes through here, so that --offline can refuse them all in one place."""
    if options.offline:
        raise RemoteError("REMOTE-OFFLINE", "not fetched (--offline)")
    import requests
    import urllib3

    try:
        return session(options).request(method, url, timeout=(options.timeout, options.timeout), **kwargs)
    except requests.TooManyRedirects:
        raise RemoteError("REMOTE-UNREACHABLE", f"more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
    except requests.Timeout:
        raise RemoteError("REMOTE-UNREACHABLE", f"no answer within {options.timeout:g} s (see --timeout)") from None
    except requests.ConnectionError as exc:
        reason = exc.args[0] if exc.args else exc
        reason = getattr(reason, "reason", reason)  # urllib3 wraps the cause after its retries
        if isinstance(reason, urllib3.exceptions.NameResolutionError):
            raise RemoteError("REMOTE-UNREACHABLE", "cannot connect: the host name is not found") from None
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            raise RemoteError("REMOTE-UNREACHABLE", "cannot connect: the connection was refused") from None
        if isinstance(reason, urllib3.exceptions.TimeoutError):
            raise RemoteError(
                "REMOTE-UNREACHABLE",
                f"no answer within {options.timeout:g} s, {options.retries + 1} tries (see --timeout)",
            ) from None
        raise RemoteError("REMOTE-UNREACHABLE", f"cannot connect: {str(reason)[:160]}") from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, ValueError) as exc:
        raise RemoteError("REMOTE-UNREACHABLE", f"not a usable URL, or the request failed: {exc}") from None


DOWNLOAD_DEADLINE = 6  # a whole download may take this many times --timeout, however it trickles


def download(url: str, options: NetworkOptions, max_bytes: int) -> tuple[int, bytes]:
    """GET a whole body (a feed): (HTTP status, its bytes; none unless the status is 200).

    Bounded in size and in time, whatever the server does: RemoteError when the body (as
    decoded: a gzip bomb stops at `max_bytes` too) is larger than `max_bytes`, or takes
    longer than DOWNLOAD_DEADLINE times the timeout (a server can trickle a byte at a time,
    each within the timeout). Reads return what has arrived, so the deadline is checked
    between them."""
    import requests
    import urllib3

    seconds = options.timeout * DOWNLOAD_DEADLINE
    deadline = time.monotonic() + seconds
    too_big = f"larger than {max_bytes // 2**20 or max_bytes} {'MB' if max_bytes >= 2**20 else 'bytes'}"
    with request("GET", url, options, stream=True) as response:
        if response.status_code != 200:
            return response.status_code, b""
        declared = whole(response.headers.get("Content-Length"))
        if declared is not None and declared > max_bytes:
            raise RemoteError("REMOTE-SIZE", too_big)
        data = bytearray()
        try:
            while piece := response.raw.read1(65536, decode_content=True):
                data += piece
                if len(data) > max_bytes:
                    raise RemoteError("REMOTE-SIZE", too_big)
                if time.monotonic() > deadline:
                    raise RemoteError("REMOTE-UNREACHABLE", f"too slow: {len(data)} bytes in {seconds:g} s")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if time.monotonic() > deadline:
                raise RemoteError("REMOTE-UNREACHABLE", f"too slow: {len(data)} bytes in {seconds:g} s") from None
            raise RemoteError("REMOTE-UNREACHABLE", f"the download broke off ({type(exc).__name__})") from None
    return 200, bytes(data)


@dataclass(frozen=True)
class Head:
    """What a HEAD request tells about a remote file."""

    url: str  # after redirects
    length: int | None
    type: str | None
    etag: str | None
    last_modified: str | None


def head(url: str, options: NetworkOptions) -> Head:
    response = request("HEAD", url, options, allow_redirects=True)
    no_length = response.status_code < 300 and whole(response.headers.get("Content-Length")) is None
    if response.status_code in (405, 501) or no_length:  # learn the size from a 1-byte range
        response = request("GET", url, options, headers={"Range": "bytes=0-0"}, stream=True)
        response.close()
        if response.status_code == 206:
            total = _content_range_total(response.headers.get("Content-Range"))
            return Head(response.url, total, _type(response), response.headers.get("ETag"),
                        response.headers.get("Last-Modified"))
    if response.status_code >= 400:
        raise RemoteError("REMOTE-STATUS", f"answers HTTP {response.status_code} {response.reason}")
    return Head(response.url, whole(response.headers.get("Content-Length")), _type(response),
                response.headers.get("ETag"), response.headers.get("Last-Modified"))


def _type(response: requests.Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.split(";")[0].strip().lower() if value else None


def _content_range_total(value: str | None) -> int | None:
    match = re.fullmatch(r"bytes \d+-\d+/(\d+)", (value or "").strip())
    return int(match[1]) if match else None


class HttpFile(io.RawIOBase):
    """A remote file read with HTTP Range requests, block by block, counting the bytes."""

    def __init__(self, url: str, size: int, options: NetworkOptions, max_bytes: int | None = None) -> None:
        super().__init__()
        self.url, self.size, self.options = url, size, options
        self.max_bytes = max_bytes  # refuse to fetch more than this in all
        self.fetched = 0
        self.requests = 0
        self.deadline = time.monotonic() + options.timeout * 3  # for the whole file, however it trickles
        self._position = 0
        self._blocks: dict[int, bytes] = {}

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self._position + size)
        if self._position >= end:
            return b""
        first, last = self._position // BLOCK, (end - 1) // BLOCK
        missing = [b for b in range(first, last + 1) if b not in self._blocks]
        if missing:
            self._fetch(missing[0], missing[-1])
        data = b"".join(self._blocks[b] for b in range(first, last + 1))
        start = self._position - first * BLOCK
        chunk = data[start : start + (end - self._position)]
        self._position += len(chunk)
        return chunk

    def _fetch(self, first: int, last: int) -> None:
        """Fetch blocks first..last in one range request; a broken transfer is tried again once."""
        try:
            self._fetch_once(first, last)
        except RemoteError as exc:
            if not exc.retryable:
                raise
            self._fetch_once(first, last)

    def _fetch_once(self, first: int, last: int) -> None:
        import requests
        import urllib3

        start, stop = first * BLOCK, min(self.size, (last + 1) * BLOCK) - 1
        if self.max_bytes is not None and self.fetched + stop - start + 1 > self.max_bytes:
            raise RemoteError("REMOTE-ESTIMATE", f"reading it would take more than {self.max_bytes} bytes")
        response = request("GET", self.url, self.options, headers={"Range": f"bytes={start}-{stop}"}, stream=True)
        try:
            if response.status_code == 200:
                raise RemoteError(
                    "REMOTE-RANGE",
                    "the server ignores byte-range requests (answered 200, not 206 Partial Content); "
                    "Apple rejects such hosts",
                )
            if response.status_code != 206:
                raise RemoteError("REMOTE-STATUS", f"answers HTTP {response.status_code} to a range request")
            expected = f"bytes {start}-{stop}/"
            content_range = response.headers.get("Content-Range", "")
            if not content_range.startswith(expected):
                raise RemoteError("REMOTE-RANGE", f"answered Content-Range '{content_range}' to bytes={start}-{stop}")
            total = _content_range_total(content_range)
            if total is not None and total != self.size:
                raise RemoteError(
                    "REMOTE-LENGTH", f"its Content-Length says {self.size} bytes but Content-Range says {total}"
                )
            data = bytearray()
            wanted = stop - start + 1
            # read1 returns what has arrived: the read timeout is per byte, and a server that
            # trickles must still finish by the deadline
            while len(data) < wanted and time.monotonic() < self.deadline:
                piece = response.raw.read1(min(65536, wanted - len(data)), decode_content=True)
                if not piece:
                    break
                data += piece
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if time.monotonic() >= self.deadline:
                raise RemoteError(
                    "REMOTE-UNREACHABLE", f"too slow: {len(data)} of {wanted} bytes in {self.options.timeout * 3:g} s"
                ) from None
            raise RemoteError(
                "REMOTE-UNREACHABLE", f"the transfer broke off ({type(exc).__name__})", retryable=True
            ) from None
        finally:
            response.close()
        if time.monotonic() >= self.deadline and len(data) < wanted:
            raise RemoteError(
                "REMOTE-UNREACHABLE", f"too slow: {len(data)} of {wanted} bytes in {self.options.timeout * 3:g} s"
            )
        if len(data) != stop - start + 1:
            raise RemoteError("REMOTE-LENGTH", f"sent {len(data)} bytes for a {stop - start + 1}-byte range")
        data = bytes(data)
        self.fetched += len(data)
        self.requests += 1
        for index, block in enumerate(range(first, last + 1)):
            self._blocks[block] = data[index * BLOCK : (index + 1) * BLOCK]
