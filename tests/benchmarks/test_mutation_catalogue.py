"""Every source patch of the mutation catalogue still applies (benchmarks/mutation/catalogue.yaml).

A patch names a file and the exact text it replaces; when the code moves on, the text
can vanish and the defect silently stops being seeded. ``make mutate`` reports such a
patch as "not applied", and CI's random sample may or may not draw it: this test reads
every one, so a stale entry fails at once, naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "benchmarks" / "mutation" / "catalogue.yaml"


def _patches(entry: dict[str, Any]) -> list[dict[str, str]]:
    return [*entry.get("patches", ()), *([entry] if "file" in entry else [])]


def test_every_patch_replaces_text_found_exactly_once() -> None:
    defects = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["defects"]
    stale = [
        f"{d['id']}: {p['file']} holds {p['old']!r} "
        f"{(ROOT / p['file']).read_text(encoding='utf-8').count(p['old'])} times"
        for d in defects
        for p in _patches(d)
        if (ROOT / p["file"]).read_text(encoding="utf-8").count(p["old"]) != 1
    ]
    assert len(defects) >= 80
    assert not stale, "\n".join(stale)
