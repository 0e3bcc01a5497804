"""The tariff schema: what a tariff in the utility data set says, checked when it is read.

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

This module is data only. Pricing a session with a tariff is done twice, on
purpose, by code that shares nothing but this schema: by the utility's billing
(:mod:`rig.services.tariffs`) and by the oracle that checks it
(:mod:`rig.oracle.tariff`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

HOUR = timedelta(hours=1)
"""How long a published hourly price holds."""


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


_HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class TariffRestrictions(_Model):
    """OCPI TariffRestrictions (time of day, dates, weekdays) plus ``day_type``.

    All in the tariff's local time. ``start_time``/``end_time`` come together; the
    end is exclusive and an end earlier than the start wraps past midnight
    (``"21:00"``-``"07:00"``; ``"00:00"`` ends at midnight). ``end_date`` is exclusive.
    """

    start_time: str | None = Field(default=None, pattern=_HH_MM)
    end_time: str | None = Field(default=None, pattern=_HH_MM)
    start_date: date | None = None
    end_date: date | None = None
    day_of_week: list[DayOfWeek] | None = Field(default=None, min_length=1)
    day_type: list[DayType] | None = Field(default=None, min_length=1)

    @field_validator("start_time", "end_time", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        if isinstance(value, int):
            raise ValueError(
                "quote times of day: YAML reads an unquoted 16:00 as the number 960; write '16:00'"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.start_time is None) != (self.end_time is None):
            raise ValueError("start_time and end_time come together")
        if self.start_time is not None and self.start_time == self.end_time:
            raise ValueError("start_time equals end_time: leave both out for all day")
        if self.start_date and self.end_date and self.start_date >= self.end_date:
            raise ValueError("start_date must be before end_date (end_date is exclusive)")
        return self

    def time_window(self) -> tuple[time, time] | None:
        """``(start, end)`` local times of day, or ``None`` for all day."""
        if self.start_time is None or self.end_time is None:
            return None
        return time.fromisoformat(self.start_time), time.fromisoformat(self.end_time)


class TariffElement(_Model):
    """OCPI TariffElement with one ENERGY price component and a named rate ``period``."""

    price_components: list[PriceComponent] = Field(min_length=1, max_length=1)
    restrictions: TariffRestrictions | None = None
    period: RatePeriod = RatePeriod.FLAT

    @field_validator("period")
    @classmethod
    def _not_hourly(cls, period: RatePeriod) -> RatePeriod:
        if period is RatePeriod.HOURLY:
            raise ValueError("'hourly' names published hourly prices, not an element")
        return period


class HourlyPrice(_Model):
    """A price per kWh for the hour starting at ``start`` (aware), published ahead (PG-RTP)."""

    start: AwareDatetime
    price: Decimal = Field(ge=0)

    @property
    def end(self) -> datetime:
        return self.start + HOUR


class Tariff(_Model):
    """OCPI Tariff subset plus ``time_zone``, ``holidays`` and ``hourly_prices``."""

    id: str = Field(min_length=1, max_length=36)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str
    holidays: list[date] = Field(default_factory=list)
    elements: list[TariffElement] = Field(default_factory=list)
    hourly_prices: list[HourlyPrice] = Field(default_factory=list)
    """Kept sorted by start; hours may not overlap."""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {name!r}") from error
        return name

    @field_validator("hourly_prices")
    @classmethod
    def _sorted_without_overlap(cls, prices: list[HourlyPrice]) -> list[HourlyPrice]:
        ordered = sorted(prices, key=lambda price: price.start)
        for earlier, later in pairwise(ordered):
            if later.start < earlier.end:
                raise ValueError(f"hourly prices at {earlier.start} and {later.start} overlap")
        return ordered

    @model_validator(mode="after")
    def _has_prices(self) -> Self:
        if not self.elements and not self.hourly_prices:
            raise ValueError("a tariff needs elements, hourly_prices or both")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
