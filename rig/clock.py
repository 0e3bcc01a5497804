"""One notion of time for the bench, the simulators, the runner and the services.

A :class:`Clock` tells the time (UTC seconds since the epoch) and sleeps. On a lab
bench it is the wall clock, optionally shifted by an offset so that a short test can
start just before a tariff boundary. In simulation it is a :class:`VirtualClock`:
``sleep`` moves time forward at once, so an hour of charging takes milliseconds,
while the simulated instruments still answer over their real wires and read the
same clock to decide what they measure.

Everything that needs "now" takes a clock; nothing calls ``time.time()`` directly.
The drivers and simulators ask only for ``now()`` (``drivers.clock.Clock``, which every
clock here satisfies), so they depend on nothing of ``rig``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What the rig asks of time."""

    def now(self) -> float:
        """UTC seconds since the epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of this clock's time pass."""
        ...

    @property
    def is_virtual(self) -> bool:
        """True when time only moves because someone sleeps or advances it."""
        ...


def to_datetime(seconds: float) -> datetime:
    """A clock reading as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def to_seconds(moment: datetime) -> float:
    """An aware datetime as a clock reading; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class WallClock:
    """Real time, shifted by ``offset_s`` (to start a bench run near a tariff boundary)."""

    is_virtual = False

    def __init__(self, offset_s: float = 0.0) -> None:
        self.offset_s = offset_s

    def now(self) -> float:
        return time.time() + self.offset_s

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """Simulated time: starts at ``start`` and moves only when slept or advanced.

    Thread-safe: the runner advances it while simulator threads read it.
    """

    is_virtual = True

    def __init__(self, start: float | datetime = 0.0) -> None:
        self._now = to_seconds(start) if isinstance(start, datetime) else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (never backwards); return the new time."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds} s)")
        with self._lock:
            self._now += seconds
            return self._now

    def advance_to(self, moment: float) -> float:
        """Move time forward to ``moment`` if it is later than now; return the new time."""
        with self._lock:
            self._now = max(self._now, moment)
            return self._now
