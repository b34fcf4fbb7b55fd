"""Write stage: put files into the output folder atomically (temp file, then rename).

A reader of the output folder (a web server, an upload step) sees either the old file
or the new one, never half of one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def _temp_for(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to `path` through a temp file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_for(path)
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def create_new(path: Path, text: str) -> None:
    """Create a text file that must not exist yet: FileExistsError rather than overwrite
    (a scaffold or an import never replaces a publisher's file)."""
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)


def publish_file(source: Path, target: Path) -> bool:
    """Hard-link (or, across file systems, copy) a media file into the output folder.

    Returns False when the target already is that file (or an identical-looking copy),
    so rebuilds stay cheap.
    """
    if source.is_symlink():
        source = source.resolve()  # link the file, never a symlink to it
    if target.exists():
        if os.path.samefile(source, target):
            return False
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)  # a new name: the link appears whole or not at all
            return True
        except OSError:
            pass  # another file system, or links not allowed: copied below
    temp = _temp_for(target)
    try:
        temp.unlink(missing_ok=True)
        try:
            os.link(source, temp)
        except OSError:  # another file system, or links not allowed: copy instead
            if target.exists():
                a, b = source.stat(), target.stat()
                if a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns:
                    return False
            shutil.copy2(source, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return True
