"""Pure pricing of metered energy with a tariff (the schema: :mod:`rig.domain.tariff`).

Over 400 lines, on purpose: the fast paths (whole days cut once and cached,
one walk over the spans) and the direct constructions they are checked against
(``tests/services/test_tariffs_fast.py``) read best side by side.

:func:`price_session` splits every metered interval exactly at each instant where
the applicable price may change (rate-period and day boundaries in local time, the
hours of published prices, daylight-saving changes) and gives each piece of the
interval energy **pro rata by time**: the EUMD reports only the interval total, so
a uniform draw within the interval is the only assumption that needs no other data.
The energy up to each cut is rounded to 0.001 kWh (1 Wh, ``ROUND_HALF_UP``, never
past the interval's total) and each piece is the difference between consecutive
cuts, so pieces are never negative and always sum to the interval's energy
exactly. Contiguous pieces at the same price (the same element or the same
published hour) become one :class:`BillLine`, across intervals too.

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

import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from itertools import pairwise

from rig.domain.tariff import DayOfWeek, DayType, RatePeriod, Tariff, TariffRestrictions

KWH_QUANTUM = Decimal("0.001")
"""Pieces of an interval are rounded to whole Wh."""
MONEY_QUANTUM = Decimal("0.01")
"""Line amounts are rounded to cents."""
_CUT_GRID = timedelta(minutes=15)
"""Every real time zone changes its UTC offset on a UTC quarter-hour: cutting there
too catches daylight-saving changes, where local boundaries do not exist or repeat."""
_WH_PER_KWH = Decimal(1000)
_MICROSECOND = timedelta(microseconds=1)


class PricingError(ValueError):
    """The intervals cannot be priced with this tariff (no price applies, bad interval)."""


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
    metered_kwh: Decimal
    """The intervals' energy as the EUMD reported it."""
    total_kwh: Decimal
    """Billed energy: the metered energy rounded up to the energy step size."""
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


@dataclass(frozen=True)
class _Price:
    """The price in force at a moment and where it comes from (pieces merge on ``source``)."""

    source: tuple[str, int | datetime]
    period: RatePeriod
    rate: Decimal
    step_size_wh: int


@dataclass(frozen=True)
class _Piece:
    start: datetime
    end: datetime
    price: _Price


def price_spans(tariff: Tariff, start: datetime, end: datetime) -> tuple[PricedSpan, ...]:
    """The prices in force over ``[start, end)``, one span per contiguous price."""
    _require_aware(start, end)
    return tuple(
        PricedSpan(piece.start, piece.end, piece.price.period, piece.price.rate)
        for piece in _pieces(tariff, start, end)
    )


def price_session(tariff: Tariff, intervals: list[MeteredInterval]) -> SessionBill:
    """Split, price and round a session's metered intervals (see the module docstring)."""
    ordered = _checked(intervals)
    spans = _pieces(tariff, ordered[0].start, ordered[-1].end) if ordered else []
    runs = _priced_runs(spans, ordered)
    metered = sum((interval.kwh for interval in intervals), Decimal(0))
    if runs:
        last_piece, last_kwh = runs[-1]
        runs[-1] = (last_piece, last_kwh + _step_rounding(metered, last_piece.price.step_size_wh))
    lines = tuple(
        BillLine(
            start=piece.start,
            end=piece.end,
            kwh=kwh,
            rate_period=piece.price.period,
            rate=piece.price.rate,
            amount=(kwh * piece.price.rate).quantize(MONEY_QUANTUM, ROUND_HALF_UP),
        )
        for piece, kwh in runs
    )
    return SessionBill(
        tariff_id=tariff.id,
        currency=tariff.currency,
        lines=lines,
        metered_kwh=metered,
        total_kwh=sum((line.kwh for line in lines), Decimal(0)),
        total_amount=sum((line.amount for line in lines), Decimal(0)),
    )


def settle_roaming(
    customer_tariff: Tariff, settlement_tariff: Tariff, intervals: list[MeteredInterval]
) -> RoamingSettlement:
    """Price an SC-4 session for the customer and for the inter-utility settlement."""
    if customer_tariff.currency != settlement_tariff.currency:
        raise PricingError(
            f"cannot settle {customer_tariff.currency} against {settlement_tariff.currency}"
        )
    customer_bill = price_session(customer_tariff, intervals)
    settlement_bill = price_session(settlement_tariff, intervals)
    return RoamingSettlement(
        customer_bill=customer_bill,
        settlement_bill=settlement_bill,
        customer_amount=customer_bill.total_amount,
        roaming_utility_owed=settlement_bill.total_amount,
        home_utility_keeps=customer_bill.total_amount - settlement_bill.total_amount,
    )


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.utcoffset() is None:
            raise PricingError(f"{moment} has no time zone; give aware datetimes")


def _checked(intervals: list[MeteredInterval]) -> list[MeteredInterval]:
    """The intervals in time order (they may arrive out of order), or a PricingError."""
    ordered = sorted(intervals, key=lambda interval: interval.start)
    for interval in ordered:
        _require_aware(interval.start, interval.end)
        if interval.end <= interval.start:
            raise PricingError(f"interval {interval.start}-{interval.end} does not move forward")
        if interval.kwh < 0:
            raise PricingError(f"interval at {interval.start} has negative energy")
    for earlier, later in pairwise(ordered):
        if later.start < earlier.end:
            raise PricingError(f"intervals at {earlier.start} and {later.start} overlap")
    return ordered


def _pieces(tariff: Tariff, start: datetime, end: datetime) -> list[_Piece]:
    """``[start, end)`` cut wherever the price may change, merged where it did not (UTC).

    Built from whole UTC days, each computed once per tariff object
    (:func:`_day_pieces`), clipped to ``[start, end)`` and merged across day
    boundaries where the price source is the same. The price is constant between
    candidate cuts, so this is exactly what :func:`_pieces_between` gives for
    ``[start, end)`` directly — at a fraction of the cost for the next session.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end - start > _CACHED_SPAN:
        return _pieces_between(tariff, start, end)
    try:
        return _pieces_by_day(tariff, start, end)
    except PricingError:  # a tariff with no price somewhere in those days
        return _pieces_between(tariff, start, end)  # (raises if the gap is in range)


def _pieces_by_day(tariff: Tariff, start: datetime, end: datetime) -> list[_Piece]:
    pieces: list[_Piece] = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        for piece in _day_pieces(tariff, day):
            lo, hi = max(piece.start, start), min(piece.end, end)
            if lo >= hi:
                continue
            if pieces and pieces[-1].end == lo and pieces[-1].price.source == piece.price.source:
                pieces[-1] = _Piece(pieces[-1].start, hi, piece.price)
            else:
                pieces.append(_Piece(lo, hi, piece.price))
        day += _DAY
    return pieces


_DAY = timedelta(days=1)
_CACHED_SPAN = timedelta(days=7)
"""Longer ranges are cut directly (the per-day cache is for sessions)."""
_DAY_CACHE: dict[tuple[int, datetime], tuple[Tariff, tuple[_Piece, ...]]] = {}
_DAY_CACHE_LIMIT = 4096
_DAY_CACHE_LOCK = threading.Lock()


def _day_pieces(tariff: Tariff, day: datetime) -> tuple[_Piece, ...]:
    """The pieces of one UTC day ``[day, day + 1 d)``, cached per tariff object.

    Tariffs are frozen models; the cache holds the object itself, so a key is never
    confused with another tariff that later gets the same ``id``.
    """
    key = (id(tariff), day)
    hit = _DAY_CACHE.get(key)
    if hit is not None and hit[0] is tariff:
        return hit[1]
    pieces = tuple(_pieces_between(tariff, day, day + _DAY))
    with _DAY_CACHE_LOCK:
        if len(_DAY_CACHE) >= _DAY_CACHE_LIMIT:
            _DAY_CACHE.clear()
        _DAY_CACHE[key] = (tariff, pieces)
    return pieces


def _pieces_between(tariff: Tariff, start: datetime, end: datetime) -> list[_Piece]:
    """``[start, end)`` (UTC) cut at every candidate instant, merged where the price held."""
    cuts = sorted({start, end, *_candidate_cuts(tariff, start, end)})
    pieces: list[_Piece] = []
    for piece_start, piece_end in pairwise(cuts):
        price = _price_at(tariff, piece_start)
        if pieces and pieces[-1].price.source == price.source:
            pieces[-1] = _Piece(pieces[-1].start, piece_end, price)
        else:
            pieces.append(_Piece(piece_start, piece_end, price))
    return pieces


def _clipped(spans: list[_Piece], interval: MeteredInterval) -> list[_Piece]:
    """The parts of the session's price spans that lie inside one interval."""
    first = bisect_right(spans, interval.start, key=lambda span: span.end)
    pieces: list[_Piece] = []
    for span in spans[first:]:
        if span.start >= interval.end:
            break
        pieces.append(
            _Piece(max(span.start, interval.start), min(span.end, interval.end), span.price)
        )
    return pieces


def _candidate_cuts(tariff: Tariff, start: datetime, end: datetime) -> Iterator[datetime]:
    """Instants strictly inside ``(start, end)`` (UTC) where the price might change."""
    grid = start.replace(minute=0, second=0, microsecond=0)
    while grid < end:
        if grid > start:
            yield grid
        grid += _CUT_GRID
    zone = tariff.zone
    boundaries = {time(0)}
    for element in tariff.elements:
        window = element.restrictions.time_window() if element.restrictions else None
        if window is not None:
            boundaries.update(window)
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date():
        for boundary in boundaries:
            for fold in (0, 1):
                local = datetime.combine(day, boundary, tzinfo=zone).replace(fold=fold)
                if start < local < end:
                    yield local.astimezone(UTC)
        day += timedelta(days=1)
    for hourly in tariff.hourly_prices:
        for edge in (hourly.start, hourly.end):
            if start < edge < end:
                yield edge.astimezone(UTC)


def _price_at(tariff: Tariff, moment: datetime) -> _Price:
    """Published hourly price if any covers ``moment``, else the first matching element."""
    hourly = tariff.hourly_prices
    index = bisect_right(hourly, moment, key=lambda price: price.start) - 1
    if index >= 0 and moment < hourly[index].end:
        published = hourly[index]
        return _Price(("hour", published.start), RatePeriod.HOURLY, published.price, 1)
    local = moment.astimezone(tariff.zone)
    day_type = _day_type(tariff, local.date())
    for position, element in enumerate(tariff.elements):
        if element.restrictions is None or _hold_at(element.restrictions, local, day_type):
            component = element.price_components[0]
            return _Price(
                ("element", position), element.period, component.price, component.step_size
            )
    raise PricingError(f"tariff {tariff.id} has no price at {local.isoformat()}")


def _day_type(tariff: Tariff, day: date) -> DayType:
    """Holiday if listed (whatever the weekday), else weekend or weekday."""
    if day in tariff.holidays:
        return DayType.HOLIDAY
    return DayType.WEEKEND if day.weekday() >= 5 else DayType.WEEKDAY


_WEEKDAYS = tuple(DayOfWeek)


def _hold_at(restrictions: TariffRestrictions, local: datetime, day_type: DayType) -> bool:
    """Whether every restriction holds at the local moment ``local`` of a ``day_type`` day."""
    day = local.date()
    if restrictions.start_date is not None and day < restrictions.start_date:
        return False
    if restrictions.end_date is not None and day >= restrictions.end_date:
        return False
    if (
        restrictions.day_of_week is not None
        and _WEEKDAYS[local.weekday()] not in restrictions.day_of_week
    ):
        return False
    if restrictions.day_type is not None and day_type not in restrictions.day_type:
        return False
    window = restrictions.time_window()
    if window is None:
        return True
    start, end = window
    moment = local.time().replace(tzinfo=None)
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def _share_by_time(interval: MeteredInterval, pieces: list[_Piece]) -> list[Decimal]:
    """The interval's energy over its pieces, pro rata by time, rounded to whole Wh.

    The energy delivered up to each cut is rounded (half up, never past the total);
    each piece is the difference between consecutive cuts: never negative, and the
    pieces sum to the interval's energy exactly.
    """
    duration = Decimal((interval.end - interval.start) // _MICROSECOND)
    shares: list[Decimal] = []
    delivered = Decimal(0)
    for piece in pieces[:-1]:
        elapsed = Decimal((piece.end - interval.start) // _MICROSECOND)
        upto = min(
            (interval.kwh * elapsed / duration).quantize(KWH_QUANTUM, ROUND_HALF_UP), interval.kwh
        )
        shares.append(upto - delivered)
        delivered = upto
    shares.append(interval.kwh - delivered)
    return shares


def _priced_runs(
    spans: list[_Piece], ordered: list[MeteredInterval]
) -> list[tuple[_Piece, Decimal]]:
    """Each interval's energy on its price pieces, joined into contiguous runs.

    The same as :func:`_clipped` + :func:`_share_by_time` per interval followed by
    :func:`_contiguous_runs`, without building a piece per interval: the intervals
    are in time order, so the span they start in only moves forward, and an
    interval inside one span is one piece holding all its energy.
    """
    runs: list[tuple[_Piece, Decimal]] = []
    j = 0
    for interval in ordered:
        while spans[j].end <= interval.start:
            j += 1
        span = spans[j]
        if interval.end <= span.end:
            parts: Iterable[tuple[datetime, datetime, _Price, Decimal]] = (
                (interval.start, interval.end, span.price, interval.kwh),
            )
        else:
            pieces = _clipped(spans, interval)
            parts = [
                (piece.start, piece.end, piece.price, kwh)
                for piece, kwh in zip(pieces, _share_by_time(interval, pieces), strict=True)
            ]
        for start, end, price, kwh in parts:
            if runs:
                previous, previous_kwh = runs[-1]
                if previous.end == start and previous.price.source == price.source:
                    runs[-1] = (_Piece(previous.start, end, price), previous_kwh + kwh)
                    continue
            runs.append((_Piece(start, end, price), kwh))
    return runs


def _contiguous_runs(priced: list[tuple[_Piece, Decimal]]) -> list[tuple[_Piece, Decimal]]:
    """Join pieces that follow one another at the same price, across intervals."""
    runs: list[tuple[_Piece, Decimal]] = []
    for piece, kwh in priced:
        if runs:
            previous, previous_kwh = runs[-1]
            if previous.end == piece.start and previous.price.source == piece.price.source:
                runs[-1] = (_Piece(previous.start, piece.end, piece.price), previous_kwh + kwh)
                continue
        runs.append((piece, kwh))
    return runs


def _step_rounding(metered_kwh: Decimal, step_size_wh: int) -> Decimal:
    """Extra kWh to bill so the session's energy is a whole number of OCPI steps."""
    steps = (metered_kwh * _WH_PER_KWH / step_size_wh).to_integral_value(ROUND_CEILING)
    return steps * step_size_wh / _WH_PER_KWH - metered_kwh
