"""The oracle's payer table: one case per scenario and business rule."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tariff_cases import facts

from rig.oracle.payer import Roaming, expected_treatment
from rig.record import SessionFacts

CASES: dict[str, tuple[SessionFacts, str, str, str, bool, bool, bool]] = {
    # name: (facts, rule, payer, tariff, incentive, flagged, net_from_premise)
    "SC-1 home premise": (
        facts(premise_account="ACC-PEV-1"),
        "SC-1", "ACC-PEV-1", "TOU-PEV", True, False, False,
    ),
    "SC-2 host pays": (
        facts(guest_charging="host_pays"),
        "SC-2", "ACC-HOST-2", "FLAT-RES", False, False, False,
    ),
    "SC-3 PEV owner pays, host netted": (
        facts(),
        "SC-3", "ACC-PEV-1", "TOU-PEV", True, False, True,
    ),
    "SC-3 without revenue meter: nothing to net": (
        facts(revenue_meter=False),
        "SC-3", "ACC-PEV-1", "TOU-PEV", True, False, False,
    ),
    "SC-4 guest rate": (
        facts(premise_utility="U-B"),
        "SC-4", "ACC-PEV-1", "GUEST-B", False, False, True,
    ),
    "SC-4 home rate": (
        facts(premise_utility="U-B", option="home_rate"),
        "SC-4", "ACC-PEV-1", "TOU-PEV", True, False, True,
    ),
    "SC-5 unknown PEV": (
        facts(known=False),
        "SC-5", "ACC-HOST-2", "FLAT-RES", False, False, False,
    ),
    "SC-5 PEV not communicating": (
        facts(communication="pev_not_communicating"),
        "BR-01", "ACC-HOST-2", "FLAT-RES", False, False, False,
    ),
    "SC-6 host pays": (
        facts(kind="workplace"),
        "SC-6 host_pays", "ACC-HOST-2", "FLAT-RES", False, False, False,
    ),
    "SC-6 direct": (
        facts(kind="multi_family", arrangement="direct"),
        "SC-6 direct", "ACC-PEV-1", "TOU-PEV", True, False, True,
    ),
    "SC-6 guest": (
        facts(kind="public", arrangement="guest"),
        "SC-6 guest", "ACC-PEV-1", "GUEST-B", False, False, True,
    ),
    "SC-6 guest, foreign PEV": (
        facts(kind="public", arrangement="guest", premise_utility="U-B"),
        "SC-4", "ACC-PEV-1", "GUEST-B", False, False, True,
    ),
    "BR-01 communication failed": (
        facts(communication="failed"),
        "BR-01", "ACC-HOST-2", "FLAT-RES", False, False, False,
    ),
    "BR-01 validation failed": (
        facts(validated=False),
        "BR-01", "ACC-HOST-2", "FLAT-RES", False, False, False,
    ),
    "BR-04 EUMD unavailable": (
        facts(eumd_available=False),
        "BR-04", "ACC-HOST-2", "FLAT-RES", False, True, False,
    ),
    "BR-04 with BR-01: silent PEV, EUMD unavailable, still flagged": (
        facts(communication="pev_not_communicating", eumd_available=False),
        "BR-01", "ACC-HOST-2", "FLAT-RES", False, True, False,
    ),
    "BR-01 foreign PEV, clearinghouse down at binding": (
        replace(facts(premise_utility="U-B"), clearinghouse_at_binding=False),
        "BR-01", "ACC-HOST-2", "FLAT-RES", False, False, False,
    ),
    "BR-05 unenrolled PEV": (
        facts(program=None),
        "BR-05", "ACC-HOST-2", "FLAT-RES", False, False, False,
    ),
    "BR-11 host allows no guests": (
        facts(guest_charging="not_allowed"),
        "BR-11", "ACC-HOST-2", "FLAT-RES", False, False, False,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_expected_treatment(case: str) -> None:
    session_facts, rule, payer, tariff, incentive, flagged, net = CASES[case]
    treatment = expected_treatment(session_facts)
    assert (
        treatment.rule,
        treatment.payer_account_id,
        treatment.tariff_id,
        treatment.incentive,
        treatment.flagged,
        treatment.net_from_premise,
    ) == (rule, payer, tariff, incentive, flagged, net)
    assert treatment.bound == (rule not in {"BR-01", "SC-5", "BR-05", "BR-11"})


def test_roaming_terms_name_both_utilities_and_the_settlement_price() -> None:
    treatment = expected_treatment(facts(premise_utility="U-B", option="home_rate"))
    assert treatment.roaming == Roaming("home_rate", "U-A", "U-B", "SETTLE-B")
    assert {"SC-4", "BR-06", "BR-11"} <= set(treatment.requirements)
