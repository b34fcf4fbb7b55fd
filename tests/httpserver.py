"""A real HTTP server on 127.0.0.1 for tests: byte ranges, HEAD, and fault modes.

Fault modes are chosen by the first path segment:
  /norange/…       ignores Range and sends the whole file with 200
  /wronglength/…   HEAD reports a Content-Length 10 bytes too large
  /badtype/…       sends Content-Type text/html
  /nohead/…        answers HEAD with 405
  /slow/…          waits 3 s before answering
  /flaky/…         answers the first request for each path with 500, then normally
  /loop/…          redirects to itself
  /redirect/…      redirects (301) to the same path without the prefix
  /retryafter/…    answers 503 with Retry-After: 3600
  /trickle/…       sends bodies one byte every 20 ms
  /cutfirst/…      breaks off the first GET of each path halfway, then answers normally
  /gzip/…          gzips whole bodies (Content-Encoding) when the client accepts it
  /nolength/…      HEAD answers without Content-Length
  /unsized/…       no Content-Length at all: the body ends when the connection closes
  /endless/…       answers 200 with a body that never ends (no Content-Length)
  /bomb/…          answers 200 with 2 GB of spaces, gzipped (Content-Encoding) to 2 MB
  /status/NNN      answers with that status
  /ping…, /notify… answer 200 (ping services); POSTs anywhere are recorded in `posts`
Bytes sent per path are counted in `served`.
"""

from __future__ import annotations

import gzip
import mimetypes
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TYPES = {".mp3": "audio/mpeg", ".m4a": "audio/x-m4a", ".ogg": "audio/ogg", ".opus": "audio/ogg",
         ".flac": "audio/flac", ".wav": "audio/wav", ".xml": "application/rss+xml", ".png": "image/png",
         ".jpg": "image/jpeg", ".vtt": "text/vtt", ".json": "application/json"}
MODES = {"norange", "wronglength", "badtype", "nohead", "slow", "flaky", "loop", "redirect", "retryafter",
         "trickle", "cutfirst", "gzip", "nolength", "unsized", "endless", "bomb"}


class TestServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.served: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self._seen: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
                self._answer(body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(body=True)

            def do_POST(self) -> None:  # noqa: N802 - a WebSub hub or ping endpoint
                length = int(self.headers.get("Content-Length") or 0)
                server.posts.append((self.path, self.rfile.read(length).decode()))
                status = int(self.path.split("/")[2]) if self.path.startswith("/status/") else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _answer(self, body: bool) -> None:
                path = self.path.split("?", 1)[0]
                server.requests[path] += 1
                first, _, rest = path.lstrip("/").partition("/")
                mode = first if first in MODES else None
                if path.startswith("/status/"):
                    self.send_error(int(path.split("/")[2]))
                    return
                if first in ("ping", "notify"):  # a ping service: accepts any GET
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "slow":
                    time.sleep(3)
                if mode == "retryafter":
                    self.send_response(503)
                    self.send_header("Retry-After", "3600")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "flaky" and path not in server._seen:
                    server._seen.add(path)
                    self.send_error(500)
                    return
                if mode in ("loop", "redirect"):
                    self.send_response(301)
                    self.send_header("Location", self.path if mode == "loop" else "/" + rest)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "nohead" and not body:
                    self.send_error(405)
                    return
                if mode in ("endless", "bomb"):
                    self._endless(body, mode)
                    return
                file = server.root / (rest if mode else path.lstrip("/"))
                if not file.is_file():
                    self.send_error(404)
                    return
                data = file.read_bytes()
                kind = "text/html" if mode == "badtype" else TYPES.get(file.suffix) or mimetypes.guess_type(
                    file.name)[0] or "application/octet-stream"
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if match and mode != "norange":
                    start = int(match[1])
                    stop = min(int(match[2]) if match[2] else len(data) - 1, len(data) - 1)
                    chunk = data[start : stop + 1]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{stop}/{len(data)}")
                else:
                    chunk = data
                    self.send_response(200)
                    self.send_header("Accept-Ranges", "none" if mode == "norange" else "bytes")
                if mode == "gzip" and "gzip" in self.headers.get("Accept-Encoding", ""):
                    chunk = gzip.compress(chunk, mtime=0)
                    self.send_header("Content-Encoding", "gzip")
                length = len(chunk) + (10 if mode == "wronglength" and not body else 0)
                self.send_header("Content-Type", kind)
                if not (mode == "nolength" and not body) and mode != "unsized":
                    self.send_header("Content-Length", str(length))
                self.send_header("ETag", f'"{len(data)}-{int(file.stat().st_mtime_ns)}"')
                self.end_headers()
                if not body:
                    return
                try:
                    if mode == "cutfirst" and ("cut", path) not in server._seen:
                        server._seen.add(("cut", path))
                        self.wfile.write(chunk[: len(chunk) // 2])
                        self.wfile.flush()
                        self.connection.shutdown(2)
                        return
                    if mode == "trickle":
                        for byte in range(len(chunk)):
                            self.wfile.write(chunk[byte : byte + 1])
                            self.wfile.flush()
                            time.sleep(0.02)
                    else:
                        self.wfile.write(chunk)
                    server.served[path] += len(chunk)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass

            def _endless(self, body: bool, mode: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                if mode == "bomb":
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(_bomb())))
                self.end_headers()
                if not body:
                    return
                try:
                    if mode == "bomb":
                        self.wfile.write(_bomb())
                        return
                    block = b"<item>" + b" " * 65536
                    while True:  # until the client hangs up
                        self.wfile.write(block)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass

        self.posts: list[tuple[str, str]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def wait_served(self, path: str, expected: int, seconds: float = 2.0) -> bool:
        """The server thread counts after writing; give it a moment to catch up with the client."""
        deadline = time.monotonic() + seconds
        while self.served[path] != expected and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.served[path] == expected

    def __iter__(self):  # `root, base = server`
        return iter((self.root, self.base))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


_BOMBS: list[bytes] = []


def _bomb() -> bytes:
    """2 GB of spaces, gzipped: about 2 MB on the wire (made once per test session)."""
    if not _BOMBS:
        block = gzip.compress(b" " * (16 * 1024 * 1024), compresslevel=9, mtime=0)
        # gzip members concatenated form one gzip stream: 128 members of 16 MB each
        _BOMBS.append(block * 128)
    return _BOMBS[0]
