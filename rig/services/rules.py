"""Who pays for a charging session, at which tariff, with what incentive.

This module is the use case's decision table (``requirements.md``: SC-1…SC-6,
BR-01…BR-12) written as one pure function, :func:`decide`. The utility service
gathers the facts — what the PEV said and what the home utility (directly or via
the clearinghouse) knows about it, the premise and its utility, and how the session
is going, shaped by :mod:`rig.services.decision` — and :func:`decide` returns a
:class:`~rig.services.decision.Decision` that names the scenario, the payer, the
tariff, whether the incentive applies, whether the session is flagged, a sentence a
person can read, and the requirement IDs that decided it, so that session records
and the compliance report can trace every bill line back to a rule. No I/O, no
clock, no database: the same facts always give the same decision.

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
)


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
