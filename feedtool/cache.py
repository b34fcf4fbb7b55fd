"""The build cache: one SQLite file that makes rebuilds cheap.

It keeps media facts (by path, size and mtime), remote probes (by URL, ETag,
Last-Modified and length), the show cover's facts (by its size and mtime), rendered
show notes (by their text), each parsed episode (by its file and the files it refers
to) with what the build made of it (its record: the resolved item, its findings, its
rendered XML and its part of the show page; see `record.py`), and a fingerprint of the
whole last build, so that an unchanged show is recognised without reading its audio.
SQLite commits whole transactions, so a build killed half-way leaves the previous
cache intact; a damaged or foreign file is discarded with a warning. The cache lives
beside the show folder, never in output/.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from .folder import FileStat

if TYPE_CHECKING:
    from .probe import Probe
    from .record import Record

VERSION = "feedtool-cache-9"  # 9: records as JSON, nothing pickled; 8: media facts of MP3s with trailers
FILE = "build.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS media (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, facts TEXT, sample TEXT);
CREATE TABLE IF NOT EXISTS records (path TEXT PRIMARY KEY, key TEXT, data TEXT, xml BLOB, page BLOB,
                                    notes_key TEXT);
CREATE TABLE IF NOT EXISTS notes (key TEXT PRIMARY KEY, html TEXT);
"""


def digest(*parts: object) -> str:
    """A stable hash of reprs: dataclasses and tuples repr the same way in every run."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(repr(part).encode())
        hasher.update(b"\0")
    return hasher.hexdigest()


@functools.cache
def code_version() -> str:
    """A hash of feedtool's own files (its code and data) and of the installed packages'
    names and versions. Records, rendered notes and the last build's fingerprint hold
    results of that code and of its libraries (findings of its rules, XML from feedgen and
    lxml, HTML from cmarkgfm and nh3, its classes' fields as JSON), so any change to either, an
    upgrade or an edit, makes them stale: no version to bump by hand. It takes about a
    millisecond (the package's few hundred KB, and one listing per site-packages folder)."""
    package = Path(__file__).parent
    hasher = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            hasher.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for folder in sys.path:
        if folder.endswith("site-packages") and os.path.isdir(folder):
            hasher.update("\n".join(sorted(n for n in os.listdir(folder) if n.endswith(".dist-info"))).encode())
    return hasher.hexdigest()


@functools.cache
def _info_fields() -> tuple[str, ...]:
    from dataclasses import fields

    from .model import MediaInfo

    return tuple(f.name for f in fields(MediaInfo))


class _Nothing:
    """What a query of a cache that has just failed finds."""

    def fetchone(self) -> None:
        return None

    def __iter__(self) -> Iterator:
        return iter(())


class _GuardedCursor:
    """A cursor whose rows, read from a damaged file, end where the damage begins."""

    def __init__(self, cursor: sqlite3.Cursor, failed: Callable[[sqlite3.Error], None]) -> None:
        self._cursor, self._failed = cursor, failed

    def fetchone(self) -> tuple | None:
        try:
            return self._cursor.fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return None

    def __iter__(self) -> Iterator:
        try:
            yield from self._cursor
        except sqlite3.Error as exc:
            self._failed(exc)


class _Guarded:
    """The cache's SQLite connection, through which any error (a damaged file, a read-only
    folder, a full disk) turns the cache off for the rest of the command instead of ending
    it: later reads find nothing, later writes are dropped. The cache only saves time."""

    def __init__(self, db: sqlite3.Connection, failed: Callable[[sqlite3.Error], None]) -> None:
        self._db, self._failed = db, failed
        self.dead = False  # failed once: closed, and answering nothing

    def _fail(self, exc: sqlite3.Error) -> None:
        if not self.dead:
            self.dead = True
            self.close()
            self._failed(exc)

    def execute(self, *args: object) -> _GuardedCursor | _Nothing:
        if self.dead:
            return _Nothing()
        try:
            return _GuardedCursor(self._db.execute(*args), self._fail)
        except sqlite3.Error as exc:
            self._fail(exc)
            return _Nothing()

    def executemany(self, *args: object) -> None:
        if not self.dead:
            try:
                self._db.executemany(*args)
            except sqlite3.Error as exc:
                self._fail(exc)

    def commit(self) -> None:
        if not self.dead:
            try:
                self._db.commit()
            except sqlite3.Error as exc:
                self._fail(exc)

    def close(self) -> None:
        try:
            self._db.close()
        except sqlite3.Error:
            pass


def _linked(path: Path) -> Path | None:
    """The first of the cache's folder, its file and SQLite's files beside it that is a
    symbolic link: SQLite would create or overwrite whatever it points at, outside the
    cache folder (the cache folder can come from where others write: a CI cache)."""
    for candidate in (path.parent, path, *(path.with_name(path.name + end) for end in ("-journal", "-wal", "-shm"))):
        if candidate.is_symlink():
            return candidate
    return None


class BuildCache:
    """Opened per build; `close()` commits. A None path gives a cache that remembers nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.problem: str | None = None  # why an existing cache was discarded, for a warning
        self.report: Callable[[str], None] | None = None  # told, once, of a failure during the command
        self.db: _Guarded | None = None
        self._media: dict[str, tuple] | None = None
        self._records: dict[str, tuple] | None = None  # path → (key, JSON, xml, page), as stored
        self._notes: dict[str, str] | None = None
        self._new_media: list[tuple[str, tuple[int, int], Probe]] = []  # put_media's, until flush_media
        if path is None:
            return
        if (link := _linked(path)) is not None:
            self.problem = (f"the cache {link} is a symbolic link, which would let the build write where it "
                            "points; building without the cache (remove the link)")
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = _Guarded(self._open(path), self._failed)
        except (OSError, sqlite3.Error) as exc:
            self.problem = f"the cache {path} cannot be used ({exc}); building without it"
            self.db = None

    def _failed(self, exc: sqlite3.Error) -> None:
        """After an error (the connection is closed, and answers nothing from now on): a
        damaged file is removed, so that the next build starts a new one (a cache that
        cannot be written is left as it is); the command is told, once."""
        damaged = not isinstance(exc, sqlite3.OperationalError)  # malformed, not a database
        if damaged and self.path is not None:
            for leftover in (self.path, self.path.with_name(self.path.name + "-journal")):
                try:
                    leftover.unlink(missing_ok=True)
                except OSError:
                    pass
        message = (f"the cache {self.path} {'is damaged' if damaged else 'cannot be used'} ({exc}): building "
                   + ("without it, and the next build starts a new one" if damaged else "without it"))
        if self.report is not None:
            self.report(message)
        else:
            self.problem = self.problem or message

    def _open(self, path: Path) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(path, isolation_level="DEFERRED")
            db.executescript(SCHEMA)
            row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('version', ?)", (VERSION,))
            elif row[0] != VERSION:
                raise sqlite3.DatabaseError(f"format {row[0]}, not {VERSION}")
            return db
        except sqlite3.DatabaseError as exc:
            if "db" in locals():
                db.close()
            self.problem = f"discarded the cache {path}: {exc}"
            path.unlink(missing_ok=True)
            db = sqlite3.connect(path, isolation_level="DEFERRED")
            db.executescript(SCHEMA)
            db.execute("INSERT INTO meta VALUES ('version', ?)", (VERSION,))
            return db

    # -- media facts ------------------------------------------------------------------------

    def media(self, path: Path | str, stat: FileStat | None = None) -> tuple[Probe | None, tuple[int, int] | None]:
        """The cached probe of a local file if its size and mtime are unchanged, and its stat key."""
        row, key = self._media_row(path, stat)
        if row is None:
            return None, key
        from .probe import Probe

        if (text := row[2]) is None:  # the facts are read only for the files that need them
            self.flush_media()
            found = self.db.execute("SELECT facts FROM media WHERE path = ?", (str(path),)).fetchone()
            if found is None:
                return None, key
            text = found[0]
        facts = json.loads(text)
        from .model import Chapter, MediaInfo  # here: the "unchanged" shortcut needs no model

        chapters = tuple(Chapter(**c) for c in facts["chapters"])
        return Probe(MediaInfo(**facts["info"]), facts["note"], chapters, row[3] or "",
                     truncated=facts["truncated"]), key

    def knows_no_media(self) -> bool:
        """Whether no audio file's facts are kept (a first build, or --no-cache): then
        every audio file is probed, and probing can start before anything is compared."""
        return self.db is None or self.db.execute("SELECT 1 FROM media LIMIT 1").fetchone() is None

    def has_media(self, path: Path | str, stat: FileStat | None = None) -> bool:
        """Whether the cache knows the file as it is (without decoding its facts)."""
        return self._media_row(path, stat)[0] is not None

    def _media_row(self, path: Path | str, stat: FileStat | None) -> tuple[tuple | None, tuple[int, int] | None]:
        try:
            stat = stat or os.stat(path)
        except OSError:
            return None, None
        key = (stat.st_size, stat.st_mtime_ns)
        if self.db is None:
            return None, key
        if self._media is None:  # one query for all, rather than one per file; without the facts,
            self._media = {row[0]: row[1:] for row in self.db.execute(  # which a rebuild mostly has in records
                "SELECT path, size, mtime_ns, NULL, sample FROM media")}
        row = self._media.get(str(path))
        if row is None or row[0] != key[0]:
            return None, key
        if row[1] != key[1]:  # touched, or checked out afresh: the same bytes still count
            from .probe import file_sample

            try:
                same = bool(row[3]) and file_sample(path) == row[3]
            except OSError:
                same = False
            if not same:
                return None, key
            row = (key[0], key[1], *row[2:])
            self._media[str(path)] = row
            self.db.execute("UPDATE media SET mtime_ns = ? WHERE path = ?", (key[1], str(path)))
        return row, key

    def put_media(self, path: Path | str, key: tuple[int, int], result: Probe) -> None:
        """Keep a probe for later builds. It is written by flush_media() (or close()): a
        large build calls that when the pool's worker has work, rather than in between."""
        if self.db is not None:
            self._new_media.append((str(path), key, result))

    def flush_media(self) -> None:
        if self.db is None or not self._new_media:
            return
        rows = []
        for path, key, result in self._new_media:
            info = result.info  # MediaInfo's fields by name: asdict() was a quarter of storing a probe
            facts = {"info": {name: getattr(info, name) for name in _info_fields()}, "note": result.note,
                     "chapters": [asdict(c) for c in result.chapters], "truncated": result.truncated}
            rows.append((path, *key, json.dumps(facts), result.sample))
        self._new_media = []
        self.db.executemany("INSERT OR REPLACE INTO media VALUES (?, ?, ?, ?, ?)", rows)

    # -- episode records ----------------------------------------------------------------------

    def record(self, path: str, key: str) -> Record | None:
        """The episode file's record (see `record.py`) if `key` matches; a stored record that
        does not read back (damaged, another layout) is a miss."""
        if self.db is None:
            return None
        if self._records is None:  # one query for all; each is decoded only when asked for
            self._records = {row[0]: row[1:] for row in self.db.execute(
                "SELECT path, key, data, xml, page FROM records")}
        row = self._records.get(path)
        if row is None or row[0] != key:
            return None
        from .record import record_from_json

        try:
            return record_from_json(key, *row[1:])
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return None

    def put_records(self, current: Mapping[str, Record], folder: Path) -> None:
        """Store the records of the show in `folder` (by episode source) made or completed in
        this build, and drop the stored ones of its episodes that are gone. Records of other
        shows (side by side, sharing this cache) stay."""
        if self.db is None:
            return
        from .record import record_to_json

        fresh = [(path, record.key, record_to_json(record), record.xml, record.page, record.notes_key)
                 for path, record in current.items() if record.fresh]
        self.db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?)", fresh)
        mine = (folder / "_").as_posix()[:-1]  # the sources' prefix ("" for ".")
        gone = [(path,) for (path,) in self.db.execute("SELECT path FROM records")
                if path.startswith(mine) and path not in current]
        self.db.executemany("DELETE FROM records WHERE path = ?", gone)
        if fresh or gone:  # rendered notes no record uses any more go
            self.db.execute("DELETE FROM notes WHERE key NOT IN (SELECT notes_key FROM records "
                            "WHERE notes_key IS NOT NULL)")

    # -- rendered show notes -------------------------------------------------------------------

    def notes(self, key: str) -> str | None:
        """Show notes rendered by an earlier build (notes.to_html), by `notes_key` of their text."""
        if self.db is None:
            return None
        if self._notes is not None:
            return self._notes.get(key)
        row = self.db.execute("SELECT html FROM notes WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def preload_notes(self) -> None:
        """Read every rendered note at once, for many lookups."""
        if self.db is not None and self._notes is None:
            self._notes = dict(self.db.execute("SELECT key, html FROM notes"))

    def put_notes(self, rendered: Iterable[tuple[str, str]]) -> None:
        """Keep rendered notes, as (key, HTML) pairs."""
        if self.db is not None:
            self.db.executemany("INSERT OR REPLACE INTO notes VALUES (?, ?)", rendered)

    # -- the last build ----------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        if self.db is None:
            return None
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
        return row[0] if row else None

    def set(self, name: str, value: str | bytes) -> None:
        if self.db is not None:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def get_json(self, name: str) -> object | None:
        """A value kept with `set_json`; None if there is none, or it is not JSON."""
        data = self.get(name)
        if not isinstance(data, str):
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None

    def set_json(self, name: str, value: object) -> None:
        """Keep a value of plain types (JSON: the cache may come from where others write, so
        nothing in it is unpickled)."""
        self.set(name, json.dumps(value, separators=(",", ":"), ensure_ascii=False))

    def close(self) -> None:
        if self.db is not None:
            self.flush_media()
            self.db.commit()
            self.db.close()
            self.db = None


def notes_key(markdown: str) -> str:
    """Rendered notes depend on their text and on feedtool (its allowlist, its libraries)."""
    return hashlib.blake2b(f"{code_version()}\0{markdown}".encode(), digest_size=16).hexdigest()
