"""The Podcasting 2.0 keys of show.yaml and the front matter: schemas and conversion.

Long forms are canonical (`persons: [{name: Jane, role: host}]`); the only short
forms are a single item where a list is accepted and a plain name for a person.
Values are checked against the namespace's reference data (`reference.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import fields as f
from . import reference
from .fields import Field, FieldError
from .model import Funding, License, Location, Person, Soundbite, Txt
from .yamlsource import Node

MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "publisher", "course")
MEDIUM_VALUES = (*MEDIUMS, *(m + "L" for m in MEDIUMS), "mixed")


def _from_list(rule: str, what: str, options: Callable[[], list[str]]) -> Callable[[Node], str]:
    """A parser for a value from reference data, compared case-insensitively."""

    def parse(node: Node) -> str:
        value = f.scalar(node)
        known = options()
        if value.lower() not in known:
            raise FieldError(f"'{value}' is not a {what}{f.did_you_mean(value.lower(), known)}", rule)
        return value.lower()

    return parse


def _roles() -> list[str]:
    return sorted({role for roles in reference.person_groups().values() for role in roles})


def language(node: Node) -> str:
    """A BCP 47 tag whose language is an ISO 639 code: `en`, `en-gb`, `pt-BR`."""
    value = f.language(node)
    primary = value.split("-")[0]
    if primary not in reference.languages():
        raise FieldError(f"'{primary}' is not an ISO 639 language code (e.g. en, de, ru)", "LANG")
    return value


def https_url(node: Node) -> str:
    return f.url(node)  # http is accepted; PC-HTTPS warns about it


def geo(node: Node) -> str:
    value = f.scalar(node)
    match = re.fullmatch(r"geo:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)(?:,-?\d+(?:\.\d+)?)?(?:;u=\d+(?:\.\d+)?)?", value)
    if not match or abs(float(match[1])) > 90 or abs(float(match[2])) > 180:
        raise FieldError(f"expected 'geo:LATITUDE,LONGITUDE' (RFC 5870), e.g. geo:51.5,-0.12; got '{value}'")
    return value


def osm(node: Node) -> str:
    value = f.scalar(node)
    if not re.fullmatch(r"[NWR]\d+(#\d+)?", value):
        raise FieldError(f"expected an OpenStreetMap id like R65606 (N, W or R and a number), got '{value}'")
    return value


PERSON = {
    "name": Field(f.line_text, required=True),
    "role": Field(_from_list("PERSON", "Podcast Taxonomy role", _roles)),
    "group": Field(_from_list("PERSON", "Podcast Taxonomy group", lambda: sorted(reference.person_groups()))),
    "href": Field(https_url),
    "img": Field(https_url),
}
FUNDING = {"url": Field(https_url, required=True), "text": Field(f.line_text, required=True)}
LOCATION = {
    "name": Field(f.line_text, required=True),
    "rel": Field(f.choice("subject", "creator")),
    "geo": Field(geo, rule="LOCATION"),
    "osm": Field(osm, rule="LOCATION"),
    "country": Field(_from_list("LOCATION", "ISO 3166-1 country code", lambda: sorted(reference.countries()))),
}
TXT = {"text": Field(f.text, required=True), "purpose": Field(f.line_text)}
LICENSE = {"name": Field(f.line_text, required=True), "url": Field(https_url)}
SOUNDBITE = {
    "start": Field(f.duration, required=True),
    "duration": Field(f.duration, required=True),
    "title": Field(f.line_text),
}

SHOW_KEYS: dict[str, Field] = {
    "persons": Field(nested=PERSON, many=True, short="name"),
    "funding": Field(nested=FUNDING, many=True),
    "locked": Field(f.boolean),
    "location": Field(nested=LOCATION, many=True),
    "medium": Field(f.choice(*MEDIUM_VALUES), rule="MEDIUM"),
    "license": Field(f.line_text, nested=LICENSE),
    "txt": Field(nested=TXT, many=True, short="text"),
    # update notifications (not Podcasting 2.0, but they live with the show's other services)
    "hub": Field(nested={"url": Field(f.url, required=True)}, many=True, short="url"),
    "pings": Field(nested={"url": Field(f.text, required=True)}, many=True, short="url"),
}


def person(values: dict[str, Any], source: str, findings, line: int | None) -> Person | None:
    """A Person; the group is inferred from the role when only the role is given."""
    role, group = values.get("role", "host"), values.get("group")
    groups = reference.person_groups()
    if group is None:
        group = "cast" if role in groups["cast"] else next(g for g, roles in groups.items() if role in roles)
    elif role not in groups[group]:
        findings.add(
            "PERSON", source, values.get("line", line),
            f"role '{role}' is not in group '{group}' (it has: {', '.join(groups[group])})",
        )
        return None
    return Person(values["name"], role, group, values.get("href"), values.get("img"))


def persons(items: list[dict[str, Any]], source: str, findings) -> tuple[Person, ...]:
    found = (person(item, source, findings, item.get("line")) for item in items)
    return tuple(p for p in found if p is not None)


def locations(items: list[dict[str, Any]]) -> tuple[Location, ...]:
    return tuple(
        Location(i["name"], i.get("rel"), i.get("geo"), i.get("osm"), i.get("country")) for i in items
    )


def funding(items: list[dict[str, Any]]) -> tuple[Funding, ...]:
    return tuple(Funding(i["url"], i["text"]) for i in items)


def txt(items: list[dict[str, Any]]) -> tuple[Txt, ...]:
    return tuple(Txt(i["text"], i.get("purpose")) for i in items)


def soundbites(items: list[dict[str, Any]]) -> tuple[Soundbite, ...]:
    return tuple(Soundbite(i["start"], i["duration"], i.get("title"), i["line"]) for i in items)


def license_(value: str | dict[str, Any], source: str, line: int | None, findings) -> License | None:
    """A well-known licence identifier, or a custom name with the URL of its terms."""
    if isinstance(value, str):
        name, url = value, None
    else:
        name, url = value.get("name"), value.get("url")
        if not name:
            return None  # already reported: missing 'license.name'
    known = reference.licenses()
    if name.upper() in known:
        return License(name, url)
    if url is None:
        findings.add(
            "LICENSE", source, line,
            f"license: '{name}' is not a well-known licence ({', '.join(known)}); a custom licence "
            "needs a url: license: {name: my-licence, url: https://…}",
        )
        return None
    return License(name, url)
