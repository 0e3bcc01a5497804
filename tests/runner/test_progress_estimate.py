"""Progress of an energy-target charge shows the time left at the present rate, not the timeout."""

from __future__ import annotations

from pathlib import Path

from rig.runner.api import Progress, run_plan
from tests.runner.support import write_plan

PLAN = """\
plan: estimate
title: charge to an energy target well inside its time limit
scenario: sc1
covers: [SC-1]
include: common/alice_at_home.yaml
start: 2026-03-02T10:00:00-06:00
steps:
  - include: common/plug_in_and_bind.yaml
  - charge: {until: 3 kWh, within: 3 h}
  - unplug
checks:
  - payer: ACC-ALICE
"""


def test_the_time_left_is_estimated_from_the_energy_rate(tmp_path: Path) -> None:
    plan, path = write_plan(tmp_path, PLAN)
    seen: list[Progress] = []
    outcome = run_plan(plan, plan_file=path, progress=seen.append)
    charge = next(step for step in outcome.steps if step.key == "charge")
    lasted_s = charge.end - charge.start
    reports = [p for p in seen if p.key == "charge"]
    assert outcome.verdict == "pass", outcome.failure
    assert reports, "a charge of several minutes reports its progress"
    first = reports[0]
    assert first.rate_kw is not None and 1.0 < first.rate_kw < 20.0
    assert first.time_left_s is not None
    # reported 60 s into the step: the estimate is the rest of the step, not the 3 h limit
    assert abs(first.time_left_s - (lasted_s - 60.0)) < 0.1 * lasted_s
    assert all(p.time_left_s is not None and p.time_left_s < 3600 for p in reports)
