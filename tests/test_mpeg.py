"""The MP3 frame walk and the search for where the audio ends, on generated streams.

Streams are built from synthetic frames of random MPEG versions, layers, rates and
bitrates (several kinds in one stream, as joined files have), with random junk and the
tags taggers append (ID3v1, APEv2, Lyrics3). Two properties:

- the fast walk counts exactly what a plain one-frame-at-a-time reference walk counts,
  whose header decoding is written here from the standard's formulas, on any bytes;
- on streams without stray sync bytes, both count exactly the frames that were generated,
  and `audio_end` finds exactly where the tags begin.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedtool.mpeg import audio_end, header_promise, walk

# -- the reference: ISO 11172-3 / 13818-3 as textbooks give them --------------------------

VERSIONS = {0b11: "1", 0b10: "2", 0b00: "2.5"}
LAYERS = {0b11: 1, 0b10: 2, 0b01: 3}
KBPS = {
    ("1", 1): [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    ("1", 2): [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    ("1", 3): [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    ("2", 1): [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    ("2", 2): [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
KBPS[("2", 3)] = KBPS[("2", 2)]
for _layer in (1, 2, 3):
    KBPS[("2.5", _layer)] = KBPS[("2", _layer)]
HZ = {"1": [44100, 48000, 32000], "2": [22050, 24000, 16000], "2.5": [11025, 12000, 8000]}


@dataclass(frozen=True)
class Header:
    size: int
    samples: int
    rate: int
    kind: tuple[str, int, int]  # version, layer, rate: what one stream's frames share


def decode(data: bytes, pos: int, end: int) -> Header | None:
    """The frame whose header is at pos, if the header is valid and the frame ends by `end`."""
    if pos + 4 > end or data[pos] != 0xFF or data[pos + 1] >> 5 != 0b111:
        return None
    version = VERSIONS.get((data[pos + 1] >> 3) & 3)
    layer = LAYERS.get((data[pos + 1] >> 1) & 3)
    index, rate_index, padding = data[pos + 2] >> 4, (data[pos + 2] >> 2) & 3, (data[pos + 2] >> 1) & 1
    if version is None or layer is None or not 1 <= index <= 14 or rate_index == 3:
        return None
    bps, rate = KBPS[(version, layer)][index - 1] * 1000, HZ[version][rate_index]
    if layer == 1:
        size, samples = (12 * bps // rate + padding) * 4, 384
    elif layer == 2 or version == "1":
        size, samples = 144 * bps // rate + padding, 1152
    else:
        size, samples = 72 * bps // rate + padding, 576
    if pos + size > end:
        return None
    return Header(size, samples, rate, (version, layer, rate))


def reference_walk(data: bytes, start: int, end: int) -> tuple[int, dict[int, int]]:
    """(frames, samples by rate): out of sync, a frame starts a run if the end or a frame of
    its kind follows it; in sync, every following frame of the kind counts; else one byte on."""
    frames, samples, pos = 0, {}, start
    while pos < end:
        header = decode(data, pos, end)
        if header is not None:
            after = decode(data, pos + header.size, end)
            if pos + header.size == end or (after is not None and after.kind == header.kind):
                kind = header.kind
                while header is not None and header.kind == kind:
                    frames += 1
                    samples[header.rate] = samples.get(header.rate, 0) + header.samples
                    pos += header.size
                    header = decode(data, pos, end)
                continue
        pos += 1
    return frames, samples


# -- generated streams -----------------------------------------------------------------------

KINDS = [(v, layer, r) for v in (0b11, 0b10, 0b00) for layer in (0b11, 0b10, 0b01) for r in range(3)]


def clean(data: bytes) -> bytes:
    """Bytes with no 0xFF and no tag signature in them."""
    return bytes(byte & 0x3F for byte in data)


@st.composite
def frame(draw, kind: tuple[int, int, int], tidy: bool) -> bytes:
    version, layer, rate = kind
    second = 0xE0 | version << 3 | layer << 1 | draw(st.integers(0, 1))  # CRC-protected or not
    third = draw(st.integers(1, 14)) << 4 | rate << 2 | draw(st.integers(0, 1)) << 1
    header = bytes((0xFF, second, third, draw(st.integers(0, 255))))
    size = decode(header + bytes(3000), 0, 3004).size
    payload = draw(st.binary(min_size=size - 4, max_size=size - 4))
    return header + (clean(payload) if tidy else payload)


@st.composite
def segment(draw, tidy: bool) -> list[bytes]:
    kind = draw(st.sampled_from(KINDS))
    return draw(st.lists(frame(kind, tidy), min_size=2 if tidy else 1, max_size=6))


def id3v1(text: bytes) -> bytes:
    return b"TAG" + text.ljust(125, b" ")[:125]


def apev2(items: bytes, with_header: bool) -> bytes:
    body = items + b"\0" * 8
    size = len(body) + 32
    flags = 0xA000_0000 if with_header else 0
    footer = b"APETAGEX" + (2000).to_bytes(4, "little") + size.to_bytes(4, "little") + (1).to_bytes(4, "little")
    header = footer[:20] + flags.to_bytes(4, "little") + bytes(8)
    return (header if with_header else b"") + body + footer[:20] + (flags & ~0x2000_0000).to_bytes(4, "little") \
        + bytes(8)


def lyrics3(text: bytes) -> bytes:
    body = b"LYRICSBEGIN" + b"LYR" + f"{len(text):05d}".encode() + text
    return body + f"{len(body):06d}".encode() + b"LYRICS200"


@st.composite
def tags(draw, text: st.SearchStrategy[bytes]) -> bytes:
    """What taggers append after the audio: nothing, or ID3v1, APEv2, Lyrics3 and stacks of them."""
    kinds = draw(st.sampled_from(["", "id3v1", "ape", "ape+id3v1", "lyrics3+id3v1", "lyrics3"]))
    out = b""
    if "ape" in kinds:
        out += apev2(draw(text), draw(st.booleans()))
    if "lyrics3" in kinds:
        out += lyrics3(draw(text))
    if "id3v1" in kinds:
        out += id3v1(draw(text))
    return out


@st.composite
def stream(draw, tidy: bool) -> tuple[bytes, int, int, dict[int, int]]:
    """(bytes, where the audio ends, frames generated, samples generated by rate)."""
    junk = st.binary(max_size=40).map(clean) if tidy else st.binary(max_size=40)
    out = bytearray(draw(junk))
    frames, samples = 0, {}
    for part in draw(st.lists(segment(tidy), min_size=1, max_size=4)):
        if draw(st.booleans()):
            out += draw(junk)
        for one in part:
            header = decode(one, 0, len(one))
            frames += 1
            samples[header.rate] = samples.get(header.rate, 0) + header.samples
            out += one
    if not tidy and draw(st.booleans()):  # a cut last frame
        out = out[: len(out) - draw(st.integers(1, 30))]
    out += draw(junk)
    end = len(out)
    text = st.binary(min_size=0, max_size=60)
    if tidy:
        text = text.map(clean)
    out += draw(tags(text))
    return bytes(out), end, frames, samples


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(stream(tidy=False))
def test_the_walk_counts_what_the_reference_walk_counts(generated) -> None:
    data, _, _, _ = generated
    end = audio_end(lambda offset, count: data[offset : offset + count], len(data))
    walked = walk(data, 0, end)
    assert (walked.frames, walked.samples) == reference_walk(data, 0, end)


@SETTINGS
@given(stream(tidy=True))
def test_every_generated_frame_is_counted_and_no_tag_byte(generated) -> None:
    data, end_of_audio, frames, samples = generated
    end = audio_end(lambda offset, count: data[offset : offset + count], len(data))
    assert end == end_of_audio
    walked = walk(data, 0, end)
    assert (walked.frames, walked.samples) == (frames, samples)
    assert reference_walk(data, 0, end) == (frames, samples)
    assert walked.seconds == sum(count / rate for rate, count in sorted(samples.items()))


def test_a_latin1_id3v1_comment_is_no_frame() -> None:
    """The bytes that made a 30 s file 55 s long: a comment whose Latin-1 text is a header."""
    one = bytes((0xFF, 0xFB, 0x90, 0x44)) + bytes(413)  # MPEG-1 layer III, 128 kbps, 44.1 kHz
    audio = one * 20
    data = audio + id3v1("Naïve ÿã\x90 review · Café ÿóD".encode("latin-1"))
    end = audio_end(lambda offset, count: data[offset : offset + count], len(data))
    assert end == len(audio)
    assert walk(data, 0, end).frames == 20
    assert walk(data, 0, len(data)).frames == reference_walk(data, 0, len(data))[0]



# -- the Xing/Info and VBRI headers, against mutagen's reading of them ------------------------


@st.composite
def vbr_header_frame(draw) -> tuple[bytes, SimpleNamespace]:
    """A first frame (layer III) with a Xing/Info or VBRI header, or damaged bytes where one
    would be, and what mutagen's MPEGInfo would say of its header fields."""
    version, rate = draw(st.sampled_from([0b11, 0b10, 0b00])), draw(st.integers(0, 2))
    mode = draw(st.integers(0, 3))
    header = bytes((0xFF, 0xE0 | version << 3 | 0b01 << 1 | 1, draw(st.integers(1, 14)) << 4 | rate << 2,
                    mode << 6))
    info = SimpleNamespace(layer=3, version={0b11: 1, 0b10: 2, 0b00: 2.5}[version], mode=mode, frame_offset=0)
    at = (21 if mode == 3 else 36) if version == 0b11 else (13 if mode == 3 else 21)
    body = bytearray(draw(st.binary(min_size=300, max_size=300)))
    kind = draw(st.sampled_from(["Xing", "Info", "VBRI", "none"]))
    if kind in ("Xing", "Info"):
        flags = draw(st.integers(0, 15))
        fields = b"".join(draw(st.binary(min_size=n, max_size=n)) for bit, n in ((1, 4), (2, 4), (4, 100), (8, 4))
                          if flags & bit)
        body[at - 4 : at + 4 + len(fields)] = kind.encode() + flags.to_bytes(4, "big") + fields
    elif kind == "VBRI":
        entries, size = draw(st.integers(0, 40)), draw(st.integers(1, 4))
        body[32:58] = (b"VBRI" + draw(st.sampled_from([b"\0\1", b"\0\2"])) + draw(st.binary(min_size=12, max_size=12))
                       + entries.to_bytes(2, "big") + draw(st.binary(min_size=2, max_size=2))
                       + size.to_bytes(2, "big") + draw(st.binary(min_size=2, max_size=2)))
    data = header + bytes(body)
    return data[: draw(st.integers(40, len(data)))], info  # cut anywhere after the frame header


def mutagen_promise(data: bytes, info: SimpleNamespace) -> tuple[int, int] | None:
    """(frames, bytes) as mutagen's MPEGFrame reads them: Xing first, then VBRI."""
    from mutagen.mp3 import VBRIHeader, VBRIHeaderError, XingHeader, XingHeaderError

    for kind, failure in ((XingHeader, XingHeaderError), (VBRIHeader, VBRIHeaderError)):
        handle = io.BytesIO(data)
        handle.seek(kind.get_offset(info))
        try:
            found = kind(handle)
        except failure:
            continue
        return found.frames, found.bytes
    return None


@SETTINGS
@given(vbr_header_frame())
def test_the_xing_and_vbri_fields_are_read_as_mutagen_reads_them(generated) -> None:
    data, info = generated
    promise = header_promise(lambda offset, count: data[offset : offset + count], info, len(data))
    assert (None if promise is None else (promise.frames, promise.bytes)) == mutagen_promise(data, info)
