"""Supervision on the simulated bench: something outside the plan changes the bench mid-charge.

The plan charges for 30 minutes. A minute in, something the runner did not command
happens — another process opens its own driver connections to the load and the
pilot and switches the load off and the pilot to A; the EUMD stops answering; the
EVSE trips to F — and the ``charge`` step must fail at the next look (one steady
tick, 60 s of bench clock at most), naming what changed, instead of charging on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.kinds import PilotState
from drivers.meter.sim_faults import WireFault
from rig.bench.build import build_load, build_pilot
from rig.esi.metering import eumd_patience_s
from rig.plans.steps import Charge, Step
from rig.runner import plan_run
from rig.runner.api import run_plan
from rig.runner.loop import Sampling
from rig.runner.steps import ProgressSink, run_step
from rig.runner.world import World
from tests.runner.support import write_plan

PLAN = """\
plan: changed-under-the-plan
title: the bench changes under a long charge
scenario: sc1
covers: [SC-1]
include: common/alice_at_home.yaml
start: 2026-03-02T10:00:00-06:00
steps:
  - include: common/plug_in_and_bind.yaml
  - charge: 30 min
  - unplug
checks:
  - payer: ACC-ALICE
"""


def another_process(world: World) -> None:
    """A second set of driver connections: load input off, pilot to A."""
    assert world.sim is not None
    load = build_load(world.sim.config.load)
    pilot = build_pilot(world.sim.config.pilot)
    try:
        load.set_input(False)
        pilot.set_state(PilotState.A)
    finally:
        load.close()
        pilot.close()


def meter_goes_silent(world: World) -> None:
    assert world.sim is not None
    world.sim.meters["eumd"].faults.inject(WireFault.EXCEPTION)  # not the plan's meter_unavailable


def evse_trips(world: World) -> None:
    assert world.sim is not None
    world.sim.model.set_pilot_state(PilotState.F)


def run_with_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[World], None]
) -> tuple[str, str, float, float]:
    """Run the plan, making ``change`` at the charge's first progress report.

    Returns the failure's message and measured values, when the change was made
    and when the charge step ended (bench clock).
    """
    plan, path = write_plan(tmp_path, PLAN)
    changed_at: list[float] = []

    def run(world: World, step: Step, report: ProgressSink) -> str:
        if not isinstance(step, Charge):
            return run_step(world, step, report)

        def first_report(energy: float, left: float, kw: float | None) -> None:
            if not changed_at:
                changed_at.append(world.clock.now())
                change(world)
            report(energy, left, kw)

        return run_step(world, step, first_report)

    monkeypatch.setattr(plan_run, "run_step", run)
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "fail", outcome.failure
    failure = outcome.failure
    assert failure is not None and failure.key == "charge"
    charge = next(s for s in outcome.steps if s.key == "charge")
    assert charge.outcome == "failed"
    assert [s.outcome for s in outcome.steps[charge.index + 1 :]] == ["skipped"]
    return failure.message, failure.measured, changed_at[0], charge.end


def test_another_process_switching_the_load_off_and_the_pilot_to_a_fails_the_charge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message, measured, changed, ended = run_with_change(tmp_path, monkeypatch, another_process)
    assert "bench changed under the plan at 00:0" in message
    assert "pilot C→A" in message
    assert "load input went off (expected on)" in message
    assert "contactor opened (expected closed)" in message
    assert measured.startswith("pilot A, contactor open, load input off, ")
    assert 0.0 <= ended - changed <= Sampling().steady_s  # the next look, not 29 min later


def test_a_meter_that_stops_answering_fails_the_charge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message, measured, changed, ended = run_with_change(tmp_path, monkeypatch, meter_goes_silent)
    assert "EUMD stopped answering" in message
    assert "pilot" not in message.split(": ", 1)[1]  # nothing else changed
    assert measured.endswith("EUMD silent")
    # one steady look, plus the patience a transient read failure gets (rig.esi.session)
    assert 0.0 <= ended - changed <= Sampling().steady_s + eumd_patience_s(900.0)


def test_a_tripped_evse_fails_the_charge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    message, _, changed, ended = run_with_change(tmp_path, monkeypatch, evse_trips)
    assert "pilot C→F" in message
    assert 0.0 <= ended - changed <= Sampling().steady_s
