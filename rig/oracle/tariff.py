"""The oracle's own pricing: what the bill for a session *should* say.

The tariff definitions are data (``fixtures/utilities/*.yaml``, read into the
pydantic :class:`~rig.domain.tariff.Tariff` models, the schema of that data, which
the services share). Everything done *with* the data is done here, again, without
calling the services' pricing (the oracle imports nothing of :mod:`rig.services`;
``make lint`` holds it to that): which price holds at a moment, where a session is
cut, how energy is shared and how amounts are rounded. If the utility's billing
code and this module disagree, one of them misreads the tariff, and the check that
compares them fails.

The rules, as the tariff definitions document them (OCPI 2.2.1 semantics plus the
project's extensions):

1. **Which price holds at a moment.** A published hourly price (PG-RTP) covering the
   moment wins. Otherwise the first element whose restrictions all hold, read in the
   tariff's local time zone: ``start_date`` ≤ day < ``end_date``; the weekday is in
   ``day_of_week``; the day type (holiday if listed, whatever the weekday; else
   weekend on Saturday and Sunday; else weekday) is in ``day_type``;
   ``start_time`` ≤ time of day < ``end_time``, wrapping past midnight when the end
   is not after the start.
2. **Where a session is cut.** This module does not derive boundary instants from
   the restrictions at all: it asks rule 1 at every whole UTC minute inside each
   metered interval (and at each published hour's edges) and cuts wherever the
   answer changes. Every restriction boundary is a whole local minute and every
   real time zone is a whole number of minutes from UTC, so this finds every
   boundary exactly, daylight-saving changes included, by a method that shares
   nothing with the service's.
3. **How energy is shared.** The EUMD gives one total per interval, so a piece of an
   interval gets energy pro rata by time. The energy delivered up to each cut is
   rounded half-up to 1 Wh (never above the interval's total) and each piece is the
   difference between consecutive cuts: the pieces sum to the interval exactly.
4. **Lines.** Consecutive pieces priced by the same element (or the same published
   hour) form one line, across intervals, as an OCPI charging period does; each
   line's amount is ``kwh × rate`` rounded half-up to 0.01, per line, and the
   total is the sum of the lines. A price component's ``step_size`` (Wh) rounds the
   session's energy *up* to whole steps, the extra billed on the last line.

5. **Prices published during the session.** PG-RTP is "a price per hour, published
   ahead": the tariff as it stood is the data set's with each publication in turn
   replacing any hour it overlaps, so the **latest publication for an hour wins**,
   over the data set's price and over an earlier publication (:func:`as_published`).

:func:`expected_bill` returns both the per-interval :class:`Piece` list (for "interval
3 was billed at the wrong rate") and the merged :class:`Line` list (for amounts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from rig.domain.tariff import HourlyPrice, Tariff, TariffRestrictions
from rig.record import MeteringInterval

KWH_QUANTUM = Decimal("0.001")
MONEY_QUANTUM = Decimal("0.01")
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_WEEKDAY_NAMES = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class TariffGap(ValueError):
    """No element of the tariff prices a moment of the session."""


@dataclass(frozen=True)
class Price:
    """The price in force at a moment. ``source`` identifies the element or published hour."""

    source: str
    period: str
    rate: Decimal
    step_size_wh: int


@dataclass(frozen=True)
class Piece:
    """The part of metered interval number ``interval`` (1-based) at one price."""

    interval: int
    start: datetime
    end: datetime
    kwh: Decimal
    price: Price


@dataclass(frozen=True)
class Line:
    """An expected bill line: contiguous pieces at one price."""

    start: datetime
    end: datetime
    kwh: Decimal
    period: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ExpectedBill:
    tariff_id: str
    currency: str
    pieces: tuple[Piece, ...]
    lines: tuple[Line, ...]
    metered_kwh: Decimal
    total_kwh: Decimal
    total_amount: Decimal


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def _day_type(tariff: Tariff, day: date) -> str:
    if day in tariff.holidays:
        return "holiday"
    return "weekend" if day.weekday() >= 5 else "weekday"


def _restrictions_hold(r: TariffRestrictions, local: datetime, day_type: str) -> bool:
    day = local.date()
    if r.start_date is not None and day < r.start_date:
        return False
    if r.end_date is not None and day >= r.end_date:
        return False
    if r.day_of_week is not None and _WEEKDAY_NAMES[day.weekday()] not in r.day_of_week:
        return False
    if r.day_type is not None and day_type not in r.day_type:
        return False
    if r.start_time is None or r.end_time is None:
        return True
    now = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    start, end = _minutes(r.start_time), _minutes(r.end_time)
    if start < end:
        return start <= now < end
    return now >= start or now < end


def price_at(tariff: Tariff, moment: datetime) -> Price:
    """Rule 1 of the module docstring."""
    for hourly in tariff.hourly_prices:
        if hourly.start <= moment < hourly.start + _HOUR:
            return Price(f"hour {hourly.start.isoformat()}", "hourly", hourly.price, 1)
    local = moment.astimezone(_zone(tariff.time_zone))
    day_type = _day_type(tariff, local.date())
    for number, element in enumerate(tariff.elements, start=1):
        if element.restrictions is None or _restrictions_hold(
            element.restrictions, local, day_type
        ):
            component = element.price_components[0]
            return Price(
                f"element {number}", str(element.period), component.price, component.step_size
            )
    raise TariffGap(f"tariff {tariff.id} prices nothing at {local.isoformat()}")


def _cuts(tariff: Tariff, start: datetime, end: datetime) -> list[datetime]:
    """Every whole UTC minute and published-hour edge strictly inside ``(start, end)``."""
    first = start.astimezone(UTC).replace(second=0, microsecond=0) + _MINUTE
    cuts = set()
    moment = first
    while moment < end:
        cuts.add(moment)
        moment += _MINUTE
    for hourly in tariff.hourly_prices:
        cuts.update(e for e in (hourly.start, hourly.start + _HOUR) if start < e < end)
    return sorted(cuts)


def _interval_pieces(tariff: Tariff, number: int, interval: MeteringInterval) -> list[Piece]:
    """One interval cut where the price changes, its energy shared per rule 3."""
    edges = [interval.start, *_cuts(tariff, interval.start, interval.end), interval.end]
    spans: list[tuple[datetime, datetime, Price]] = []
    for left, right in pairwise(edges):
        price = price_at(tariff, left)
        if spans and spans[-1][2] == price:
            spans[-1] = (spans[-1][0], right, price)
        else:
            spans.append((left, right, price))
    whole = interval.end - interval.start
    pieces: list[Piece] = []
    shared = Decimal(0)
    for left, right, price in spans:
        fraction = Decimal((right - interval.start) // timedelta(microseconds=1)) / Decimal(
            whole // timedelta(microseconds=1)
        )
        upto = (
            interval.kwh
            if right == interval.end
            else min((interval.kwh * fraction).quantize(KWH_QUANTUM, ROUND_HALF_UP), interval.kwh)
        )
        pieces.append(Piece(number, left, right, upto - shared, price))
        shared = upto
    return pieces


def expected_bill(tariff: Tariff, intervals: Sequence[MeteringInterval]) -> ExpectedBill:
    """Price the metered intervals with ``tariff`` by the rules of the module docstring."""
    ordered = sorted(intervals, key=lambda interval: interval.start)
    pieces = [
        piece
        for number, interval in enumerate(ordered, start=1)
        for piece in _interval_pieces(tariff, number, interval)
    ]
    runs: list[tuple[datetime, datetime, Decimal, Price]] = []
    for piece in pieces:
        if runs and runs[-1][1] == piece.start and runs[-1][3] == piece.price:
            start, _, kwh, price = runs[-1]
            runs[-1] = (start, piece.end, kwh + piece.kwh, price)
        else:
            runs.append((piece.start, piece.end, piece.kwh, piece.price))
    metered = sum((interval.kwh for interval in ordered), Decimal(0))
    if runs:
        start, end, kwh, price = runs[-1]
        steps = (metered * 1000 / price.step_size_wh).to_integral_value(ROUND_CEILING)
        runs[-1] = (start, end, kwh + steps * price.step_size_wh / 1000 - metered, price)
    lines = tuple(
        Line(
            start,
            end,
            kwh,
            price.period,
            price.rate,
            (kwh * price.rate).quantize(MONEY_QUANTUM, ROUND_HALF_UP),
        )
        for start, end, kwh, price in runs
    )
    return ExpectedBill(
        tariff_id=tariff.id,
        currency=tariff.currency,
        pieces=tuple(pieces),
        lines=lines,
        metered_kwh=metered,
        total_kwh=sum((line.kwh for line in lines), Decimal(0)),
        total_amount=sum((line.amount for line in lines), Decimal(0)),
    )


def as_published(tariff: Tariff, publications: Sequence[HourlyPrice]) -> Tariff:
    """``tariff`` as it stood after ``publications``, in the order they were heard (rule 5)."""
    hours = list(tariff.hourly_prices)
    for new in publications:
        hours = [h for h in hours if not (h.start < new.end and new.start < h.end)] + [new]
    return Tariff.model_validate(
        {**tariff.model_dump(), "hourly_prices": sorted(hours, key=lambda h: h.start)}
    )
