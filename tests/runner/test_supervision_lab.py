"""Supervision on the wall clock, against ``rig sim``'s instruments addressed as real ones.

``rig sim`` runs as its own process (:class:`~rig.bench.labsim.LabSim`); the plan
reaches it through a lab-style bench file. Two seconds into a 30 s charge another
"process" — a thread with its own driver connections from the same bench file —
switches the load off and the pilot to A. The step must fail within about a second
(one steady look on the wall clock), naming both changes, and the bench must end
safe as ``rig sim``'s model sees it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from drivers.kinds import PilotState
from rig.bench.build import build_load, build_pilot
from rig.bench.config import load_bench
from rig.bench.labsim import LabSim
from rig.plans.steps import Charge, Step
from rig.runner import plan_run
from rig.runner.acting import ProgressSink
from rig.runner.api import run_plan
from rig.runner.steps import run_step
from rig.runner.world import World
from tests.runner.support import write_plan

PLAN = """\
plan: lab-changed-under-the-plan
title: the lab bench changes under a charge
scenario: sc1
covers: [SC-1]
include: common/alice_at_home.yaml
steps:
  - plug_in
  - bind
  - energy_request
  - wait_for: pilot.state == C and contactor == closed within 5 s
  - charge: 30 s
  - unplug
checks:
  - payer: ACC-ALICE
"""
#: When the other process strikes, seconds into the charge.
STRIKE_S = 2.0


def test_a_lab_bench_changed_mid_charge_fails_the_step_within_a_second(
    tmp_path: Path, prompt_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, path = write_plan(tmp_path, PLAN)
    with LabSim(tmp_path) as lab:
        config = load_bench(lab.bench_file)
        struck: list[float] = []

        def strike(world: World) -> None:
            load, pilot = build_load(config.load), build_pilot(config.pilot)
            try:
                load.set_input(False)
                pilot.set_state(PilotState.A)
                struck.append(world.clock.now())
            finally:
                load.close()
                pilot.close()

        def run(world: World, step: Step, report: ProgressSink) -> str:
            if isinstance(step, Charge):
                threading.Timer(STRIKE_S, strike, args=(world,)).start()
            return run_step(world, step, report)

        monkeypatch.setattr(plan_run, "run_step", run)
        outcome = run_plan(plan, plan_file=path, bench_file=lab.bench_file)
        assert lab.is_safe()  # the model's word: pilot A, nothing drawn
        assert lab.truth()["load_input_on"] is False
    assert outcome.verdict == "fail", outcome.failure
    failure = outcome.failure
    assert failure is not None and failure.key == "charge"
    assert "bench changed under the plan at 00:00:" in failure.message
    # the first look after the strike names what it saw: the load first (struck first),
    # and the pilot too when both changes landed before that look
    assert "load input went off (expected on)" in failure.message
    charge = outcome.steps[4]
    assert struck, "the other process never struck"
    assert 0.0 <= charge.end - struck[0] < 1.5  # one steady look (1 s) plus reading
    assert charge.end - charge.start < STRIKE_S + 1.5  # not the 30 s the plan asked for
