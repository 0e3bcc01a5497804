"""Who should pay for a session, at which tariff, with what incentive — from the facts.

This is the oracle's own reading of the use case (``requirements.md``), written as a
table independent of the utility service's rules: the rig derives the expected
treatment from the plan's facts (:class:`~rig.record.SessionFacts`) and holds the
utility's session record to it. The rows, first match wins:

=====  ==============================================  =====================================
row    when                                            expected
=====  ==============================================  =====================================
BR-01  communication failed or PEV not communicating   not bound; premise account, default
       (SC-5), or the home utility's validation fails  tariff, no incentive
       — for a foreign PEV also when the clearing-
       house cannot be asked at binding (SC-4)
SC-5   PEV ID unknown to utility and clearinghouse     not bound; premise pays default
BR-05  PEV known but not enrolled in a programme       not bound; premise pays default
BR-11  residential host does not allow guests          not bound; premise pays default
BR-04  EUMD unavailable                                bound; premise pays default, no
                                                       incentive, session flagged
SC-1   owner's account is the premise's account        owner, programme tariff, incentive
SC-6   public / multi-family / workplace portal:
       host_pays                                       as SC-2: site account, site tariff
       direct                                          as SC-3 (foreign PEV: SC-4 home rate)
       guest                                           owner at the site utility's guest
                                                       tariff (foreign PEV: SC-4 guest rate)
SC-2   residential host pays for guests                host, host's tariff, no incentive
SC-3   residential, guest pays, same utility           owner, programme tariff, incentive
SC-4   residential, guest pays, other utility          owner's home account via the
                                                       clearinghouse, at the option's tariff
=====  ==============================================  =====================================

**The decision's own labels.** The utility states a scenario and cites the
requirements behind its decision; both are held to the row too, so a correct payer
for the wrong reason (a failed validation, BR-01, relabelled as an unknown or
unenrolled PEV, SC-5/BR-05) fails. :attr:`Treatment.scenario` is the scenario the
row is decided under: SC-5 for the refusals BR-01, SC-5 and BR-05; SC-2 for BR-11;
for BR-04 the scenario of the premise paying (SC-1 at the owner's home premise,
SC-2 at another residential one, else SC-6); SC-6 for every site arrangement,
roaming included; otherwise the row's own. :attr:`Treatment.cites` is the
requirement that decided: the row's ID (``SC-6`` for the site rows).

The incentive is the PEV programme's rate: it applies exactly when the session is
billed at the PEV programme tariff (SC-1, SC-3, SC-4 home rate). Whenever someone
other than the premise customer pays and the premise has a revenue meter, the
EUMD's energy must come off the host's bill (SC-3 netting, :mod:`rig.oracle.netting`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rig.domain.vocabulary import RoamingOption
from rig.record import SessionFacts


@dataclass(frozen=True)
class Roaming:
    """SC-4: posted to the home account through the clearinghouse, settled between utilities."""

    option: RoamingOption
    home_utility_id: str
    roaming_utility_id: str
    settlement_tariff_id: str


@dataclass(frozen=True)
class Treatment:
    """The expected outcome; ``rule`` names the row and ``requirements`` what it evidences."""

    rule: str
    requirements: tuple[str, ...]
    bound: bool
    payer_account_id: str
    tariff_id: str
    incentive: bool
    flagged: bool = False
    net_from_premise: bool = False
    roaming: Roaming | None = None
    scenario: str = ""
    """The scenario the decision is made under (see the module docstring)."""

    @property
    def cites(self) -> str:
        """The requirement that decided: the row's ID (``SC-6`` for a site arrangement)."""
        return self.rule.split()[0]


def expected_treatment(facts: SessionFacts) -> Treatment:
    """The row of the module's table that ``facts`` select, with its scenario."""
    treatment = _row(facts)
    return replace(treatment, scenario=_scenario(treatment, facts))


def _scenario(treatment: Treatment, facts: SessionFacts) -> str:
    premise = facts.premise
    residential = premise.kind == "residential"
    match treatment.cites:
        case "BR-01" | "SC-5" | "BR-05":
            return "SC-5"
        case "BR-11":
            return "SC-2"
        case "BR-04":
            pev = facts.pev
            if pev.owner_account_id == premise.account_id and (
                pev.home_utility_id == premise.utility_id
            ):
                return "SC-1"
            return "SC-2" if residential else "SC-6"
        case "SC-4" if not residential:
            return "SC-6"
        case rule:
            return rule


def _row(facts: SessionFacts) -> Treatment:
    """The first row of the module's table that ``facts`` match."""
    pev, premise = facts.pev, facts.premise

    def premise_pays(rule: str, requirements: tuple[str, ...], *, bound: bool) -> Treatment:
        # BR-04: a session without its EUMD is flagged whoever pays and however it bound.
        return Treatment(
            rule,
            requirements,
            bound,
            premise.account_id,
            premise.default_tariff_id,
            incentive=False,
            flagged=not facts.eumd_available,
        )

    def owner_pays(
        rule: str, requirements: tuple[str, ...], tariff_id: str, roaming: Roaming | None = None
    ) -> Treatment:
        return Treatment(
            rule,
            requirements,
            True,
            pev.owner_account_id,
            tariff_id,
            incentive=tariff_id == pev.program_tariff_id,
            net_from_premise=premise.has_revenue_meter
            and pev.owner_account_id != premise.account_id,
            roaming=roaming,
        )

    def roaming(option: RoamingOption, program: str, requirements: tuple[str, ...]) -> Treatment:
        terms = Roaming(
            option, pev.home_utility_id, premise.utility_id, premise.settlement_tariff_id
        )
        tariff = premise.guest_tariff_id if option == "guest_rate" else program
        return owner_pays("SC-4", (*requirements, "SC-4", "BR-06"), tariff, terms)

    if facts.communication != "established":
        return premise_pays("BR-01", ("BR-01", "SC-5"), bound=False)
    foreign = pev.known and pev.home_utility_id != premise.utility_id
    if foreign and not facts.clearinghouse_at_binding:  # the roaming utility cannot validate
        return premise_pays("BR-01", ("BR-01", "SC-4"), bound=False)
    if not pev.known:
        return premise_pays("SC-5", ("SC-5",), bound=False)
    if pev.program_tariff_id is None:
        return premise_pays("BR-05", ("BR-05", "BR-02", "SC-5"), bound=False)
    program = pev.program_tariff_id
    if not pev.validated:
        return premise_pays("BR-01", ("BR-01",), bound=False)
    home_premise = (
        pev.home_utility_id == premise.utility_id and pev.owner_account_id == premise.account_id
    )
    residential = premise.kind == "residential"
    if residential and not home_premise and premise.guest_charging == "not_allowed":
        return premise_pays("BR-11", ("BR-11",), bound=False)
    if not facts.eumd_available:
        return Treatment(
            "BR-04",
            ("BR-04",),
            True,
            premise.account_id,
            premise.default_tariff_id,
            incentive=False,
            flagged=True,
        )
    if home_premise:
        return owner_pays("SC-1", ("SC-1", "BR-02"), program)
    same_utility = pev.home_utility_id == premise.utility_id
    if not residential:
        match premise.portal_arrangement:
            case "host_pays":
                return premise_pays("SC-6 host_pays", ("SC-6", "SC-2"), bound=True)
            case "direct" if same_utility:
                return owner_pays("SC-6 direct", ("SC-6", "SC-3"), program)
            case "direct":
                return roaming(RoamingOption.HOME_RATE, program, ("SC-6",))
            case "guest" if same_utility:
                return owner_pays("SC-6 guest", ("SC-6",), premise.guest_tariff_id)
            case "guest":
                return roaming(RoamingOption.GUEST_RATE, program, ("SC-6",))
    if premise.guest_charging == "host_pays":
        return premise_pays("SC-2", ("SC-2", "BR-11"), bound=True)
    if same_utility:
        return owner_pays("SC-3", ("SC-3", "BR-11"), program)
    return roaming(facts.roaming_option, program, ("BR-11",))
