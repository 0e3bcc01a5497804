"""SC-4: hold the clearinghouse's posting and settlement statement to the oracle's.

What :mod:`rig.oracle.settlement` expects of a roaming session — the customer's
price, the settlement price and the difference, posted to the home account — against
what the clearinghouse recorded, one measurement per question
(:func:`~rig.oracle.compare.equal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rig.domain.checks import CheckKind as Kind
from rig.oracle.compare import equal
from rig.oracle.settlement import ExpectedSettlement
from rig.record import Posting, Settlement
from rig.results.measurements import Measurement, Value


def compare_settlement(
    expected: ExpectedSettlement | None, posting: Posting | None, settlement: Settlement | None
) -> list[Measurement]:
    """SC-4: the clearinghouse's posting to the home account and its settlement statement."""
    if expected is None:
        return []
    req = ("SC-4", "BR-06")
    if posting is None:
        return [
            equal("clearinghouse posting", "missing", "present", req, "posting", Kind.CLEARINGHOUSE)
        ]
    pairs: list[tuple[str, Value, Value]] = [
        ("account", posting.account_id, expected.account_id),
        ("home utility", posting.home_utility_id, expected.home_utility_id),
        ("roaming utility", posting.roaming_utility_id, expected.roaming_utility_id),
        ("option", posting.option, expected.option),
        ("customer amount", posting.customer_amount, expected.customer_amount),
        ("settlement amount", posting.settlement_amount, expected.roaming_utility_owed),
        ("difference", posting.difference, expected.difference),
    ]
    if settlement is not None:
        pairs.append(("listed in statement", posting.charge_id in settlement.charges, True))
        rows = [row for row in settlement.rows if row.option == expected.option]
        if len(rows) == 1 and rows[0].sessions == 1:  # the statement is this session alone
            pairs += [
                ("statement kWh", rows[0].kwh, expected.customer.total_kwh),
                ("statement customer amount", rows[0].customer_amount, expected.customer_amount),
                ("statement owed", rows[0].settlement_amount, expected.roaming_utility_owed),
                ("statement difference", rows[0].difference, expected.difference),
            ]
    measurements = [
        equal(f"posting {name}", got, want, req, name, Kind.CLEARINGHOUSE)
        for name, got, want in pairs
    ]
    if settlement is None:
        measurements.append(
            equal("settlement statement", "missing", "present", req, "statement", Kind.SETTLEMENT)
        )
    else:
        measurements += _statement_totals(expected, settlement, req)
    return measurements


def _statement_totals(
    expected: ExpectedSettlement, settlement: Settlement, req: Sequence[str]
) -> list[Measurement]:
    """The statement's totals add up its rows; alone with this session, they are its money."""
    totals = settlement.totals
    if totals is None:
        return [
            equal(
                "settlement totals", "missing", "present", req, "statement totals", Kind.SETTLEMENT
            )
        ]
    rows = settlement.rows
    fields = ("sessions", "kwh", "customer_amount", "settlement_amount", "difference")
    names = ("sessions", "kWh", "customer amount", "owed", "kept")
    summed = [sum((getattr(r, f) for r in rows), Decimal(0)) for f in fields]
    given = [getattr(totals, f) for f in fields]
    problems = [
        f"{name} total {got}, rows add up to {want}"
        for name, got, want in zip(names, given, summed, strict=True)
        if got != want
    ]
    if totals.sessions == 1:  # the statement is this session alone
        alone = (totals.kwh, totals.customer_amount, totals.settlement_amount, totals.difference)
        want = (
            expected.customer.total_kwh,
            expected.customer_amount,
            expected.roaming_utility_owed,
            expected.difference,
        )
        problems += [
            f"{name} total {got}, expected {w} for this session alone"
            for name, got, w in zip(names[1:], alone, want, strict=True)
            if got != w
        ]
    return [
        Measurement.none_of(
            "settlement totals", problems, "problems", requirements=req, answers=Kind.SETTLEMENT
        )
    ]
