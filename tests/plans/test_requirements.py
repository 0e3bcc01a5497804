"""The repo's requirement catalogue mirrors the shared requirements document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rig.domain.requirements import catalogue

SHARED = Path(__file__).resolve().parents[3] / "shared" / "requirements.md"


def test_catalogue_has_every_family() -> None:
    ids = catalogue()
    assert [f"SC-{n}" for n in range(1, 7)] == [i for i in ids if i.startswith("SC-")]
    assert [f"BR-{n:02}" for n in range(1, 13)] == [i for i in ids if i.startswith("BR-")]
    assert all(title for title in ids.values())


@pytest.mark.skipif(not SHARED.exists(), reason="shared/requirements.md is not beside the repo")
def test_catalogue_matches_the_shared_requirements() -> None:
    text = SHARED.read_text(encoding="utf-8")
    shared = re.findall(r"^- \*\*((?:SC-\d|BR-\d\d|PG-[A-Z]+|J-\d\d))\b", text, re.MULTILINE)
    assert list(catalogue()) == shared
