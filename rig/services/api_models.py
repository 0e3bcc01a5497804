"""What goes over the wire: the request and response bodies of both services.

Every body is a pydantic model with ``extra="forbid"``, bounded numbers and bounded
strings, so a wrong type, an unknown field, a negative or absurd value, a naive
timestamp or an over-long ID is refused with 422 before any handler runs. Checks
that need the database or the clock (an unknown PEV, an interval in the future,
intervals overlapping) are made by the services and also answer 4xx.

Names follow the standards where one exists:

* **IEEE 2030.5 flow reservations** for energy requests and grants:
  ``energy_requested_kwh`` / ``power_requested_kw`` in the request,
  ``energy_available_kwh`` / ``power_available_kw`` and ``interval`` in the answer;
* **OCPI 2.2.1 CDRs** for a closed session: ``start_date_time``,
  ``end_date_time``, ``total_energy`` (kWh), ``total_time`` (hours),
  ``total_cost`` and ``charging_periods`` (each with ``start_date_time``,
  ``dimensions`` of type ``ENERGY`` and a ``tariff_id``).

Energy and money are decimals, serialised as JSON strings (``"1.234"``) so no
float rounds them; requests accept numbers or strings.

Why one module of ~450 lines: it is one concept — the services' wire format, one
declaration per body, no logic beyond field bounds — sectioned by resource in the
order a session uses them. Its shared vocabulary (:class:`In`, :class:`Out`, the
bounded ``Id``/``Kwh``/``Kw`` types and the time bounds) would otherwise be imported
by every part, and the OpenAPI documents of both services read from it as one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from rig.domain.vocabulary import ID_PATTERN, Communication, RoamingOption

Id = Annotated[str, Field(min_length=1, max_length=80, pattern=ID_PATTERN)]
Kwh = Annotated[Decimal, Field(ge=0, le=10_000, max_digits=16, decimal_places=6)]
Kw = Annotated[Decimal, Field(gt=0, le=1_000, max_digits=12, decimal_places=6)]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


Instant = Annotated[AwareDatetime, Field(ge=EARLIEST, lt=LATEST)]
"""An instant with a time zone, between 2000 and 2200 (no overflow, no epoch tricks)."""
Money = Annotated[Decimal, Field(ge=-10_000_000, le=10_000_000, max_digits=20, decimal_places=6)]


def as_json(model: BaseModel) -> Any:
    """A model as plain JSON data (what is stored in JSON columns and compared)."""
    return json.loads(model.model_dump_json())


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(Out):
    """Every 4xx answer: ``detail`` says what was wrong in words."""

    detail: str | list[dict[str, object]]


# --- binding ------------------------------------------------------------------


class BindingRequest(In):
    """The ESI asks to bind a PEV at its premise (use case: "PEV/ESI binds")."""

    binding_id: Id | None = None
    """Idempotency key chosen by the ESI; a retry with the same ID returns the same answer."""
    premise_id: Id
    esi_id: Id
    portal_id: Id
    pev_id: Id | None = None
    """``None`` when the PEV sent no ID (not communicating)."""
    communication: Communication = Communication.ESTABLISHED
    eumd_available: bool = True
    roaming_option: RoamingOption = RoamingOption.GUEST_RATE
    """SC-4: pay as a guest of this utility, or at the home programme rate."""
    session_start: Instant | None = None
    """When the session began at the ESI (plug-in). A binding queued in the ESI's
    outbox during an outage arrives late; its intervals are accepted from this
    instant, not from the binding's arrival. Not in the future, at most 14 days old."""


class RoamingTermsOut(Out):
    option: RoamingOption
    home_utility_id: str
    roaming_utility_id: str
    settlement_tariff_id: str


class BindingResponse(Out):
    """The utility's decision (BR-12: the PEV is told ``bound`` and ``incentive``)."""

    binding_id: str
    premise_id: str
    portal_id: str
    pev_id: str | None
    bound: bool
    scenario: str
    payer_utility_id: str
    payer_account_id: str
    tariff_id: str
    incentive: bool
    flagged: bool
    reason: str
    requirement_ids: list[str]
    net_from_premise_bill: bool
    roaming: RoamingTermsOut | None
    home_utility_id: str | None
    program_ids: list[str]
    """The PEV's programme enrolments (PG-TOU, PG-DLC, …) when it is bound."""
    interval_s: int
    """The metering interval length the EUMD must report at (BR-09)."""
    created_at: datetime
    session_start: datetime | None = None
    """The ESI's session start as it was sent; intervals are accepted from it."""


# --- energy request → grant ------------------------------------------------------


class EnergyRequestIn(In):
    """IEEE 2030.5 FlowReservationRequest, simplified (BR-07)."""

    request_id: Id | None = None
    """Idempotency key; a retry with the same ID returns the same grant."""
    energy_requested_kwh: Annotated[Decimal, Field(gt=0, le=1_000, max_digits=12, decimal_places=6)]
    power_requested_kw: Kw
    departure: Instant


class Interval(Out):
    start: datetime
    duration_s: int


class ScheduleSlotOut(Out):
    start: datetime
    end: datetime
    kw: Decimal
    kwh: Decimal


class ReasonOut(Out):
    requirement_ids: list[str]
    message: str


class GrantResponse(Out):
    """IEEE 2030.5 FlowReservationResponse, simplified, with the schedule (BR-07/08)."""

    grant_id: str
    binding_id: str
    status: str
    energy_requested_kwh: Decimal
    power_requested_kw: Decimal
    energy_available_kwh: Decimal
    power_available_kw: Decimal
    interval: Interval
    start_delay_s: float
    schedule: list[ScheduleSlotOut]
    reasons: list[ReasonOut]
    requirement_ids: list[str]


# --- grid signals -------------------------------------------------------------------

SignalKind = Literal["dlc", "price", "alm"]


class SignalIn(In):
    """A grid signal the utility operator publishes: PG-DLC, PG-RTP or PG-ALM."""

    signal_id: Id
    kind: SignalKind
    premise_id: Id | None = None
    feeder_id: Id | None = None
    effective_from: Instant
    effective_until: Instant | None = None
    limit_kw: Annotated[Decimal, Field(ge=0, le=1_000, max_digits=12, decimal_places=6)] | None = (
        None
    )
    """dlc/alm: the power limit (0 stops charging)."""
    tariff_id: Id | None = None
    """price: the tariff whose hourly price this is."""
    price: Annotated[Decimal, Field(ge=0, le=1_000, max_digits=12, decimal_places=6)] | None = None
    """price: per kWh for the hour starting at ``effective_from``."""
    announced_at: Instant | None = None
    """Defaults to now; a signal is visible from then on."""


class SignalOut(Out):
    seq: int
    signal_id: str
    kind: SignalKind
    premise_id: str | None
    feeder_id: str | None
    announced_at: datetime
    effective_from: datetime
    effective_until: datetime | None
    limit_kw: Decimal | None
    tariff_id: str | None
    price: Decimal | None


class SignalsPage(Out):
    signals: list[SignalOut]
    next_since: int
    """Pass as ``since`` on the next poll to get only newer signals."""
    now: datetime


# --- session records ----------------------------------------------------------------


class IntervalIn(In):
    """One EUMD metering interval (BR-09): energy in ``[start, end)``."""

    start: Instant
    end: Instant
    kwh: Kwh


class SessionCloseIn(In):
    """BR-12: date, time, duration and energy of the finished session."""

    started_at: Instant
    ended_at: Instant
    duration_s: Annotated[float, Field(ge=0, le=30 * 86400, allow_inf_nan=False)]
    energy_kwh: Kwh


class SessionReportIn(In):
    """Interval records of one session, as the ESI posts them (any order, any batching)."""

    binding_id: Id
    pev_id: Id | None = None
    premise_id: Id
    eumd_id: Id | None = None
    intervals: list[IntervalIn] = Field(default_factory=list, max_length=2000)
    close: SessionCloseIn | None = None


class CdrDimension(Out):
    type: Literal["ENERGY"]
    volume: Decimal


class ChargingPeriod(Out):
    """OCPI 2.2.1 CdrChargingPeriod (energy only), plus the bill line's money."""

    start_date_time: datetime
    end_date_time: datetime
    dimensions: list[CdrDimension]
    tariff_id: str
    rate_period: str
    rate: Decimal
    amount: Decimal


class Price(Out):
    excl_vat: Decimal


class LineItemOut(Out):
    account_id: str
    kind: str
    """``charge`` (the payer's energy), ``netting`` (SC-3 credit on the host's bill) or
    ``roaming`` (an SC-4 session posted to the PEV owner's home account)."""
    session_id: str
    pev_id: str | None
    premise_id: str
    start: datetime
    end: datetime
    kwh: Decimal
    tariff_id: str
    rate_period: str
    rate: Decimal
    amount: Decimal
    currency: str


class SessionRecord(Out):
    """The session as the utility holds it; OCPI CDR names once closed."""

    session_id: str
    binding_id: str
    premise_id: str
    pev_id: str | None
    eumd_id: str | None
    status: Literal["open", "closed"]
    scenario: str
    payer_account_id: str
    tariff_id: str
    incentive: bool
    flags: list[str]
    intervals_received: int
    intervals_accepted: int
    intervals_duplicate: int
    interval_count: int
    start_date_time: datetime | None
    end_date_time: datetime | None
    total_time: Decimal | None
    """Hours, as in OCPI."""
    total_energy: Decimal
    reported_energy_kwh: Decimal | None
    total_cost: Price | None
    currency: str | None
    charging_periods: list[ChargingPeriod]
    line_items: list[LineItemOut]


# --- billing ---------------------------------------------------------------------------


class Statement(Out):
    account_id: str
    period_start: datetime
    period_end: datetime
    currency: str | None
    line_items: list[LineItemOut]
    total_kwh: Decimal
    total_amount: Decimal
    by_kind: dict[str, Decimal]


# --- roaming (utility ↔ clearinghouse) -------------------------------------------------


class PevValidationIn(In):
    pev_id: Id
    premise_id: Id | None = None


class PevValidationOut(Out):
    found: bool
    pev_id: str
    home_utility_id: str | None = None
    account_id: str | None = None
    program_tariff_id: str | None = None
    program_ids: list[str] = Field(default_factory=list)
    validated: bool = False
    off_peak_preference: bool = False


class RoamingLine(In):
    start: Instant
    end: Instant
    kwh: Annotated[Decimal, Field(ge=-10_000, le=10_000, max_digits=16, decimal_places=6)]
    rate_period: Annotated[str, Field(max_length=40)]
    rate: Annotated[Decimal, Field(ge=0, le=1_000, max_digits=16, decimal_places=6)]
    amount: Money


class RoamingChargeIn(In):
    """An SC-4 session, posted by the roaming utility (and forwarded to the home one)."""

    charge_id: Annotated[str, Field(min_length=1, max_length=200)]
    roaming_utility_id: Id
    home_utility_id: Id
    session_id: Id
    pev_id: Id
    premise_id: Id
    account_id: Id
    option: RoamingOption
    tariff_id: Id
    settlement_tariff_id: Id
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    start: Instant
    end: Instant
    kwh: Kwh
    customer_amount: Money
    settlement_amount: Money
    difference: Money
    """``customer_amount - settlement_amount``: what the home utility keeps (or makes up)."""
    lines: list[RoamingLine] = Field(max_length=5000)


class RoamingChargeRecord(Out):
    """A posted SC-4 charge as the clearinghouse holds it (``GET /roaming-charges/{id}``)."""

    charge: RoamingChargeIn
    """Exactly as last posted by the roaming utility."""
    received_at: datetime
    """When the clearinghouse recorded this version."""
    forwarded: bool
    """Delivered to the home utility's account (``POST /roaming/charges`` there)."""
    forward_attempts: int


class RoamingChargeOut(Out):
    charge_id: str
    status: Literal["recorded", "duplicate", "replaced"]
    forwarded: bool | None = None


class SettlementRow(Out):
    option: str
    sessions: int
    kwh: Decimal
    customer_amount: Decimal
    settlement_amount: Decimal
    difference: Decimal


class SettlementStatement(Out):
    """What the home utility owes the roaming utility for a period, per option."""

    roaming_utility_id: str
    home_utility_id: str
    period_start: datetime
    period_end: datetime
    currency: str | None
    rows: list[SettlementRow]
    sessions: int
    kwh: Decimal
    customer_amount: Decimal
    roaming_utility_owed: Decimal
    home_utility_keeps: Decimal
    charges: list[str]


class AuditEntry(Out):
    seq: int
    at: datetime
    caller: str | None
    method: str
    path: str
    status: int
    request_sha256: str | None
    duration_ms: float


class Health(Out):
    service: str
    role: Literal["utility", "clearinghouse"]
    id: str
    now: datetime
    schema_version: int
