"""A record the utility refuses (4xx) is a failure carrying the utility's reason.

The ESI's outbox sets a refused message aside, so ``pending`` drops to 0 as if it
had been delivered; :mod:`rig.runner.refusals` makes the refusal itself the
failure. Here the utility is a stand-in that refuses interval records with the
reason a real one gives (BR-09); the outbox, ESI and audit log are the real ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drivers.kinds import MeterSnapshot
from rig.clock import VirtualClock
from rig.esi.audit import AuditLog
from rig.esi.outbox import Outbox, OutboxMessage, Rejected
from rig.esi.session import Esi, EsiSetup
from rig.runner.acting import StepFailed
from rig.runner.refusals import fail_on_new_refusals, refusals_measurement

T0 = 1_772_467_200.0  # 2026-03-02T16:00:00Z
REASON = "HPL POST /sessions/S-1/intervals: HTTP 422 intervals[0]: 900.008 s is longer"


def _esi(tmp_path: Path, clock: VirtualClock) -> Esi:
    def refuse(message: OutboxMessage) -> None:
        raise Rejected(REASON)

    audit = AuditLog(tmp_path / "audit.jsonl", clock)
    outbox = Outbox(tmp_path / "outbox.sqlite", clock, refuse, audit=audit)
    setup = EsiSetup("ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "EUMD-ALICE-240", 900)
    utility: Any = None  # never called: no binding here
    return Esi(setup, utility, clock, outbox, audit, lambda: MeterSnapshot(0, 0, 0, 0, 0.0, 0))


def test_a_refused_interval_fails_the_step_with_the_utilitys_reason(tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    esi = _esi(tmp_path, clock)
    esi.start_metering()
    assert refusals_measurement(esi) is None
    known = len(esi.refusals())
    clock.advance(900.0)
    assert esi.on_time()  # the interval is cut and refused
    assert esi.pending == 0  # what the old `outbox.pending == 0` saw: no sign of trouble
    with pytest.raises(StepFailed, match=r"the utility refused interval .*900\.008 s is longer"):
        fail_on_new_refusals(esi, known)
    fail_on_new_refusals(esi, len(esi.refusals()))  # a later step is not blamed again
    measurement = refusals_measurement(esi)
    assert measurement is not None and not measurement.passed
    assert "900.008 s is longer" in measurement.message
