"""The ESI cuts every metering interval at the boundary instant, on any clock.

On a wall clock no EUMD read lands on a boundary: the runner wakes there and the
read takes milliseconds. The clock here is virtual but *says* it is a wall clock
(``is_virtual = False``) and every EUMD read takes 10 ms of it, so the ESI meets
the timing of a lab bench, deterministically. The meter's register follows a
known power profile, so the energy each interval *should* hold is known exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from drivers.kinds import MeterSnapshot
from rig.clock import VirtualClock
from rig.esi.audit import AuditLog
from rig.esi.metering import PRE_READ_S
from rig.esi.outbox import Outbox, OutboxMessage
from rig.esi.session import Esi, EsiSetup

T0 = 1_772_467_200.005  # 2026-03-02T16:00:00.005Z, 5 ms after a boundary
READ_S = 0.010


class LabClock(VirtualClock):
    """Virtual time that presents itself as a wall clock (the ESI pre-reads)."""

    is_virtual = False


def _esi(tmp_path: Path, clock: LabClock, power_w: Callable[[float], float]) -> Esi:
    """An ESI whose EUMD integrates ``power_w(t)`` and takes READ_S per read."""
    state = {"t": clock.now(), "wh": 0.0}

    def register() -> float:
        now = clock.now()
        steps = 1000
        dt = (now - state["t"]) / steps
        state["wh"] += sum(power_w(state["t"] + (i + 0.5) * dt) for i in range(steps)) * dt / 3600
        state["t"] = now
        return state["wh"]

    def read() -> MeterSnapshot:
        clock.advance(READ_S / 2)
        wh = register()
        clock.advance(READ_S / 2)
        return MeterSnapshot(240.0, 30.0, 7200.0, 60.0, wh, 0.0)

    sent: list[OutboxMessage] = []
    audit = AuditLog(tmp_path / "audit.jsonl", clock)
    outbox = Outbox(tmp_path / "outbox.sqlite", clock, sent.append, audit=audit)
    setup = EsiSetup("ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "EUMD-ALICE-240", 60)
    utility: Any = None  # never called: no binding here
    return Esi(setup, utility, clock, outbox, audit, read)


def _run(esi: Esi, clock: LabClock, until: float) -> None:
    """The runner's loop, reduced to the ESI: wake when it asks, a few ms late."""
    while True:
        wake = esi.next_wake()
        assert wake is not None
        if wake >= until:
            break
        clock.advance_to(wake + 0.003)
        esi.on_time()
    clock.advance_to(until)


def test_intervals_end_on_the_boundary_instant_not_at_the_read(tmp_path: Path) -> None:
    clock = LabClock(T0)
    esi = _esi(tmp_path, clock, lambda t: 7200.0)
    esi.start_metering()
    _run(esi, clock, T0 + 200.0)
    esi.close()
    spans = [(i.start.isoformat(), (i.end - i.start).total_seconds()) for i in esi.intervals]
    assert spans[1:3] == [
        ("2026-03-02T16:01:00+00:00", 60.0),
        ("2026-03-02T16:02:00+00:00", 60.0),
    ]
    assert spans[0][1] < 60.0 and all(s <= 60.0 for _, s in spans)
    assert all(i.interpolated for i in esi.intervals)
    # constant power: interpolation is exact, 2 Wh per second of interval (to the Wh)
    for i in esi.intervals:
        seconds = (i.end - i.start).total_seconds()
        assert abs(i.kwh - Decimal(repr(2 * seconds / 1000))) <= Decimal("0.001")


def test_a_power_step_at_the_boundary_stays_within_the_recorded_edge_error(
    tmp_path: Path,
) -> None:
    boundary = 1_772_467_260.0  # 16:01:00: the load jumps from 0 to 7.2 kW exactly here
    clock = LabClock(T0)
    esi = _esi(tmp_path, clock, lambda t: 7200.0 if t >= boundary else 0.0)
    esi.start_metering()
    _run(esi, clock, boundary + 30.0)
    esi.close()
    first, _ = esi.intervals
    assert first.end.timestamp() == boundary and first.edge_error_wh > 0
    # the truth is 0 Wh before the boundary; the recorded bound covers what landed there
    assert float(first.kwh) * 1000 <= first.edge_error_wh + 0.5
    # the bound is the energy of one pre-read gap at most: 7.2 kW over PRE_READ_S + a read
    assert first.edge_error_wh <= 7200.0 * (PRE_READ_S + 2 * READ_S) / 3600
    # nothing lost or made up: the intervals sum to the meter's delta
    total = sum((i.kwh for i in esi.intervals), Decimal(0))
    assert abs(float(total) * 1000 - 7200.0 * (clock.now() - boundary) / 3600) < 1.0
