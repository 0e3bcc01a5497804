"""The checks of a plan: what must be true once its steps have run.

A check *names* an expectation; the oracle (design principle 4) computes the
expected numbers itself — from the plan, the tariff definitions and the metered
intervals — and compares them with the records the services kept. A plan states
what a person would state: who pays, on which account, at which tariff, whether
the incentive applies; it gives numbers only where it wants them pinned (a
hand-computed total, a rate per period)::

    checks:
      - payer: ACCT-H1                       # the account billed for the session
      - tariff: {id: PEV-TOU, rates: [{period: mid_peak}, {period: on_peak}]}
      - incentive: true
      - amount                               # billed lines equal the oracle's
      - electrical                           # J-01, J-02, J-03, J-05, J-06
      - energy_agreement                     # J-04

Each check is a one-key mapping like a step (:mod:`rig.plans.onekey`); a check
whose arguments are all optional may be written as its bare name. Every check
records at least one measurement tagged with the requirement IDs it evidences.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from rig.domain.tariff import RatePeriod
from rig.domain.vocabulary import RoamingOption
from rig.plans.onekey import Action, OneKey, Shorthand, Strict, invalid
from rig.plans.units import Duration, Energy, Power

Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]

# --------------------------------------------------------------------------- billing


class PayerArgs(Strict):
    account: str = Field(min_length=1, description="the account the session is billed to")
    utility: str | None = Field(default=None, description="the utility that bills it")


class Payer(Action):
    """The session is billed to this account (BR-01, BR-04, BR-11, SC-1…SC-6)."""

    payer: Annotated[PayerArgs, Shorthand("account")]


class RateExpectation(Strict):
    period: RatePeriod
    rate: Decimal | None = Field(
        default=None, ge=0, description="price per kWh; unset: the tariff's own"
    )


class TariffArgs(Strict):
    id: str = Field(min_length=1, description="the tariff the session is priced at")
    rates: list[RateExpectation] = Field(
        default_factory=list,
        description="the rate periods the bill lines fall in, in order (TOU splits)",
    )


class Tariff(Action):
    """The session is priced at this tariff, split into these rate periods (PG-TOU, PG-RTP)."""

    tariff: Annotated[TariffArgs, Shorthand("id")]


class IncentiveArgs(Strict):
    applies: bool


class Incentive(Action):
    """The PEV programme's incentive applies, or not (BR-01, BR-02, BR-04)."""

    incentive: Annotated[IncentiveArgs, Shorthand("applies")]


class AmountArgs(Strict):
    total: Money | None = Field(
        default=None, description="hand-computed session total; unset: the oracle's"
    )


class Amount(Action):
    """Billed line amounts equal the oracle's, and the total this one when given."""

    amount: Annotated[AmountArgs, Shorthand("total")] = AmountArgs()


class PremiseNettingArgs(Strict):
    account: str = Field(min_length=1, description="the host account whose bill excludes the PEV")


class PremiseNetting(Action):
    """The EUMD energy is netted out of the host premise's revenue-meter bill (SC-3)."""

    premise_netting: Annotated[PremiseNettingArgs, Shorthand("account")]


# --------------------------------------------------------------------------- binding and grant


class BindingArgs(Strict):
    result: Literal["accepted", "refused", "none"] = Field(
        description="none: no binding was attempted (a PEV that does not communicate)"
    )
    reason: str | None = Field(
        default=None, description="with refused: text the refusal's reason must contain"
    )

    @model_validator(mode="after")
    def _reason_only_when_refused(self) -> Self:
        if self.reason is not None and self.result != "refused":
            raise invalid("'reason' goes with result: refused")
        return self


class Binding(Action):
    """Binding was accepted, refused (with a reason) or not attempted (BR-05, BR-12)."""

    binding: Annotated[BindingArgs, Shorthand("result")]


class GrantArgs(Strict):
    status: Literal["confirmed", "adjusted"]
    energy: Energy | None = Field(default=None, description="the granted energy")
    max_power: Power | None = Field(default=None, description="the granted maximum rate")
    starts_after: Duration | None = Field(
        default=None, description="charging starts no sooner than this after the request (BR-08)"
    )


class Grant(Action):
    """The utility confirmed or adjusted the energy request (BR-07, BR-08)."""

    grant: Annotated[GrantArgs, Shorthand("status")]


class PevNotifiedArgs(Strict):
    binding: bool = Field(default=True, description="told whether binding succeeded")
    incentive: bool = Field(default=True, description="told whether the incentive applies")
    summary: bool = Field(default=True, description="sent date, time, duration, energy at the end")


class PevNotified(Action):
    """What the PEV was told (BR-12)."""

    pev_notified: Annotated[PevNotifiedArgs, Shorthand()] = PevNotifiedArgs()


# --------------------------------------------------------------------------- records


class ClearinghouseArgs(Strict):
    validated: bool = Field(default=True, description="the clearinghouse confirmed the PEV ID")
    home_utility: str | None = Field(default=None, description="the home utility it named")
    posted_to: str | None = Field(default=None, description="the home account it posted to")


class Clearinghouse(Action):
    """The clearinghouse's records of the session (SC-4, BR-06)."""

    clearinghouse: Annotated[ClearinghouseArgs, Shorthand()] = ClearinghouseArgs()


class SettlementArgs(Strict):
    option: RoamingOption
    roaming_utility: str | None = None
    home_utility: str | None = None


class Settlement(Action):
    """The settlement statement between the two utilities for the chosen option (SC-4)."""

    settlement: Annotated[SettlementArgs, Shorthand("option")]


class IntervalsArgs(Strict):
    length: Duration | None = Field(
        default=None, description="the utility's metering interval; unset: whatever it set"
    )


class Intervals(Action):
    """Every metering interval reached the utility exactly once, with PEV ID, premise ID,
    energy and time stamps (BR-09); none lost or doubled across an outage."""

    intervals: Annotated[IntervalsArgs, Shorthand("length")] = IntervalsArgs()


class SessionFlaggedArgs(Strict):
    reason: str | None = Field(default=None, description="text the flag's reason must contain")


class SessionFlagged(Action):
    """The session is flagged (BR-04: EUMD unavailable)."""

    session_flagged: Annotated[SessionFlaggedArgs, Shorthand("reason")] = SessionFlaggedArgs()


class AuditLog(Action):
    """Every ESI transaction with the utility is in the ESI's audit log (BR-10)."""

    audit_log: None = None


# --------------------------------------------------------------------------- electrical

ElectricalRule = Literal["J-01", "J-02", "J-03", "J-05", "J-06"]


class ElectricalArgs(Strict):
    rules: tuple[ElectricalRule, ...] = Field(
        default=("J-01", "J-02", "J-03", "J-05", "J-06"),
        description="the conformance rules to check (J-04 is energy_agreement)",
    )
    follow_within: Duration = Field(
        default=Duration(5), description="J-03: the load follows a lower ampacity within this"
    )


class Electrical(Action):
    """Electrical conformance from the pilot, contactor and load timelines."""

    electrical: Annotated[ElectricalArgs, Shorthand("rules")] = ElectricalArgs()


class EnergyAgreementArgs(Strict):
    tolerance_pct: float | None = Field(
        default=None, gt=0, le=10, description="unset: the EUMD's accuracy class"
    )


class EnergyAgreement(Action):
    """EUMD, load-measured and billed energy agree (J-04)."""

    energy_agreement: Annotated[EnergyAgreementArgs, Shorthand()] = EnergyAgreementArgs()


class EnergyBoundsArgs(Strict):
    at_least: Energy | None = None
    at_most: Energy | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Self:
        if self.at_least is None and self.at_most is None:
            raise invalid("give at_least, at_most or both")
        if self.at_least and self.at_most and self.at_least > self.at_most:
            raise invalid("at_least is more than at_most")
        return self


class EnergyBounds(Action):
    """The EUMD counted this much in the session (charging proceeded, or was limited)."""

    energy: EnergyBoundsArgs


#: Any check; a plan's ``checks`` is a list of these.
Check = Annotated[
    Payer
    | Tariff
    | Incentive
    | Amount
    | PremiseNetting
    | Binding
    | Grant
    | PevNotified
    | Clearinghouse
    | Settlement
    | Intervals
    | SessionFlagged
    | AuditLog
    | Electrical
    | EnergyAgreement
    | EnergyBounds,
    OneKey("check"),
]
