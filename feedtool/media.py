"""Probe stage for one episode: its audio files, chapters, transcripts and soundbites.

Everything here needs the audio's facts (the duration above all), so it runs after
loading and before rendering; the result is a `Published` ready for the feed.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, urlsplit

from . import chapters as chapter_files
from . import transcripts
from .findings import Findings
from .folder import name_prefix
from .http import RemoteError
from .model import Chapter, Episode, MediaInfo, MediaRef, Published
from .probe import Probe, ProbeError, mime_for, probe
from .remote import RemoteProbe

CHAPTERS_FOLDER = "chapters"


def chapters_path(episode: Episode) -> str:
    """Where an episode's generated JSON chapters go, relative to the output folder."""
    return f"{CHAPTERS_FOLDER}/{Path(episode.name).stem}.json"


def probe_ref(folder: Path, episode: Episode, ref: MediaRef, findings: Findings,
              remote: Mapping[str, RemoteProbe | RemoteError],
              local: Mapping[str, Probe | ProbeError] | None = None) -> Probe | None:
    """One audio file's facts, from the probes done beforehand in parallel (`local`, `remote`)."""
    line = ref.line or 1
    if ref.path is None:
        mime = mime_for(urlsplit(ref.url).path)
        if mime is None:
            findings.add(
                "AUDIO-FORMAT", episode.source, line,
                f"audio: cannot tell the audio type of {ref.url} from its extension "
                "(.mp3, .m4a, .ogg, .opus, .flac, .wav)",
            )
            return None
        result = remote.get(ref.url)
        if result is None:  # duration and length given: nothing to probe
            return Probe(MediaInfo(episode.duration or 0.0, episode.length or 0, mime))
        if isinstance(result, RemoteError):
            findings.add(result.rule, episode.source, line, f"audio {ref.url}: {result}")
            return None
        if result.note:
            rule = "REMOTE-ESTIMATE" if result.estimated else "MP3-ESTIMATE"
            findings.add(rule, episode.source, line, f"audio {ref.url}: {result.note}")
        if result.truncated and not _accepted(episode, ref):
            findings.add("AUDIO-TRUNCATED", episode.source, line,
                         f"audio {ref.url}: {_cut_short_message(result.truncated, result.info)}")
            return None
        return Probe(result.info)
    path = name_prefix(folder) + ref.path  # str(folder / ref.path), as `local` is keyed
    result = (local or {}).get(path)
    if result is None:
        try:
            result = probe(path)
        except ProbeError as exc:
            result = exc
    if isinstance(result, ProbeError):
        findings.add(result.rule, episode.source, line, f"audio {Path(path).as_posix()}: {result}")
        return None
    if result.note:
        findings.add("MP3-ESTIMATE", episode.source, line, f"audio {Path(path).as_posix()}: {result.note}")
    if result.truncated and not _accepted(episode, ref):
        findings.add("AUDIO-TRUNCATED", episode.source, line,
                     f"audio {Path(path).as_posix()}: {_cut_short_message(result.truncated, result.info)}")
        return None
    return result


def _accepted(episode: Episode, ref: MediaRef) -> bool:
    """Whether the publisher accepted a truncated file as it is, by giving its duration."""
    return ref is episode.audio and bool(episode.duration)


def _cut_short_message(why: str, info: MediaInfo) -> str:
    """AUDIO-TRUNCATED's message: what the file holds, and the two ways on."""
    return (f"{why}. Listeners would reach its end early: export or upload the whole file "
            f"again, or, to publish what it holds, add 'duration: {max(1, round(info.duration))}' to the front "
            "matter")


def remote_urls(episode: Episode) -> list[str]:
    """The episode's audio URLs that need probing over HTTP (not when both overrides are given)."""
    assert episode.audio is not None
    main = [] if episode.duration and episode.length is not None else [episode.audio]
    return [ref.url for ref in (*main, *episode.alternates) if ref.path is None]


def resolve(folder: Path, site_url: str, episode: Episode, findings: Findings,
            remote: Mapping[str, RemoteProbe | RemoteError] | None = None,
            resolve_redirects: bool = False,
            local: Mapping[str, Probe | ProbeError] | None = None) -> Published | None:
    """Probe the episode's audio and check what depends on it; None if anything is wrong."""
    assert episode.audio is not None
    remote = remote or {}
    if resolve_redirects:  # publish the address the server redirects to (the probes filed under it too)
        moved: dict[str, RemoteProbe | RemoteError] = {}
        episode = replace(episode, audio=_final(episode.audio, remote, moved),
                          alternates=tuple(_final(ref, remote, moved) for ref in episode.alternates))
        remote = ChainMap(moved, remote)  # not a copy of every episode's probes for each episode
    refs = (episode.audio, *episode.alternates)
    probes = [probe_ref(folder, episode, ref, findings, remote, local) for ref in refs]
    if any(p is None for p in probes):
        return None
    main = probes[0]
    assert main is not None
    info = MediaInfo(
        duration=episode.duration or main.info.duration,
        length=episode.length if episode.length is not None else main.info.length,
        mime=main.info.mime,
        bitrate=main.info.bitrate,
        codec=main.info.codec,
    )
    alternates = tuple((ref, p.info if i else info) for i, (ref, p) in enumerate(zip(refs, probes, strict=True))
                       if p is not None)
    found_chapters, chapters_url, chapters_source = _chapters(folder, episode, main, findings)
    ok = found_chapters is not None
    found_chapters = found_chapters or ()
    if found_chapters and not chapter_files.validate(found_chapters, info.duration, chapters_source, findings):
        ok = False
    if found_chapters and chapters_url is None:
        chapters_url = site_url + quote(chapters_path(episode))
    for transcript in episode.transcripts:
        if transcript.ref.path is not None:
            transcripts.check(folder / transcript.ref.path, transcript.type, info.duration, findings)
    for bite in episode.soundbites:
        if bite.duration <= 0 or bite.start + bite.duration > info.duration:
            findings.add(
                "SOUNDBITE", episode.source, bite.line,
                f"the soundbite {bite.start:g}–{bite.start + bite.duration:g} s runs past the end of the "
                f"audio ({info.duration:.1f} s)",
            )
            ok = False
    if not ok:
        return None
    return Published(episode, info, alternates if episode.alternates else (), found_chapters, chapters_url)


def _final(ref: MediaRef, remote: Mapping[str, RemoteProbe | RemoteError],
           moved: dict[str, RemoteProbe | RemoteError]) -> MediaRef:
    """The reference with the URL its server redirects to (and the probe filed under it, in `moved`)."""
    result = remote.get(ref.url)
    if isinstance(result, RemoteProbe) and result.final_url != ref.url:
        moved[result.final_url] = result
        return replace(ref, url=result.final_url)
    return ref


def _chapters(
    folder: Path, episode: Episode, main: Probe, findings: Findings
) -> tuple[tuple[Chapter, ...] | None, str | None, str]:
    """(chapters to write, URL of a chapters file we don't write, the file they come from);
    None chapters on error."""
    if episode.chapters is not None:
        return episode.chapters, None, episode.source
    ref = episode.chapters_file
    if ref is not None and ref.path is None:
        return (), ref.url, episode.source  # the publisher's own chapters URL: linked as it is
    if ref is not None and ref.path is not None:
        path = folder / ref.path
        return chapter_files.read_json(path, episode.source, findings), None, path.as_posix()
    audio = episode.audio
    source = (folder / audio.path).as_posix() if main.chapters and audio and audio.path else episode.source
    return main.chapters, None, source  # (the source names the file only in messages about its chapters)
