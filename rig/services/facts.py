"""From the data set to the facts the pure rules and grants are decided on.

:mod:`rig.services.rules` and :mod:`rig.services.grants` take plain frozen facts and
never look anything up. This module is the bridge: given the loaded data set and
IDs from a request, it builds :class:`~rig.services.decision.PremiseFacts`, the local
:class:`~rig.services.decision.PevRecord` of a PEV, and the capacity slots a grant
must respect (premise slots, feeder slots and the portal's own rating merged into
non-overlapping slots at the smallest limit in force).
"""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from rig.domain.vocabulary import GuestCharging, PremiseKind
from rig.services.dataset import LoadedDataset, Portal, Premise, Utility
from rig.services.decision import PevRecord, PremiseFacts, UtilityFacts
from rig.services.grants import CapacitySlot


def utility_facts(utility: Utility) -> UtilityFacts:
    return UtilityFacts(
        utility_id=utility.id,
        guest_tariff_id=utility.guest_tariff_id,
        settlement_tariff_id=utility.settlement_tariff_id,
    )


def premise_facts(utility: Utility, premise: Premise, portal: Portal) -> PremiseFacts:
    """The premise side of a binding: account, default tariff, host choices, portal."""
    residential = premise.kind == PremiseKind.RESIDENTIAL
    return PremiseFacts(
        premise_id=premise.id,
        account_id=premise.account_id,
        default_tariff_id=premise.default_tariff_id,
        kind=PremiseKind(premise.kind),
        utility=utility_facts(utility),
        guest_charging=premise.host.guest_charging if residential else GuestCharging.NOT_ALLOWED,
        portal_arrangement=portal.arrangement,
        has_revenue_meter=premise.revenue_meter,
    )


def local_pev_record(ds: LoadedDataset, utility: Utility, pev_id: str) -> PevRecord | None:
    """This utility's own record of a PEV, or ``None`` if the PEV is not one of its own."""
    pev = ds.pevs.get(pev_id)
    if pev is None or ds.utility_of.get(pev_id) != utility.id:
        return None
    enrolment = ds.enrolments.get(pev_id)
    return PevRecord(
        pev_id=pev_id,
        home_utility_id=utility.id,
        owner_account_id=pev.account_id,
        program_tariff_id=enrolment.tariff_id if enrolment else None,
        validated=pev.validates,
    )


def capacity_slots(
    utility: Utility, premise: Premise, portal: Portal, start: datetime, end: datetime
) -> list[CapacitySlot]:
    """Non-overlapping slots over ``[start, end)`` at the smallest limit in force.

    The portal's rating holds throughout; premise and feeder capacity slots of the
    data set lower it where they apply.
    """
    limits: list[tuple[datetime, datetime, Decimal]] = [(start, end, Decimal(str(portal.max_kw)))]
    for slot in utility.capacity:
        applies = slot.premise_id == premise.id or (
            slot.feeder_id is not None and slot.feeder_id == premise.feeder_id
        )
        if applies and slot.end > start and slot.start < end:
            limits.append((max(slot.start, start), min(slot.end, end), Decimal(str(slot.kw))))
    edges = sorted({t for s, e, _ in limits for t in (s, e)})
    slots: list[CapacitySlot] = []
    for a, b in itertools.pairwise(edges):
        kw = min(k for s, e, k in limits if s <= a and e >= b)
        if slots and slots[-1].available_kw == kw and slots[-1].end == a:
            slots[-1] = CapacitySlot(slots[-1].start, b, kw)
        else:
            slots.append(CapacitySlot(a, b, kw))
    return slots
