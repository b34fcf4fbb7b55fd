"""Field parsing: each value is read from its own text, never through YAML 1.1 typing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedtool import fields as f
from feedtool.findings import Findings
from feedtool.load import podcast_guid
from feedtool.yamlsource import YAMLSourceError, _parse_simple, _parse_yaml, parse, split_front_matter


def values(text: str, schema: dict) -> tuple[dict, list[str]]:
    findings = Findings()
    parsed, _ok = f.read_fields(parse(text), schema, "x.yaml", findings, 1)
    return parsed, [str(item) for item in findings]


def test_yaml_11_surprises_keep_their_text() -> None:
    schema = {"language": f.Field(f.language), "guid": f.Field(f.text), "title": f.Field(f.text)}
    parsed, problems = values("language: no\nguid: 0042\ntitle: 2026-11-20\n", schema)
    assert parsed == {"language": "no", "guid": "0042", "title": "2026-11-20"}
    assert problems == []


def test_dates_bare_naive_and_with_offset() -> None:
    schema = {"a": f.Field(f.timestamp), "b": f.Field(f.timestamp), "c": f.Field(f.timestamp)}
    parsed, _ = values("a: 2026-11-20\nb: 2026-11-20T09:30:00\nc: 2026-11-20 09:30+01:00\n", schema)
    assert parsed["a"] == datetime(2026, 11, 20, tzinfo=UTC)
    assert parsed["b"] == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert parsed["c"].utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "seconds"), [("1834", 1834), ("30:34", 1834), ("1:02:03", 3723), ("12.5", 12.5)]
)
def test_durations(text: str, seconds: float) -> None:
    assert values(f"d: '{text}'\n", {"d": f.Field(f.duration)})[0]["d"] == seconds


@pytest.mark.parametrize("text", ["1:75", "abc", "0", "1:2:3:4", "-5"])
def test_bad_durations(text: str) -> None:
    _, problems = values(f"d: '{text}'\n", {"d": f.Field(f.duration)})
    assert len(problems) == 1 and problems[0].startswith("error FIELD-VALUE x.yaml:1: d:")


def test_unknown_key_is_a_warning_with_a_suggestion() -> None:
    _, problems = values("titel: x\n", {"title": f.Field(f.text)})
    assert problems == ["warning FIELD-UNKNOWN x.yaml:1: unknown key 'titel' ignored (did you mean 'title'?)"]


def test_categories_are_checked_against_apple_list() -> None:
    schema = {"categories": f.Field(f.categories)}
    parsed, problems = values("categories:\n  - News > Politics\n  - Technology\n", schema)
    assert parsed["categories"] == (("News", "Politics"), ("Technology", None))
    _, problems = values("categories:\n  - Technology\n  - News > Poltics\n", schema)
    assert problems[0].startswith(
        "error CATEGORY x.yaml:3: categories: 'Poltics' is not a subcategory of 'News'"
    )
    _, problems = values("categories: [Tech]\n", schema)
    assert "'Tech' is not an Apple Podcasts category (did you mean 'Technology'?)" in problems[0]


def test_duplicate_key_is_an_error_with_both_lines() -> None:
    with pytest.raises(YAMLSourceError) as caught:
        parse("title: a\nx: 1\ntitle: b\n")
    assert caught.value.line == 3 and "first on line 1" in caught.value.message


def test_front_matter_lines_count_from_the_file() -> None:
    front, body, body_line = split_front_matter("---\ntitle: x\ndate: [\n---\nbody\n")
    assert body == "body\n" and body_line == 5
    with pytest.raises(YAMLSourceError) as caught:
        parse(front, first_line=2)
    assert caught.value.line in (3, 4)


def test_podcast_guid_matches_the_spec_example() -> None:
    # the example published with the Podcasting 2.0 namespace
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("http://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def _pyyaml_reading(text: str) -> object:
    try:
        return _parse_yaml(text, 2)
    except YAMLSourceError as exc:
        return ("error", exc.message, exc.line)


_PIECES = ["a", "Z", "5", " ", "  ", ":", ": ", "#", " #", "-", "?", "'", '"', "\\", ",", "[", "]", "{", "}",
           "&", "*", "!", "|", ">", "%", "@", "`", "é", "Дезертиры", "\u00a0", "\t", "\x7f", "\u2028", "\u2029", "\x85",
           "\r", "\x1c", "\ufeff", "\x01", "\x80", "\ufffe", "\U0001f399", "~",
           "https://example.com/a?b=1&c=2", "2024-05-01T10:00:00Z", "yes", "null", "0042", "---", "..."]


def _random_front(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randrange(0, 6)):
        kind = rng.random()
        if kind < 0.08:
            lines.append(rng.choice(["", "# a comment", "  ", " key: indented", "- item"]))
            continue
        key = rng.choice(["title", "date", "episode", "audio", "guid", "x-y", "a_b", "title", "-bad", "k.k",
                          "k" * 1024, "k" * 1025])
        value = "".join(rng.choice(_PIECES) for _ in range(rng.randrange(0, 7)))
        if kind < 0.3:
            value = '"' + value.replace('"', "") + '"'
        elif kind < 0.4:
            value = "'" + value.replace("'", "") + "'"
        lines.append(key + rng.choice([": ", ":  ", ":", ": \t"]) + value + rng.choice(["", " ", "  # note"]))
    return "\n".join(lines) + rng.choice(["", "\n"])


def test_simple_front_matter_reads_exactly_as_pyyaml_reads_it() -> None:
    """The fast reading of plain `key: value` lines must give what PyYAML gives, or step
    aside; thousands of generated documents with YAML's special characters in every place."""
    rng = random.Random(7)
    taken = 0
    for _ in range(6000):
        text = _random_front(rng)
        simple = _parse_simple(text, 2)
        if simple is not None:
            taken += 1
            assert simple == _pyyaml_reading(text), text
            assert parse(text, 2) == simple
    assert taken > 1000  # the fast reading is actually exercised


def test_the_sample_shows_front_matters_take_the_fast_reading() -> None:
    for path in sorted((Path(__file__).parent.parent / "episodes").glob("*.md")):
        front, _, _ = split_front_matter(path.read_text(encoding="utf-8-sig"))
        if "\n  " not in front and "\n-" not in front:  # nested values are PyYAML's
            assert _parse_simple(front, 2) == _pyyaml_reading(front), path
