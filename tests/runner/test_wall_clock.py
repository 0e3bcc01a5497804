"""Services reached by URL: the runner keeps the wall clock and talks HTTP only."""

from __future__ import annotations

from pathlib import Path

from rig.clock import WallClock
from rig.runner.api import ServiceTarget, run_plan
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
