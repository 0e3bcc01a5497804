"""The example plans run to PASS on the simulated bench with the services embedded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from rig.plans import load_plan
from rig.results import BenchIdentity, ResultsWriter, RunRecord, read_results
from rig.runner.api import Progress, run_plan
from tests.runner.support import EXAMPLES

RUN = RunRecord(
    run_id="test-run",
    started_at=datetime(2026, 3, 2, tzinfo=UTC),
    software_version="test",
    bench=BenchIdentity(name="sim", simulated=True),
)


@pytest.mark.parametrize("name", ["sc1_home", "pg_tou_boundary", "sc4_home_rate"])
def test_example_plan_passes(name: str, tmp_path: Path) -> None:
    path = EXAMPLES / f"{name}.yaml"
    plan = load_plan(path)
    seen: list[Progress] = []
    results = tmp_path / "results.jsonl"
    with ResultsWriter(results) as writer:
        writer.write(RUN)
        outcome = run_plan(
            plan, plan_file=path, results=writer, run_id=RUN.run_id, progress=seen.append
        )
    assert outcome.failure is None, outcome.failure
    assert outcome.verdict == "pass"
    assert outcome.measurements and all(m.passed for m in outcome.measurements)
    assert [s.outcome for s in outcome.steps] == ["passed"] * len(plan.steps)
    assert outcome.steps[0].source is not None and outcome.steps[0].yaml == "plug_in"
    assert seen and all(p.plan_id == plan.plan and p.key == "charge" for p in seen)
    kinds = [r.type for r in read_results(results)]
    assert kinds[:2] == ["run", "plan_start"] and kinds[-1] == "plan_end"
    assert kinds.count("step") == len(plan.steps)
    assert kinds.count("measurement") == len(outcome.measurements)


def test_sc1_records_the_session() -> None:
    path = EXAMPLES / "sc1_home.yaml"
    outcome = run_plan(load_plan(path), plan_file=path)
    names = {m.name for m in outcome.measurements}
    assert {"payer", "J-05 contactor close time", "intervals at the utility"} <= names
    charge = outcome.steps[6]
    assert charge.key == "charge" and charge.end - charge.start == pytest.approx(1800.0)
    assert outcome.simulated_s > 4000  # 30 min, then on to 6 kWh at 16 A
