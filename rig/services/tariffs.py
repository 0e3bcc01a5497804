"""Tariff definitions and pure pricing of metered energy.

Definitions
-----------
A :class:`Tariff` uses OCPI 2.2.1 names where they fit: ``id``, ``currency``,
``elements`` — each a :class:`TariffElement` with ``price_components`` (only type
``ENERGY``: ``price`` per kWh and ``step_size`` in Wh) and optional
``restrictions`` (``start_time``/``end_time`` as local ``"HH:MM"``, end exclusive,
wrapping past midnight when the end is earlier; ``start_date``/``end_date``, end
exclusive; ``day_of_week``). As in OCPI, the first element whose restrictions hold
at a moment sets the price. Extensions, kept minimal:

* ``time_zone`` (IANA name): restrictions are read in the utility's local time;
* ``holidays`` and a restriction ``day_type`` (``weekday``/``weekend``/``holiday``;
  a holiday is a holiday whatever its weekday);
* ``period`` on an element (``off_peak``/``mid_peak``/``on_peak``/``flat``) so a
  bill line names its rate period;
* ``hourly_prices`` published ahead (PG-RTP): a price for the hour starting at an
  instant; where one is published it wins over the elements (period ``hourly``).

A guest tariff and an inter-utility settlement price are ordinary tariffs; the
services refer to them by id. OCPI dimensions other than energy (``TIME``,
``FLAT``, ``PARKING_TIME``) and restrictions on kWh, current, power or duration
are not supported and are rejected when a tariff is loaded.

Pricing
-------
:func:`price_session` splits every metered interval exactly at each instant where
the applicable price may change (rate-period and day boundaries in local time, the
hours of published prices, daylight-saving changes) and gives each piece of the
interval energy **pro rata by time**: the EUMD reports only the interval total, so
a uniform draw within the interval is the only assumption that needs no other data.
Pieces are rounded to 0.001 kWh (1 Wh, ``ROUND_HALF_UP``) and the last piece of an
interval takes the remainder, so the pieces always sum to the interval's energy
exactly. Contiguous pieces at the same price become one :class:`BillLine`.

Money is :class:`~decimal.Decimal`. Each line's amount is ``kwh × rate`` rounded to
0.01 with ``ROUND_HALF_UP`` **per line**; the session total is the sum of the line
amounts, so a statement always adds up. Energy ``step_size`` follows OCPI: the
session's total energy is billed in whole steps, rounded up, the extra at the last
line's price.

:func:`settle_roaming` is the SC-4 arithmetic: the customer pays the chosen
option's tariff, the roaming utility is owed the settlement price, and the
difference is what the home utility keeps (negative: what it makes up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

KWH_QUANTUM = Decimal("0.001")
"""Pieces of an interval are rounded to whole Wh."""
MONEY_QUANTUM = Decimal("0.01")
"""Line amounts are rounded to cents."""


class PricingError(ValueError):
    """The intervals cannot be priced with this tariff (no price applies, bad interval)."""


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class DayType(StrEnum):
    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


class RatePeriod(StrEnum):
    OFF_PEAK = "off_peak"
    MID_PEAK = "mid_peak"
    ON_PEAK = "on_peak"
    FLAT = "flat"
    HOURLY = "hourly"
    """A published hourly price (PG-RTP); never set on an element."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceComponent(_Model):
    """OCPI PriceComponent, energy only: ``price`` per kWh, billed in ``step_size`` Wh."""

    type: Literal["ENERGY"] = "ENERGY"
    price: Decimal = Field(ge=0)
    step_size: int = Field(default=1, ge=1)


class TariffRestrictions(_Model):
    """OCPI TariffRestrictions (time of day, dates, weekdays) plus ``day_type``."""

    start_time: str | None = None
    end_time: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    day_of_week: list[DayOfWeek] | None = None
    day_type: list[DayType] | None = None


class TariffElement(_Model):
    """OCPI TariffElement with one ENERGY price component and a named rate ``period``."""

    price_components: list[PriceComponent] = Field(min_length=1, max_length=1)
    restrictions: TariffRestrictions | None = None
    period: RatePeriod = RatePeriod.FLAT


class HourlyPrice(_Model):
    """A price per kWh for the hour starting at ``start`` (aware), published ahead (PG-RTP)."""

    start: datetime
    price: Decimal = Field(ge=0)


class Tariff(_Model):
    """OCPI Tariff subset plus ``time_zone``, ``holidays`` and ``hourly_prices``."""

    id: str = Field(min_length=1, max_length=36)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str
    holidays: list[date] = Field(default_factory=list)
    elements: list[TariffElement] = Field(default_factory=list)
    hourly_prices: list[HourlyPrice] = Field(default_factory=list)


@dataclass(frozen=True)
class MeteredInterval:
    """One EUMD metering interval: energy ``kwh`` delivered in ``[start, end)`` (aware)."""

    start: datetime
    end: datetime
    kwh: Decimal


@dataclass(frozen=True)
class PricedSpan:
    """A stretch of time at one price: what :func:`price_spans` returns (grants use it)."""

    start: datetime
    end: datetime
    period: RatePeriod
    rate: Decimal


@dataclass(frozen=True)
class BillLine:
    """Energy at one price in one contiguous stretch of a session."""

    start: datetime
    end: datetime
    kwh: Decimal
    rate_period: RatePeriod
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class SessionBill:
    """A session priced with one tariff; ``total_amount`` is the sum of the line amounts."""

    tariff_id: str
    currency: str
    lines: tuple[BillLine, ...]
    total_kwh: Decimal
    total_amount: Decimal


@dataclass(frozen=True)
class RoamingSettlement:
    """SC-4 money: what the customer pays, what the roaming utility is owed, the rest."""

    customer_bill: SessionBill
    """At the option's tariff: the roaming utility's guest tariff or the home programme's."""
    settlement_bill: SessionBill
    """At the roaming utility's settlement price."""
    customer_amount: Decimal
    roaming_utility_owed: Decimal
    home_utility_keeps: Decimal
    """``customer_amount - roaming_utility_owed``; negative when the home utility makes up."""


def price_spans(tariff: Tariff, start: datetime, end: datetime) -> tuple[PricedSpan, ...]:
    """The prices in force over ``[start, end)``, one span per contiguous price."""
    raise NotImplementedError


def price_session(tariff: Tariff, intervals: list[MeteredInterval]) -> SessionBill:
    """Split, price and round a session's metered intervals (see the module docstring)."""
    raise NotImplementedError


def settle_roaming(
    customer_tariff: Tariff, settlement_tariff: Tariff, intervals: list[MeteredInterval]
) -> RoamingSettlement:
    """Price an SC-4 session for the customer and for the inter-utility settlement."""
    raise NotImplementedError
