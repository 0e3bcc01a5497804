"""EVSE control: which ampacity the pilot advertises, and why.

The EVSE tells the vehicle how much it may draw by the pilot's PWM duty cycle
(J1772; :func:`drivers.j1772.duty_from_ampacity`). What it advertises is the
smallest of everything that limits the session:

==================  ==========================================================
limit               from
==================  ==========================================================
the EVSE's rating   the plan's ``bench.evse_max``, and the portal's rating
                    (``max_kw`` of the data set at the supply's voltage)
the grant           the utility's answer to the energy request (BR-07), from
                    its start delay on (BR-08); a session that is not bound
                    (not communicating, refused, utility unreachable) may charge
                    at the EVSE's rating at once (BR-01, BR-05, SC-5)
a DR event          PG-DLC: its limit inside its window (0: stop)
an ALM limit        PG-ALM: the latest limit in force
``set_ampacity``    the plan's own setting, until the next one
==================  ==========================================================

Below 6 A nothing may be drawn, so the PWM stops (a steady level, duty 100 %),
which also opens the contactor. Every change is recorded as an advertised-ampacity
sample at the instant it was made. Limits take effect at their times on the bench
clock; :meth:`EvseControl.next_wake` tells the runner when the next one is due.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from drivers.j1772 import duty_from_ampacity
from drivers.kinds import Pilot
from rig.record import CurrentSample

MIN_AMPACITY_A = 6.0


@dataclass(frozen=True)
class GridLimit:
    """A DR event window or an ALM limit, in amps at the supply voltage."""

    kind: Literal["dlc", "alm"]
    start: float
    end: float | None
    amps: float


class EvseControl:
    """The EVSE's advertised ampacity; see the module docstring."""

    def __init__(
        self, pilot: Pilot, advertised: list[CurrentSample], *, rating_a: float, volts: float
    ) -> None:
        self.pilot = pilot
        self.log = advertised
        self.rating_a = rating_a
        self.volts = volts
        self.allowed_a: float | None = None
        self.allowed_from = math.inf
        self.manual_a: float | None = None
        self.limits: list[GridLimit] = []
        self.advertising: float | None = None

    def amps(self, kw: float) -> float:
        """A power limit as a current at the supply's nominal voltage."""
        return kw * 1000.0 / self.volts

    def allow(self, amps: float, from_t: float) -> None:
        """The session may charge at up to ``amps`` from ``from_t`` on."""
        self.allowed_a = amps
        self.allowed_from = from_t

    def add_limit(self, limit: GridLimit) -> None:
        self.limits.append(limit)

    def target(self, now: float) -> float:
        if self.allowed_a is None or now < self.allowed_from:
            return 0.0
        amps = min(self.rating_a, self.allowed_a)
        if self.manual_a is not None:
            amps = min(amps, self.manual_a)
        alm = [x for x in self.limits if x.kind == "alm" and x.start <= now]
        if alm:
            amps = min(amps, max(alm, key=lambda x: x.start).amps)
        for event in self.limits:
            if (
                event.kind == "dlc"
                and event.start <= now
                and (event.end is None or now < event.end)
            ):
                amps = min(amps, event.amps)
        return amps if amps >= MIN_AMPACITY_A else 0.0

    def update(self, now: float) -> bool:
        """Advertise what is due now; True when the duty changed."""
        amps = self.target(now)
        if amps == self.advertising:
            return False
        self.pilot.set_duty(duty_from_ampacity(amps))
        self.advertising = amps
        self.log.append(CurrentSample(now, amps))
        return True

    def stop(self, now: float) -> None:
        """The vehicle left: no more PWM until the next session."""
        self.allowed_a = None
        self.update(now)

    def next_wake(self, now: float) -> float | None:
        """The next moment a limit starts or ends (or the grant's delay runs out)."""
        times = [self.allowed_from]
        for x in self.limits:
            times += [x.start, x.end if x.end is not None else math.inf]
        upcoming = [t for t in times if t > now + 1e-9 and math.isfinite(t)]
        return min(upcoming, default=None)
