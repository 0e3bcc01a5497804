"""From a finished session to measurements: the oracle's, and the plan's own pins.

Two sources, kept apart on purpose:

1. **The oracle** (:func:`rig.oracle.check_session`) works out on its own what the
   session should have produced — who pays at which tariff, the bill to the Wh and
   the cent, netting, settlement, J-04 energy, electrical conformance, grid limits —
   from the facts, the tariff data and what the bench measured. The plan's checks
   choose which of its *bench* judgements apply: the ``electrical`` rules listed
   (none without an ``electrical`` check, with its ``follow_within`` as J-03's
   limit) and J-04 only with ``energy_agreement`` (its ``tolerance_pct`` standing
   in for the EUMD's accuracy class). What the services owe — payer, bill,
   netting, settlement, grid limits — is always judged.
2. **The plan's pins**: the values a plan writes down (``payer: ACC-ALICE``,
   ``tariff: {rates: …}``, ``binding: refused``, ``intervals: 15 min``, …), each
   compared with what was recorded, so a plan can hold the oracle itself to a
   hand-computed figure. Some checks answer questions only the runner can: what
   the PEV was told (BR-12), whether the utility's interval records carry the PEV
   and premise IDs at the utility's interval length (BR-09), whether the ESI's
   audit log holds every transaction the utility saw from it (BR-10).

Every measurement carries the requirement IDs it evidences, limited to those the
plan covers (:data:`EVIDENCE`), so the traceability matrix reads straight off the
results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from rig.domain.tariff import HourlyPrice, Tariff
from rig.esi.audit import AuditEntry
from rig.esi.session import Signal
from rig.measurements import Limits, Measurement
from rig.oracle import check_session
from rig.oracle.compare import PAYER_KINDS
from rig.oracle.electrical import ElectricalLimits
from rig.oracle.tariff import as_published
from rig.plans import Plan
from rig.plans import checks as c
from rig.plans.onekey import Action
from rig.record import SessionRecord
from rig.runner.actors.pev import Told

_SCENARIOS = ("SC-1", "SC-2", "SC-3", "SC-4", "SC-5", "SC-6")
#: The requirements each kind of check evidences (of those the plan covers).
EVIDENCE: dict[str, tuple[str, ...]] = {
    "payer": (*_SCENARIOS, "BR-01", "BR-03", "BR-04", "BR-11"),
    "tariff": (*_SCENARIOS, "BR-02", "PG-TOU", "PG-RTP"),
    "incentive": ("BR-01", "BR-02", "BR-04", "BR-12"),
    "amount": (*_SCENARIOS, "PG-TOU", "PG-RTP"),
    "premise_netting": ("SC-3",),
    "binding": ("BR-02", "BR-03", "BR-05", "BR-12"),
    "grant": ("BR-07", "BR-08"),
    "pev_notified": ("BR-12",),
    "clearinghouse": ("SC-4", "BR-06"),
    "settlement": ("SC-4", "BR-06"),
    "intervals": ("BR-09",),
    "session_flagged": ("BR-04",),
    "audit_log": ("BR-10",),
    "energy": ("BR-01", "BR-04", "PG-DLC", "PG-ALM", "J-04"),
}
_BENCH_RULES = frozenset({"J-01", "J-02", "J-03", "J-05", "J-06"})
#: Which plan check an oracle measurement answers, by the start of its name; a
#: failing one is then shown with that check's YAML.
_ANSWERS: tuple[tuple[str, type[Action]], ...] = (
    ("bill payer", c.Payer),
    ("decision", c.Payer),
    ("payer", c.Payer),
    ("utility session record", c.Payer),
    ("bill tariff", c.Tariff),
    ("tariff", c.Tariff),
    ("rate per interval", c.Tariff),
    ("incentive indicated", c.PevNotified),
    ("binding indicated", c.Binding),
    ("incentive", c.Incentive),
    ("bill", c.Amount),
    ("netting", c.PremiseNetting),
    ("session charged to host", c.PremiseNetting),
    ("posting", c.Clearinghouse),
    ("clearinghouse", c.Clearinghouse),
    ("settlement", c.Settlement),
    ("interval", c.Intervals),
    ("session flagged", c.SessionFlagged),
)


@dataclass
class Evidence:
    """What the runner saw besides the session record."""

    binding_state: str
    refusal: str
    pev_id: str | None
    """The PEV ID the ESI reported (None when the PEV never told it)."""
    told: Told
    interval_s: int
    esi_audit: list[AuditEntry]
    utility_audit: list[dict[str, Any]] | None
    raw_session: dict[str, Any] | None
    energy_kwh: float | None
    grant_delay_s: float = 0.0
    prices: list[Signal] = field(default_factory=list)
    """Hourly prices published during the session (PG-RTP)."""


#: The time series (:mod:`rig.runner.report`) that back a measurement, by requirement.
SERIES: dict[str, tuple[str, ...]] = {
    "J-01": ("pilot state", "load current"),
    "J-02": ("load current", "advertised ampacity"),
    "J-03": ("load current", "advertised ampacity"),
    "J-04": ("EUMD register", "load energy", "billed energy"),
    "J-05": ("pilot state", "pilot duty"),
    "J-06": ("pilot duty",),
    "PG-DLC": ("load power", "advertised ampacity"),
    "PG-ALM": ("load power", "advertised ampacity"),
}


def _with_series(m: Measurement) -> Measurement:
    names = dict.fromkeys(n for r in m.requirements for n in SERIES.get(r, ()))
    return replace(m, series=tuple(names)) if names and not m.series else m


#: A measurement and the index of the plan check it answers (None: the oracle's own).
Judged = tuple[Measurement, int | None]


def judge(
    plan: Plan, record: SessionRecord, tariffs: Mapping[str, Tariff], evidence: Evidence
) -> list[Judged]:
    """Every measurement of the plan (see the module docstring)."""
    checks = plan.checks
    where: dict[type[Action], int] = {
        type(check): index for index, check in reversed(list(enumerate(checks)))
    }
    electrical = next((x.electrical for x in checks if isinstance(x, c.Electrical)), None)
    agreement = next((x.energy_agreement for x in checks if isinstance(x, c.EnergyAgreement)), None)
    judged = record
    if agreement is not None and agreement.tolerance_pct is not None and record.eumd:
        judged = replace(record, eumd=replace(record.eumd, accuracy_pct=agreement.tolerance_pct))
    limits = ElectricalLimits(follow_s=electrical.follow_within.seconds if electrical else 5.0)
    rules = set(electrical.rules) if electrical else set()
    found: list[Judged] = []
    for m in map(
        _with_series,
        check_session(judged, with_prices(tariffs, evidence.prices), electrical=limits),
    ):
        ids = set(m.requirements)
        if ids & _BENCH_RULES:
            if ids & rules:
                found.append((m, where.get(c.Electrical)))
        elif ids == {"J-04"}:
            if agreement is not None:
                found.append((m, where.get(c.EnergyAgreement)))
        else:
            kind = next((k for prefix, k in _ANSWERS if m.name.startswith(prefix)), None)
            found.append((m, where.get(kind) if kind else None))
    for index, check in enumerate(checks):
        found += [(m, index) for m in _pin(check, record, evidence, plan)]
    return found


def with_prices(tariffs: Mapping[str, Tariff], prices: list[Signal]) -> dict[str, Tariff]:
    """The tariff data with the hourly prices published during the session added.

    Published prices are tariff data like any other (``hourly_prices``); the oracle
    prices the session from the tariff as it stood, so it needs them too. PG-RTP is
    "a price per hour, published ahead": the **latest publication for an hour
    wins**, over the data set's price for that hour and over an earlier publication
    (``docs/oracle.md``). A signal heard again at a later poll is the same
    publication, not a newer one.
    """
    published: dict[str, list[HourlyPrice]] = {}
    for signal in dict.fromkeys(prices):
        if signal.kind == "price" and signal.tariff_id and signal.price is not None:
            hour = HourlyPrice(start=signal.effective_from, price=signal.price)
            published.setdefault(signal.tariff_id, []).append(hour)
    return {
        tariff_id: as_published(tariff, published[tariff_id]) if tariff_id in published else tariff
        for tariff_id, tariff in tariffs.items()
    }


def _tag(kind: str, plan: Plan) -> tuple[str, ...]:
    return tuple(r for r in EVIDENCE[kind] if r in plan.covers)


def _eq(kind: str, plan: Plan, name: str, measured: Any, expected: Any, what: str) -> Measurement:
    return Measurement.equals(
        f"{kind}: {name}",
        measured,
        expected,
        requirements=_tag(kind, plan),
        detail=f"{what} {measured}, expected {expected}",
    )


def _payer_lines(record: SessionRecord) -> list[Any]:
    return [line for line in record.services.bill_lines if line.kind in PAYER_KINDS]


def _pin(check: c.Check, record: SessionRecord, ev: Evidence, plan: Plan) -> list[Measurement]:
    session = record.services.session
    raw = ev.raw_session or {}
    match check:
        case c.Payer(payer=args):
            found = [
                _eq(
                    "payer",
                    plan,
                    "account",
                    session.payer_account_id if session else "none",
                    args.account,
                    "billed to",
                )
            ]
            if args.utility is not None:
                utility = raw.get("payer_utility_id") or (
                    record.facts.premise.utility_id if session else "none"
                )
                if record.services.posting is not None:
                    utility = record.services.posting.home_utility_id
                found.append(_eq("payer", plan, "utility", utility, args.utility, "billed by"))
            return found
        case c.Tariff(tariff=args):
            found = [
                _eq(
                    "tariff",
                    plan,
                    "id",
                    session.tariff_id if session else "none",
                    args.id,
                    "tariff",
                )
            ]
            if args.rates:
                periods = _periods(record)
                found.append(
                    _eq(
                        "tariff",
                        plan,
                        "rate periods",
                        " → ".join(p for p, _ in periods) or "none",
                        " → ".join(r.period for r in args.rates),
                        "periods",
                    )
                )
                for index, (want, got) in enumerate(zip(args.rates, periods, strict=False)):
                    if want.rate is not None:
                        found.append(
                            _eq(
                                "tariff",
                                plan,
                                f"rate {index + 1} ({want.period})",
                                got[1],
                                want.rate,
                                "rate",
                            )
                        )
            return found
        case c.Incentive(incentive=args):
            return [
                _eq(
                    "incentive",
                    plan,
                    "applies",
                    session.incentive if session else None,
                    args.applies,
                    "incentive",
                )
            ]
        case c.Amount(amount=args):
            if args.total is None:
                return []
            total = sum((line.amount for line in _payer_lines(record)), Decimal(0))
            return [_eq("amount", plan, "total", total, args.total, "billed")]
        case c.PremiseNetting(premise_netting=args):
            netted = sum(
                (
                    line.kwh
                    for line in record.services.bill_lines
                    if line.kind == "netting" and line.account_id == args.account
                ),
                Decimal(0),
            )
            return [
                Measurement.within(
                    f"premise_netting: energy netted off {args.account}",
                    float(-netted),
                    "kWh",
                    Limits(low=0.001),
                    requirements=_tag("premise_netting", plan),
                    detail=f"{-netted} kWh netted off {args.account}, expected the session's",
                )
            ]
        case c.Binding(binding=args):
            found = [_eq("binding", plan, "result", ev.binding_state, args.result, "binding")]
            if args.reason is not None:
                found.append(
                    _eq(
                        "binding",
                        plan,
                        "reason given",
                        args.reason.lower() in ev.refusal.lower(),
                        True,
                        f"reason {ev.refusal!r} contains {args.reason!r}:",
                    )
                )
            return found
        case c.Grant(grant=args):
            grant = record.grant
            found = [
                _eq(
                    "grant", plan, "status", grant.status if grant else "none", args.status, "grant"
                )
            ]
            if grant and args.energy is not None:
                found.append(
                    _eq(
                        "grant",
                        plan,
                        "energy",
                        float(grant.energy_available_kwh),
                        args.energy.kwh,
                        "granted kWh",
                    )
                )
            if grant and args.max_power is not None:
                found.append(
                    _eq(
                        "grant",
                        plan,
                        "max power",
                        float(grant.power_available_kw),
                        args.max_power.kw,
                        "granted kW",
                    )
                )
            if args.starts_after is not None:
                found.append(
                    Measurement.within(
                        "grant: start delay",
                        ev.grant_delay_s,
                        "s",
                        Limits(low=args.starts_after.seconds),
                        requirements=_tag("grant", plan),
                    )
                )
            return found
        case c.PevNotified(pev_notified=args):
            told = ev.told
            found = []
            if args.binding:
                found.append(
                    _eq(
                        "pev_notified",
                        plan,
                        "binding",
                        told.binding is not None,
                        True,
                        "told whether bound:",
                    )
                )
            if args.incentive:
                found.append(
                    _eq(
                        "pev_notified",
                        plan,
                        "incentive",
                        told.binding.incentive if told.binding else None,
                        session.incentive if session else None,
                        "incentive told",
                    )
                )
            if args.summary:
                summary = sorted(told.summary)
                found.append(
                    _eq(
                        "pev_notified",
                        plan,
                        "session summary",
                        ", ".join(summary) or "nothing",
                        "duration_s, ended_at, energy_kwh, started_at",
                        "told",
                    )
                )
            return found
        case c.Clearinghouse(clearinghouse=args):
            posting = record.services.posting
            found = [
                _eq(
                    "clearinghouse",
                    plan,
                    "validated and posted",
                    posting is not None,
                    args.validated,
                    "posting recorded:",
                )
            ]
            if args.home_utility is not None:
                found.append(
                    _eq(
                        "clearinghouse",
                        plan,
                        "home utility",
                        posting.home_utility_id if posting else "none",
                        args.home_utility,
                        "home utility",
                    )
                )
            if args.posted_to is not None:
                found.append(
                    _eq(
                        "clearinghouse",
                        plan,
                        "posted to",
                        posting.account_id if posting else "none",
                        args.posted_to,
                        "posted to",
                    )
                )
            return found
        case c.Settlement(settlement=args):
            statement = record.services.settlement
            options = ", ".join(row.option for row in statement.rows) if statement else "none"
            found = [_eq("settlement", plan, "option", options, args.option, "statement rows for")]
            if args.roaming_utility is not None:
                found.append(
                    _eq(
                        "settlement",
                        plan,
                        "roaming utility",
                        statement.roaming_utility_id if statement else "none",
                        args.roaming_utility,
                        "roaming utility",
                    )
                )
            if args.home_utility is not None:
                found.append(
                    _eq(
                        "settlement",
                        plan,
                        "home utility",
                        statement.home_utility_id if statement else "none",
                        args.home_utility,
                        "home utility",
                    )
                )
            return found
        case c.Intervals(intervals=args):
            return _intervals(args, record, ev, plan)
        case c.SessionFlagged(session_flagged=args):
            flags = ", ".join(session.flags) if session else "no session"
            found = [
                _eq(
                    "session_flagged",
                    plan,
                    "flagged",
                    bool(session and session.flags),
                    True,
                    f"flags [{flags}]:",
                )
            ]
            if args.reason is not None:
                found.append(
                    _eq(
                        "session_flagged",
                        plan,
                        "reason",
                        args.reason in flags,
                        True,
                        f"flags [{flags}] mention {args.reason!r}:",
                    )
                )
            return found
        case c.AuditLog():
            return [_audit(ev, plan)]
        case c.EnergyBounds(energy=args):
            low = args.at_least.kwh if args.at_least else None
            high = args.at_most.kwh if args.at_most else None
            return [
                Measurement.within(
                    "energy: EUMD since plug-in",
                    ev.energy_kwh,
                    "kWh",
                    Limits(low=low, high=high),
                    requirements=_tag("energy", plan),
                )
            ]
    return []


def _periods(record: SessionRecord) -> list[tuple[str, Decimal]]:
    """The payer's bill lines as (period, rate), in time order, consecutive repeats merged."""
    periods: list[tuple[str, Decimal]] = []
    for line in sorted(_payer_lines(record), key=lambda x: x.start):
        if not periods or periods[-1] != (line.rate_period, line.rate):
            periods.append((line.rate_period, line.rate))
    return periods


def _intervals(
    args: c.IntervalsArgs, record: SessionRecord, ev: Evidence, plan: Plan
) -> list[Measurement]:
    raw = ev.raw_session or {}
    sent = record.intervals
    expected = (
        ("pev_id", raw.get("pev_id"), ev.pev_id),  # the PEV ID the ESI had, if any
        ("premise_id", raw.get("premise_id"), record.facts.premise.premise_id),
    )
    found = [
        Measurement.none_of(
            "intervals: incomplete records",
            [f"{name} {got}, expected {want}" for name, got, want in expected if got != want]
            + [f"interval {i.start.isoformat()} has no span" for i in sent if i.end <= i.start],
            "problems",
            requirements=_tag("intervals", plan),
        ),
    ]
    if args.length is not None:
        longest = max(((i.end - i.start).total_seconds() for i in sent), default=0.0)
        found += [
            _eq(
                "intervals",
                plan,
                "utility's interval length",
                float(ev.interval_s),
                args.length.seconds,
                "interval s",
            ),
            Measurement.within(
                "intervals: longest interval",
                longest,
                "s",
                Limits(high=args.length.seconds),
                requirements=_tag("intervals", plan),
            ),
        ]
    return found


def _audit(ev: Evidence, plan: Plan) -> Measurement:
    """Every request the utility logged from this ESI has a ``sent`` entry in the ESI's log."""
    if ev.utility_audit is None:
        return _eq("audit_log", plan, "utility audit log", "unreachable", "read", "utility audit")
    theirs = Counter(
        (e["method"], e["path"].split("?")[0]) for e in ev.utility_audit if e["status"] < 500
    )
    ours = Counter(
        ("GET" if e.kind == "signals" else "POST", e.target)
        for e in ev.esi_audit
        if e.outcome in ("sent", "rejected")
    )
    problems = [
        f"{method} {path}: utility logged {count}, ESI logged {ours[(method, path)]}"
        for (method, path), count in sorted(theirs.items())
        if ours[(method, path)] < count
    ]
    return Measurement.none_of(
        "audit_log: utility transactions missing from the ESI's log",
        problems,
        "transactions",
        requirements=_tag("audit_log", plan),
    )
