"""`feedtool serve`: preview the show on this machine (or a phone on the LAN) before publishing.

The show is built into a temporary folder with the feed and media URLs pointing at this
server, and built again whenever a file of the show folder changes. The real output
folder, its build cache and its publish guard are never touched: a preview has no
published feed to compare with. Only files of that temporary build are served.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .build import FEED_FILE, build, fingerprint
from .findings import Aborted, Findings
from .load import TRANSCRIPT_TYPES
from .options import Network
from .page import PAGE_FILE
from .probe import mime_for

POLL_SECONDS = 1.0
CHUNK = 64 * 1024

# Rules about plain http that only the preview's own http://…/ address triggers.
PREVIEW_NOISE = frozenset({"ENC-HTTPS", "PC-HTTPS"})

OTHER_TYPES = {
    ".xml": "text/xml; charset=utf-8",  # text/xml: a browser shows the feed instead of downloading it
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".json": "application/json",
    **{suffix: mime + ("; charset=utf-8" if mime.startswith("text/") else "")
       for suffix, mime in TRANSCRIPT_TYPES.items() if suffix not in (".json", ".html")},
}

Log = Callable[[str, bool], None]  # (message, is_error)


def content_type(name: str) -> str:
    """The Content-Type of a served file: audio from probe's fixed table, the rest from ours."""
    return mime_for(name) or OTHER_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """A single `bytes=` range → (first, last) inclusive; None to send the whole file
    (no header, or one we may ignore: several ranges or bad syntax); False when unsatisfiable."""
    if not header:
        return None
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d{0,18})\s*-\s*(\d{0,18})\s*", header)
    if not match or not (match[1] or match[2]):
        return None
    if not match[1]:  # -n: the last n bytes
        suffix = int(match[2])
        return (max(0, size - suffix), size - 1) if suffix and size else False
    first = int(match[1])
    last = int(match[2]) if match[2] else size - 1
    if match[2] and last < first:
        return None
    if first >= size:
        return False
    return first, min(last, size - 1)


def listen_url(host: str, port: int) -> str:
    """The address to write into the preview feed when --public-url is not given."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def normalise_url(url: str) -> str:
    """--public-url as a folder URL (trailing slash); raise ValueError when it is not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"expected an http(s) address such as http://192.168.1.20:8000/, got '{url}'")
    return url if url.endswith("/") else url + "/"


class ListenError(Exception):
    """The address cannot be listened on (the port is taken, or the host is not this machine's)."""


class Preview:
    """A show previewed over HTTP: the temporary build, its rebuilds, and the server."""

    def __init__(self, folder: Path, clock: Callable[[], datetime], host: str = "127.0.0.1", port: int = 8000,
                 public_url: str | None = None, log: Log | None = None, poll: float = POLL_SECONDS) -> None:
        public = normalise_url(public_url) if public_url else None  # a bad URL fails before anything is made
        self.folder = folder
        self.clock = clock  # the time to publish at, asked at every build
        self.log = log if log is not None else _echo
        self.poll = poll
        self.temp = Path(tempfile.mkdtemp(prefix="feedtool-serve-"))
        self.site = self.temp / "site"
        self.site.mkdir()
        self.network = Network(cache_dir=self.temp / "cache", jobs=1)  # never the real cache
        self.ready = False  # a build succeeded: there is something to serve
        self.failed = False  # the latest build had errors
        self.last_findings: list[str] = []
        self._stop = threading.Event()
        self._serving = False
        self._lock = threading.Lock()
        try:
            self.httpd = _Server((host, port), _handler(self))
        except OSError as exc:
            shutil.rmtree(self.temp, ignore_errors=True)
            raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        self.port = self.httpd.server_address[1]
        self.url = public or listen_url(host, self.port)
        self.prefix = urlsplit(self.url).path  # requests may come with it (no proxy) or without
        self._watcher = threading.Thread(target=self._watch, name="feedtool-serve-watch", daemon=True)
        self._seen = self._fingerprint()
        try:
            self.rebuild()
        except BaseException:
            self.close()
            raise

    @property
    def feed_url(self) -> str:
        return self.url + FEED_FILE

    def _fingerprint(self) -> str | None:
        return fingerprint(self.folder, self.site, self.network, ("serve", self.url))

    def rebuild(self) -> bool:
        """Build into the temporary folder; on errors print them and keep the last good build."""
        with self._lock:
            return self._build()

    def _build(self) -> bool:
        findings = Findings()
        try:
            result = build(self.folder, self.site, self.clock(), findings, network=self.network,
                           preview_url=self.url)
        except Aborted as exc:
            self._report(findings)
            kept = "still serving the last good build" if self.ready else "nothing to serve until then"
            counted = exc.format_message().split(";")[0]  # "2 errors in 1 file"
            self.log(f"not rebuilt: {counted}; fix and save to rebuild ({kept})", True)
            self.failed = True
            return False
        self._report(findings)
        recovered = self.failed
        self.ready, self.failed = True, False
        if not result.unchanged or recovered:  # after an error, say that the fix worked
            self.log(f"built {result.published} episode{'' if result.published == 1 else 's'}: "
                     f"{self.feed_url}", False)
        return True

    def _report(self, findings: Findings) -> None:
        shown = [str(f) for f in findings if not (f.rule in PREVIEW_NOISE and self.url in f.message)]
        self.last_findings = shown
        for line in shown:
            self.log(line, True)

    def _watch(self) -> None:
        """Poll the show folder (names, sizes, mtimes) and rebuild when something changed."""
        while not self._stop.wait(self.poll):
            current = self._fingerprint()
            if current != self._seen:
                self._seen = current
                self.log(f"{self.folder.as_posix()} changed: rebuilding", False)
                try:
                    self.rebuild()
                except Exception as exc:  # a bug must not stop the preview: report it, keep serving
                    self.log(f"error: the build failed: {exc!r}", True)

    def start(self) -> Preview:
        """Serve and watch in background threads (for tests and embedding)."""
        self._watcher.start()
        self._serving = True
        threading.Thread(target=self.httpd.serve_forever, args=(0.1,), name="feedtool-serve",
                         daemon=True).start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C, then clean up."""
        self._watcher.start()
        self._serving = True
        try:
            self.httpd.serve_forever(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def close(self) -> None:
        """Stop serving and watching, and delete the temporary build."""
        self._stop.set()
        if self._serving:
            self.httpd.shutdown()
            self._serving = False
        self.httpd.server_close()
        if self._watcher.is_alive():
            self._watcher.join(5)
        with self._lock:  # not while a build is writing into it
            shutil.rmtree(self.temp, ignore_errors=True)

    def __enter__(self) -> Preview:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def resolve(self, raw_path: str) -> Path | None:
        """The file of the temporary build a request path names, or None: nothing outside the
        build is reachable (no '..', encoded or not, no absolute or hidden paths, no backslashes,
        no symlinks leading out)."""
        path = raw_path.split("?", 1)[0].split("#", 1)[0]
        if self.prefix != "/" and path.startswith(self.prefix):
            path = "/" + path[len(self.prefix):]
        if not path.startswith("/"):
            return None
        decoded = unquote(path[1:], errors="strict") if "%" in path else path[1:]
        if decoded == "":
            decoded = PAGE_FILE
        parts = decoded.split("/")
        if "\\" in decoded or "\x00" in decoded or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            return None
        root = self.site.resolve()
        target = (root / decoded).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
        return target


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6  # --host ::1 or ::
        super().__init__(address, handler)


def _handler(preview: Preview) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: players make many range requests
        server_version = "feedtool-serve"

        def log_message(self, *_args: object) -> None:
            pass  # quiet: the terminal is for the show's findings

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._answer(body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(body=False)

        def _answer(self, body: bool) -> None:
            if not preview.ready:  # the show has had errors since the start: say which
                text = "The show has errors; fix them and save, then reload:\n\n" + "\n".join(
                    preview.last_findings) + "\n"
                data = text.encode()
                self.send_response(HTTPStatus.SERVICE_UNAVAILABLE)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)
                return
            try:
                target = preview.resolve(self.path)
            except UnicodeDecodeError:
                target = None
            if target is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            try:
                handle = open(target, "rb")  # noqa: SIM115 - closed below, after streaming
            except OSError:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            with handle:
                size = os.fstat(handle.fileno()).st_size
                wanted = parse_range(self.headers.get("Range"), size)
                if wanted is False:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                first, last = wanted if isinstance(wanted, tuple) else (0, size - 1)
                if isinstance(wanted, tuple):
                    self.send_response(HTTPStatus.PARTIAL_CONTENT)
                    self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
                else:
                    self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", content_type(target.name))
                self.send_header("Content-Length", str(last - first + 1))
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Cache-Control", "no-cache")  # the preview changes on every save
                self.end_headers()
                if body:
                    self._send(handle, first, last - first + 1)

        def _send(self, handle, start: int, count: int) -> None:
            handle.seek(start)
            try:
                while count > 0:
                    chunk = handle.read(min(CHUNK, count))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    count -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # players drop connections when they seek

    return Handler


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _echo(message: str, error: bool) -> None:
    print(message, file=sys.stderr if error else sys.stdout, flush=True)


def serve(folder: Path, host: str, port: int, public_url: str | None, clock: Callable[[], datetime]) -> None:
    """Build, print where to look, then serve and rebuild on change until Ctrl-C (or `kill`)."""
    # Ctrl-C even when started in the background (where the shell ignores SIGINT); `kill` cleans up too
    old = signal.signal(signal.SIGINT, signal.default_int_handler), signal.signal(signal.SIGTERM, _interrupt)
    try:
        preview = Preview(folder, clock, host, port, public_url)
        _echo(f"serving {folder.as_posix()}/ at {preview.url} (Ctrl-C to stop)", False)
        _echo(f"  subscribe in a podcast app: {preview.feed_url}", False)
        _echo(f"  the show's page:            {preview.url}", False)
        if public_url is None and host in ("127.0.0.1", "localhost", "::1"):
            _echo("  only this machine can connect; for a phone on your network: --host 0.0.0.0 "
                  "--public-url http://<this machine's LAN address>:PORT/", False)
        elif public_url is None and host in ("", "0.0.0.0", "::"):
            _echo(f"  the feed points at {preview.url}: for a phone, pass --public-url "
                  f"http://<this machine's LAN address>:{preview.port}/", False)
        preview.serve_forever()
    except KeyboardInterrupt:  # during the first build: Preview cleaned up already
        pass
    finally:
        signal.signal(signal.SIGINT, old[0] or signal.SIG_DFL)
        signal.signal(signal.SIGTERM, old[1] or signal.SIG_DFL)
