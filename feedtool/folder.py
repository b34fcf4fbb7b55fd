"""The show folder's top-level entries, read once per build.

Nearly every file a show uses sits at the top of its folder. One directory read (whose
entries know whether they are regular files, and keep their stat once asked) replaces
the tens of thousands of stat calls that path-by-path checks cost at 10,000 episodes.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import NamedTuple


class FileStat(NamedTuple):
    """The two facts of a stat that caches key on (a full os.stat_result per file costs
    about 600 bytes: 12 MB at 20,000 files)."""

    st_size: int
    st_mtime_ns: int


PLAIN, LINKED, OTHER = 0, 1, 2  # a regular file; a symbolic link to a file; anything else


class Listing:
    """The entries at the top of the show folder, by name."""

    def __init__(self, folder: Path, stats: dict[str, FileStat] | None = None) -> None:
        """`stats`: the files' stats when the caller has just read them (see build.fingerprint)."""
        self.folder = folder
        self.kinds: dict[str, int] = {}
        self._stats: dict[str, FileStat] = {}
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        self._add(entry, stats)
                    except OSError:  # this entry only: a link in a loop, a file gone since the listing
                        self.kinds[entry.name] = OTHER
        except OSError:
            pass  # a missing folder is reported by whoever needs it
        self._files: list[str] | None = None
        self._suffixes: list[tuple[str, str, str]] | None = None

    def _add(self, entry: os.DirEntry, stats: dict[str, FileStat] | None) -> None:
        if entry.is_file(follow_symlinks=False):
            known = stats.get(entry.name) if stats is not None else None
            if known is None:  # every file's stat is needed (cache keys): from the entry
                result = entry.stat(follow_symlinks=False)
                known = FileStat(result.st_size, result.st_mtime_ns)
            self.kinds[entry.name] = PLAIN
            self._stats[entry.name] = known
        else:
            self.kinds[entry.name] = LINKED if entry.is_symlink() and entry.is_file() else OTHER

    def files(self) -> list[str]:
        """Sorted names of the files (symbolic links to files included)."""
        if self._files is None:
            self._files = sorted(name for name, kind in self.kinds.items() if kind != OTHER)
        return self._files

    def suffixes(self) -> list[tuple[str, str, str]]:
        """(name, stem, lower-case extension) of every file, as os.path.splitext splits it."""
        if self._suffixes is None:
            self._suffixes = [(name, *split_name(name)) for name in self.files()]
        return self._suffixes

    def is_plain_file(self, rel: str) -> bool:
        """Whether a show-relative path names a regular top-level file: no link on the way,
        so it cannot lead outside the folder (links take the careful path-by-path checks)."""
        return self.kinds.get(rel) == PLAIN

    def stat(self, rel: str) -> FileStat:
        """Size and modification time (read with the listing for top-level files); raise
        OSError if it is gone."""
        known = self._stats.get(rel)
        if known is None:
            result = os.stat(self.folder / rel)
            known = FileStat(result.st_size, result.st_mtime_ns)
        return known


@functools.cache
def name_prefix(folder: Path) -> str:
    """What str(folder / name) puts before a name ("" for "."), to join thousands of names
    without a Path each (remembered: it is asked for every episode)."""
    return str(folder / "_")[:-1]


def split_name(name: str) -> tuple[str, str]:
    """os.path.splitext of a file name (leading dots are not an extension's), in a third of
    the time: it runs for every file of the show."""
    dot = name.rfind(".")
    if dot > 0 and (name[0] != "." or name[:dot].lstrip(".")):
        return name[:dot], name[dot:].lower()
    return name, ""
