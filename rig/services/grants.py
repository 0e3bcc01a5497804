"""Energy request → grant: the utility confirms or adjusts what a PEV asks for.

BR-07 says the utility compares a PEV's energy request with what is available and
confirms or adjusts amount, rate and schedule; BR-08 says charging may be delayed by
the customer's off-peak preference or by grid criteria (a demand-response event, a
short randomised delay). :func:`grant` does exactly that, purely: it is given the
request, the available capacity per time slot, the DLC events (PG-DLC), the active
load-management limits (PG-ALM), the prices in force (from
:func:`rig.services.tariffs.price_spans`), the current time and a seed, and returns
a :class:`Grant` with a schedule of slots and the reasons for every adjustment, each
naming its requirement ID. The field names follow IEEE 2030.5 flow reservations
(energy and power *requested* and *available*).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from rig.services.tariffs import PricedSpan


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
    requirement_id: str
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
        return tuple(dict.fromkeys(reason.requirement_id for reason in self.reasons))


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
    raise NotImplementedError
