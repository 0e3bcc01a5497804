"""A plan that cannot reach a state fails clearly; any end leaves the bench safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drivers.kinds import PilotState
from rig.bench.safe import Bench
from rig.bench.safe_outcome import SafeStateError, SafeStateFailure, SafeStateReadback
from rig.plans.steps import SetAmpacity, Step
from rig.runner import plan_run
from rig.runner.api import run_plan
from rig.runner.steps import run_step
from rig.runner.world import World
from tests.runner.support import write_plan

HEAD = """\
plan: failing
title: failing on purpose
scenario: sc1
covers: [SC-1]
include: common/alice_at_home.yaml
start: 2026-03-02T10:00:00-06:00
"""


def test_wait_for_timeout_fails_with_the_last_values(tmp_path: Path) -> None:
    plan, path = write_plan(
        tmp_path,
        HEAD
        + """\
steps:
  - plug_in
  - wait_for: pilot.state == C within 2 s
  - charge: 1 h
checks:
  - payer: ACC-ALICE
""",
    )
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "fail"
    failure = outcome.failure
    assert failure is not None and failure.step_index == 1 and failure.key == "wait_for"
    assert failure.yaml == "wait_for: pilot.state == C within 2 s"
    assert failure.source is not None and str(failure.source) == f"{path}:9"
    assert failure.expected == "pilot.state == C within 2 s"
    assert failure.measured == "pilot.state=B"
    assert "did not hold within 2 s; last seen: pilot.state=B" in failure.message
    assert [s.outcome for s in outcome.steps] == ["passed", "failed", "skipped"]
    waited = outcome.steps[1]
    assert waited.end - waited.start == pytest.approx(2.0)


class SafeStateSpy:
    """Wraps Bench.safe_state; reads the instruments back right after each call."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_on_exit: bool = False) -> None:
        self.after: list[tuple[bool, PilotState]] = []
        original = Bench.safe_state
        spy = self

        def safe_state(bench: Bench) -> SafeStateReadback:
            readback = original(bench)
            spy.after.append((bench.load.input_enabled(), bench.pilot.status().state))
            if fail_on_exit and len(spy.after) == 2:
                failure = SafeStateFailure("pilot", "pilot", "state A", "read back 'C'")
                raise SafeStateError(bench.name, [failure])
            return readback

        monkeypatch.setattr(Bench, "safe_state", safe_state)


CHARGING = (
    HEAD
    + """\
steps:
  - include: common/plug_in_and_bind.yaml
  - charge: 10 min
  - set_ampacity: 16 A
  - charge: 10 min
checks:
  - payer: ACC-ALICE
"""
)


def test_an_exception_mid_plan_still_ends_in_confirmed_safe_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, path = write_plan(tmp_path, CHARGING)
    spy = SafeStateSpy(monkeypatch)

    def broken(world: World, step: Step, report: Any) -> str:
        if isinstance(step, SetAmpacity):  # mid-session: charging at full current
            raise RuntimeError("the lab's network dropped")
        return run_step(world, step, report)

    monkeypatch.setattr(plan_run, "run_step", broken)
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "error"
    failure = outcome.failure
    assert failure is not None and failure.key == "set_ampacity"
    assert "raised RuntimeError: the lab's network dropped" in failure.message
    assert [s.outcome for s in outcome.steps][-3:] == ["passed", "error", "skipped"]
    assert spy.after[-1] == (False, PilotState.A)  # load off, pilot A, read back after the run


def test_a_failed_teardown_fails_the_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan, path = write_plan(tmp_path, CHARGING)
    SafeStateSpy(monkeypatch, fail_on_exit=True)
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "error"
    assert outcome.failure is not None and outcome.failure.key == "safe state"
    assert "SAFE STATE NOT CONFIRMED" in outcome.failure.message


def test_a_failing_check_names_its_yaml_and_the_difference(tmp_path: Path) -> None:
    plan, path = write_plan(
        tmp_path,
        HEAD
        + """\
steps:
  - include: common/plug_in_and_bind.yaml
  - charge: 20 min
  - unplug
checks:
  - payer: ACC-BOB
""",
    )
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "fail"
    failure = outcome.failure
    assert failure is not None and failure.step_index is None
    assert failure.key == "payer" and failure.yaml == "payer: ACC-BOB"
    assert failure.source is not None and failure.source.line == 12
    assert (failure.expected, failure.measured) == ("ACC-BOB", "ACC-ALICE")
    assert failure.message.startswith("FAIL payer: account: billed to ACC-ALICE, expected ACC-BOB")
