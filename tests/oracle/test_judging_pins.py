"""Pins that read what only the runner saw: the audit logs on both sides (BR-10), the
summary the PEV was told at the end (BR-12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tariff_cases import facts

from drivers.kinds import PilotState
from rig.esi.audit import AuditEntry, Outcome
from rig.plans import checks as c
from rig.record import MeteringInterval, PilotSample, SessionRecord
from rig.results.measurements import Measurement
from rig.runner.actors.pev import Told
from rig.runner.judging.binding import PINS as BINDING_PINS
from rig.runner.judging.pins import Evidence, Seen
from rig.runner.judging.records import PINS

T = datetime(2026, 3, 2, 16, tzinfo=UTC)
REPORT = "/sessions/S-1/intervals"


def _esi(kind: str, target: str, outcome: Outcome, detail: str = "") -> AuditEntry:
    return AuditEntry(at=T, kind=kind, key=kind, target=target, outcome=outcome, detail=detail)


def _utility(method: str, path: str, status: int = 200) -> dict[str, Any]:
    return {"method": method, "path": path, "status": status, "caller": "ESI-1"}


def _evidence(
    esi: list[AuditEntry], utility: list[dict[str, Any]], told: Told | None = None
) -> Evidence:
    return Evidence(
        binding_state="accepted",
        refusal="",
        pev_id="PEV-1",
        told=told or Told(),
        interval_s=900,
        esi_audit=esi,
        utility_audit=utility,
        raw_session=None,
        energy_kwh=None,
    )


def _audit(esi: list[AuditEntry], utility: list[dict[str, Any]]) -> dict[str, Measurement]:
    evidence = _evidence(esi, utility)
    seen = Seen(SessionRecord(plan_id="p", facts=facts()), evidence, frozenset({"BR-10"}))
    check = c.AuditLog()
    return {m.name: m for m in PINS[c.AuditLog](check, seen)}


ESI_SIDE = [
    _esi("binding", "/bindings", "sent"),
    _esi("interval", REPORT, "queued"),
    _esi("interval", REPORT, "failed", "utility unreachable (link cut)"),
    _esi("interval", REPORT, "sent"),
    _esi("close", REPORT, "sent"),
    _esi("signals", "/signals", "sent"),
]
UTILITY_SIDE = [
    _utility("POST", "/bindings"),
    _utility("POST", REPORT),
    _utility("POST", REPORT),
    _utility("GET", "/signals?since=0"),
]
MISSING = "audit_log: ESI transactions missing from the utility's log"


def test_both_logs_agree_and_failed_attempts_are_named_not_counted() -> None:
    found = _audit(ESI_SIDE, UTILITY_SIDE)
    assert all(m.passed for m in found.values()), found
    assert "1 failed attempt(s) left out" in found[MISSING].detail
    assert "link cut" in found[MISSING].detail


def test_an_esi_transaction_the_utility_did_not_log_fails() -> None:
    found = _audit(ESI_SIDE, UTILITY_SIDE[:-2] + UTILITY_SIDE[-1:])  # one report unlogged
    assert not found[MISSING].passed
    assert f"POST {REPORT}: ESI logged 2 answered, utility logged 1" in found[MISSING].detail
    assert found["audit_log: utility transactions missing from the ESI's log"].passed


def test_a_utility_transaction_the_esi_did_not_log_still_fails() -> None:
    found = _audit(ESI_SIDE, [*UTILITY_SIDE, _utility("POST", REPORT)])
    assert not found["audit_log: utility transactions missing from the ESI's log"].passed
    assert found[MISSING].passed


def _pilot(t: float, state: PilotState) -> PilotSample:
    return PilotSample(t, state, 9.0, -12.0, 100.0, 0.0)


def _told(energy: str, start_off_s: float = 0.0) -> dict[str, Measurement]:
    t0 = T.timestamp()
    record = SessionRecord(
        plan_id="p",
        facts=facts(),
        pilot=[
            _pilot(t0 - 1, PilotState.A),
            _pilot(t0, PilotState.B),
            _pilot(t0 + 1800, PilotState.B),
            _pilot(t0 + 1800.1, PilotState.A),
        ],
        intervals=[
            MeteringInterval(T, T + timedelta(minutes=15), Decimal("1.500")),
            MeteringInterval(T + timedelta(minutes=15), T + timedelta(minutes=30), Decimal("0.7")),
        ],
    )
    start = T + timedelta(seconds=start_off_s)
    end = T + timedelta(seconds=1800)
    summary = {
        "started_at": start.isoformat(),
        "ended_at": end.isoformat(),
        "duration_s": (end - start).total_seconds(),
        "energy_kwh": energy,
    }
    seen = Seen(record, _evidence([], [], Told(summary=summary)), frozenset({"BR-12"}))
    check = c.PevNotified(pev_notified=c.PevNotifiedArgs(binding=False, incentive=False))
    return {m.name: m for m in BINDING_PINS[c.PevNotified](check, seen)}


def test_the_summary_told_is_the_oracles() -> None:
    found = _told("2.200")
    assert all(m.passed for m in found.values()), found
    assert found["pev_notified: summary energy"].requirements == ("BR-12",)


def test_a_summary_with_the_wrong_energy_or_start_fails() -> None:
    wrong = _told("2.300", start_off_s=-60)
    assert not wrong["pev_notified: summary energy"].passed
    assert "told kWh 2.300, expected 2.200" in wrong["pev_notified: summary energy"].detail
    assert not wrong["pev_notified: summary start"].passed
    assert wrong["pev_notified: summary end"].passed
