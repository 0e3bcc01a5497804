"""Grid windows are judged as the plan published them, not as the utility announced them.

A utility that announces a DR event or an hourly price at the wrong time makes the
EVSE and the bill follow its announcement; an oracle that judged what the ESI heard
would find both in order. Here a faulty utility (the real service behind its real
HTTP server, with its signal desk shifting what the operator publishes) must fail
the plan: the DR window and the price hour are taken from the plan's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from rig.plans import load_plan
from rig.runner.api import run_plan
from rig.runner.outcome import PlanOutcome
from rig.services import api_models as m
from rig.services.auth import Caller
from rig.services.utility_signals import SignalDesk
from tests.runner.support import EXAMPLES, write_plan

DR = """\
plan: dr-window
title: a DR event 5 min ahead stops charging for 20 min
scenario: sc1
covers: [PG-DLC, SC-1]
include: common/alice_at_home.yaml
pev:
  preferences: {max_power: 6.6 kW}
start: 2026-03-02T10:00:00-06:00
steps:
  - include: common/plug_in_and_bind.yaml
  - dr_event: {after: 5 min, duration: 20 min, limit: 0 A}
  - charge: 40 min
  - include: common/end_session.yaml
checks:
  - payer: ACC-ALICE
  - amount
"""


def _shifting(
    kind: str, shift: timedelta
) -> Callable[[SignalDesk, Caller, m.SignalIn], m.SignalOut]:
    """A signal desk that stores (and announces) ``kind`` signals ``shift`` off their time."""
    publish = SignalDesk.publish_signal

    def faulty(desk: SignalDesk, caller: Caller, sig: m.SignalIn) -> m.SignalOut:
        if sig.kind == kind:
            until = sig.effective_until + shift if sig.effective_until else None
            sig = sig.model_copy(
                update={"effective_from": sig.effective_from + shift, "effective_until": until}
            )
        return publish(desk, caller, sig)

    return faulty


def _run(tmp_path: Path, text: str) -> PlanOutcome:
    plan, path = write_plan(tmp_path, text)
    return run_plan(plan, plan_file=path)


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Services in this process (no services host), so a test can make one faulty."""
    monkeypatch.setenv("RIG_SERVICES_HOST", "0")
    return monkeypatch


def test_a_dr_window_announced_late_fails(tmp_path: Path, in_process: pytest.MonkeyPatch) -> None:
    right = _run(tmp_path, DR)
    assert right.verdict == "pass", right.failure
    in_process.setattr(SignalDesk, "publish_signal", _shifting("dlc", timedelta(minutes=10)))
    shifted = _run(tmp_path, DR)
    assert shifted.verdict == "fail"
    (dr,) = [x for x in shifted.measurements if x.name == "DR load power above limit"]
    assert not dr.passed and dr.value is not None and dr.value > 5000, dr.message


def test_an_hourly_price_announced_for_the_wrong_hour_fails(
    tmp_path: Path, in_process: pytest.MonkeyPatch
) -> None:
    in_process.setattr(SignalDesk, "publish_signal", _shifting("price", timedelta(hours=-1)))
    path = EXAMPLES / "pg_rtp_hourly.yaml"  # 0.040 published ahead for 22:00
    shifted = run_plan(load_plan(path), plan_file=path)
    assert shifted.verdict == "fail"
    failing = {x.name for x in shifted.measurements if not x.passed}
    assert {"rate per interval", "bill lines"} <= failing, failing
