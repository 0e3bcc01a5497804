"""The ESI's metering: EUMD reads cut into interval records at the utility's boundaries.

An :class:`IntervalMeter` reads the EUMD at the session's ends and around every boundary
of the utility's metering interval (aligned to the clock: :00, :15, … for
15 min), and cuts each interval record — PEV ID, premise ID, EUMD ID, start,
end, kWh to the Wh (BR-09) — *at the boundary instant*, on the utility's grid.
A read never lands exactly on a boundary on a wall clock (the runner wakes at
it, then the read takes a few milliseconds), so the meter reads the EUMD
:data:`PRE_READ_S` before each boundary as well, and interpolates the register
linearly between the last read before the boundary and the first after it.
The record says so (``interpolated``) and carries the bound on the energy the
interpolation may have put on the wrong side of the edge (``edge_error_wh``:
the energy between the two reads × max(x, y)/(x + y), x and y their distances
from the boundary; see docs/oracle.md, "Interval edges"). What one interval
gains at an edge its neighbour loses, so the session's total is exact. On a
virtual clock the read lands on the boundary and nothing is interpolated.

**A failed EUMD read is a transient until it lasts.** Every read the meter needs is
tried up to :data:`EUMD_TRIES` times at once (each a full Modbus transaction, which
the link itself retries once). A boundary whose read still fails stays *owed*: the
open interval is not cut, the meter tries again every :data:`EUMD_RETRY_S`, and the
first read that answers cuts the owed boundary by interpolating the register
between the last read before it and this one (``edge_error_wh`` says how much that
may misplace; the session's total stays exact). Only when no read has answered for
:func:`eumd_patience_s` after the boundary (60 s, or half the metering interval if
that is shorter) is the EUMD *unavailable* (BR-04): :attr:`~IntervalMeter.available` is cleared,
the span from the last read that answered is kept in :attr:`IntervalMeter.unmetered`, and
metering resumes from the next read that answers. A read that fails at the
session's end (no later read can come) is unavailable at once, after its tries.

Each interval the meter cuts goes to the ESI (:class:`rig.esi.session.Esi`), which
reports it through its outbox. Time is the rig's clock; the meter never sleeps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from drivers.kinds import MeterSnapshot
from drivers.meter.energy import snapshot_delta
from rig.clock import Clock
from rig.record import MeteringInterval

#: Interval energy is reported to the Wh.
WH = Decimal("0.001")
#: How many times in a row the ESI tries one EUMD read before it counts as failed.
EUMD_TRIES = 3
#: How often an owed boundary's read is tried again (clock seconds).
EUMD_RETRY_S = 1.0
#: How long an owed boundary waits for the EUMD before it is unavailable (clock seconds).
EUMD_PATIENCE_S = 60.0


def eumd_patience_s(interval_s: float) -> float:
    """How long the EUMD may stay silent after a boundary before it is unavailable (BR-04).

    At most :data:`EUMD_PATIENCE_S`, and less than the metering interval, so at most
    one boundary is ever owed.
    """
    return min(EUMD_PATIENCE_S, interval_s / 2)


#: On a wall clock, how long before each metering boundary the ESI reads the EUMD,
#: so that the boundary lies between two reads at most this far apart (plus one read).
PRE_READ_S = 0.1


@dataclass(frozen=True)
class _Read:
    """One EUMD read by the ESI, at the midpoint of the request and the reply."""

    t: float
    snapshot: MeterSnapshot


@dataclass(frozen=True)
class _Edge:
    """Where the open interval starts: at ``t``, counted from the read ``base``.

    ``spent_wh`` is the energy between ``base`` and ``t`` that the previous
    interval already holds (an interpolated edge lies after its base read);
    ``error_wh`` bounds that interpolation (0 for an edge at a read).
    """

    t: float
    base: _Read | None
    spent_wh: float = 0.0
    error_wh: float = 0.0

    @property
    def interpolated(self) -> bool:
        return self.spent_wh != 0.0 or self.error_wh != 0.0


def instant(t: float, resolution_s: float = 0.001) -> datetime:
    """A clock reading as an aware UTC datetime, to the millisecond (as the utility keeps
    it), or floored to a coarser ``resolution_s`` (IEEE 2030.5 carries whole seconds)."""
    ms = round(t * 1000)
    ms -= ms % max(1, round(resolution_s * 1000))
    return datetime.fromtimestamp(ms // 1000, UTC) + timedelta(milliseconds=ms % 1000)


def _kwh(wh: float) -> Decimal:
    return (Decimal(repr(wh)) / 1000).quantize(WH, rounding=ROUND_HALF_UP)


class IntervalMeter:
    """The EUMD's register, cut into :class:`~rig.record.MeteringInterval` records."""

    def __init__(
        self,
        clock: Clock,
        read_eumd: Callable[[], MeterSnapshot | None],
        eumd_rollover_wh: Callable[[], float | None],
        interval_s: int,
        on_interval: Callable[[MeteringInterval], None],
    ) -> None:
        self.clock = clock
        self.read_eumd = read_eumd
        self.eumd_rollover_wh = eumd_rollover_wh
        self.interval_s = interval_s
        """The utility's metering interval (clock seconds)."""
        self.on_interval = on_interval
        """Told each interval as it is cut."""
        self.available = True
        """The EUMD answers (cleared when it stays silent too long, BR-04)."""
        self.resolution_s = 0.001
        """How finely interval instants are recorded: the utility link's (:func:`instant`)."""
        self.intervals: list[MeteringInterval] = []
        self.started_at: float | None = None
        self.closed = False
        self._edge: _Edge | None = None
        self._last: _Read | None = None
        """The latest EUMD read that answered."""
        self._pre_read_for: float | None = None
        """The boundary the last pre-read was taken for."""
        self._retry_at: float | None = None
        """When the owed boundary's read is tried again (``None``: nothing owed)."""
        self.unmetered: list[tuple[float, float | None]] = []
        """Spans the EUMD was unavailable (BR-04): from the last read that answered
        (or the boundary, if none had) to the next one (``None``: none did)."""

    def start(self) -> None:
        """The session starts now: the first EUMD read, the first interval opens."""
        read = self.read()
        self.started_at = self.clock.now() if read is None else read.t
        self._edge = _Edge(self.started_at, read)

    def _boundary(self) -> float | None:
        """The next metering boundary while an interval is open (clock seconds)."""
        if self._edge is None or self.closed:
            return None
        return (math.floor(self._edge.t / self.interval_s + 1e-9) + 1) * self.interval_s

    def _wants_pre_read(self, boundary: float) -> bool:
        return not self.clock.is_virtual and self._pre_read_for != boundary

    def _pre_read_due(self, boundary: float) -> bool:
        early = boundary - PRE_READ_S - 1e-3
        return self._wants_pre_read(boundary) and self.clock.now() >= early

    def next_wake(self) -> float | None:
        """When the meter next has something to do: just before an interval boundary
        (the pre-read, wall clock), the boundary, or an owed boundary's retry."""
        boundary = self._boundary()
        if boundary is None:
            return None
        if self._retry_at is not None:
            return self._retry_at
        early = boundary - PRE_READ_S
        wants = self._wants_pre_read(boundary) and self.clock.now() < early - 1e-3
        return early if wants else boundary

    def on_time(self) -> bool:
        """Cut the interval if a boundary has come (True), or take the pre-read if due."""
        boundary = self._boundary()
        now = self.clock.now()
        due = boundary is not None and now >= boundary - 1e-6
        retry_due = self._retry_at is None or now >= self._retry_at - 1e-6
        cut = False
        if boundary is not None and due and retry_due:
            cut = self.cut(boundary)
        elif boundary is not None and not due and self._pre_read_due(boundary):
            self._pre_read_for = boundary
            self.read()
        return cut

    def read(self) -> _Read | None:
        """Read the EUMD, up to :data:`EUMD_TRIES` times (``None``: it never answered);
        keep the answer as the latest read."""
        for _ in range(EUMD_TRIES):
            asked = self.clock.now()
            snapshot = self.read_eumd()
            if snapshot is not None:
                self._last = _Read((asked + self.clock.now()) / 2, snapshot)
                return self._last
        return None

    def _wh(self, before: _Read, after: _Read) -> float:
        return snapshot_delta(
            before.snapshot, after.snapshot, rollover_wh=self.eumd_rollover_wh(), instrument="eumd"
        ).wh

    def cut(self, boundary: float | None) -> bool:
        """Close the open interval at ``boundary`` (``None``: at a read, now) and open the next.

        False when the boundary's read failed and stays owed (see the module docstring).
        """
        edge = self._edge
        assert edge is not None
        before, after = self._last, self.read()
        now = self.clock.now()
        owed = after is None and edge.base is not None and boundary is not None
        if owed and now - (boundary or now) < eumd_patience_s(self.interval_s) - 1e-6:
            self._retry_at = now + EUMD_RETRY_S
            return False
        self._retry_at = None
        if edge.base is None or after is None:
            self._lost(edge, boundary if boundary is not None else now, before, after)
            return True
        end = after.t if boundary is None else boundary
        if instant(end, self.resolution_s) == instant(edge.t, self.resolution_s):
            # shorter than the link's resolution (1 ms; a whole second over 2030.5): nothing
            # to report, the energy goes to the next interval
            self._edge = _Edge(end, edge.base, edge.spent_wh, edge.error_wh)
            return True
        if after.t - end <= 1e-6 or before is None or before.t > end:
            new_edge = _Edge(end, after)  # the read is the edge
            wh = self._wh(edge.base, after) - edge.spent_wh
        else:  # interpolate the register at the boundary, between `before` and `after`
            x, y = end - before.t, after.t - end
            between = self._wh(before, after)
            share = between * x / (x + y)
            new_edge = _Edge(end, before, share, between * max(x, y) / (x + y))
            wh = self._wh(edge.base, before) - edge.spent_wh + share
        self._edge = new_edge
        interval = MeteringInterval(
            instant(edge.t, self.resolution_s),
            instant(end, self.resolution_s),
            _kwh(max(wh, 0.0)),
            interpolated=edge.interpolated or new_edge.interpolated,
            edge_error_wh=edge.error_wh + new_edge.error_wh,
        )
        self.intervals.append(interval)
        self.on_interval(interval)
        return True

    def _lost(self, edge: _Edge, end: float, before: _Read | None, after: _Read | None) -> None:
        """No interval from ``edge`` to ``end``: the EUMD was unavailable (BR-04)."""
        self.available = False
        if edge.base is not None:  # it went silent now: the span starts at its last answer
            self.unmetered.append((before.t if before is not None else edge.t, None))
        elif not self.unmetered:  # silent since the session started
            self.unmetered.append((edge.t, None))
        if after is not None:  # it answers again: metering resumes from this read
            self.unmetered[-1] = (self.unmetered[-1][0], after.t)
        self._edge = _Edge(end, after)

    def finish(self) -> None:
        """The session ends now: the last interval, at a read."""
        self.cut(None)
        self.closed = True
