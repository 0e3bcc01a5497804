"""A utility outage mid-session: every interval reaches the utility once, after recovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.esi.outbox import OutboxMessage
from rig.runner import plan_run
from rig.runner.api import run_plan
from rig.runner.judging import Judged
from rig.runner.world import World
from tests.runner.support import write_plan

OUTAGE = """\
plan: outage
title: The utility is down for an hour mid-session; the ESI delivers afterwards
scenario: sc1
covers: [SC-1, BR-09, BR-10]
include: common/alice_at_home.yaml
start: 2026-03-02T10:00:00-06:00
steps:
  - include: common/plug_in_and_bind.yaml
  - charge: 20 min
  - utility_unreachable
  - charge: 1 h
  - wait_for: outbox.pending >= 4 within 1 s
  - utility_back
  - charge: 20 min
  - unplug
  - wait_for: outbox.pending == 0 within 5 min
checks:
  - payer: ACC-ALICE
  - amount
  - intervals: 15 min
  - audit_log
"""


def test_outage_then_recovery_delivers_every_interval_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, path = write_plan(tmp_path, OUTAGE)
    messages: list[OutboxMessage] = []
    finish = plan_run._finish

    def keep_outbox(world: World) -> list[Judged]:
        judged = finish(world)
        messages.extend(world.esi.outbox.messages())
        return judged

    monkeypatch.setattr(plan_run, "_finish", keep_outbox)
    outcome = run_plan(plan, plan_file=path)
    assert outcome.failure is None, outcome.failure
    assert outcome.verdict == "pass"
    intervals = [m for m in messages if m.kind == "interval"]
    assert len(intervals) == 7  # 16:00 … 17:30 every 15 min, then 17:30 to the unplug
    assert all(m.status == "delivered" for m in messages)
    assert len({m.key for m in messages}) == len(messages)
    assert intervals[1].attempts > 1  # the first one cut in the outage waited for recovery
    names = {m.name: m for m in outcome.measurements}
    for name in (
        "intervals at the utility",
        "intervals missing from bill",
        "intervals billed twice",
        "audit_log: utility transactions missing from the ESI's log",
    ):
        assert names[name].passed, names[name].message
