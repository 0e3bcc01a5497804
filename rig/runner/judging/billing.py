"""The pins of the billing checks: who pays, at which tariff and rates, how much, netting."""

from __future__ import annotations

from decimal import Decimal

from rig.oracle.compare import PAYER_KINDS
from rig.plans import checks as c
from rig.plans.checks import PlanCheck
from rig.record import BillLine, SessionRecord
from rig.results.measurements import Limits, Measurement
from rig.runner.judging.pins import Pin, Seen, equal, pin, within


def _payer(check: c.Payer, seen: Seen) -> list[Measurement]:
    args, record = check.payer, seen.record
    session = record.services.session
    billed_to = session.payer_account_id if session else "none"
    found = [equal(check, seen, "account", billed_to, args.account, "billed to")]
    if args.utility is not None:
        raw = seen.evidence.raw_session or {}
        utility = raw.get("payer_utility_id") or (
            record.facts.premise.utility_id if session else "none"
        )
        if record.services.posting is not None:
            utility = record.services.posting.home_utility_id
        found.append(equal(check, seen, "utility", utility, args.utility, "billed by"))
    return found


def _tariff(check: c.Tariff, seen: Seen) -> list[Measurement]:
    args, session = check.tariff, seen.record.services.session
    found = [equal(check, seen, "id", session.tariff_id if session else "none", args.id, "tariff")]
    if not args.rates:
        return found
    periods = _periods(seen.record)
    found.append(
        equal(
            check,
            seen,
            "rate periods",
            " → ".join(p for p, _ in periods) or "none",
            " → ".join(r.period for r in args.rates),
            "periods",
        )
    )
    for index, (want, got) in enumerate(zip(args.rates, periods, strict=False)):
        if want.rate is not None:
            name = f"rate {index + 1} ({want.period})"
            found.append(equal(check, seen, name, got[1], want.rate, "rate"))
    return found


def _incentive(check: c.Incentive, seen: Seen) -> list[Measurement]:
    session = seen.record.services.session
    applied = session.incentive if session else None
    return [equal(check, seen, "applies", applied, check.incentive.applies, "incentive")]


def _amount(check: c.Amount, seen: Seen) -> list[Measurement]:
    if check.amount.total is None:
        return []
    total = sum((line.amount for line in payer_lines(seen.record)), Decimal(0))
    return [equal(check, seen, "total", total, check.amount.total, "billed")]


def _premise_netting(check: c.PremiseNetting, seen: Seen) -> list[Measurement]:
    account = check.premise_netting.account
    netted = sum(
        (
            line.kwh
            for line in seen.record.services.bill_lines
            if line.kind == "netting" and line.account_id == account
        ),
        Decimal(0),
    )
    return [
        within(
            check,
            seen,
            f"energy netted off {account}",
            float(-netted),
            "kWh",
            Limits(low=0.001),
            detail=f"{-netted} kWh netted off {account}, expected the session's",
        )
    ]


def payer_lines(record: SessionRecord) -> list[BillLine]:
    """The bill lines the session's payer was charged."""
    return [line for line in record.services.bill_lines if line.kind in PAYER_KINDS]


def _periods(record: SessionRecord) -> list[tuple[str, Decimal]]:
    """The payer's bill lines as (period, rate), in time order, consecutive repeats merged."""
    periods: list[tuple[str, Decimal]] = []
    for line in sorted(payer_lines(record), key=lambda x: x.start):
        if not periods or periods[-1] != (line.rate_period, line.rate):
            periods.append((line.rate_period, line.rate))
    return periods


PINS: dict[type[PlanCheck], Pin] = dict(
    [
        pin(c.Payer, _payer),
        pin(c.Tariff, _tariff),
        pin(c.Incentive, _incentive),
        pin(c.Amount, _amount),
        pin(c.PremiseNetting, _premise_netting),
    ]
)
