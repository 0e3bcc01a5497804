"""The oracle passes a correct utility and catches each deliberate defect by name.

The "service records" here are what a correct utility would hold for the STRADDLE
session at the SC-3 premise (hand-computed in ``tariff_cases``), then broken on
purpose: a wrong rate, a wrong payer, a lost interval, a double bill.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from tariff_cases import (
    STRADDLE,
    STRADDLE_LINES,
    TARIFFS,
    TOU,
    facts,
    line,
    local,
)

from rig.oracle.compare import (
    compare_bill,
    compare_intervals,
    compare_netting,
    compare_treatment,
)
from rig.oracle.netting import expected_netting
from rig.oracle.payer import expected_treatment
from rig.oracle.tariff import expected_bill
from rig.record import BillLine, BindingAnswer, UtilitySession
from rig.results.measurements import Measurement, Verdict

SC3 = facts()
TREATMENT = expected_treatment(SC3)
EXPECTED = expected_bill(TOU, STRADDLE)
SESSION = UtilitySession("S-1", "SC-3", "ACC-PEV-1", "TOU-PEV", incentive=True, pev_id="PEV-1")
BINDING = BindingAnswer(
    True, True, "SC-3", "ACC-PEV-1", "TOU-PEV", "another premise whose guests pay",
    ("SC-3", "BR-02", "BR-11"),
)  # fmt: skip


def failures(measurements: list[Measurement]) -> list[str]:
    return [m.message for m in measurements if m.verdict is Verdict.FAIL]


def bill_failures(lines: list[BillLine]) -> list[str]:
    return failures(compare_bill(EXPECTED, STRADDLE, lines, TREATMENT))


def test_a_correct_utility_passes() -> None:
    assert bill_failures(STRADDLE_LINES) == []
    assert failures(compare_treatment(TREATMENT, SESSION, BINDING)) == []


def test_wrong_rate_is_named_with_interval_period_and_rate() -> None:
    off_rate = dataclasses.replace(
        STRADDLE_LINES[1], rate=Decimal("0.12"), rate_period="off_peak", amount=Decimal("0.35")
    )
    messages = bill_failures([STRADDLE_LINES[0], off_rate])
    assert (
        "FAIL rate per interval: interval 1: billed rate 0.12 USD/kWh at off_peak, "
        "expected 0.31 at on_peak; interval 2: billed rate 0.12 USD/kWh at off_peak, "
        "expected 0.31 at on_peak"
    ) in messages
    assert "FAIL billed amount: billed USD 0.48, expected 1.04" in messages


def test_wrong_payer_is_named() -> None:
    wrong = dataclasses.replace(SESSION, payer_account_id="ACC-HOST-2")
    assert failures(compare_treatment(TREATMENT, wrong, BINDING)) == [
        "FAIL payer: payer ACC-HOST-2, expected ACC-PEV-1"
    ]
    on_host = [dataclasses.replace(bl, account_id="ACC-HOST-2") for bl in STRADDLE_LINES]
    assert bill_failures(on_host) == ["FAIL bill payer: payer ACC-HOST-2, expected ACC-PEV-1"]


def test_lost_interval_is_named_by_its_start() -> None:
    # The utility lost interval 2 (16:07–16:22 local, 21:07 UTC) and billed interval 1 only.
    lost = [
        STRADDLE_LINES[0],
        line(local(25, 16), local(25, 16, 7), "0.933", "0.31", "0.29", period="on_peak"),
    ]
    messages = bill_failures(lost)
    assert (
        "FAIL intervals missing from bill: interval 2026-11-25T21:07+00:00 missing from bill"
        in messages
    )
    assert "FAIL billed energy: billed kWh 2.000, expected 4.000" in messages
    held = dataclasses.replace(SESSION, interval_count=1)
    assert failures(compare_intervals(STRADDLE, held)) == [
        "FAIL intervals at the utility: intervals held 1, expected 2"
    ]


def test_double_bill_is_named() -> None:
    messages = bill_failures(STRADDLE_LINES + STRADDLE_LINES)
    assert messages[0] == (
        "FAIL intervals billed twice: interval 2026-11-25T20:52+00:00 billed twice; "
        "interval 2026-11-25T21:07+00:00 billed twice"
    )
    assert "FAIL billed amount: billed USD 2.08, expected 1.04" in messages


def test_binding_indicator_and_flag() -> None:
    br04 = expected_treatment(facts(eumd_available=False))
    unflagged = UtilitySession("S-2", "SC-3", "ACC-HOST-2", "FLAT-RES", incentive=False)
    told = BindingAnswer(True, True, "SC-3", "ACC-HOST-2", "FLAT-RES")
    assert failures(compare_treatment(br04, unflagged, told)) == [
        "FAIL incentive indicated: incentive told True, expected False",
        "FAIL decision scenario: scenario SC-3, expected SC-2",  # BR-04: the host pays, SC-2
        "FAIL session flagged: flagged False, expected True",
    ]
    assert failures(compare_treatment(TREATMENT, None, None)) == [
        "FAIL binding indicated: bound False, expected True",
        "FAIL incentive indicated: incentive told False, expected True",
        "FAIL utility session record: session record missing, expected present",
    ]


def test_sc3_netting_takes_the_eumd_energy_off_the_host_bill() -> None:
    netting = expected_netting(TREATMENT, SC3, TARIFFS, STRADDLE)
    assert netting is not None
    # FLAT-RES 0.20: 4.000 kWh → 0.80, credited on the host's account.
    credit = line(
        local(25, 15, 52), local(25, 16, 22), "-4.000", "0.20", "-0.80",
        period="flat", account="ACC-HOST-2", kind="netting", tariff="FLAT-RES",
    )  # fmt: skip
    assert failures(compare_netting(netting, "ACC-HOST-2", [*STRADDLE_LINES, credit])) == []
    assert failures(compare_netting(netting, "ACC-HOST-2", STRADDLE_LINES)) == [
        "FAIL netting energy: netted kWh 0, expected -4.000",
        "FAIL netting amount: netted amount 0, expected -0.80",
    ]
    charged = dataclasses.replace(STRADDLE_LINES[0], account_id="ACC-HOST-2")
    assert failures(compare_netting(netting, "ACC-HOST-2", [credit, charged])) == [
        "FAIL session charged to host: line 2026-11-25T20:52+00:00 charged 0.13 to ACC-HOST-2"
    ]
    no_netting = expected_treatment(facts(revenue_meter=False))
    assert expected_netting(no_netting, SC3, TARIFFS, STRADDLE) is None
    assert failures(compare_netting(None, "ACC-HOST-2", [credit])) == [
        "FAIL netting on host bill: netted kWh -4.000, expected 0"
    ]


def test_a_decision_relabelled_is_caught() -> None:
    """BR-01 (the home utility's validation failed) told as an unknown or unenrolled PEV."""
    br01 = expected_treatment(facts(validated=False))
    session = UtilitySession("S-3", "SC-5", "ACC-HOST-2", "FLAT-RES", incentive=False)
    right = BindingAnswer(
        False, False, "SC-5", "ACC-HOST-2", "FLAT-RES",
        "the home utility's validation of the PEV failed", ("SC-5", "BR-01"),
    )  # fmt: skip
    assert failures(compare_treatment(br01, session, right)) == []
    relabelled = dataclasses.replace(
        right, reason="PEV not enrolled in a PEV programme", requirement_ids=("SC-5", "BR-05")
    )
    assert failures(compare_treatment(br01, session, relabelled)) == [
        "FAIL decision requirements: the utility's decision (SC-5, BR-05: 'PEV not enrolled "
        "in a PEV programme') does not cite BR-01, expected BR-01"
    ]
    # The other way round: an SC-3 session the utility says it decided under BR-01 and BR-04.
    claims = dataclasses.replace(BINDING, requirement_ids=("SC-3", "BR-01", "BR-04"))
    assert failures(compare_treatment(TREATMENT, SESSION, claims)) == [
        "FAIL decision requirements: the utility's decision (SC-3, BR-01, BR-04: 'another "
        "premise whose guests pay') cites BR-01 (communication or validation failed), which "
        "did not happen, expected SC-3; the utility's decision (SC-3, BR-01, BR-04: 'another "
        "premise whose guests pay') cites BR-04 (the EUMD was unavailable), which did not "
        "happen, expected SC-3"
    ]
    # and a session recorded under another scenario
    sc2 = dataclasses.replace(SESSION, scenario="SC-2")
    assert failures(compare_treatment(TREATMENT, sc2, BINDING)) == [
        "FAIL decision scenario: scenario SC-2, expected SC-3"
    ]
