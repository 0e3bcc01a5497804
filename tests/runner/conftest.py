"""Runner tests: whole plans on the simulated bench, with the services embedded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from rig.runner import world


@pytest.fixture
def prompt_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``two_utilities`` with no random grant start delay, for plans on the wall clock.

    HPL may hold a grant's start back up to 300 s (BR-08); on a virtual clock that
    costs nothing, on the wall clock it would be minutes of real waiting.
    """
    data = yaml.safe_load((world.UTILITY_DATA / "two_utilities.yaml").read_text(encoding="utf-8"))
    for utility in data["utilities"]:
        utility["max_start_delay_s"] = 0
    (tmp_path / "two_utilities.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(world, "UTILITY_DATA", tmp_path)
    world.dataset.cache_clear()
    yield tmp_path
    world.dataset.cache_clear()
