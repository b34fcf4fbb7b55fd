"""Artwork rules (Apple): JPEG or PNG, RGB, square, 1400–3000 px, not too heavy.

A local file is read whole (to catch truncated files); remote artwork is read over
HTTP byte ranges, header only, like remote audio.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..findings import Findings
from ..http import HttpFile, RemoteError, head
from ..model import MediaRef
from ..options import NetworkOptions

if TYPE_CHECKING:
    from ..cache import BuildCache

MIN_SIDE, MAX_SIDE = 1400, 3000
# a host that cannot be reached now (or --offline) leaves a linked file unchecked, not wrong:
# CI runners and trains are offline at times, and CDNs hiccup
UNVERIFIED = frozenset({"REMOTE-UNREACHABLE", "REMOTE-OFFLINE"})
MAX_BYTES = 512 * 1024  # advised; large art slows directories and apps


class ArtError(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def image_facts(handle: BinaryIO | Path, verify: bool) -> tuple[int, int, str, bool]:
    """(width, height, mode, has alpha) of an image; ArtError when it is not a usable image."""
    from PIL import Image, UnidentifiedImageError  # here: most builds know their artwork already

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own warnings (odd TIFF tags…) are not ours to print
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(handle, formats=("JPEG", "PNG")) as art:
                facts = (art.width, art.height, art.mode,
                         art.mode in ("RGBA", "LA", "PA") or "transparency" in art.info)
                if verify:  # a truncated or corrupt image fails here: PNG's verify() checks every
                    if art.format == "JPEG":  # chunk's CRC, a JPEG has none (its verify() reads nothing),
                        art.load()  # so it is decoded ("image file is truncated")
                    else:
                        art.verify()
                return facts
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ArtError("ART-SIZE", f"is far too large for artwork ({exc})") from None
    except UnidentifiedImageError:
        raise ArtError("IMAGE-TYPE", "is not a JPEG or PNG image") from None
    except (OSError, SyntaxError) as exc:
        raise ArtError("IMAGE-TYPE", f"is damaged or not an image ({exc})") from None


def probe_remote_images(urls: list[str], options: NetworkOptions) -> dict[str, tuple | RemoteError | ArtError]:
    """(width, height, mode, alpha, bytes) of remote artwork, reading only its header."""
    def one(url: str):
        try:
            facts = head(url, options)
            if facts.length is None:
                raise RemoteError("REMOTE-LENGTH", "the server sends no Content-Length")
            if facts.length == 0:
                raise RemoteError("REMOTE-LENGTH", "the server sends an empty file")
            handle = HttpFile(facts.url, facts.length, options, max_bytes=2 * 1024 * 1024)
            return (*image_facts(handle, verify=False), facts.length)
        except (RemoteError, ArtError) as exc:
            return exc

    unique = sorted(set(urls))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(unique))) as pool:
        return dict(zip(unique, pool.map(one, unique), strict=True))


def local_art(folder: Path, image: MediaRef, cache: BuildCache) -> tuple | None:
    """The facts of a local image (width, height, mode, alpha, bytes), kept in the cache
    while the file's size and time stay: the show's cover is checked at every build, and
    Pillow takes a while to start. Only sound facts are kept: a file that cannot be read
    is read again (by check_artwork, which says what is wrong). None for a remote image."""
    if image.path is None:
        return None
    path = folder / image.path
    try:
        stat = path.stat()
    except OSError:
        return None
    key = f"art:{os.path.abspath(path)}"  # shows side by side may share a cache
    stored = json.loads(cache.get(key) or "null")
    if stored and stored[:2] == [stat.st_size, stat.st_mtime_ns]:
        return tuple(stored[2:])
    try:
        facts = (*image_facts(path, verify=True), stat.st_size)
    except ArtError:
        return None
    cache.set(key, json.dumps([stat.st_size, stat.st_mtime_ns, *facts]))
    return facts


def check_artwork(folder: Path, image: MediaRef, source: str, findings: Findings,
                  remote: Mapping[str, tuple | RemoteError | ArtError] | None = None,
                  known: tuple | None = None) -> None:
    """Check one artwork reference: a local file (its facts `known` when read before, see
    local_art), or a URL probed beforehand."""
    if image.path is None:
        result = (remote or {}).get(image.url)
        if result is None:
            return  # not probed (an offline check)
        if isinstance(result, RemoteError) and result.rule in UNVERIFIED:
            findings.add("REMOTE-UNVERIFIED", source, image.line, f"image {image.url}: not checked: {result}")
            return
        if isinstance(result, RemoteError | ArtError):
            findings.add(result.rule, source, image.line, f"image {image.url}: {result}")
            return
        width, height, mode, alpha, size = result
        shown = image.url
    else:
        path = folder / image.path
        shown = path.as_posix()
        if known is not None:
            width, height, mode, alpha, size = known
        else:
            try:
                width, height, mode, alpha = image_facts(path, verify=True)
            except ArtError as exc:
                findings.add(exc.rule, source, image.line, f"image: {shown} {exc}")
                return
            size = path.stat().st_size
    if width != height or not MIN_SIDE <= width <= MAX_SIDE:
        shape = "square" if width == height else "not square"
        findings.add(
            "ART-SIZE", source, image.line,
            f"image: {shown} is {width}×{height} px ({shape}); Apple requires a square image "
            f"of {MIN_SIDE}–{MAX_SIDE} px",
        )
    if alpha:
        findings.add(
            "ART-MODE", source, image.line,
            f"image: {shown} has an alpha (transparency) channel; save it as plain RGB",
        )
    elif mode not in ("RGB", "P"):
        findings.add(
            "ART-MODE", source, image.line,
            f"image: {shown} is in colour mode {mode}; Apple requires RGB",
        )
    if size > MAX_BYTES:
        findings.add(
            "ART-BYTES", source, image.line,
            f"image: {shown} is {size // 1024} KB; keep artwork under {MAX_BYTES // 1024} KB "
            "(directories and apps load it often)",
        )
