"""A utility's ``protocol:`` in the data set chooses how the ESI talks to it (issue 12).

No ``--utility-protocol`` is given: the run takes the home utility's ``protocol:``
from a copy of the data set that says ``ieee2030.5``, and the plan start record and
the verdict show the run went over IEEE 2030.5 end to end.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.bundled import UTILITY_DATA
from rig.plans import load_plan
from rig.results import ResultsWriter, read_results
from rig.runner import world
from rig.runner.api import run_plan
from tests.runner.support import EXAMPLES
from tests.runner.test_example_plans import RUN


def test_the_data_sets_protocol_is_used_when_the_run_names_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    text = (UTILITY_DATA / "two_utilities.yaml").read_text(encoding="utf-8")
    home = "  - id: HPL\n"
    assert text.count(home) == 1
    data = tmp_path / "data"
    data.mkdir()
    (data / "two_utilities.yaml").write_text(
        text.replace(home, home + "    protocol: ieee2030.5\n"), encoding="utf-8"
    )
    monkeypatch.setattr(world, "UTILITY_DATA", data)
    world.dataset.cache_clear()  # data sets are read once per process, by name
    request.addfinalizer(world.dataset.cache_clear)  # the next test reads the real one
    path = EXAMPLES / "sc1_home.yaml"
    results = tmp_path / "results.jsonl"
    with ResultsWriter(results) as writer:
        writer.write(RUN)
        outcome = run_plan(load_plan(path), plan_file=path, results=writer, run_id=RUN.run_id)
    assert outcome.failure is None, outcome.failure
    assert outcome.verdict == "pass"
    [start] = [r for r in read_results(results) if r.type == "plan_start"]
    assert start.utility_protocol == "ieee2030.5"
