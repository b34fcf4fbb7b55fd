#!/usr/bin/env python3
"""Regenerate feedtool/data/languages.json and countries.json from Debian's iso-codes.

The checks need the ISO 639 language codes (show and transcript languages) and the
ISO 3166-1 country codes (podcast:location country). Debian ships both as JSON in
the iso-codes package; this copies the codes, with their source and date, into the
package so that feedtool needs no network and no extra dependency.

Usage: python3 tools/make_reference_data.py   (needs: apt-get install iso-codes)
"""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

ISO = Path("/usr/share/iso-codes/json")
DATA = Path(__file__).resolve().parent.parent / "feedtool" / "data"


def version() -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "iso-codes"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def write(name: str, source: str, codes: dict[str, str]) -> None:
    document = {"source": source, "date": date.today().isoformat(), "codes": dict(sorted(codes.items()))}
    (DATA / name).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{name}: {len(codes)} codes")


def main() -> None:
    release = version()
    languages = {}
    for entry in json.loads((ISO / "iso_639-2.json").read_text())["639-2"]:
        for key in ("alpha_2", "alpha_3"):
            if key in entry:
                languages[entry[key]] = entry["name"]
    write("languages.json", f"ISO 639-1 and 639-2 codes from Debian iso-codes {release}", languages)
    countries = {e["alpha_2"].lower(): e["name"] for e in json.loads((ISO / "iso_3166-1.json").read_text())["3166-1"]}
    write("countries.json", f"ISO 3166-1 alpha-2 codes from Debian iso-codes {release}", countries)


if __name__ == "__main__":
    main()
