"""A billed plan on the wall clock, as a lab runs it: `rig sim` behind a lab-style bench file.

The promise of the suite is that one YAML plan runs on a lab bench as it does in
simulation. Here it is kept on every ``make test``: ``rig sim`` serves the
simulated instruments as its own process (wall clock, real transports), and the
runner reaches them through a bench file with no ``simulation:`` section
(:class:`rig.bench.labsim.LabSim`), so every timing path is a real bench's. The
services are the embedded ones, on the wall clock offset to the plan's ``start``.

The plan is ``test_plans/sc1_one_minute.yaml``: SC-1 on the one-minute data set
(``fixtures/utilities/one_minute.yaml``), 130 s of charging across two
metering boundaries, under 3 minutes of wall time in all. It passes only if every
interval the ESI cut is on the utility's grid — none longer than 60 s, which the
utility refuses (BR-09) — and the bill matches the EUMD (J-04). Before the ESI cut
intervals at the boundary instant, this failed with the utility's refusal
"60.002 s is longer than this utility's metering interval of 60 s", silently (docs/oracle.md,
"Interval edges").
"""

from __future__ import annotations

import time
from pathlib import Path

from rig.bench.labsim import LabSim
from rig.plans import load_plan
from rig.pytest_plugin.failure import describe
from rig.runner.api import run_plan

PLAN = Path(__file__).resolve().parents[2] / "test_plans" / "sc1_one_minute.yaml"
#: The issue's budget for this test, wall clock.
BUDGET_S = 300.0


def test_one_minute_sc1_is_billed_on_the_wall_clock_through_a_lab_bench(tmp_path: Path) -> None:
    plan = load_plan(PLAN)
    began = time.monotonic()
    with LabSim(tmp_path) as lab:
        outcome = run_plan(plan, plan_file=PLAN, bench_file=lab.bench_file)
        assert lab.is_safe(), "the bench was left unsafe"
    wall_s = time.monotonic() - began

    assert outcome.verdict == "pass", describe(outcome)
    by_name = {m.name: m for m in outcome.measurements}
    billed = by_name["J-04 billed energy vs EUMD"]
    # 130 s at up to 6.6 kW is at most 0.238 kWh: most of it must have been billed
    assert billed.passed and isinstance(billed.value, float) and billed.value > 0.2
    assert by_name["intervals: longest interval"].value <= 60.0
    assert wall_s <= BUDGET_S, f"took {wall_s:.0f} s of wall clock, budget {BUDGET_S:.0f} s"
