"""SC-4 money in both options, hand-computed, and a wrong clearinghouse caught."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from tariff_cases import STRADDLE, TARIFFS, facts

from rig.oracle.compare_roaming import compare_settlement
from rig.oracle.payer import expected_treatment
from rig.oracle.settlement import expected_settlement
from rig.record import Posting, Settlement, SettlementRow
from rig.results.measurements import Verdict


@pytest.mark.parametrize(
    ("option", "tariff", "customer", "difference"),
    [
        # 4.000 kWh at the roaming utility's guest tariff 0.40 → 1.60.
        ("guest_rate", "GUEST-B", "1.60", "0.60"),
        # At the home TOU programme tariff: 0.13 + 0.91 (see tariff_cases) → 1.04.
        ("home_rate", "TOU-PEV", "1.04", "0.04"),
    ],
)
def test_both_options_and_the_clearinghouse_records(
    option: str, tariff: str, customer: str, difference: str
) -> None:
    treatment = expected_treatment(facts(premise_utility="U-B", option=option))  # type: ignore[arg-type]
    expected = expected_settlement(treatment, TARIFFS, STRADDLE)
    assert expected is not None and expected.customer.tariff_id == tariff
    # The roaming utility is owed its settlement price 0.25 × 4.000 kWh = 1.00.
    assert (expected.customer_amount, expected.roaming_utility_owed, expected.difference) == (
        Decimal(customer),
        Decimal("1.00"),
        Decimal(difference),
    )
    posting = Posting(
        "U-B:S-1", "U-B", "U-A", "ACC-PEV-1", option, tariff, "SETTLE-B", Decimal("4.000"),
        Decimal(customer), Decimal("1.00"), Decimal(difference), "USD",
    )  # fmt: skip
    row = SettlementRow(option, 1, Decimal("4.000"), Decimal(customer), Decimal("1.00"),
                        Decimal(difference))  # fmt: skip
    statement = Settlement(
        "U-B", "U-A", (row,), charges=("U-B:S-1",),
        totals=dataclasses.replace(row, option="total"),
    )  # fmt: skip
    measured = compare_settlement(expected, posting, statement)
    assert {m.verdict for m in measured} == {Verdict.PASS} and len(measured) == 13
    wrong = dataclasses.replace(posting, account_id="ACC-HOST-2", difference=Decimal("0"))
    assert [m.message for m in compare_settlement(expected, wrong, statement) if m.message] == [
        "FAIL posting account: account ACC-HOST-2, expected ACC-PEV-1",
        f"FAIL posting difference: difference 0, expected {difference}",
    ]
    assert [m.message for m in compare_settlement(expected, None, None)] == [
        "FAIL clearinghouse posting: posting missing, expected present"
    ]


def test_no_settlement_at_home() -> None:
    assert expected_settlement(expected_treatment(facts()), TARIFFS, STRADDLE) is None
    assert compare_settlement(None, None, None) == []


def test_the_statement_totals_are_compared() -> None:
    """A statement whose per-option row is right but whose totals are not (issue 11)."""
    treatment = expected_treatment(facts(premise_utility="U-B"))
    expected = expected_settlement(treatment, TARIFFS, STRADDLE)
    assert expected is not None
    posting = Posting(
        "U-B:S-1", "U-B", "U-A", "ACC-PEV-1", "guest_rate", "GUEST-B", "SETTLE-B",
        Decimal("4.000"), Decimal("1.60"), Decimal("1.00"), Decimal("0.60"), "USD",
    )  # fmt: skip
    row = SettlementRow("guest_rate", 1, Decimal("4.000"), Decimal("1.60"), Decimal("1.00"),
                        Decimal("0.60"))  # fmt: skip
    # The home utility is told it keeps 1.60 (the customer amount) and owes nothing.
    wrong = dataclasses.replace(
        row, option="total", settlement_amount=Decimal("0"), difference=Decimal("1.60")
    )
    statement = Settlement("U-B", "U-A", (row,), charges=("U-B:S-1",), totals=wrong)
    assert [m.message for m in compare_settlement(expected, posting, statement) if m.message] == [
        "FAIL settlement totals: owed total 0, rows add up to 1.00; kept total 1.60, rows add "
        "up to 0.60; owed total 0, expected 1.00 for this session alone (and 1 more)"
    ]
    untotalled = dataclasses.replace(statement, totals=None)
    assert [m.message for m in compare_settlement(expected, posting, untotalled) if m.message] == [
        "FAIL settlement totals: statement totals missing, expected present"
    ]
