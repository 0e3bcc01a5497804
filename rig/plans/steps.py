"""The steps of a plan: what the runner does to the bench and the actors, in order.

Steps are states, not sleeps. A step either *acts* (plug in, publish a DR event,
make the utility unreachable) and returns at once, or *waits for a state* with a
timeout (``wait_for``, ``charge … until``); the only plain passing of time is
``charge: {for: …}``, the charging itself. Each step is a one-key mapping
(:mod:`rig.plans.onekey`)::

    steps:
      - plug_in                                   # vehicle side: pilot state B
      - wait_for: pilot.state == B within 2 s
      - bind                                      # the ESI binds the PEV
      - energy_request                            # the PEV's preferences, or override them
      - wait_for: contactor == closed within 5 s
      - charge: 2 h                               # for 2 h …
      - charge: {until: 10 kWh, within: 3 h}      # … or until the EUMD counted 10 kWh
      - dr_event: {after: 15 min, duration: 30 min, limit: 0 A}
      - unplug

Grid signals (``dr_event``, ``price``, ``alm_change``) are *published* when the step
runs and take effect ``after`` later (0: at once), so a plan can notify ahead as the
programs require. Faults and recoveries (``utility_unreachable`` / ``utility_back``,
``clearinghouse_unreachable`` / ``clearinghouse_back``, ``meter_unavailable``,
``utility_loses_reply``,
``pilot_fault``, ``pev_stops_communicating``) change the world between two steps;
an ``unplug`` while charging is the mid-session unplug.

The runner dispatches on the class (``match step: case Charge(): …``); the
arguments are the step's single field (``step.charge.duration``). A step's base
class says what kind of step it is, for whoever reads the results: a
:class:`Fault` (shown from that step on) and the :class:`FaultEnd` that ends it,
or a :class:`SetsLimit` whose limit the oracle judges (``docs/plans.md``: how to
add a step).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from rig.domain.checks import StepKind
from rig.plans.conditions import ConditionError, ConditionField, parse_condition
from rig.plans.onekey import Action, OneKey, Shorthand, Strict, invalid
from rig.plans.units import (
    Current,
    Duration,
    Energy,
    Power,
    QuantityError,
    RateLimit,
)

# --------------------------------------------------------------------------- kinds of step


class Fault(Action):
    """A step that injects a fault; the results show it from that step on.

    It lasts until a later step that ends it (:class:`FaultEnd`), or else to the end.
    """

    def label(self) -> str:
        """How the results' ``event`` record names it."""
        return self.key().replace("_", " ")


class FaultEnd(Action):
    """A step that ends a fault an earlier step injected."""

    ends: ClassVar[type[Fault]]


class SetsLimit(Action):
    """A step that publishes a grid limit; the oracle's judgement of it answers the step."""

    kind: ClassVar[StepKind]
    """The oracle's measurement of the limit carries this (``Measurement.answers``)."""


# --------------------------------------------------------------------------- vehicle


class PlugIn(Action):
    """Connect the vehicle: the pilot goes from A to B (the EVSE then advertises by PWM)."""

    plug_in: None = None


class Unplug(Action):
    """Disconnect the vehicle (pilot to A); while charging this is the mid-session unplug."""

    unplug: None = None


class PilotFaultArgs(Strict):
    state: Literal["E", "F"] = Field(description="E: pilot shorted; F: EVSE not available")


class PilotFault(Fault):
    """Force the pilot to E or F; charging must stop at once (J-01)."""

    pilot_fault: Annotated[PilotFaultArgs, Shorthand("state")]

    def label(self) -> str:
        return f"pilot {self.pilot_fault.state}"


class SetAmpacityArgs(Strict):
    current: Current


class SetAmpacity(Action):
    """Advertise this ampacity on the pilot (the duty cycle follows, J-02)."""

    set_ampacity: Annotated[SetAmpacityArgs, Shorthand("current")]


# --------------------------------------------------------------------------- waiting and charging


class WaitForArgs(Strict):
    until: ConditionField
    within: Duration = Field(description="fail the step if the condition does not hold by then")


_WITHIN = re.compile(r"\s+within\s+")


def _wait_for_text(value: Any) -> Any:
    """``"<condition> within <duration>"`` → ``{until: …, within: …}``, errors at their column."""
    if not isinstance(value, str):
        return value
    parts = list(_WITHIN.finditer(value))
    if not parts:
        raise _at(len(value.rstrip()), "say how long to wait: '<condition> within 3 s'")
    split = parts[-1]
    try:
        until = parse_condition(value[: split.start()])
    except ConditionError as error:
        raise _at(error.offset, str(error)) from None
    try:
        within = Duration.parse(value[split.end() :])
    except QuantityError as error:
        raise _at(split.end() + error.offset, str(error)) from None
    return {"until": until, "within": within}


def _at(offset: int, message: str) -> PydanticCustomError:
    return PydanticCustomError("wait_for", "{message}", {"message": message, "offset": offset})


class WaitFor(Action):
    """Wait until a condition holds; fail if it does not within the timeout."""

    wait_for: Annotated[
        WaitForArgs,
        BeforeValidator(_wait_for_text, json_schema_input_type=WaitForArgs | str),
    ]


class ChargeArgs(Strict):
    duration: Duration | None = Field(default=None, alias="for", description="charge for this long")
    until: Energy | None = Field(
        default=None, description="charge until the EUMD has counted this much since plug-in"
    )
    within: Duration | None = Field(
        default=None, description="with until: fail if the energy is not reached by then"
    )

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.duration is None) == (self.until is None):
            raise invalid("give either 'for: <duration>' or 'until: <energy>'")
        if self.until is not None and self.within is None:
            raise invalid("'until' needs 'within: <duration>', the longest it may take")
        if self.duration is not None and self.within is not None:
            raise invalid("'within' goes with 'until'; 'for' is already a duration")
        return self


class Charge(Action):
    """Let the PEV charge — the one step where time simply passes."""

    charge: Annotated[ChargeArgs, Shorthand("duration")]


# --------------------------------------------------------------------------- PEV and ESI


class Bind(Action):
    """The ESI binds the PEV: PEV ID and premise ID to the utility (refusal is a result)."""

    bind: None = None


class EnergyRequestArgs(Strict):
    """Overrides of the PEV's preferences for this request; unset ones come from them."""

    energy: Energy | None = None
    max_power: Power | None = None
    departure_in: Duration | None = None


class EnergyRequest(Action):
    """The PEV asks for energy (kWh, max rate, departure); the utility grants or adjusts."""

    energy_request: Annotated[EnergyRequestArgs, Shorthand()] = EnergyRequestArgs()


class PevStopsCommunicating(Fault):
    """The PEV goes silent; charging must go on at the premise's terms (BR-01)."""

    pev_stops_communicating: None = None


# --------------------------------------------------------------------------- grid signals


class DrEventArgs(Strict):
    after: Duration = Field(default=Duration(0), description="notice before the event starts")
    duration: Duration = Field(description="the event window")
    limit: RateLimit = Field(default=Current(0), description="allowed rate; 0 A stops")


class DrEvent(SetsLimit):
    """Publish a discrete demand-response event (PG-DLC)."""

    kind = StepKind.DR_EVENT

    dr_event: DrEventArgs


class PriceArgs(Strict):
    after: Duration = Field(default=Duration(0), description="when the first hour starts")
    per_kwh: list[Annotated[Decimal, Field(ge=0)]] = Field(
        min_length=1, description="one price per hour, in the tariff's currency per kWh"
    )


class Price(Action):
    """Publish hourly prices ahead (PG-RTP)."""

    price: PriceArgs


class AlmChangeArgs(Strict):
    after: Duration = Field(default=Duration(0), description="when the new limit applies")
    limit: RateLimit


class AlmChange(SetsLimit):
    """Change the allowed charging rate during the session (PG-ALM)."""

    kind = StepKind.ALM_CHANGE

    alm_change: AlmChangeArgs


# --------------------------------------------------------------------------- faults

UtilityRole = Literal["premise", "home"]


class UtilityArgs(Strict):
    utility: UtilityRole = Field(
        default="premise",
        description="premise: the utility serving the premise; home: the PEV's home utility",
    )


class UtilityUnreachable(Fault):
    """The utility stops answering (requests time out) until ``utility_back``."""

    utility_unreachable: Annotated[UtilityArgs, Shorthand("utility")] = UtilityArgs()

    def label(self) -> str:
        return f"utility unreachable ({self.utility_unreachable.utility})"


class UtilityBack(FaultEnd):
    """The utility answers again."""

    ends = UtilityUnreachable

    utility_back: Annotated[UtilityArgs, Shorthand("utility")] = UtilityArgs()


class ClearinghouseUnreachable(Fault):
    """The clearinghouse stops answering until ``clearinghouse_back``."""

    clearinghouse_unreachable: None = None


class ClearinghouseBack(FaultEnd):
    """The clearinghouse answers again."""

    ends = ClearinghouseUnreachable

    clearinghouse_back: None = None


class UtilityLosesReplyArgs(Strict):
    count: int = Field(default=1, ge=1, le=100, description="how many interval deliveries")


class UtilityLosesReply(Fault):
    """The premise's utility records the next interval deliveries, but each reply is lost
    on its way back (the ESI sees 502): the ESI delivers again, the utility records once."""

    utility_loses_reply: Annotated[UtilityLosesReplyArgs, Shorthand("count")] = (
        UtilityLosesReplyArgs()
    )


class MeterUnavailable(Fault):
    """The EUMD stops answering for the rest of the plan (BR-04)."""

    meter_unavailable: None = None


#: Any step; a plan's ``steps`` is a list of these.
Step = Annotated[
    PlugIn
    | WaitFor
    | Bind
    | EnergyRequest
    | Charge
    | DrEvent
    | Price
    | AlmChange
    | SetAmpacity
    | Unplug
    | UtilityUnreachable
    | UtilityBack
    | ClearinghouseUnreachable
    | ClearinghouseBack
    | MeterUnavailable
    | UtilityLosesReply
    | PilotFault
    | PevStopsCommunicating,
    OneKey("step"),
]
