"""Artwork rules (Apple): JPEG or PNG, RGB, square, 1400–3000 px, not too heavy."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..findings import Findings
from ..model import MediaRef

MIN_SIDE, MAX_SIDE = 1400, 3000
MAX_BYTES = 512 * 1024  # advised; large art slows directories and apps


def check_artwork(folder: Path, image: MediaRef, source: str, findings: Findings) -> None:
    """Check a local image file (remote artwork is checked by the network checks)."""
    if image.path is None:
        return
    path = folder / image.path
    shown = path.as_posix()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as art:
                width, height, mode = art.width, art.height, art.mode
                alpha = mode in ("RGBA", "LA", "PA") or "transparency" in art.info
                art.verify()  # reads the whole file: a truncated or corrupt image fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        findings.add("ART-SIZE", source, image.line, f"image: {shown} is far too large for artwork ({exc})")
        return
    except (OSError, UnidentifiedImageError, SyntaxError) as exc:
        findings.add("IMAGE-TYPE", source, image.line, f"image: {shown} is damaged or not an image ({exc})")
        return
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
    size = path.stat().st_size
    if size > MAX_BYTES:
        findings.add(
            "ART-BYTES", source, image.line,
            f"image: {shown} is {size // 1024} KB; keep artwork under {MAX_BYTES // 1024} KB "
            "(directories and apps load it often)",
        )
