"""The actors on their own, with stand-in instruments and utility: fast, exact cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from drivers.j1772 import duty_from_ampacity
from drivers.kinds import MeterSnapshot, PilotState, PilotStatus
from rig.clock import VirtualClock
from rig.esi.audit import AuditLog, read_audit
from rig.esi.link import Unreachable, outbox_sender, report_path
from rig.esi.outbox import Outbox
from rig.esi.session import Esi, EsiSetup
from rig.plans.model import Pev
from rig.record import CurrentSample
from rig.runner.actors.evse import EvseControl, GridLimit
from rig.runner.actors.pev import PevAgent

T0 = 1_772_467_650.0  # 2026-03-02T16:07:30Z


@dataclass
class FakePilot:
    state: PilotState = PilotState.A
    duty: float = 100.0
    calls: list[str] = field(default_factory=list)

    def set_state(self, state: PilotState) -> None:
        self.state = state
        self.calls.append(f"state {state}")

    def set_duty(self, duty_pct: float) -> None:
        self.duty = duty_pct
        self.calls.append(f"duty {duty_pct:g}")

    def status(self, contactor: bool = False) -> PilotStatus:
        return PilotStatus(self.state, 9.0, -12.0, self.duty, 1000.0, 150.0, contactor)


@dataclass
class FakeLoad:
    amps: float = 0.0
    on: bool = False

    def set_current(self, amps: float) -> None:
        self.amps = amps

    def set_input(self, on: bool) -> None:
        self.on = on


def _state(pilot: FakePilot) -> PilotState:
    return pilot.state


def test_evse_advertises_the_smallest_limit_in_force() -> None:
    pilot = FakePilot()
    log: list[CurrentSample] = []
    evse = EvseControl(pilot, log, rating_a=30.0, volts=240.0)  # type: ignore[arg-type]
    assert evse.target(0.0) == 0.0  # not allowed yet: no PWM
    evse.allow(27.5, from_t=10.0)
    assert evse.next_wake(0.0) == 10.0 and evse.target(5.0) == 0.0 and evse.target(10.0) == 27.5
    evse.add_limit(GridLimit("dlc", start=100.0, end=200.0, amps=0.0))
    evse.add_limit(GridLimit("alm", start=300.0, end=None, amps=evse.amps(3.3)))
    assert evse.target(150.0) == 0.0 and evse.target(250.0) == 27.5
    assert evse.target(300.0) == pytest.approx(13.75)
    evse.manual_a = 10.0
    assert evse.target(400.0) == 10.0
    assert evse.next_wake(150.0) == 200.0
    assert evse.update(400.0) and not evse.update(401.0)
    assert pilot.duty == duty_from_ampacity(10.0) and log == [CurrentSample(400.0, 10.0)]
    evse.manual_a = 5.0  # below 6 A nothing may be drawn: the PWM stops
    evse.update(402.0)
    assert pilot.duty == 100.0 and log[-1] == CurrentSample(402.0, 0.0)


def test_the_pev_follows_the_pilot() -> None:
    pilot, load = FakePilot(), FakeLoad()
    setpoints: list[CurrentSample] = []
    pev = PevAgent(Pev(id="PEV-ALICE"), pilot, load, setpoints)  # type: ignore[arg-type]
    pev.plug_in(0.0)
    assert _state(pilot) is PilotState.B and not pev.follow(pilot.status(), 0.0)  # no PWM yet
    pilot.duty = duty_from_ampacity(16.0)
    assert pev.follow(pilot.status(), 1.0)
    assert _state(pilot) is PilotState.C and (load.amps, load.on) == (16.0, True)
    pilot.duty = 100.0  # the EVSE stops its PWM (a DR event that stops charging)
    assert pev.follow(pilot.status(), 2.0)
    assert _state(pilot) is PilotState.B and not load.on
    pilot.duty = duty_from_ampacity(40.0)  # more than the charger takes: its own maximum
    pev.follow(pilot.status(), 3.0)
    assert (load.amps, load.on, pev.drawing_a) == (32.0, True, 32.0)
    pev.fault(PilotState.E)
    pev.follow(pilot.status(contactor=True), 4.0)
    assert not load.on
    pev.unplug(5.0)
    assert _state(pilot) is PilotState.A and not pev.plugged
    assert [s.amps for s in setpoints] == [16.0, 0.0, 32.0, 0.0]


class FakeUtility:
    """Answers like a utility (a :class:`~rig.esi.link.UtilityLink` recording its
    operations as JSON API posts), or not at all while ``reachable`` is False."""

    name = "HPL"
    resolution_s = 0.001

    def __init__(self) -> None:
        self.reachable = True
        self.posts: list[tuple[str, dict[str, Any]]] = []

    def log_to(self, audit: object) -> None:
        """The ESI notes every JSON post itself."""

    def next_poll(self) -> float | None:
        return None

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if not self.reachable:
            raise Unreachable(f"HPL POST {path}: cut")
        self.posts.append((path, body))
        if path == "/bindings":
            return {
                "bound": True,
                "incentive": True,
                "scenario": "SC-1",
                "payer_account_id": "ACC-ALICE",
                "tariff_id": "HPL-PEV-TOU",
                "reason": "",
                "interval_s": 900,
            }
        return {}

    def bind(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.post("/bindings", body)

    def report(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.post(report_path(session_id), body)


def _snapshot(wh: float) -> MeterSnapshot:
    return MeterSnapshot(240.0, 30.0, 7200.0, 60.0, wh, 0.06)


def _esi(tmp_path: Path, utility: FakeUtility, clock: VirtualClock, energy: list[float]) -> Esi:
    audit = AuditLog(tmp_path / "audit.jsonl", clock)

    outbox = Outbox(tmp_path / "outbox.sqlite", clock, outbox_sender(utility), audit=audit)  # type: ignore[arg-type]
    setup = EsiSetup("ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "EUMD-ALICE-240", 900)
    return Esi(setup, utility, clock, outbox, audit, lambda: _snapshot(energy[0]))  # type: ignore[arg-type]


def test_the_esi_cuts_intervals_on_the_clock_and_reports_them(tmp_path: Path) -> None:
    clock, utility, energy = VirtualClock(T0), FakeUtility(), [1_000_000.0]
    esi = _esi(tmp_path, utility, clock, energy)
    esi.start_metering()
    assert esi.bind("PEV-ALICE", "established", "guest_rate") is not None
    assert esi.state == "accepted" and esi.next_wake() == 1_772_468_100.0  # 16:15:00
    clock.advance_to(1_772_468_100.0)
    energy[0] += 900.4  # Wh in 7.5 min
    assert esi.on_time()
    clock.advance(120.0)
    energy[0] += 240.0
    summary = esi.close()
    assert [(i.start.isoformat(), i.kwh) for i in esi.intervals] == [
        ("2026-03-02T16:07:30+00:00", Decimal("0.900")),
        ("2026-03-02T16:15:00+00:00", Decimal("0.240")),
    ]
    assert summary["energy_kwh"] == "1.140" and summary["duration_s"] == 570.0
    reports = [body for path, body in utility.posts if path.startswith("/sessions/")]
    assert [len(b["intervals"]) for b in reports] == [1, 1, 0] and "close" in reports[-1]
    assert reports[0]["pev_id"] == "PEV-ALICE" and reports[0]["eumd_id"] == "EUMD-ALICE-240"
    assert esi.pending == 0
    kinds = [(e.kind, e.outcome) for e in read_audit(tmp_path / "audit.jsonl")]
    assert ("binding", "sent") in kinds and kinds.count(("interval", "sent")) == 2


def test_a_binding_the_utility_cannot_hear_is_queued_first(tmp_path: Path) -> None:
    clock, utility, energy = VirtualClock(T0), FakeUtility(), [5_000.0]
    esi = _esi(tmp_path, utility, clock, energy)
    esi.start_metering()
    utility.reachable = False
    assert esi.bind("PEV-ALICE", "established", "guest_rate") is None
    assert (esi.state, esi.communication) == ("none", "failed")
    clock.advance(60.0)
    energy[0] += 100.0
    esi.close()
    assert esi.pending == 3  # the binding, the interval, the close
    utility.reachable = True
    clock.advance(600.0)
    esi.on_time()
    assert esi.pending == 0
    assert [path for path, _ in utility.posts][:1] == ["/bindings"]
    assert utility.posts[0][1]["communication"] == "failed"
