"""The show folder's top-level entries, read once per build.

Nearly every file a show uses sits at the top of its folder. One directory read (whose
entries know whether they are regular files, and keep their stat once asked) replaces
the tens of thousands of stat calls that path-by-path checks cost at 10,000 episodes.
"""

from __future__ import annotations

import os
from pathlib import Path


class Listing:
    """The entries at the top of the show folder, by name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.entries: dict[str, os.DirEntry] = {}
        try:
            with os.scandir(folder) as entries:
                self.entries = {entry.name: entry for entry in entries}
        except OSError:
            pass  # a missing folder is reported by whoever needs it
        self._files: list[str] | None = None

    def files(self) -> list[str]:
        """Sorted names of the files (symbolic links to files included)."""
        if self._files is None:
            self._files = sorted(name for name, entry in self.entries.items() if entry.is_file())
        return self._files

    def is_plain_file(self, rel: str) -> bool:
        """Whether a show-relative path names a regular top-level file: no link on the way,
        so it cannot lead outside the folder (links take the careful path-by-path checks)."""
        entry = self.entries.get(rel)
        return entry is not None and entry.is_file(follow_symlinks=False)

    def stat(self, rel: str) -> os.stat_result:
        """The file's stat (kept for top-level files); raise OSError if it is gone."""
        entry = self.entries.get(rel)
        if entry is not None and not entry.is_symlink():
            return entry.stat()
        return os.stat(self.folder / rel)
