"""Every rule feedtool checks: its id, level, one-line explanation and source.

This table is the single source for a finding's level and for the README's rule
table (a test keeps the two in step). Sources: AP = Apple's "A Podcaster's Guide to
RSS"; FV = the W3C feed validator; PI = the Podcasting 2.0 namespace; SP = Spotify's
metadata requirements; RSS = the RSS 2.0 spec and Best Practices Profile; XML = XML
1.0; GP/AN = gPodder's podcastparser and AntennaPod, as observed; FT = feedtool's own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.IntEnum):
    """How bad a finding is; errors stop a build before anything is written."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()


E, W, I = Level.ERROR, Level.WARNING, Level.INFO  # noqa: E741 - table shorthand


@dataclass(frozen=True)
class Rule:
    level: Level
    summary: str
    source: str


RULES: dict[str, Rule] = {
    # reading the show folder
    "SHOW-MISSING": Rule(E, "The show folder or its show.yaml is missing.", "FT"),
    "FILE-UNREADABLE": Rule(E, "A file cannot be read.", "FT"),
    "FILE-ENCODING": Rule(E, "A text file is not UTF-8.", "AP, FV NotUTF8"),
    "FILE-NAME": Rule(E, "A file name is not UTF-8, so it cannot be part of a URL.", "FT"),
    "YAML-SYNTAX": Rule(E, "Invalid YAML, a repeated key, aliases, or no front matter.", "FT"),
    "FIELD-REQUIRED": Rule(E, "A required key is missing or empty.", "AP, SP, RSS"),
    "FIELD-VALUE": Rule(E, "A value has the wrong form (type, date, number, URL).", "AP, FV"),
    "FIELD-UNKNOWN": Rule(W, "An unknown key is ignored (often a typo).", "FT"),
    "XML-CHARS": Rule(W, "Characters XML 1.0 forbids were removed.", "XML §2.2, FV"),
    "CATEGORY": Rule(E, "Not an Apple category, or a subcategory of another one.", "AP, FV"),
    "LANG": Rule(E, "The language is not an ISO 639 code with optional region.", "AP"),
    "EXPLICIT": Rule(E, "itunes:explicit must be true or false.", "AP, FV"),
    "OWNER-EMAIL": Rule(E, "The owner email is not a valid address.", "AP, SP, FV"),
    "SHOW-TYPE": Rule(E, "itunes:type is episodic or serial; serial needs itunes:episode on every item.",
                      "AP, FV"),
    "EP-TYPE": Rule(E, "itunes:episodeType is full, trailer or bonus.", "AP, FV"),
    "PATH-OUTSIDE": Rule(E, "A media path leads outside the show folder.", "FT"),
    "AUDIO-MISSING": Rule(E, "An episode has no audio file.", "RSS, AP ENC-ONE"),
    "AUDIO-AMBIGUOUS": Rule(E, "Several audio files could be the episode's.", "FT"),
    "AUDIO-FORMAT": Rule(E, "The audio format is not supported.", "FT"),
    "AUDIO-UNREADABLE": Rule(E, "The audio file is damaged, empty or not of its type.", "FT"),
    "AUDIO-TRUNCATED": Rule(E, "The audio file holds less audio than its header promises (cut short).", "FT"),
    "REMOTE-UNREACHABLE": Rule(E, "A URL cannot be reached: connection, timeout or redirect loop.", "AP ENC-HOST"),
    "REMOTE-UNVERIFIED": Rule(W, "Linked artwork, a transcript or chapters could not be checked (unreachable, "
                                 "--offline).", "FT"),
    "REMOTE-OFFLINE": Rule(E, "--offline, and a remote enclosure's duration or length is unknown.", "FT"),
    "REMOTE-STATUS": Rule(E, "A URL answers with an HTTP error (4xx/5xx).", "AP ENC-HOST"),
    "REMOTE-RANGE": Rule(E, "The server does not answer byte-range requests correctly (206).", "AP ENC-HOST"),
    "REMOTE-LENGTH": Rule(E, "The server's Content-Length is missing or disagrees with the file.", "RSS ENC-LEN"),
    "HOST-HEAD": Rule(E, "A media URL does not answer HEAD requests.", "AP ENC-HOST"),
    "HOST-TYPE": Rule(W, "A URL is served with a Content-Type other than the feed says.", "AP, AN"),
    "REMOTE-ESTIMATE": Rule(W, "A remote MP3 is too big to count its frames: its duration is estimated.", "FT"),
    "IMAGE-MISSING": Rule(E, "An image file does not exist.", "AP ART"),
    "IMAGE-TYPE": Rule(E, "Artwork must be JPEG or PNG with a matching extension.", "AP ART, FV"),
    "IMAGE-URL": Rule(W, "An artwork URL is plain http.", "AP ART"),
    "GUID-DUPLICATE": Rule(E, "Two episodes share a guid.", "AP, SP, FV, GP, AN"),
    "NO-EPISODES": Rule(E, "Nothing to publish: directories reject a feed without episodes.", "SP"),
    "MP3-ESTIMATE": Rule(I, "An MP3 was measured by counting its frames (no header, or a header that undercounts).",
                         "FT"),
    "SCHEDULED": Rule(I, "The episode is dated in the future and left out until then.", "FV, AN"),
    "DRAFT": Rule(I, "The episode is a draft and left out.", "FT"),
    "WRITE-FAILED": Rule(E, "The output folder cannot be written.", "FT"),
    "NOTES-LEN": Rule(W, "Show notes over 4000 bytes: <description> gets the plain summary.", "AP, PN"),
    "NOTES-DEPTH": Rule(W, "Show notes nest HTML more than 500 deep: they are published as plain text.", "FT"),
    "REMOVED": Rule(I, "The episode is marked removed: true and left out on purpose.", "FT"),
    "PERSON": Rule(E, "A person's role or group is not in the Podcast Taxonomy, or not together.", "PI"),
    "LOCATION": Rule(E, "A location's geo, osm or country is malformed.", "PI"),
    "MEDIUM": Rule(E, "podcast:medium is not one of the namespace's values.", "PI"),
    "LICENSE": Rule(E, "A licence is neither well-known nor given with the URL of its terms.", "PI"),
    "TRANSCRIPT": Rule(E, "A transcript is malformed or of an unknown type.", "PI, AN"),
    "TRANSCRIPT-RANGE": Rule(W, "A transcript cue ends after the audio.", "FT"),
    "CHAPTERS": Rule(E, "Chapters are out of order, repeat, start after the audio, or are malformed.", "PI"),
    "SOUNDBITE": Rule(E, "A soundbite runs past the end of the audio.", "PI"),
    # checks on the show and its episodes
    "DESC-LEN": Rule(E, "The show description is over 4000 bytes.", "AP, PN"),
    "TEXT-LEN": Rule(W, "A title, name or summary is longer than Apple shows (255; summary 4000).",
                     "AP, FV TooLong"),
    "ART-SIZE": Rule(E, "Artwork must be square, 1400 to 3000 px.", "AP ART, PB"),
    "ART-MODE": Rule(E, "Artwork must be RGB, without transparency.", "AP ART"),
    "ART-BYTES": Rule(W, "Artwork over 512 KB.", "PRX help centre"),
    "TITLE-DUPLICATE": Rule(W, "Two episodes (not trailers) have the same title.", "AP, AN"),
    "TITLE-NUMBER": Rule(W, "A title carries an episode number or the show's name.", "AP"),
    "GUID-SHORT": Rule(W, "A guid is a short number (under 9 digits).", "FV NotSufficientlyUnique"),
    "EPISODE-DUPLICATE": Rule(W, "Two full episodes have the same season and episode number.", "AP"),
    "SERIAL-GAP": Rule(W, "A serial show's episode numbers have a gap.", "AP"),
    "ENC-URL": Rule(E, "An audio URL is not http(s) or has characters that must be percent-encoded.",
                    "RSS, FV"),
    "ENC-HTTPS": Rule(W, "An audio URL is plain http.", "GG, AP"),
    "ENC-UNIQUE": Rule(E, "Two episodes use the same audio URL.", "PRX help centre, AN"),
    "ENC-TYPE": Rule(W, "The audio type is not one Apple Podcasts accepts (MP3, M4A, …).", "AP, FV"),
    "DURATION": Rule(E, "The audio is shorter than one second.", "AP"),
    "DURATION-LONG": Rule(W, "The duration is over 12 hours.", "FT"),
    "PUBDATE-OLD": Rule(W, "The date is before 1990.", "FV ImplausibleDate"),
    # checks on the rendered feed
    "XML-WF": Rule(E, "The feed is not well-formed XML.", "XML, AP"),
    "XML-NS": Rule(E, "A namespace URI is missing or misspelled.", "AP, PI"),
    "RSS-CORE": Rule(E, 'The document is not <rss version="2.0"><channel>.', "RSS"),
    "APPLE-CH-REQ": Rule(E, "The channel lacks a tag Apple requires.", "AP, FV"),
    "ITEM-REQ": Rule(E, "An item lacks a title, guid, pubDate or exactly one full enclosure.", "AP, RSS, SP"),
    "PUBDATE": Rule(E, "A pubDate is not RFC 2822 with a four-digit year and the right weekday.", "AP, FV"),
    "SELF-LINK": Rule(W, "No absolute atom:link rel=self.", "FV"),
    "PC-GUID": Rule(W, "podcast:guid is not a UUID.", "PI"),
    "PAGING": Rule(W, "Older episodes are only in archive pages, which Apple and Spotify do not read.",
                   "RSS 5005, GP, AN"),
    "PC-HTTPS": Rule(W, "A URL inside a podcast: tag is not https.", "PI"),
    "NO-WS": Rule(W, "A value has leading or trailing whitespace.", "AP, FV"),
    "CACHE": Rule(W, "The build cache was damaged, foreign or not writable, and was discarded.", "FT"),
    "PING-FAILED": Rule(W, "A hub or ping service did not accept the update notification.", "FT"),
    # the publish guard
    "GUARD-FIRST": Rule(I, "There is no previous feed: this is a first publish.", "FT"),
    "GUARD-PREVIOUS": Rule(E, "The previously published feed could not be read.", "FT"),
    "GUARD-NONE": Rule(W, "In CI, no previous feed to compare with and no --previous: the guard is off.", "FT"),
    "GUARD-REMOVED": Rule(E, "A published episode would disappear from the feed.", "AP, GP, AN"),
    "GUARD-ENCLOSURE": Rule(E, "A published episode's audio URL would change.", "AP, AN"),
    "GUARD-SHOW": Rule(E, "The feed's podcast:guid or feed URL would change.", "PI, AP"),
    "GUARD-ALLOWED": Rule(I, "A guarded change went through because it was allowed.", "FT"),
    "GUARD-UNKNOWN": Rule(W, "--allow-removal names a guid the published feed does not have.", "FT"),
    # feedtool new and import
    "NEW-EXISTS": Rule(E, "The episode file that `new` would write already exists.", "FT"),
    "NOTES-TEMPLATE": Rule(W, "The show notes still have the template text of `feedtool new`.", "FT"),
    "IMPORT-EXISTS": Rule(E, "The folder already holds a show (use --update).", "FT"),
    "IMPORT-FETCH": Rule(E, "The feed to import cannot be fetched or read.", "FT"),
    "IMPORT-SIZE": Rule(E, "The feed to import is larger than the size limit.", "FT"),
    "IMPORT-UNSAFE": Rule(E, "The feed to import declares XML entities.", "FT"),
    "IMPORT-XML": Rule(E, "The feed to import is not well-formed XML or not RSS.", "FT"),
    "IMPORT-DUPLICATE": Rule(W, "Two items of the imported feed share a guid: the first is kept.", "FT"),
    "IMPORT-INCOMPLETE": Rule(W, "The imported feed lacks something a build needs: add it by hand.", "FT"),
}
