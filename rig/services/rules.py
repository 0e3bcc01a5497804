"""Who pays for a charging session, at which tariff, with what incentive.

This module is the use case's decision table (``requirements.md``: SC-1…SC-6,
BR-01…BR-12) written as one pure function, :func:`decide`. The utility service
gathers the facts — what the PEV said and what the home utility (directly or via
the clearinghouse) knows about it, the premise and its utility, and how the session
is going — and :func:`decide` returns a :class:`Decision` that names the scenario,
the payer, the tariff, whether the incentive applies, whether the session is
flagged, a sentence a person can read, and the requirement IDs that decided it, so
that session records and the compliance report can trace every bill line back to a
rule. No I/O, no clock, no database: the same facts always give the same decision.

The rows, first match wins (``docs/rules.md`` has the full table):

1. **Can the PEV be bound?** (SC-5, BR-01, BR-02, BR-05) — no communication, a PEV
   ID nobody knows, a PEV not enrolled in a programme, or a failed validation: not
   bound; the premise account pays at the premise's default rate, no incentive.
2. **Is the EUMD available?** (BR-04) — if not, the premise pays at its default rate,
   no incentive, and the session is flagged (flagging applies on every row).
3. **Home premise** (SC-1) — the PEV's owner account is the premise account: the
   owner pays at the PEV programme tariff, with the incentive.
4. **Public, multi-family or workplace site** (SC-6) — the portal's arrangement
   decides: ``host_pays`` as SC-2; ``direct`` as SC-3 (a foreign PEV: SC-4 at the
   home rate); ``guest`` at the site utility's guest tariff (a foreign PEV: SC-4 at
   the guest rate).
5. **Another residential premise** (BR-11, the host's preference) — guests not
   allowed: not bound, the premise pays its default rate; host pays: SC-2, the host
   pays at the host's tariff with the PEV ID recorded; guest pays: SC-3 inside the
   home territory, SC-4 (the customer's chosen option) outside it.

Whenever someone other than the premise customer pays and the premise has a
revenue meter, the EUMD energy is netted out of the premise's bill (SC-3).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scenario(StrEnum):
    """The use case's scenarios; the value is the requirement ID."""

    HOME_PREMISE = "SC-1"
    OTHER_PREMISE_HOST_PAYS = "SC-2"
    OTHER_PREMISE_PEV_OWNER_PAYS = "SC-3"
    FOREIGN_TERRITORY = "SC-4"
    NOT_ENROLLED_OR_NOT_COMMUNICATING = "SC-5"
    PUBLIC_MULTI_FAMILY_OR_WORKPLACE = "SC-6"


class Communication(StrEnum):
    """How the PEV-ESI-utility conversation went for this session."""

    ESTABLISHED = "established"
    PEV_NOT_COMMUNICATING = "pev_not_communicating"
    """The PEV cannot talk to this utility's network at all (SC-5)."""
    FAILED = "failed"
    """The PEV could communicate but the session's communication failed (BR-01)."""


class PremiseKind(StrEnum):
    RESIDENTIAL = "residential"
    PUBLIC = "public"
    MULTI_FAMILY = "multi_family"
    WORKPLACE = "workplace"


class GuestCharging(StrEnum):
    """A residential host's preference for visiting PEVs (BR-11)."""

    NOT_ALLOWED = "not_allowed"
    HOST_PAYS = "host_pays"
    GUEST_PAYS = "guest_pays"


class PortalArrangement(StrEnum):
    """How one energy portal at a public, multi-family or workplace site bills (SC-6)."""

    HOST_PAYS = "host_pays"
    """The site host pays at the site's tariff, perhaps bundled with another service (as SC-2)."""
    DIRECT = "direct"
    """The utility bills the PEV owner at the PEV programme rate (as SC-3; SC-4 home rate)."""
    GUEST = "guest"
    """The PEV owner pays the site utility's guest tariff (SC-4 guest rate for a foreign PEV)."""


class RoamingOption(StrEnum):
    """The SC-4 customer's choice outside the home territory."""

    GUEST_RATE = "guest_rate"
    """Pay as a guest of the roaming utility, at its guest tariff."""
    HOME_RATE = "home_rate"
    """Pay at the home PEV programme tariff; the utilities settle the difference."""


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


def decide(pev: PevFacts, premise: PremiseFacts, conditions: SessionConditions) -> Decision:
    """Decide payer, tariff and incentive for one session; see the module docstring."""
    raise NotImplementedError
