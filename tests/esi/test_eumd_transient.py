"""A failed EUMD read is a transient; only a sustained silence makes the EUMD unavailable.

The ESI meters a constant 7.2 kW (2 Wh a second) on a virtual clock with 15-minute
intervals. Its EUMD fails the reads this test says it fails, as the recorder reports
a meter that did not answer: ``None``. The rule (docs/oracle.md, "EUMD transients"):
a read is tried ``EUMD_TRIES`` times at once; a boundary whose read still fails is
owed and tried every ``EUMD_RETRY_S``; the EUMD is unavailable only when it stays
silent ``eumd_patience_s`` after the boundary.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from drivers.kinds import MeterSnapshot
from rig.clock import VirtualClock
from rig.esi.audit import AuditLog
from rig.esi.metering import EUMD_TRIES, eumd_patience_s
from rig.esi.outbox import Outbox, OutboxMessage
from rig.esi.session import Esi, EsiSetup
from rig.oracle.energy import check_contiguous
from rig.record import LoadSample

T0 = 1_772_467_200.0  # 2026-03-02T16:00:00Z, on a boundary
INTERVAL_S = 900
POWER_W = 7200.0


class Eumd:
    """A register at 7.2 kW that fails every read while ``now`` is in one of ``silent``."""

    def __init__(self, clock: VirtualClock, silent: list[tuple[float, float]]) -> None:
        self.clock = clock
        self.silent = silent
        self.failed = 0

    def read(self) -> MeterSnapshot | None:
        now = self.clock.now()
        if any(a <= now < b for a, b in self.silent):
            self.failed += 1
            return None
        return MeterSnapshot(240.0, 30.0, POWER_W, 60.0, (now - T0) * POWER_W / 3600, 0.0)


def _esi(tmp_path: Path, clock: VirtualClock, eumd: Eumd) -> Esi:
    audit = AuditLog(tmp_path / "audit.jsonl", clock)
    sent: list[OutboxMessage] = []
    outbox = Outbox(tmp_path / "outbox.sqlite", clock, sent.append, audit=audit)
    setup = EsiSetup("ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "EUMD-ALICE-240", INTERVAL_S)
    utility: Any = None  # never called: no binding here
    return Esi(setup, utility, clock, outbox, audit, eumd.read)


def _run(esi: Esi, clock: VirtualClock, until: float) -> None:
    """The runner's loop reduced to the ESI: wake when it asks."""
    while (wake := esi.next_wake()) is not None and wake < until:
        clock.advance_to(max(wake, clock.now()))
        esi.on_time()
    clock.advance_to(until)


def test_one_failed_read_at_a_boundary_loses_nothing(tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    boundary = T0 + INTERVAL_S
    eumd = Eumd(clock, [(boundary, boundary + 0.5)])  # every try at the boundary fails
    esi = _esi(tmp_path, clock, eumd)
    esi.start_metering()
    _run(esi, clock, T0 + 1800.0)
    esi.close()
    assert eumd.failed == EUMD_TRIES
    assert esi.eumd_available and esi.unmetered == []
    assert [(i.end - i.start).total_seconds() for i in esi.intervals] == [900.0, 900.0]
    assert [i.kwh for i in esi.intervals] == [Decimal("1.800"), Decimal("1.800")]
    assert esi.intervals[0].interpolated  # cut between the read before and the one after


def test_silence_shorter_than_the_patience_is_a_transient(tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    boundary = T0 + INTERVAL_S
    patience = eumd_patience_s(INTERVAL_S)
    eumd = Eumd(clock, [(boundary - 10.0, boundary + patience - 5.0)])
    esi = _esi(tmp_path, clock, eumd)
    esi.start_metering()
    _run(esi, clock, T0 + 1800.0)
    esi.close()
    assert esi.eumd_available
    total = sum((i.kwh for i in esi.intervals), Decimal(0))
    assert total == Decimal("3.600")
    assert esi.intervals[0].end.timestamp() == boundary


def test_a_sustained_silence_is_unavailable_and_says_when(tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    boundary = T0 + INTERVAL_S
    back = boundary + 600.0
    eumd = Eumd(clock, [(boundary - 10.0, back)])
    esi = _esi(tmp_path, clock, eumd)
    esi.start_metering()
    _run(esi, clock, T0 + 2700.0)
    esi.close()
    assert not esi.eumd_available
    # from the last read that answered (the session's start) to the next that did
    assert esi.unmetered == [(T0, T0 + 1800.0)]
    starts = [i.start.timestamp() for i in esi.intervals]
    assert starts == [T0 + 1800.0]  # metering resumed at the next boundary


def test_the_oracle_names_the_energy_a_sustained_loss_left_out(tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    eumd = Eumd(clock, [(T0 + 1790.0, T0 + 2695.0)])
    esi = _esi(tmp_path, clock, eumd)
    esi.start_metering()
    _run(esi, clock, T0 + 3600.0)
    esi.close()
    assert esi.unmetered == [(T0 + 900.0, T0 + 2700.0)]
    load = [LoadSample(T0 + t, 240.0, 30.0, POWER_W) for t in range(0, 3601, 5)]
    (hole,) = check_contiguous(esi.intervals, load)
    assert not hole.passed
    assert hole.value == 3.6  # two intervals' energy: 30 min at 7.2 kW
    assert "3.600 kWh the load drew from 16:15:00 to 16:45:00 is in no interval" in hole.detail
    (whole,) = check_contiguous(esi.intervals[-1:], load)
    assert whole.passed
