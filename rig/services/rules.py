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
   At another residence whose host allows no guests (SC-2, BR-11) the same holds.
2. **Is the EUMD available?** (BR-04) — if not, the premise pays at its default rate,
   no incentive, and the session is flagged (flagging applies on every row).
3. **Home premise** (SC-1) — the PEV's owner account is the premise account: the
   owner pays at the PEV programme tariff, with the incentive.
4. **Public, multi-family or workplace site** (SC-6) — the portal's arrangement
   decides: ``host_pays`` as SC-2; ``direct`` as SC-3 (a foreign PEV: SC-4 at the
   home rate); ``guest`` at the site utility's guest tariff (a foreign PEV: SC-4 at
   the guest rate).
5. **Another residential premise** (BR-11, the host's preference) — host pays: SC-2,
   the host pays at the host's tariff with the PEV ID recorded; guest pays: SC-3
   inside the home territory, SC-4 (the customer's chosen option) outside it.

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
    refusal = _binding_refusal(pev, premise, conditions.communication)
    if refusal is not None:
        return _premise_pays(pev, premise, conditions, refusal, bound=False)
    record = pev.record
    assert record is not None and record.program_tariff_id is not None  # no refusal
    home_territory = record.home_utility_id == premise.utility.utility_id

    if not conditions.eumd_available:
        return _premise_pays(
            pev,
            premise,
            conditions,
            _Rule(
                scenario := _premise_payer_scenario(record, premise),
                "EUMD unavailable: the premise pays its default rate, no incentive",
                (scenario.value,),
            ),
            bound=True,
        )

    if _is_home_premise(record, premise):
        return _pev_owner_pays(
            record,
            premise,
            _Rule(
                Scenario.HOME_PREMISE,
                "home premise: the owner pays the PEV programme tariff, with the incentive",
                ("SC-1", "BR-02"),
            ),
            tariff_id=record.program_tariff_id,
            incentive=True,
        )

    if premise.kind is not PremiseKind.RESIDENTIAL:
        site = Scenario.PUBLIC_MULTI_FAMILY_OR_WORKPLACE
        match premise.portal_arrangement:
            case PortalArrangement.HOST_PAYS:
                return _premise_pays(
                    pev,
                    premise,
                    conditions,
                    _Rule(
                        site,
                        "portal arrangement host_pays: the site pays its tariff (as SC-2)",
                        ("SC-6", "SC-2"),
                    ),
                    bound=True,
                )
            case PortalArrangement.DIRECT if home_territory:
                return _pev_owner_pays(
                    record,
                    premise,
                    _Rule(
                        site,
                        "portal arrangement direct: the PEV owner pays the programme "
                        "tariff, with the incentive (as SC-3)",
                        ("SC-6", "SC-3", "BR-02"),
                    ),
                    tariff_id=record.program_tariff_id,
                    incentive=True,
                )
            case PortalArrangement.DIRECT:
                return _roaming(
                    record,
                    premise,
                    site,
                    RoamingOption.HOME_RATE,
                    "portal arrangement direct, foreign PEV",
                    ("SC-6",),
                )
            case PortalArrangement.GUEST if home_territory:
                return _pev_owner_pays(
                    record,
                    premise,
                    _Rule(
                        site,
                        "portal arrangement guest: the PEV owner pays the utility's "
                        "guest tariff, no incentive",
                        ("SC-6",),
                    ),
                    tariff_id=premise.utility.guest_tariff_id,
                    incentive=False,
                )
            case PortalArrangement.GUEST:
                return _roaming(
                    record,
                    premise,
                    site,
                    RoamingOption.GUEST_RATE,
                    "portal arrangement guest, foreign PEV",
                    ("SC-6",),
                )

    if premise.guest_charging is GuestCharging.HOST_PAYS:
        return _premise_pays(
            pev,
            premise,
            conditions,
            _Rule(
                Scenario.OTHER_PREMISE_HOST_PAYS,
                "another premise whose host pays for guests: the host's tariff, PEV ID recorded",
                ("SC-2", "BR-11"),
            ),
            bound=True,
        )
    if home_territory:
        return _pev_owner_pays(
            record,
            premise,
            _Rule(
                Scenario.OTHER_PREMISE_PEV_OWNER_PAYS,
                "another premise whose guests pay: the PEV owner pays the programme tariff, "
                "with the incentive",
                ("SC-3", "BR-02", "BR-11"),
            ),
            tariff_id=record.program_tariff_id,
            incentive=True,
        )
    return _roaming(
        record,
        premise,
        Scenario.FOREIGN_TERRITORY,
        conditions.roaming_option,
        "another premise whose guests pay, foreign PEV",
        ("SC-4", "BR-11"),
    )


@dataclass(frozen=True)
class _Rule:
    """The row that matched: scenario, a sentence, and the requirement IDs behind it."""

    scenario: Scenario
    reason: str
    requirement_ids: tuple[str, ...] = ()


def _binding_refusal(
    pev: PevFacts, premise: PremiseFacts, communication: Communication
) -> _Rule | None:
    """Why the PEV cannot be bound here, or ``None`` when it can."""
    not_bound = Scenario.NOT_ENROLLED_OR_NOT_COMMUNICATING
    if communication is Communication.PEV_NOT_COMMUNICATING:
        return _Rule(
            not_bound, "the PEV does not communicate with this utility's network", ("SC-5", "BR-01")
        )
    if communication is Communication.FAILED:
        return _Rule(not_bound, "communication with the PEV failed", ("SC-5", "BR-01"))
    record = pev.record
    if record is None:
        return _Rule(
            not_bound, "PEV ID unknown to this utility and to the clearinghouse", ("SC-5", "BR-05")
        )
    if record.program_tariff_id is None:
        return _Rule(
            not_bound,
            "PEV not enrolled in a PEV programme; it may not bind",
            ("SC-5", "BR-02", "BR-05"),
        )
    if not record.validated:
        return _Rule(
            not_bound, "the home utility's validation of the PEV failed", ("SC-5", "BR-01")
        )
    if (
        premise.kind is PremiseKind.RESIDENTIAL
        and not _is_home_premise(record, premise)
        and premise.guest_charging is GuestCharging.NOT_ALLOWED
    ):
        return _Rule(
            Scenario.OTHER_PREMISE_HOST_PAYS,
            "the host does not allow guests to charge on the programme",
            ("SC-2", "BR-11"),
        )
    return None


def _is_home_premise(record: PevRecord, premise: PremiseFacts) -> bool:
    return (
        record.home_utility_id == premise.utility.utility_id
        and record.owner_account_id == premise.account_id
    )


def _premise_payer_scenario(record: PevRecord, premise: PremiseFacts) -> Scenario:
    """The scenario in which the premise customer pays, for a bound PEV at this premise."""
    if _is_home_premise(record, premise):
        return Scenario.HOME_PREMISE
    if premise.kind is PremiseKind.RESIDENTIAL:
        return Scenario.OTHER_PREMISE_HOST_PAYS
    return Scenario.PUBLIC_MULTI_FAMILY_OR_WORKPLACE


def _premise_pays(
    pev: PevFacts,
    premise: PremiseFacts,
    conditions: SessionConditions,
    rule: _Rule,
    *,
    bound: bool,
) -> Decision:
    """The premise customer pays at the premise's default rate, without the incentive."""
    return Decision(
        scenario=rule.scenario,
        bound=bound,
        payer_utility_id=premise.utility.utility_id,
        payer_account_id=premise.account_id,
        tariff_id=premise.default_tariff_id,
        incentive=False,
        flagged=not conditions.eumd_available,
        reason=rule.reason,
        requirement_ids=(
            rule.requirement_ids if conditions.eumd_available else (*rule.requirement_ids, "BR-04")
        ),
        pev_id=pev.pev_id,
    )


def _pev_owner_pays(
    record: PevRecord,
    premise: PremiseFacts,
    rule: _Rule,
    *,
    tariff_id: str,
    incentive: bool,
    roaming: RoamingTerms | None = None,
) -> Decision:
    """The PEV owner's account pays; the premise nets the energy out when it can.

    Only reached with the EUMD available, so never flagged.
    """
    return Decision(
        scenario=rule.scenario,
        bound=True,
        payer_utility_id=record.home_utility_id,
        payer_account_id=record.owner_account_id,
        tariff_id=tariff_id,
        incentive=incentive,
        flagged=False,
        reason=rule.reason,
        requirement_ids=rule.requirement_ids,
        pev_id=record.pev_id,
        net_from_premise_bill=premise.has_revenue_meter and not _is_home_premise(record, premise),
        roaming=roaming,
    )


def _roaming(
    record: PevRecord,
    premise: PremiseFacts,
    scenario: Scenario,
    option: RoamingOption,
    situation: str,
    requirement_ids: tuple[str, ...],
) -> Decision:
    """SC-4: posted to the home account via the clearinghouse, at the option's tariff."""
    assert record.program_tariff_id is not None  # bound PEVs are enrolled
    terms = RoamingTerms(
        option=option,
        home_utility_id=record.home_utility_id,
        roaming_utility_id=premise.utility.utility_id,
        settlement_tariff_id=premise.utility.settlement_tariff_id,
    )
    if option is RoamingOption.GUEST_RATE:
        tariff_id, incentive = premise.utility.guest_tariff_id, False
        how = "the customer pays the roaming utility's guest tariff, no incentive"
        option_ids: tuple[str, ...] = ("SC-4", "BR-06")
    else:
        tariff_id, incentive = record.program_tariff_id, True
        how = "the customer pays the home programme tariff, with the incentive"
        option_ids = ("SC-4", "BR-06", "BR-02")
    return _pev_owner_pays(
        record,
        premise,
        _Rule(
            scenario,
            f"{situation}: {how}; the clearinghouse posts it to the home account and the "
            "utilities settle the difference",
            tuple(dict.fromkeys((*requirement_ids, *option_ids))),
        ),
        tariff_id=tariff_id,
        incentive=incentive,
        roaming=terms,
    )
