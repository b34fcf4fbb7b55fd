"""Probe stage for one episode: its audio files, chapters, transcripts and soundbites.

Everything here needs the audio's facts (the duration above all), so it runs after
loading and before rendering; the result is a `Published` ready for the feed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from . import chapters as chapter_files
from . import transcripts
from .findings import Findings
from .model import Chapter, Episode, MediaInfo, MediaRef, Published
from .probe import Probe, ProbeError, mime_for, probe

CHAPTERS_FOLDER = "chapters"


def chapters_path(episode: Episode) -> str:
    """Where an episode's generated JSON chapters go, relative to the output folder."""
    return f"{CHAPTERS_FOLDER}/{Path(episode.name).stem}.json"


def probe_ref(folder: Path, episode: Episode, ref: MediaRef, findings: Findings) -> Probe | None:
    """Probe one audio file of an episode; a URL gets only its type (from the extension)."""
    line = ref.line or 1
    if ref.path is None:
        mime = mime_for(ref.url.split("?", 1)[0])
        if mime is None:
            findings.add(
                "AUDIO-FORMAT", episode.source, line,
                f"audio: cannot tell the audio type of {ref.url} from its extension "
                "(.mp3, .m4a, .ogg, .opus, .flac, .wav)",
            )
            return None
        return Probe(MediaInfo(0.0, 0, mime))
    shown = (folder / ref.path).as_posix()
    try:
        result = probe(folder / ref.path)
    except ProbeError as exc:
        findings.add(exc.rule, episode.source, line, f"audio {shown}: {exc}")
        return None
    if result.note:
        findings.add("MP3-ESTIMATE", episode.source, line, f"audio {shown}: {result.note}")
    return result


def resolve(folder: Path, site_url: str, episode: Episode, findings: Findings) -> Published | None:
    """Probe the episode's audio and check what depends on it; None if anything is wrong."""
    assert episode.audio is not None
    refs = (episode.audio, *episode.alternates)
    probes = [probe_ref(folder, episode, ref, findings) for ref in refs]
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
    found_chapters, chapters_url = _chapters(folder, episode, main, findings)
    ok = found_chapters is not None
    found_chapters = found_chapters or ()
    if found_chapters and not chapter_files.validate(found_chapters, info.duration, episode.source, findings):
        ok = False
    if found_chapters and chapters_url is None:
        chapters_url = site_url + quote(chapters_path(episode))
    for transcript in episode.transcripts:
        if transcript.ref.path is not None:
            transcripts.check(folder / transcript.ref.path, transcript.type, info.duration, findings)
    for bite in episode.soundbites:
        if bite.start + bite.duration > info.duration + 0.5:
            findings.add(
                "SOUNDBITE", episode.source, bite.line,
                f"the soundbite {bite.start:g}–{bite.start + bite.duration:g} s runs past the end of the "
                f"audio ({info.duration:.1f} s)",
            )
            ok = False
    if not ok:
        return None
    return Published(episode, info, alternates if episode.alternates else (), found_chapters, chapters_url)


def _chapters(
    folder: Path, episode: Episode, main: Probe, findings: Findings
) -> tuple[tuple[Chapter, ...] | None, str | None]:
    """(chapters to write, URL of a chapters file we don't write); None chapters on error."""
    if episode.chapters is not None:
        return episode.chapters, None
    ref = episode.chapters_file
    if ref is not None and ref.path is None:
        return (), ref.url  # the publisher's own chapters URL: linked as it is
    if ref is not None and ref.path is not None:
        return chapter_files.read_json(folder / ref.path, episode.source, findings), None
    return main.chapters, None
