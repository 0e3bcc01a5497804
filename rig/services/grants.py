"""Energy request → grant: the utility confirms or adjusts what a PEV asks for.

BR-07 says the utility compares a PEV's energy request with what is available and
confirms or adjusts amount, rate and schedule; BR-08 says charging may be delayed by
the customer's off-peak preference or by grid criteria (a demand-response event, a
short randomised delay). :func:`grant` does exactly that, purely: it is given the
request, the available capacity per time slot, the DLC events (PG-DLC), the active
load-management limits (PG-ALM), the prices in force (from
:func:`rig.services.tariffs.price_spans`), the current time and a seed, and returns
a :class:`Grant`. The field names follow IEEE 2030.5 flow reservations (energy and
power *requested* and *available*).

How a grant is made:

1. **Start delay** (BR-08): a whole number of seconds drawn uniformly from
   ``[0, max_random_delay]`` by ``random.Random(seed)`` — the same seed, the same delay.
2. **Slots**: the time from ``now + delay`` to departure is cut wherever anything
   changes: a capacity slot, a DR event, an ALM limit or a price begins or ends.
3. **Allowed power** in each slot: the least of the requested power, the available
   capacity (where capacity is published; elsewhere it does not limit), the limit of
   any DR event in progress (0 stops charging) and the ALM limit in force (the latest
   one effective at or before the slot).
4. **Filling**: slots are filled at their allowed power in time order, or — when
   the customer prefers off-peak and prices are given — cheapest first (ties in
   time order), until the requested energy is reached. A full slot's energy is
   rounded down to whole Wh; the last slot used is cut short (to the second, rounded
   up) so that the scheduled energy equals the request exactly.
5. **Status**: ``confirmed`` when the full energy and power requested are available,
   else ``adjusted``. Every delay, every shortfall and every constraint that held a
   slot the filling looked at below the requested power adds a :class:`Reason`
   naming its requirement IDs (a DR event after charging is done is no reason).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from enum import StrEnum
from itertools import pairwise

from rig.services.tariffs import KWH_QUANTUM, PricedSpan

_SECONDS_PER_HOUR = Decimal(3600)
_MICROSECOND = timedelta(microseconds=1)
_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)


class GrantStatus(StrEnum):
    CONFIRMED = "confirmed"
    ADJUSTED = "adjusted"


@dataclass(frozen=True)
class EnergyRequest:
    """What the PEV asks for (IEEE 2030.5 FlowReservationRequest, simplified)."""

    energy_requested_kwh: Decimal
    power_requested_kw: Decimal
    departure: datetime
    prefers_off_peak: bool = False


@dataclass(frozen=True)
class CapacitySlot:
    """Power the premise or feeder can give a PEV in ``[start, end)``."""

    start: datetime
    end: datetime
    available_kw: Decimal


@dataclass(frozen=True)
class DemandResponseEvent:
    """A PG-DLC event: charging limited to ``limit_kw`` (0: stopped) in ``[start, end)``."""

    event_id: str
    start: datetime
    end: datetime
    limit_kw: Decimal = Decimal(0)


@dataclass(frozen=True)
class LoadLimit:
    """A PG-ALM limit: from ``effective`` on (until the next limit) at most ``limit_kw``."""

    effective: datetime
    limit_kw: Decimal


@dataclass(frozen=True)
class Reason:
    """Why the grant differs from a plain "as asked, at once": a sentence and its rules."""

    requirement_ids: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class ScheduleSlot:
    """Charge at ``kw`` in ``[start, end)``, delivering ``kwh``."""

    start: datetime
    end: datetime
    kw: Decimal
    kwh: Decimal


@dataclass(frozen=True)
class Grant:
    """The utility's answer (IEEE 2030.5 FlowReservationResponse, simplified)."""

    status: GrantStatus
    energy_available_kwh: Decimal
    power_available_kw: Decimal
    start_delay: timedelta
    schedule: tuple[ScheduleSlot, ...]
    reasons: tuple[Reason, ...]

    @property
    def requirement_ids(self) -> tuple[str, ...]:
        """The requirement IDs behind the reasons, each once, in order."""
        return tuple(
            dict.fromkeys(
                requirement_id
                for reason in self.reasons
                for requirement_id in reason.requirement_ids
            )
        )


class GrantError(ValueError):
    """The request or the grid facts are malformed (naive times, negative power, …)."""


def grant(
    request: EnergyRequest,
    *,
    now: datetime,
    seed: int | str,
    capacity: list[CapacitySlot] | None = None,
    dr_events: list[DemandResponseEvent] | None = None,
    load_limits: list[LoadLimit] | None = None,
    prices: tuple[PricedSpan, ...] = (),
    max_random_delay: timedelta = timedelta(minutes=5),
) -> Grant:
    """Confirm or adjust ``request``; see the module docstring."""
    grid = _Grid(
        capacity=tuple(capacity or ()),
        dr_events=tuple(dr_events or ()),
        load_limits=tuple(sorted(load_limits or (), key=lambda limit: limit.effective)),
        prices=prices,
    )
    _check(request, now, grid, max_random_delay)
    reasons: list[Reason] = []

    delay = timedelta(seconds=random.Random(seed).randint(0, int(max_random_delay.total_seconds())))
    if delay:
        reasons.append(
            Reason(
                ("BR-08",),
                f"start delayed {int(delay.total_seconds())} s at random for grid stability",
            )
        )
    charge_from = now + delay

    slots = [
        _allowed_power(request, grid, start, end)
        for start, end in pairwise(_cuts(grid, charge_from, request.departure))
    ]
    if request.prefers_off_peak and prices:
        slots.sort(key=lambda slot: (slot.rate, slot.start))
    filled, visited = _fill(slots, request.energy_requested_kwh)
    schedule = _merge(sorted(filled, key=lambda slot: slot.start))
    for slot in sorted(visited, key=lambda slot: slot.start):
        reasons.extend(slot.limited_by)

    energy = sum((slot.kwh for slot in schedule), Decimal(0))
    power = max((slot.kw for slot in schedule), default=Decimal(0))
    if request.prefers_off_peak and prices and schedule and schedule[0].start > charge_from:
        reasons.append(
            Reason(
                ("BR-08",),
                "off-peak economy preference: cheapest periods first, starting "
                f"{schedule[0].start.isoformat()}",
            )
        )
    if energy < request.energy_requested_kwh:
        reasons.append(
            Reason(
                ("BR-07",),
                f"only {energy} of {request.energy_requested_kwh} kWh can be delivered by "
                f"{request.departure.isoformat()}",
            )
        )
    if power < request.power_requested_kw:
        reasons.append(
            Reason(
                ("BR-07",), f"at most {power} kW of the {request.power_requested_kw} kW requested"
            )
        )
    confirmed = energy == request.energy_requested_kwh and power == request.power_requested_kw
    return Grant(
        status=GrantStatus.CONFIRMED if confirmed else GrantStatus.ADJUSTED,
        energy_available_kwh=energy,
        power_available_kw=power,
        start_delay=delay,
        schedule=tuple(schedule),
        reasons=tuple(dict.fromkeys(reasons)),
    )


@dataclass(frozen=True)
class _Grid:
    capacity: tuple[CapacitySlot, ...]
    dr_events: tuple[DemandResponseEvent, ...]
    load_limits: tuple[LoadLimit, ...]
    """In order of ``effective``."""
    prices: tuple[PricedSpan, ...]


@dataclass(frozen=True)
class _Slot:
    start: datetime
    end: datetime
    kw: Decimal
    rate: Decimal
    limited_by: tuple[Reason, ...]
    """The constraints that hold ``kw`` below the power requested."""


def _check(request: EnergyRequest, now: datetime, grid: _Grid, max_random_delay: timedelta) -> None:
    moments = [now, request.departure]
    moments += [moment for slot in grid.capacity for moment in (slot.start, slot.end)]
    moments += [moment for event in grid.dr_events for moment in (event.start, event.end)]
    moments += [limit.effective for limit in grid.load_limits]
    if any(moment.utcoffset() is None for moment in moments):
        raise GrantError("give aware datetimes (with a time zone)")
    if request.energy_requested_kwh < 0 or request.power_requested_kw <= 0:
        raise GrantError("energy requested must be ≥ 0 kWh and power requested > 0 kW")
    limits = [slot.available_kw for slot in grid.capacity]
    limits += [event.limit_kw for event in grid.dr_events]
    limits += [limit.limit_kw for limit in grid.load_limits]
    if any(limit < 0 for limit in limits):
        raise GrantError("capacity and limits must be ≥ 0 kW")
    windows = [(slot.start, slot.end) for slot in grid.capacity]
    windows += [(event.start, event.end) for event in grid.dr_events]
    if any(end <= start for start, end in windows):
        raise GrantError("capacity slots and DR events must end after they start")
    if max_random_delay < timedelta(0):
        raise GrantError("max_random_delay must be ≥ 0")


def _cuts(grid: _Grid, start: datetime, end: datetime) -> list[datetime]:
    """``start``, ``end`` and every instant between them where a grid fact changes."""
    edges = {start, end}
    edges.update(moment for slot in grid.capacity for moment in (slot.start, slot.end))
    edges.update(moment for event in grid.dr_events for moment in (event.start, event.end))
    edges.update(limit.effective for limit in grid.load_limits)
    edges.update(moment for span in grid.prices for moment in (span.start, span.end))
    return sorted(edge for edge in edges if start <= edge <= end) if end > start else []


def _allowed_power(request: EnergyRequest, grid: _Grid, start: datetime, end: datetime) -> _Slot:
    """The slot ``[start, end)`` at the least of every limit in force, and what bound it."""
    wanted = request.power_requested_kw
    kw = wanted
    limited_by: list[Reason] = []
    for slot in grid.capacity:
        if slot.start <= start < slot.end and slot.available_kw < wanted:
            kw = min(kw, slot.available_kw)
            limited_by.append(
                Reason(
                    ("BR-07",),
                    f"capacity {slot.available_kw} kW from {slot.start.isoformat()} to "
                    f"{slot.end.isoformat()}",
                )
            )
    for event in grid.dr_events:
        if event.start <= start < event.end and event.limit_kw < wanted:
            kw = min(kw, event.limit_kw)
            limited_by.append(
                Reason(
                    ("PG-DLC", "BR-08"),
                    f"demand-response event {event.event_id} limits charging to "
                    f"{event.limit_kw} kW from {event.start.isoformat()} to "
                    f"{event.end.isoformat()}",
                )
            )
    in_force = [limit for limit in grid.load_limits if limit.effective <= start]
    if in_force and in_force[-1].limit_kw < wanted:
        kw = min(kw, in_force[-1].limit_kw)
        limited_by.append(
            Reason(
                ("PG-ALM",),
                f"active load management limits charging to {in_force[-1].limit_kw} kW from "
                f"{in_force[-1].effective.isoformat()}",
            )
        )
    rate = next((span.rate for span in grid.prices if span.start <= start < span.end), Decimal(0))
    return _Slot(start, end, kw, rate, tuple(limited_by))


def _fill(order: list[_Slot], energy_kwh: Decimal) -> tuple[list[ScheduleSlot], list[_Slot]]:
    """Take slots in ``order`` at their allowed power until ``energy_kwh`` is scheduled.

    Returns the schedule and the slots looked at on the way (their limits mattered).
    """
    schedule: list[ScheduleSlot] = []
    visited: list[_Slot] = []
    remaining = energy_kwh
    for slot in order:
        if remaining <= 0:
            break
        visited.append(slot)
        if slot.kw <= 0:
            continue
        hours = Decimal((slot.end - slot.start) // _MICROSECOND) / _MICROSECONDS_PER_HOUR
        full = (slot.kw * hours).quantize(KWH_QUANTUM, ROUND_DOWN)
        if full < remaining:
            if full > 0:  # a slot too short for a whole Wh is left out
                schedule.append(ScheduleSlot(slot.start, slot.end, slot.kw, full))
                remaining -= full
            continue
        seconds = (remaining * _SECONDS_PER_HOUR / slot.kw).to_integral_value(ROUND_CEILING)
        end = min(slot.start + timedelta(seconds=int(seconds)), slot.end)
        schedule.append(ScheduleSlot(slot.start, end, slot.kw, remaining))
        remaining = Decimal(0)
    return schedule, visited


def _merge(schedule: list[ScheduleSlot]) -> list[ScheduleSlot]:
    """Join slots that follow one another at the same power."""
    merged: list[ScheduleSlot] = []
    for slot in schedule:
        if merged and merged[-1].end == slot.start and merged[-1].kw == slot.kw:
            previous = merged[-1]
            merged[-1] = ScheduleSlot(previous.start, slot.end, slot.kw, previous.kwh + slot.kwh)
        else:
            merged.append(slot)
    return merged
