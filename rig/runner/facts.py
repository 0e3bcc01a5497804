"""Where a plan happens, and the facts the oracle judges its session by.

A plan names IDs — the PEV, the premise, the portal — and the utility data set
says what they are. :func:`place_of` looks them up once (:class:`Place`: the
premise with its portal, EUMD and ESI, the premise's utility, the portal's
supply) and fails early, naming the ID, when the data set lacks one.

:func:`initial_facts` and :func:`session_facts` fill
:class:`~rig.record.SessionFacts` — enrolment, home utility and owner account,
the premise's account and tariffs, host preference or portal arrangement — from
the data set *as data*: no rule of the services decides anything here. What the
session itself showed (whether the PEV communicated, whether the ESI reached the
utility, whether the EUMD answered) is filled in after the run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from rig.domain.vocabulary import Communication, GuestCharging, RoamingOption
from rig.plans import Plan
from rig.record import PevFacts, PremiseFacts, SessionFacts
from rig.services.dataset import LoadedDataset, Portal, Premise, Utility

Supply = Literal["cordset_120", "evse_240"]


class PlaceError(LookupError):
    """The plan names something the utility data set does not have."""


@dataclass(frozen=True)
class Place:
    data: LoadedDataset
    premise: Premise
    portal: Portal
    utility: Utility
    """The utility whose territory the premise is in (the one the ESI talks to)."""
    esi_id: str

    @property
    def eumd_id(self) -> str | None:
        return self.portal.eumd_id

    @property
    def supply(self) -> Supply:
        """The simulated supply that matches the portal (a DC charger is not simulated)."""
        return "cordset_120" if self.portal.kind == "cordset_120" else "evse_240"


def place_of(plan: Plan, data: LoadedDataset) -> Place:
    premise = data.premises.get(plan.premise)
    if premise is None:
        raise PlaceError(f"premise {plan.premise!r} is not in data set {data.source}")
    portal = next((p for p in premise.portals if p.id == plan.portal), None)
    if portal is None:
        raise PlaceError(f"portal {plan.portal!r} is not a portal of premise {premise.id}")
    utility = data.utilities[data.utility_of[premise.id]]
    return Place(data, premise, portal, utility, premise.esis[0].id)


def _pev_facts(plan: Plan, data: LoadedDataset) -> PevFacts:
    pev = data.pevs.get(plan.pev.id)
    if pev is None:
        return PevFacts(pev_id=plan.pev.id, known=False, validated=False)
    enrolment = data.enrolments.get(pev.id)
    return PevFacts(
        pev_id=pev.id,
        home_utility_id=data.utility_of[pev.id],
        owner_account_id=pev.account_id,
        program_tariff_id=enrolment.tariff_id if enrolment else None,
        validated=pev.validates,
    )


def _premise_facts(place: Place) -> PremiseFacts:
    premise, utility = place.premise, place.utility
    guest = (
        premise.host.guest_charging if premise.kind == "residential" else GuestCharging.NOT_ALLOWED
    )
    return PremiseFacts(
        premise_id=premise.id,
        portal_id=place.portal.id,
        account_id=premise.account_id,
        default_tariff_id=premise.default_tariff_id,
        kind=premise.kind,
        utility_id=utility.id,
        guest_tariff_id=utility.guest_tariff_id,
        settlement_tariff_id=utility.settlement_tariff_id,
        guest_charging=guest,
        portal_arrangement=place.portal.arrangement,
        has_revenue_meter=premise.revenue_meter,
    )


def initial_facts(plan: Plan, place: Place) -> SessionFacts:
    """The facts before the session: the PEV communicates, the EUMD answers."""
    preferences = plan.pev.preferences
    option = preferences.roaming_option if preferences and preferences.roaming_option else None
    return SessionFacts(
        pev=_pev_facts(plan, place.data),
        premise=_premise_facts(place),
        communication=Communication.ESTABLISHED
        if plan.pev.communicating
        else Communication.PEV_NOT_COMMUNICATING,
        roaming_option=option or RoamingOption.GUEST_RATE,
    )


def session_facts(
    facts: SessionFacts, communication: Communication, eumd_available: bool
) -> SessionFacts:
    """The facts after the session, with what it showed."""
    return replace(facts, communication=communication, eumd_available=eumd_available)
