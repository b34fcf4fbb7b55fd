"""Rules about the feed document itself: namespaces, required tags, whitespace, dates.

feedtool renders these right by construction; checking the rendered bytes keeps it
that way (and catches a hand-edited template or a future regression).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from lxml import etree

from ..findings import Findings

NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
    "podcast": "https://podcastindex.org/namespace/1.0",
}
CHANNEL_REQUIRED = ("title", "link", "description", "language", "itunes:image/@href",
                    "itunes:category/@text", "itunes:explicit", "itunes:author")
ItemFinding = tuple[str, int, str]  # (rule, line within the item, message)
ITEM_REQUIRED = ("title", "guid", "pubDate", "enclosure/@url", "enclosure/@length", "enclosure/@type")


def check_feed(xml: bytes, source: str, findings: Findings,
               known: Mapping[str, Sequence[ItemFinding]] | None = None,
               parts: tuple[bytes, Sequence[tuple[str, bytes]], bytes] | None = None,
               ) -> dict[str, tuple[ItemFinding, ...]]:
    """Check the rendered feed; `source` names it in findings (the feed's path).

    An item whose guid is in `known` was checked by an earlier build, with the same bytes:
    its findings, kept as (rule, line within the item, message), are reported again at
    its place. Returns the findings of the items checked now, in that form, by guid.
    `parts`: the feed as rendered, (the channel up to its items, the items as (guid, XML),
    the rest); the known items are then not even parsed (blank lines stand in for them,
    so that every line number stays), which is most of the work in a rebuild.
    """
    checked: dict[str, tuple[ItemFinding, ...]] = {}
    plan: list[tuple[str, int, Sequence[ItemFinding] | None]] = []  # (guid, line, known findings)
    blanked, counts = False, Counter[str]()  # counts: how many items have each guid
    if parts is not None and known:
        blanked, (head, rendered, tail) = True, parts
        counts = Counter(guid for guid, _ in rendered)
        line, pieces = head.count(b"\n") + 1, [head]
        for guid, item_xml in rendered:
            earlier = known.get(guid) if counts[guid] == 1 else None
            plan.append((guid, line, earlier))
            lines = item_xml.count(b"\n")
            pieces.append(item_xml if earlier is None else b"\n" * lines)
            line += lines
        xml = b"".join((*pieces, tail))
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        findings.add("XML-WF", source, exc.lineno, f"the feed is not well-formed XML: {exc.msg}")
        return checked
    for prefix, uri in NAMESPACES.items():
        if root.nsmap.get(prefix) != uri:
            findings.add(
                "XML-NS", source, root.sourceline,
                f"xmlns:{prefix} must be {uri}, got {root.nsmap.get(prefix)}",
            )
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        findings.add("RSS-CORE", source, root.sourceline, 'the feed must be <rss version="2.0"><channel>')
        return checked
    _required(channel, CHANNEL_REQUIRED, "channel", source, findings)
    items = channel.findall("item")  # without the blanked ones
    if not blanked:
        guids = [item.findtext("guid") or "" for item in items]
        counts = Counter(guids)  # a shared guid is an error of its own: such items are checked afresh
        plan = [(guid, item.sourceline or 0, known.get(guid) if known and counts[guid] == 1 else None)
                for item, guid in zip(items, guids, strict=True)]
    shared = {guid for guid, count in counts.items() if count > 1}
    parsed = iter(items)
    for guid, start, earlier in plan:
        if earlier is not None:
            for rule, offset, message in earlier:
                findings.add(rule, source, start + offset, message)
            if not blanked:
                next(parsed)
            continue
        item = next(parsed)
        count = len(findings)
        _check_item(item, source, findings)
        found = findings.since(count)
        if guid not in shared:
            checked[guid] = tuple((rule, (line or start) - start, message) for rule, _, line, message in found)
    self_links = channel.xpath("atom:link[@rel='self']/@href", namespaces=NAMESPACES)
    if not self_links or not urlsplit(self_links[0]).scheme.startswith("http"):
        findings.add(
            "SELF-LINK", source, channel.sourceline,
            "the channel needs <atom:link rel=\"self\"> with the feed's absolute URL",
        )
    for guid in channel.xpath("podcast:guid/text()", namespaces=NAMESPACES):
        try:
            uuid.UUID(guid)
        except ValueError:
            findings.add("PC-GUID", source, channel.sourceline, f"podcast:guid '{guid}' is not a UUID")
    _check_whitespace([channel, *(e for child in channel if child.tag != "item" for e in child.iter())],
                      source, findings)
    return checked


def check_item(element: etree._Element, xml: bytes, namespaces: Mapping[str, str]) -> tuple[ItemFinding, ...]:
    """What `check_feed` will find in one item, in the form it keeps for items it knows:
    checked as rendered (`element`, whose bytes in the channel are `xml`, with the feed's
    `namespaces`) when the item is made, in whichever process makes it, rather than in the
    whole feed afterwards. Only an item with findings is parsed, for their lines."""
    found = Findings()
    _check_item(element, "", found)
    if not len(found):
        return ()
    declared = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items())
    parsed = etree.fromstring(f"<channel {declared}>".encode() + xml + b"</channel>",
                              etree.XMLParser(resolve_entities=False, no_network=True))[0]
    found = Findings()
    _check_item(parsed, "", found)
    start = parsed.sourceline or 0
    return tuple((rule, (line or start) - start, message) for rule, _, line, message in found.since(0))


def _check_item(item: etree._Element, source: str, findings: Findings) -> None:
    first: dict[object, etree._Element] = {}
    enclosures, dates = 0, []
    for child in item:  # one pass over the children for every rule (thousands of items)
        tag = child.tag
        first.setdefault(tag, child)
        if tag == "enclosure":
            enclosures += 1
        elif tag == "pubDate":
            dates.append(child)
    _missing(item, first, _ITEM_PATHS, "item", source, findings)
    if enclosures > 1:
        findings.add("ITEM-REQ", source, item.sourceline, "an item has more than one <enclosure>")
    for child in dates:
        _check_date(child, source, findings)
    _check_whitespace(item.iter(), source, findings)


def _required(parent: etree._Element, paths: tuple[str, ...], what: str, source: str,
              findings: Findings) -> None:
    """Each `prefix:child/@attribute` path must have a value."""
    first: dict[object, etree._Element] = {}
    for child in parent:
        first.setdefault(child.tag, child)
    _missing(parent, first, tuple(_path(path) for path in paths), what, source, findings)


def _path(path: str) -> tuple[str, str, str]:
    """(the path as written, the child's tag as lxml names it, the attribute or "")."""
    name, _, attribute = path.partition("/@")
    if ":" in name:
        prefix, local = name.split(":", 1)
        name = f"{{{NAMESPACES[prefix]}}}{local}"
    return path, name, attribute


_ITEM_PATHS = tuple(_path(path) for path in ITEM_REQUIRED)


def _missing(parent: etree._Element, first: dict[object, etree._Element], paths: tuple[tuple[str, str, str], ...],
             what: str, source: str, findings: Findings) -> None:
    """The children are looked up by tag, found in one pass (faster than a find or an
    XPath per path, for thousands of items)."""
    for path, name, attribute in paths:
        element = first.get(name)
        value = None if element is None else element.get(attribute) if attribute else element.text
        if not value or not value.strip():
            rule = "APPLE-CH-REQ" if what == "channel" else "ITEM-REQ"
            findings.add(rule, source, parent.sourceline, f"the {what} has no {path}")


def _check_date(element: etree._Element, source: str, findings: Findings) -> None:
    text = element.text or ""
    if (match := _USUAL_DATE.fullmatch(text)) is not None:  # the form feedgen writes: check it quickly
        day, month, year = int(match["day"]), _MONTHS.index(match["month"]) + 1, int(match["year"])
        try:
            if _WEEKDAYS[date(year, month, day).weekday()] == match["weekday"]:
                return
        except ValueError:
            pass  # no such day: reported below
    try:
        parsed = parsedate_to_datetime(text)
        weekday_ok = text[:3] == parsed.strftime("%a") if "," in text else True
    except (TypeError, ValueError):
        parsed, weekday_ok = None, False
    four_digit_year = parsed is not None and text.split()[3:4] == [f"{parsed.year:04d}"]
    if parsed is None or parsed.tzinfo is None or not weekday_ok or not four_digit_year:
        findings.add(
            "PUBDATE", source, element.sourceline,
            f"pubDate '{text}' is not an RFC 2822 date like 'Wed, 15 Jun 2019 19:00:00 +0000'",
        )


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_USUAL_DATE = re.compile(
    rf"(?P<weekday>{'|'.join(_WEEKDAYS)}), (?P<day>\d\d) (?P<month>{'|'.join(_MONTHS)}) (?P<year>\d{{4}}) "
    r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d (\+|-(?!0000))([01]\d|2[0-3])[0-5]\d"
)


def _check_whitespace(elements: Iterable[etree._Element], source: str, findings: Findings) -> None:
    for element in elements:
        text = element.text
        if text and text != text.strip() and len(element) == 0:
            _whitespace(element, text, source, findings)
        attributes = element.attrib
        if attributes:
            for value in attributes.values():
                if value != value.strip():
                    _whitespace(element, value, source, findings)


def _whitespace(element: etree._Element, value: str, source: str, findings: Findings) -> None:
    name = etree.QName(element).localname
    findings.add("NO-WS", source, element.sourceline, f"<{name}> has leading or trailing whitespace: {value[:40]!r}")
