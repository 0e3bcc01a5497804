"""The pins of binding, the grant and what the PEV was told."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from rig.clock import to_seconds
from rig.oracle.summary import TIME_TOLERANCE_S, expected_summary
from rig.plans import checks as c
from rig.plans.checks import PlanCheck
from rig.results.measurements import Limits, Measurement
from rig.runner.judging.pins import Pin, Seen, equal, pin, within


def _binding(check: c.Binding, seen: Seen) -> list[Measurement]:
    args, ev = check.binding, seen.evidence
    found = [equal(check, seen, "result", ev.binding_state, args.result, "binding")]
    if args.reason is not None:
        found.append(
            equal(
                check,
                seen,
                "reason given",
                args.reason.lower() in ev.refusal.lower(),
                True,
                f"reason {ev.refusal!r} contains {args.reason!r}:",
            )
        )
    return found


def _grant(check: c.Grant, seen: Seen) -> list[Measurement]:
    args, grant = check.grant, seen.record.grant
    found = [equal(check, seen, "status", grant.status if grant else "none", args.status, "grant")]
    if grant and args.energy is not None:
        granted = float(grant.energy_available_kwh)
        found.append(equal(check, seen, "energy", granted, args.energy.kwh, "granted kWh"))
    if grant and args.max_power is not None:
        power = float(grant.power_available_kw)
        found.append(equal(check, seen, "max power", power, args.max_power.kw, "granted kW"))
    if args.starts_after is not None:
        delay = seen.evidence.grant_delay_s
        found.append(
            within(check, seen, "start delay", delay, "s", Limits(low=args.starts_after.seconds))
        )
    return found


def _pev_notified(check: c.PevNotified, seen: Seen) -> list[Measurement]:
    args, told = check.pev_notified, seen.evidence.told
    session = seen.record.services.session
    found = []
    if args.binding:
        bound = told.binding is not None
        found.append(equal(check, seen, "binding", bound, True, "told whether bound:"))
    if args.incentive:
        found.append(
            equal(
                check,
                seen,
                "incentive",
                told.binding.incentive if told.binding else None,
                session.incentive if session else None,
                "incentive told",
            )
        )
    if args.summary:
        summary = ", ".join(sorted(told.summary)) or "nothing"
        everything = "duration_s, ended_at, energy_kwh, started_at"
        found.append(equal(check, seen, "session summary", summary, everything, "told"))
        if summary == everything:
            found += _summary_figures(check, seen)
    return found


def _summary_figures(check: c.PevNotified, seen: Seen) -> list[Measurement]:
    """The summary's figures against the oracle's (:mod:`rig.oracle.summary`)."""
    told, record = seen.evidence.told.summary, seen.record
    expected = expected_summary(record.pilot, record.intervals)
    energy = Decimal(str(told["energy_kwh"]))
    started = to_seconds(datetime.fromisoformat(str(told["started_at"])))
    ended = to_seconds(datetime.fromisoformat(str(told["ended_at"])))
    span = float(told["duration_s"])
    found = [
        equal(check, seen, "summary energy", energy, expected.energy_kwh, "told kWh"),
        within(
            check,
            seen,
            "summary duration against its times",
            span - (ended - started),
            "s",
            Limits(low=-0.01, high=0.01),
            f"told {span:g} s, from {told['started_at']} to {told['ended_at']}",
        ),
    ]
    times = (("start", started, expected.started_s), ("end", ended, expected.ended_s))
    for name, at, pilot_at in times:
        off = None if pilot_at is None else at - pilot_at
        where = "no pilot reading shows it" if pilot_at is None else f"pilot at t={pilot_at:.3f} s"
        limits = Limits(low=-TIME_TOLERANCE_S, high=TIME_TOLERANCE_S)
        found.append(
            within(check, seen, f"summary {name}", off, "s", limits, f"told t={at:.3f} s, {where}")
        )
    return found


PINS: dict[type[PlanCheck], Pin] = dict(
    [
        pin(c.Binding, _binding),
        pin(c.Grant, _grant),
        pin(c.PevNotified, _pev_notified),
    ]
)
