"""Every row of the decision table in docs/rules.md, one test each, no I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rig.domain.vocabulary import (
    Communication,
    GuestCharging,
    PortalArrangement,
    PremiseKind,
    RoamingOption,
)
from rig.services.decision import (
    Decision,
    PevFacts,
    PevRecord,
    PremiseFacts,
    RoamingTerms,
    Scenario,
    SessionConditions,
    UtilityFacts,
)
from rig.services.rules import decide

HOME_UTILITY = UtilityFacts("pge", guest_tariff_id="pge-guest", settlement_tariff_id="pge-settle")
FOREIGN_UTILITY = UtilityFacts(
    "sce", guest_tariff_id="sce-guest", settlement_tariff_id="sce-settle"
)

ALICE_PEV = PevRecord(
    pev_id="PEV-ALICE",
    home_utility_id="pge",
    owner_account_id="acct-alice",
    program_tariff_id="pge-ev-tou",
)
ALICE = PevFacts(pev_id="PEV-ALICE", record=ALICE_PEV)

ALICE_HOME = PremiseFacts(
    premise_id="prem-alice",
    account_id="acct-alice",
    default_tariff_id="pge-e1",
    kind=PremiseKind.RESIDENTIAL,
    utility=HOME_UTILITY,
)
BOB_HOME = PremiseFacts(
    premise_id="prem-bob",
    account_id="acct-bob",
    default_tariff_id="pge-e6-tou",
    kind=PremiseKind.RESIDENTIAL,
    utility=HOME_UTILITY,
    guest_charging=GuestCharging.HOST_PAYS,
)
CAROL_HOME_ABROAD = PremiseFacts(
    premise_id="prem-carol",
    account_id="acct-carol",
    default_tariff_id="sce-d",
    kind=PremiseKind.RESIDENTIAL,
    utility=FOREIGN_UTILITY,
    guest_charging=GuestCharging.GUEST_PAYS,
)
GARAGE = PremiseFacts(
    premise_id="prem-garage",
    account_id="acct-garage",
    default_tariff_id="pge-a10",
    kind=PremiseKind.PUBLIC,
    utility=HOME_UTILITY,
)
NORMAL = SessionConditions()


def test_sc1_home_premise_owner_pays_programme_tariff_with_incentive() -> None:
    decision = decide(ALICE, ALICE_HOME, NORMAL)
    assert decision == Decision(
        scenario=Scenario.HOME_PREMISE,
        bound=True,
        payer_utility_id="pge",
        payer_account_id="acct-alice",
        tariff_id="pge-ev-tou",
        incentive=True,
        flagged=False,
        reason=decision.reason,
        requirement_ids=("SC-1", "BR-02"),
        pev_id="PEV-ALICE",
    )
    assert "home premise" in decision.reason


def test_sc1_home_premise_with_revenue_meter_is_not_netted() -> None:
    decision = decide(ALICE, replace(ALICE_HOME, has_revenue_meter=True), NORMAL)
    assert not decision.net_from_premise_bill


def test_sc2_host_pays_at_hosts_tariff_and_pev_id_is_recorded() -> None:
    decision = decide(ALICE, BOB_HOME, NORMAL)
    assert (decision.scenario, decision.bound, decision.incentive) == (
        Scenario.OTHER_PREMISE_HOST_PAYS,
        True,
        False,
    )
    assert (decision.payer_account_id, decision.tariff_id) == ("acct-bob", "pge-e6-tou")
    assert decision.pev_id == "PEV-ALICE"
    assert decision.requirement_ids == ("SC-2", "BR-11")
    assert not decision.net_from_premise_bill


def test_sc3_pev_owner_pays_programme_tariff_and_host_is_netted() -> None:
    bob_guests_pay = replace(
        BOB_HOME, guest_charging=GuestCharging.GUEST_PAYS, has_revenue_meter=True
    )
    decision = decide(ALICE, bob_guests_pay, NORMAL)
    assert decision.scenario is Scenario.OTHER_PREMISE_PEV_OWNER_PAYS
    assert (decision.payer_utility_id, decision.payer_account_id) == ("pge", "acct-alice")
    assert (decision.tariff_id, decision.incentive, decision.bound) == ("pge-ev-tou", True, True)
    assert decision.net_from_premise_bill
    assert decision.roaming is None
    assert decision.requirement_ids == ("SC-3", "BR-02", "BR-11")


def test_sc3_without_a_revenue_meter_nothing_to_net() -> None:
    decision = decide(ALICE, replace(BOB_HOME, guest_charging=GuestCharging.GUEST_PAYS), NORMAL)
    assert not decision.net_from_premise_bill


def test_sc4_guest_rate_option_pays_roaming_guest_tariff_without_incentive() -> None:
    decision = decide(ALICE, CAROL_HOME_ABROAD, NORMAL)
    assert decision.scenario is Scenario.FOREIGN_TERRITORY
    assert (decision.payer_utility_id, decision.payer_account_id) == ("pge", "acct-alice")
    assert (decision.tariff_id, decision.incentive) == ("sce-guest", False)
    assert decision.roaming == RoamingTerms(
        option=RoamingOption.GUEST_RATE,
        home_utility_id="pge",
        roaming_utility_id="sce",
        settlement_tariff_id="sce-settle",
    )
    assert decision.requirement_ids == ("SC-4", "BR-11", "BR-06")


def test_sc4_home_rate_option_pays_home_programme_tariff_with_incentive() -> None:
    conditions = SessionConditions(roaming_option=RoamingOption.HOME_RATE)
    decision = decide(ALICE, replace(CAROL_HOME_ABROAD, has_revenue_meter=True), conditions)
    assert (decision.tariff_id, decision.incentive) == ("pge-ev-tou", True)
    assert decision.roaming is not None
    assert decision.roaming.option is RoamingOption.HOME_RATE
    assert decision.net_from_premise_bill
    assert decision.requirement_ids == ("SC-4", "BR-11", "BR-06", "BR-02")


def test_foreign_pev_at_a_host_pays_premise_is_sc2_without_clearinghouse_settlement() -> None:
    decision = decide(
        ALICE, replace(CAROL_HOME_ABROAD, guest_charging=GuestCharging.HOST_PAYS), NORMAL
    )
    assert decision.scenario is Scenario.OTHER_PREMISE_HOST_PAYS
    assert (decision.payer_utility_id, decision.payer_account_id) == ("sce", "acct-carol")
    assert decision.roaming is None


@pytest.mark.parametrize(
    ("pev", "communication", "requirement_ids", "reason_says"),
    [
        pytest.param(
            PevFacts(None, None),
            Communication.PEV_NOT_COMMUNICATING,
            ("SC-5", "BR-01"),
            "does not communicate",
            id="non-communicating PEV",
        ),
        pytest.param(
            ALICE,
            Communication.FAILED,
            ("SC-5", "BR-01"),
            "communication",
            id="BR-01 communication failed",
        ),
        pytest.param(
            PevFacts("PEV-NOBODY", None),
            Communication.ESTABLISHED,
            ("SC-5", "BR-05"),
            "unknown",
            id="unknown everywhere",
        ),
        pytest.param(
            PevFacts("PEV-ALICE", replace(ALICE_PEV, program_tariff_id=None)),
            Communication.ESTABLISHED,
            ("SC-5", "BR-02", "BR-05"),
            "not enrolled",
            id="known but not enrolled",
        ),
        pytest.param(
            PevFacts("PEV-ALICE", replace(ALICE_PEV, validated=False)),
            Communication.ESTABLISHED,
            ("SC-5", "BR-01"),
            "validation",
            id="BR-01 validation failed",
        ),
    ],
)
def test_sc5_and_br01_unbound_pev_premise_pays_default_rate(
    pev: PevFacts,
    communication: Communication,
    requirement_ids: tuple[str, ...],
    reason_says: str,
) -> None:
    bob_guests_pay = replace(BOB_HOME, guest_charging=GuestCharging.GUEST_PAYS)
    decision = decide(pev, bob_guests_pay, SessionConditions(communication=communication))
    assert decision.scenario is Scenario.NOT_ENROLLED_OR_NOT_COMMUNICATING
    assert (decision.bound, decision.incentive, decision.flagged) == (False, False, False)
    assert (decision.payer_utility_id, decision.payer_account_id) == ("pge", "acct-bob")
    assert decision.tariff_id == "pge-e6-tou"
    assert decision.requirement_ids == requirement_ids
    assert reason_says in decision.reason
    assert decision.pev_id == pev.pev_id


def test_sc5_even_at_the_owners_home_an_unbound_pev_gets_the_default_rate() -> None:
    decision = decide(ALICE, ALICE_HOME, SessionConditions(communication=Communication.FAILED))
    assert (decision.payer_account_id, decision.tariff_id, decision.incentive) == (
        "acct-alice",
        "pge-e1",
        False,
    )


def test_sc5_unknown_pev_in_foreign_territory_premise_pays() -> None:
    decision = decide(PevFacts("PEV-NOBODY", None), CAROL_HOME_ABROAD, NORMAL)
    assert (decision.payer_utility_id, decision.payer_account_id) == ("sce", "acct-carol")
    assert decision.tariff_id == "sce-d"
    assert decision.roaming is None


def test_br11_host_not_allowing_guests_refuses_binding_premise_pays() -> None:
    no_guests = replace(BOB_HOME, guest_charging=GuestCharging.NOT_ALLOWED)
    decision = decide(ALICE, no_guests, NORMAL)
    assert decision.scenario is Scenario.OTHER_PREMISE_HOST_PAYS
    assert (decision.bound, decision.incentive) == (False, False)
    assert (decision.payer_account_id, decision.tariff_id) == ("acct-bob", "pge-e6-tou")
    assert decision.requirement_ids == ("SC-2", "BR-11")


@pytest.mark.parametrize(
    ("premise", "scenario", "payer"),
    [
        (ALICE_HOME, Scenario.HOME_PREMISE, "acct-alice"),
        (
            replace(BOB_HOME, guest_charging=GuestCharging.GUEST_PAYS),
            Scenario.OTHER_PREMISE_HOST_PAYS,
            "acct-bob",
        ),
        (CAROL_HOME_ABROAD, Scenario.OTHER_PREMISE_HOST_PAYS, "acct-carol"),
        (
            replace(GARAGE, portal_arrangement=PortalArrangement.DIRECT),
            Scenario.PUBLIC_MULTI_FAMILY_OR_WORKPLACE,
            "acct-garage",
        ),
    ],
)
def test_br04_eumd_unavailable_premise_pays_default_no_incentive_flagged(
    premise: PremiseFacts, scenario: Scenario, payer: str
) -> None:
    decision = decide(ALICE, premise, SessionConditions(eumd_available=False))
    assert decision.scenario is scenario
    assert (decision.bound, decision.incentive, decision.flagged) == (True, False, True)
    assert (decision.payer_account_id, decision.tariff_id) == (payer, premise.default_tariff_id)
    assert decision.requirement_ids == (scenario.value, "BR-04")
    assert decision.roaming is None
    assert not decision.net_from_premise_bill


def test_br04_flags_an_unbound_session_too() -> None:
    decision = decide(
        PevFacts(None, None),
        BOB_HOME,
        SessionConditions(communication=Communication.PEV_NOT_COMMUNICATING, eumd_available=False),
    )
    assert decision.flagged
    assert decision.requirement_ids == ("SC-5", "BR-01", "BR-04")


@pytest.mark.parametrize(
    "kind", [PremiseKind.PUBLIC, PremiseKind.MULTI_FAMILY, PremiseKind.WORKPLACE]
)
def test_sc6_host_pays_portal_site_pays_its_tariff(kind: PremiseKind) -> None:
    decision = decide(ALICE, replace(GARAGE, kind=kind), NORMAL)
    assert decision.scenario is Scenario.PUBLIC_MULTI_FAMILY_OR_WORKPLACE
    assert (decision.payer_account_id, decision.tariff_id) == ("acct-garage", "pge-a10")
    assert (decision.bound, decision.incentive) == (True, False)
    assert decision.requirement_ids == ("SC-6", "SC-2")


def test_sc6_direct_portal_bills_owner_at_programme_tariff_as_sc3() -> None:
    site = replace(GARAGE, portal_arrangement=PortalArrangement.DIRECT, has_revenue_meter=True)
    decision = decide(ALICE, site, NORMAL)
    assert (decision.payer_account_id, decision.tariff_id, decision.incentive) == (
        "acct-alice",
        "pge-ev-tou",
        True,
    )
    assert decision.net_from_premise_bill
    assert decision.requirement_ids == ("SC-6", "SC-3", "BR-02")


def test_sc6_guest_portal_bills_owner_at_guest_tariff() -> None:
    decision = decide(ALICE, replace(GARAGE, portal_arrangement=PortalArrangement.GUEST), NORMAL)
    assert (decision.payer_account_id, decision.tariff_id, decision.incentive) == (
        "acct-alice",
        "pge-guest",
        False,
    )
    assert decision.roaming is None
    assert decision.requirement_ids == ("SC-6",)


@pytest.mark.parametrize(
    ("arrangement", "option", "tariff_id", "incentive"),
    [
        (PortalArrangement.GUEST, RoamingOption.GUEST_RATE, "sce-guest", False),
        (PortalArrangement.DIRECT, RoamingOption.HOME_RATE, "pge-ev-tou", True),
    ],
)
def test_sc6_foreign_pev_goes_through_the_clearinghouse_at_the_portals_option(
    arrangement: PortalArrangement, option: RoamingOption, tariff_id: str, incentive: bool
) -> None:
    foreign_site = replace(
        GARAGE, account_id="acct-mall", utility=FOREIGN_UTILITY, portal_arrangement=arrangement
    )
    # The portal's arrangement fixes the option; the customer's own choice does not apply.
    conditions = SessionConditions(roaming_option=RoamingOption.GUEST_RATE)
    decision = decide(ALICE, foreign_site, conditions)
    assert decision.scenario is Scenario.PUBLIC_MULTI_FAMILY_OR_WORKPLACE
    assert (decision.payer_utility_id, decision.payer_account_id) == ("pge", "acct-alice")
    assert (decision.tariff_id, decision.incentive) == (tariff_id, incentive)
    assert decision.roaming is not None
    assert decision.roaming.option is option
    assert {"SC-6", "SC-4", "BR-06"} <= set(decision.requirement_ids)


def test_sc6_multi_family_tenants_own_portal_is_their_home_premise() -> None:
    tenant_portal = replace(ALICE_HOME, kind=PremiseKind.MULTI_FAMILY)
    assert decide(ALICE, tenant_portal, NORMAL).scenario is Scenario.HOME_PREMISE


def test_the_scenarios_own_id_is_always_among_the_requirement_ids() -> None:
    """Records trace: the scenario's own ID is always among the requirement IDs."""
    for premise in (ALICE_HOME, BOB_HOME, CAROL_HOME_ABROAD, GARAGE):
        for conditions in (NORMAL, SessionConditions(eumd_available=False)):
            decision = decide(ALICE, premise, conditions)
            assert decision.scenario.value in decision.requirement_ids
