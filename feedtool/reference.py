"""Reference data the checks need, shipped in feedtool/data/ (each file names its source and date)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def _load(name: str) -> dict:
    return json.loads(resources.files("feedtool").joinpath("data", name).read_text(encoding="utf-8"))


def languages() -> dict[str, str]:
    """ISO 639-1/639-2 code → language name."""
    return _load("languages.json")["codes"]


def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code (lower case) → country name."""
    return _load("countries.json")["codes"]


def person_groups() -> dict[str, list[str]]:
    """Podcast Taxonomy group (lower case) → its roles (lower case)."""
    groups = _load("person-taxonomy.json")["groups"]
    return {group.lower(): [role.lower() for role in roles] for group, roles in groups.items()}


def licenses() -> dict[str, str]:
    """Well-known licence identifier (upper case) → its URL."""
    return {slug.upper(): url for slug, url in _load("licenses.json")["licenses"].items()}
