"""Load stage: the show folder's files → validated `Show` and `Episode` dataclasses.

Every problem becomes a finding with its file and line; loading goes on so that one
run reports everything. Values are converted by the parsers in `fields.py`.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from . import fields as f
from . import podcast20 as pc20
from .cache import BuildCache, code_version, digest
from .fields import Field
from .findings import Findings
from .folder import Listing
from .model import Chapter, Episode, MediaRef, Show, Transcript
from .probe import AUDIO_EXTENSIONS, UNSUPPORTED_AUDIO
from .record import Record
from .yamlsource import XML_FORBIDDEN, Node, YAMLSourceError, parse, split_front_matter

SHOW_FILE = "show.yaml"

# The namespace the Podcasting 2.0 spec fixes for podcast:guid.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

SHOW_SCHEMA: dict[str, Field] = {
    "title": Field(f.line_text, required=True),
    "description": Field(f.text, required=True),
    "link": Field(f.url, required=True),
    "feed_url": Field(f.url, required=True),
    "language": Field(pc20.language, required=True, rule="LANG"),
    "author": Field(f.line_text, required=True),
    "owner": Field(
        nested={"name": Field(f.line_text, True), "email": Field(f.email, True, rule="OWNER-EMAIL")},
        required=True,
    ),
    "image": Field(f.text, required=True),
    "categories": Field(f.categories, required=True),
    "media_base_url": Field(f.url),
    "explicit": Field(f.boolean, rule="EXPLICIT"),
    "type": Field(f.choice("episodic", "serial"), rule="SHOW-TYPE"),
    "copyright": Field(f.line_text),
    "guid": Field(f.uuid_text),
    "max_items": Field(f.positive_int),
    "paging": Field(f.boolean),
    **pc20.SHOW_KEYS,
}

TRANSCRIPT = {
    "file": Field(f.text),
    "url": Field(f.url),
    "type": Field(f.choice("text/vtt", "application/x-subrip", "application/json", "text/html", "text/plain")),
    "language": Field(pc20.language, rule="LANG"),
    "rel": Field(f.choice("captions")),
}
CHAPTER = {
    "start": Field(f.offset, required=True),
    "title": Field(f.line_text),
    "url": Field(f.url),
    "img": Field(f.url),
    "toc": Field(f.boolean),
}

EPISODE_SCHEMA: dict[str, Field] = {
    "title": Field(f.line_text, required=True),
    "date": Field(f.timestamp, required=True),
    "audio": Field(f.text, nested={"file": Field(f.text, required=True)}, many=True, short="file"),
    "guid": Field(f.text),
    "summary": Field(f.line_text),
    "season": Field(f.positive_int),
    "episode": Field(f.positive_int),
    "type": Field(f.choice("full", "trailer", "bonus"), rule="EP-TYPE"),
    "explicit": Field(f.boolean, rule="EXPLICIT"),
    "image": Field(f.text),
    "duration": Field(f.duration),
    "length": Field(f.non_negative_int),
    "draft": Field(f.boolean),
    "removed": Field(f.boolean),
    "persons": pc20.SHOW_KEYS["persons"],
    "transcript": Field(nested=TRANSCRIPT, many=True, short="file"),
    "chapters": Field(f.text, nested=CHAPTER, many=True),
    "soundbites": Field(nested={**pc20.SOUNDBITE, "start": Field(f.offset, required=True)}, many=True),
    "location": pc20.SHOW_KEYS["location"],
}


def default_guid(namespace: uuid.UUID, stem: str) -> str:
    """An episode's guid from its file name; NFC, so macOS and Linux spellings of é agree."""
    return str(uuid.uuid5(namespace, unicodedata.normalize("NFC", stem)))


# keys of show.yaml that have no meaning in an episode: a clearer hint than "did you mean"
SHOW_ONLY = {key: "show.yaml" for key in SHOW_SCHEMA if key not in EPISODE_SCHEMA}


def podcast_guid(feed_url: str) -> str:
    """The Podcasting 2.0 podcast:guid: UUIDv5 of the feed URL without scheme and trailing slashes."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


@dataclass
class _Context:
    """What loading one file needs to know about the folder it lives in."""

    folder: Path  # as the user gave it, for display
    findings: Findings
    media_base_url: str
    guid_namespace: uuid.UUID
    site_url: str = ""  # the feed's folder: where generated and text files are served
    listing: Listing | None = None  # the folder's top-level files, read once

    def display(self, name: str) -> str:
        return (self.folder / name).as_posix()


# XML-forbidden characters, and C1 controls (YAML refuses them; feed validators flag them)
_UNWANTED = re.compile(f"{XML_FORBIDDEN.pattern}|[\x80-\x9f]")


def read_text(ctx: _Context, path: Path | str) -> str | None:
    """A file's text with the characters XML 1.0 forbids removed (they would break the feed).
    `path` as a string: its POSIX form (as shown in messages)."""
    shown = path if isinstance(path, str) else path.as_posix()
    try:
        raw = _read_bytes(path)
    except OSError as exc:
        ctx.findings.add("FILE-UNREADABLE", shown, None, f"cannot read the file: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        ctx.findings.add("FILE-ENCODING", shown, line, "not UTF-8 text: save the file as UTF-8")
        return None
    text = text.replace("\v", "\n").replace("\f", "\n")  # line breaks pasted from word processors
    cleaned, removed = _UNWANTED.subn("", text)
    if removed:
        line = text[: _UNWANTED.search(text).start()].count("\n") + 1  # type: ignore[union-attr]
        ctx.findings.add(
            "XML-CHARS", shown, line, f"removed {removed} control character(s) that XML forbids"
        )
    return cleaned


def _read_bytes(path: Path | str) -> bytes:
    """A file's bytes with plain system calls: half the time of Path.read_bytes() (no
    buffered file object), for the thousands of small episode files of a large show."""
    handle = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(handle, 1 << 16)]
        while chunks[-1]:
            chunks.append(os.read(handle, 1 << 16))
    finally:
        os.close(handle)
    return b"".join(chunks)


def local_path(ctx: _Context, value: str, shown: str, line: int | None, key: str) -> str | None:
    """Normalise a show-relative path; refuse one that leads outside the show folder."""
    posix = value.replace("\\", "/")
    normal = posixpath.normpath(posix)
    if posixpath.isabs(posix) or re.match(r"[A-Za-z]:", posix) or normal.split("/")[0] == "..":
        ctx.findings.add(
            "PATH-OUTSIDE", shown, line,
            f"{key}: '{value}' leads outside the show folder; paths are relative to "
            f"{ctx.folder.as_posix()}/ and must stay inside it",
        )
        return None
    if ctx.listing is not None and ctx.listing.is_plain_file(normal):
        return normal if utf8_name(ctx, normal, shown, line) else None
    target = ctx.folder / normal
    try:
        is_file = target.is_file()
    except OSError as exc:  # a folder on the way that cannot be searched (permissions)
        ctx.findings.add("FILE-UNREADABLE", shown, line, f"{key}: cannot read {ctx.display(normal)}: {exc.strerror}")
        return None
    if not is_file:
        rule = {"audio": "AUDIO-MISSING", "transcript": "TRANSCRIPT", "chapters": "CHAPTERS"}.get(key, "IMAGE-MISSING")
        ctx.findings.add(rule, shown, line, f"{key}: no file {ctx.display(normal)}")
        return None
    if _through_link(ctx.folder, normal) and not target.resolve().is_relative_to(ctx.folder.resolve()):
        ctx.findings.add(
            "PATH-OUTSIDE", shown, line,
            f"{key}: {ctx.display(normal)} is a link to {target.resolve().as_posix()}, outside the "
            "show folder; move the file into the folder",
        )
        return None
    if not utf8_name(ctx, normal, shown, line):
        return None
    return normal


def _through_link(folder: Path, normal: str) -> bool:
    """Whether a show-relative path passes through a symlink (only then can it lead outside;
    checking this first spares resolving every path of a large show)."""
    current = folder
    for part in normal.split("/"):
        current = current / part
        if current.is_symlink():
            return True
    return False


def utf8_name(ctx: _Context, name: str, shown: str, line: int | None) -> bool:
    """A file name must be UTF-8 to become a URL; report one that is not."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        ctx.findings.add(
            "FILE-NAME", shown, line,
            f"the file name {name.encode('utf-8', 'surrogateescape')!r} is not UTF-8: rename it",
        )
        return False
    return True


def media_url(base: str, path: str) -> str:
    """The URL of a show-relative path (normalised, so it has no '..') under `base`."""
    if _plain_base(base):
        return base + quote(path, safe="/")  # what urljoin gives here, at a tenth of its cost
    return urljoin(base, quote(path, safe="/"))


@functools.lru_cache(maxsize=64)
def _plain_base(base: str) -> bool:
    """Whether joining onto `base` is plain concatenation (no dot segments to resolve, no
    query, a lower-case scheme: urljoin would change none of it)."""
    return base.endswith("/") and "?" not in base and "#" not in base and urljoin(base, ".") == base


def image_ref(ctx: _Context, node: Node, value: str, shown: str) -> MediaRef | None:
    """An image is a file in the show folder (JPEG or PNG) or an https URL."""
    if f.is_url(value):
        if not value.startswith("https://"):
            ctx.findings.add("IMAGE-URL", shown, node.line, f"image: use an https URL, got '{value}'")
        return MediaRef(value, None, node.line)
    path = local_path(ctx, value, shown, node.line, "image")
    if path is None:
        return None
    suffix = posixpath.splitext(path)[1].lower()
    try:
        with open(ctx.folder / path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        ctx.findings.add("FILE-UNREADABLE", shown, node.line, f"image: cannot read {ctx.display(path)}: {exc.strerror}")
        return None
    real = "png" if head.startswith(b"\x89PNG") else "jpeg" if head.startswith(b"\xff\xd8\xff") else None
    named = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}.get(suffix)
    if named is None or real != named:
        what = f"a {real.upper()} file" if real else "neither JPEG nor PNG"
        ctx.findings.add(
            "IMAGE-TYPE", shown, node.line,
            f"image: {ctx.display(path)} is {what}; directories accept only JPEG (.jpg) or PNG (.png) "
            "with a matching extension",
        )
        return None
    return MediaRef(media_url(ctx.media_base_url, path), path, node.line)


def load_show(folder: Path, findings: Findings, preview_url: str | None = None) -> Show | None:
    """Read show.yaml; None when it has errors (they are in `findings`).

    `preview_url` (a folder URL ending in '/', for `serve`) replaces where the feed and the
    local media are served; the guids stay those of the real feed_url, as published.
    """
    path = folder / SHOW_FILE
    shown = path.as_posix()
    if not path.is_file():
        findings.add(
            "SHOW-MISSING", shown, None,
            f"no {SHOW_FILE} in {folder.as_posix()}/ (is --episodes pointing at the show folder?)",
        )
        return None
    ctx = _Context(folder, findings, "", uuid.NAMESPACE_URL)
    text = read_text(ctx, path)
    if text is None:
        return None
    try:
        mapping = parse(text)
    except YAMLSourceError as exc:
        findings.add("YAML-SYNTAX", shown, exc.line, exc.message)
        return None
    values, ok = f.read_fields(mapping, SHOW_SCHEMA, shown, findings, 1)
    feed_folder = urljoin(values.get("feed_url", ""), ".")
    base = values.get("media_base_url", feed_folder)
    base = base if base.endswith("/") else base + "/"
    if preview_url is not None:
        feed_folder = base = preview_url
    ctx.media_base_url = base
    image = image_ref(ctx, mapping["image"], values["image"], shown) if "image" in values else None
    persons = pc20.persons(values.get("persons", []), shown, findings)
    license_ = None
    if "license" in values:
        license_ = pc20.license_(values["license"], shown, mapping["license"].line, findings)
        ok = ok and license_ is not None
    if ("max_items" in values) != bool(values.get("paging")):
        findings.add(
            "FIELD-VALUE", shown, mapping.get("max_items", mapping.get("paging")).line,
            "max_items and paging: true go together: feedtool never drops episodes, it moves older ones "
            "to archive pages",
        )
        ok = False
    if not ok or image is None or len(persons) != len(values.get("persons", [])):
        return None
    return Show(
        source=shown,
        title=values["title"],
        description=values["description"],
        link=values["link"],
        feed_url=values["feed_url"] if preview_url is None else preview_url + "feed.xml",
        language=values["language"],
        author=values["author"],
        owner_name=values["owner"]["name"],
        owner_email=values["owner"]["email"],
        image=image,
        categories=values["categories"],
        media_base_url=base,
        media_is_local=base == feed_folder,
        explicit=values.get("explicit", False),
        type=values.get("type"),
        copyright=values.get("copyright"),
        guid=values.get("guid") or podcast_guid(values["feed_url"]),
        lines={key: node.key_line or node.line for key, node in mapping.items()},
        site_url=feed_folder,
        persons=persons,
        funding=pc20.funding(values.get("funding", [])),
        locked=values.get("locked", False),
        locations=pc20.locations(values.get("location", [])),
        medium=values.get("medium"),
        license=license_,
        txt=pc20.txt(values.get("txt", [])),
        max_items=values.get("max_items"),
        paging=values.get("paging", False),
        hubs=tuple(item["url"] for item in values.get("hub", [])),
        pings=tuple(item["url"] for item in values.get("pings", [])),
    )


def episode_files(folder: Path, listing: Listing | None = None) -> list[Path]:
    """The top-level *.md files of the show folder, except a README."""
    return [folder / name for name in episode_names(listing or Listing(folder))]


def episode_names(listing: Listing) -> list[str]:
    """The names of `episode_files` (no Path made per file: a rebuild of 10,000 episodes
    mostly compares names and stats)."""
    # hidden files include macOS's ._name.md resource forks
    return [name for name in listing.files()
            if name.endswith(".md") and name.lower() != "readme.md" and not name.startswith(".")]


def front_matters(folder: Path) -> Iterator[tuple[Path, dict[str, Node]]]:
    """Each episode file's front matter, for commands that only look (`import --update`,
    `new`); files that cannot be read or parsed are skipped (`check` reports them)."""
    for path in episode_files(folder):
        try:
            front, _, _ = split_front_matter(path.read_text(encoding="utf-8-sig"))
            yield path, parse(front, first_line=2)
        except (OSError, UnicodeDecodeError, YAMLSourceError):
            continue


def load_episodes(folder: Path, show: Show | None, findings: Findings,
                  cache: BuildCache | None = None, listing: Listing | None = None,
                  records: dict[str, Record] | None = None) -> list[Episode]:
    """Read every episode file; files with errors are left out (and reported).

    An episode whose file, show.yaml, sibling audio names and referenced files are all
    unchanged since the last build comes from its record in the cache instead of being
    parsed again. `records` receives every episode's record (by source), cached or new,
    for the later stages to use and fill (see record.py).
    """
    listing = listing or Listing(folder)
    if show is not None:
        ctx = _Context(folder, findings, show.media_base_url, uuid.UUID(show.guid), show.site_url, listing)
    else:  # still report the episodes' own problems when show.yaml is broken
        ctx = _Context(folder, findings, "https://invalid.invalid/", uuid.NAMESPACE_URL, listing=listing)
    audio_by_stem: dict[str, list[str]] = {}
    for name, stem, suffix in listing.suffixes():
        if suffix in AUDIO_EXTENSIONS or suffix in UNSUPPORTED_AUDIO:
            audio_by_stem.setdefault(stem, []).append(name)
    show_key = digest(code_version(), show)  # the same for every episode: hashed once
    prefix = (folder / "_").as_posix()[:-1]  # Path.as_posix() of folder / name, without a Path per name
    episodes = []
    for name in episode_names(listing):
        siblings = audio_by_stem.get(name[:-3], [])  # the stem: every name ends with ".md"
        key = _episode_key(listing, name, show_key, siblings) if cache else None
        record = cache.record(prefix + name, key) if cache and key else None  # by source, as stored
        if record is not None and _dependencies(listing, record.episode) == record.dependencies:
            episode = record.episode
            for finding in record.loaded:
                findings.add(*finding)
        else:
            count = len(findings)
            episode = _load_episode(ctx, prefix + name, name, siblings)
            dependencies = _dependencies(listing, episode) if key and episode is not None else None
            record = None
            if dependencies is not None:
                assert key is not None and episode is not None
                record = Record(key, episode, findings.since(count), dependencies)
        if episode is not None:
            episodes.append(episode)
            if records is not None and record is not None:
                records[episode.source] = record
    return episodes


def _episode_key(listing: Listing, name: str, show_key: str, siblings: list[str]) -> str | None:
    """What parsing an episode file depends on, as text (compared, not hashed: it is made
    for every episode at every build)."""
    try:
        stat = listing.stat(name)
    except OSError:
        return None
    return "\0".join((show_key, name, str(stat.st_size), str(stat.st_mtime_ns), *siblings))


def _referenced(episode: Episode) -> list[str]:
    refs = [episode.audio, *episode.alternates, episode.image, episode.chapters_file,
            *(t.ref for t in episode.transcripts)]
    return sorted({ref.path for ref in refs if ref is not None and ref.path is not None})


def _dependencies(listing: Listing, episode: Episode) -> list[tuple[str, int, int, object]] | None:
    """(path, size, mtime, where) of every local file the episode refers to; None if one is
    gone. `where` is what the file is (a regular file or a link, or for a file in a
    subfolder the real path): a file moved out of the folder and linked back in keeps its
    size and time, and must be checked again (see local_path)."""
    found = []
    try:
        for rel in _referenced(episode):
            stat = listing.stat(rel)
            where = listing.kinds.get(rel) if "/" not in rel else os.path.realpath(listing.folder / rel)
            found.append((rel, stat.st_size, stat.st_mtime_ns, where))
    except OSError:
        return None
    return found


def _load_episode(ctx: _Context, shown: str, name: str, siblings: list[str]) -> Episode | None:
    """The episode file `name`, whose path (POSIX form, as messages show it) is `shown`: a
    string, not a Path (thousands of episodes)."""
    text = read_text(ctx, shown)
    if text is None or not utf8_name(ctx, name, shown, None):
        return None
    try:
        front, notes, notes_line = split_front_matter(text)
        mapping = parse(front, first_line=2)
    except YAMLSourceError as exc:
        ctx.findings.add("YAML-SYNTAX", shown, exc.line, exc.message)
        return None
    values, ok = f.read_fields(mapping, EPISODE_SCHEMA, shown, ctx.findings, 1, elsewhere=SHOW_ONLY)
    draft, removed = values.get("draft", False), values.get("removed", False)
    stem = name[:-3]  # every episode file's name ends with ".md"
    audios = () if draft or removed else _audio_refs(ctx, shown, stem, mapping, values, siblings)
    image = None
    if "image" in values:
        image = image_ref(ctx, mapping["image"], values["image"], shown)
        ok = ok and image is not None
    persons = pc20.persons(values.get("persons", []), shown, ctx.findings)
    transcripts = tuple(t for t in (_transcript(ctx, shown, item) for item in values.get("transcript", [])) if t)
    chapters, chapters_file = None, None
    if isinstance(values.get("chapters"), list):
        chapters = tuple(Chapter(c["start"], c.get("title"), c.get("url"), c.get("img"), c.get("toc"), c["line"])
                         for c in values["chapters"])
    elif "chapters" in values:
        chapters_file = _text_file(ctx, shown, values["chapters"], mapping["chapters"].line, "chapters")
        ok = ok and chapters_file is not None
    ok = ok and len(persons) == len(values.get("persons", []))
    ok = ok and len(transcripts) == len(values.get("transcript", []))
    if not ok or (audios is None and not (draft or removed)):
        return None
    return Episode(
        source=shown,
        name=name,
        title=values["title"],
        date=values["date"],
        guid=values.get("guid") or default_guid(ctx.guid_namespace, stem),
        lines={key: node.key_line or node.line for key, node in mapping.items()},
        audio=audios[0] if audios else None,
        alternates=tuple(audios[1:]) if audios else (),
        summary=values.get("summary"),
        season=values.get("season"),
        episode=values.get("episode"),
        type=values.get("type"),
        explicit=values.get("explicit"),
        image=image,
        duration=values.get("duration"),
        length=values.get("length"),
        draft=draft,
        removed=removed,
        notes=notes,
        notes_line=notes_line,
        persons=persons,
        transcripts=transcripts,
        chapters=chapters,
        chapters_file=chapters_file,
        soundbites=pc20.soundbites(values.get("soundbites", [])),
        locations=pc20.locations(values.get("location", [])),
    )


TRANSCRIPT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
}


def _text_file(ctx: _Context, shown: str, value: str, line: int | None, key: str) -> MediaRef | None:
    """A transcript or chapters file: a URL as given, or a local file served from the feed's folder."""
    if f.is_url(value):
        return MediaRef(value, None, line)
    rel = local_path(ctx, value, shown, line, key)
    return MediaRef(media_url(ctx.site_url, rel), rel, line) if rel else None


def _transcript(ctx: _Context, shown: str, item: dict) -> Transcript | None:
    value = item.get("url") or item.get("file")
    line = item["line"]
    if not value or ("url" in item and "file" in item):
        ctx.findings.add("TRANSCRIPT", shown, line, "transcript: give either 'file' or 'url'")
        return None
    mime = item.get("type") or TRANSCRIPT_TYPES.get(posixpath.splitext(_url_path(value))[1].lower())
    if mime is None:
        ctx.findings.add(
            "TRANSCRIPT", shown, line,
            f"transcript: cannot tell the type of '{value}': use .vtt, .srt, .json, .html or .txt, "
            "or say it with 'type:'",
        )
        return None
    if item.get("rel") == "captions" and mime in ("text/html", "text/plain"):
        ctx.findings.add("TRANSCRIPT", shown, line, "transcript: captions need timed cues: use WebVTT, SRT or JSON")
        return None
    ref = _text_file(ctx, shown, value, line, "transcript")
    return Transcript(ref, mime, item.get("language"), item.get("rel")) if ref else None


def _url_path(value: str) -> str:
    """The path part of a URL (or the value itself), without query or fragment."""
    try:
        return urlsplit(value).path
    except ValueError:
        return value


def _one_audio(ctx: _Context, shown: str, value: str, line: int | None) -> MediaRef | None:
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", value) and not f.is_url(value):
        ctx.findings.add("ENC-URL", shown, line, f"audio: '{value}' is not an http(s) URL")
        return None
    if f.is_url(value):
        try:
            urlsplit(value).port  # noqa: B018 - parses the host part: refuse a malformed URL here
        except ValueError:
            ctx.findings.add("ENC-URL", shown, line, f"audio: '{value}' is not a valid URL")
            return None
        return MediaRef(value, None, line)
    rel = local_path(ctx, value, shown, line, "audio")
    return MediaRef(media_url(ctx.media_base_url, rel), rel, line) if rel else None


def _audio_refs(
    ctx: _Context, shown: str, stem: str, mapping: dict[str, Node], values: dict, siblings: list[str]
) -> tuple[MediaRef, ...] | None:
    """The episode's audio files, the enclosure first: the `audio:` key, else the one
    sibling file with the same stem."""
    if "audio" in values:
        given = values["audio"]
        entries = [(given, mapping["audio"].line)] if isinstance(given, str) else [
            (item["file"], item["line"]) for item in given]
        if not entries:
            ctx.findings.add("FIELD-VALUE", shown, mapping["audio"].line, "audio: list at least one file")
            return None
        if len({value for value, _ in entries}) < len(entries):
            ctx.findings.add("FIELD-VALUE", shown, mapping["audio"].line, "audio: a file is listed twice")
            return None
        refs = [_one_audio(ctx, shown, value, line) for value, line in entries]
        if any(ref is None for ref in refs):
            return None
        return tuple(ref for ref in refs if ref is not None)
    if len(siblings) == 1:
        rel = local_path(ctx, siblings[0], shown, None, "audio")
        return (MediaRef(media_url(ctx.media_base_url, rel), rel, None),) if rel else None
    if not siblings:
        ctx.findings.add(
            "AUDIO-MISSING", shown, 1,
            f"no audio: add 'audio: <file>' or put {ctx.display(stem)}.mp3 (or .m4a, ...) "
            "next to it",
        )
    else:
        ctx.findings.add(
            "AUDIO-AMBIGUOUS", shown, 1,
            f"{len(siblings)} audio files share this episode's name ({', '.join(siblings)}): "
            "say which one with 'audio: <file>'",
        )
    return None
