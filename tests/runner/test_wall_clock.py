"""On the wall clock: services reached by URL, and a bench that runs in real time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rig.clock import WallClock
from rig.runner.api import DEFAULT_BENCH, ServiceTarget, run_plan
from rig.services.testing import running_services
from tests.runner.support import write_plan

SHORT = """\
plan: external
title: A few seconds of charging against services started elsewhere
scenario: sc1
covers: [SC-1]
include: common/alice_at_home.yaml
steps:
  - plug_in
  - bind
  - energy_request
  - wait_for: pilot.state == C and contactor == closed within 5 s
  - charge: 2 s
  - unplug
  - wait_for: outbox.pending == 0 within 5 s
checks:
  - binding: accepted
  - payer: ACC-ALICE
  - intervals
"""


def test_a_plan_runs_against_services_by_url(tmp_path: Path, prompt_data: Path) -> None:
    plan, path = write_plan(tmp_path, SHORT)
    with running_services(prompt_data / "two_utilities.yaml", clock=WallClock()) as svc:
        outcome = run_plan(plan, plan_file=path, services=ServiceTarget(urls=svc.urls))
    assert outcome.failure is None, outcome.failure
    assert outcome.verdict == "pass"
    charge = outcome.steps[4]
    assert 2.0 <= charge.end - charge.start < 3.0  # real seconds


def test_a_wall_clock_bench_reads_the_plans_start(tmp_path: Path, prompt_data: Path) -> None:
    bench = tmp_path / "wall.yaml"
    text = DEFAULT_BENCH.read_text(encoding="utf-8")
    bench.write_text(text.replace("clock: virtual", "clock: wall"), encoding="utf-8")
    plan, path = write_plan(
        tmp_path, SHORT.replace("steps:", "start: 2026-03-02T15:59:58-06:00\nsteps:")
    )
    outcome = run_plan(plan, plan_file=path, bench_file=bench)
    assert outcome.failure is None, outcome.failure
    started = datetime.fromisoformat("2026-03-02T15:59:58-06:00").timestamp()
    assert 0.0 <= outcome.steps[0].start - started < 1.0  # the services saw the same "now"
