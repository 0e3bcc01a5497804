"""What the decision table reads and what it returns (:func:`rig.services.rules.decide`).

The facts are plain frozen dataclasses the utility service gathers (:mod:`rig.services.facts`):
the PEV and what its home utility knows about it, the premise and its utility, how
the session is going. The :class:`Decision` names the :class:`Scenario`, the payer,
the tariff, the incentive, the flag, a sentence and the requirement IDs behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rig.domain.vocabulary import (
    Communication,
    GuestCharging,
    PortalArrangement,
    PremiseKind,
    RoamingOption,
)


class Scenario(StrEnum):
    """The use case's scenarios; the value is the requirement ID."""

    HOME_PREMISE = "SC-1"
    OTHER_PREMISE_HOST_PAYS = "SC-2"
    OTHER_PREMISE_PEV_OWNER_PAYS = "SC-3"
    FOREIGN_TERRITORY = "SC-4"
    NOT_ENROLLED_OR_NOT_COMMUNICATING = "SC-5"
    PUBLIC_MULTI_FAMILY_OR_WORKPLACE = "SC-6"


@dataclass(frozen=True)
class PevRecord:
    """What the PEV's home utility knows about it, found locally or via the clearinghouse."""

    pev_id: str
    home_utility_id: str
    owner_account_id: str
    program_tariff_id: str | None
    """The PEV programme tariff the owner enrolled in; ``None`` when not enrolled (BR-02)."""
    validated: bool = True
    """The home utility's validation of PEV ID and customer against the enrolment
    passed; ``False`` for a lapsed enrolment or mismatched credentials (BR-01)."""


@dataclass(frozen=True)
class PevFacts:
    """The PEV side of the session."""

    pev_id: str | None
    """The ID the PEV sent; ``None`` when it sent none."""
    record: PevRecord | None
    """The home utility's record; ``None`` when neither this utility nor the
    clearinghouse knows the PEV ID (SC-5)."""


@dataclass(frozen=True)
class UtilityFacts:
    """The utility whose territory the premise is in (the roaming utility in SC-4)."""

    utility_id: str
    guest_tariff_id: str
    settlement_tariff_id: str
    """The price this utility is owed by a home utility for roaming energy (SC-4)."""


@dataclass(frozen=True)
class PremiseFacts:
    """The premise (and the portal) the PEV is plugged into."""

    premise_id: str
    account_id: str
    """The premise customer's account: the payer whenever the premise pays."""
    default_tariff_id: str
    """The premise customer's default rate / service plan (flat or TOU)."""
    kind: PremiseKind
    utility: UtilityFacts
    guest_charging: GuestCharging = GuestCharging.NOT_ALLOWED
    """Residential premises only: the host's preference for visiting PEVs."""
    portal_arrangement: PortalArrangement = PortalArrangement.HOST_PAYS
    """Public, multi-family and workplace premises only: this portal's arrangement."""
    has_revenue_meter: bool = False
    """A premise revenue meter lets the PEV's energy be netted out of the host's bill."""


@dataclass(frozen=True)
class SessionConditions:
    """How this session is going."""

    communication: Communication = Communication.ESTABLISHED
    eumd_available: bool = True
    roaming_option: RoamingOption = RoamingOption.GUEST_RATE
    """The customer's SC-4 choice; the guest rate unless the customer names the home programme."""


@dataclass(frozen=True)
class RoamingTerms:
    """What the clearinghouse needs to post and settle an SC-4 session (BR-06)."""

    option: RoamingOption
    home_utility_id: str
    roaming_utility_id: str
    settlement_tariff_id: str


@dataclass(frozen=True)
class Decision:
    """Who pays, at which tariff, with what incentive — and why."""

    scenario: Scenario
    bound: bool
    """The PEV bound to the ESI and the utility accepted it (told to the PEV, BR-12)."""
    payer_utility_id: str
    payer_account_id: str
    tariff_id: str
    incentive: bool
    """The PEV programme's incentive applies (told to the PEV, BR-12)."""
    flagged: bool
    """The EUMD was unavailable; status metrics may be missing (BR-04)."""
    reason: str
    requirement_ids: tuple[str, ...]
    pev_id: str | None
    """Recorded with the session whenever the PEV sent one (SC-2 keeps it too)."""
    net_from_premise_bill: bool = False
    """Subtract the EUMD energy from the premise's revenue-meter bill (SC-3)."""
    roaming: RoamingTerms | None = None
    """Set for SC-4: the session is posted to the home account via the clearinghouse."""
