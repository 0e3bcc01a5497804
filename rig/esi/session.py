"""The ESI actor: one PEV session at one portal, from binding to the closing summary.

The Energy Services Interface is the premise's voice towards its utility. For one
session it

1. **binds** the PEV (``POST /bindings``): PEV ID, premise, portal, whether the PEV
   communicates and the EUMD answers, and the SC-4 roaming option. The answer says
   whether binding succeeded and whether the incentive applies, which the PEV is
   told (BR-12); an unenrolled PEV is refused (BR-05) and charges at the
   premise's terms. The ESI chooses the binding ID itself, so when the utility
   cannot be reached (BR-01) the binding is queued in the outbox with
   ``communication: failed`` and delivered, under the same ID, before the
   session's intervals;
2. passes the PEV's **energy request** on and returns the utility's grant (BR-07);
3. **polls grid signals** (DR events, hourly prices, ALM limits) for its premise;
4. **meters**: it reads the EUMD at the session's ends and around every boundary
   of the utility's metering interval (aligned to the clock: :00, :15, … for
   15 min), and cuts each interval record — PEV ID, premise ID, EUMD ID, start,
   end, kWh to the Wh (BR-09) — *at the boundary instant*, on the utility's grid.
   A read never lands exactly on a boundary on a wall clock (the runner wakes at
   it, then the read takes a few milliseconds), so the ESI reads the EUMD
   :data:`PRE_READ_S` before each boundary as well, and interpolates the register
   linearly between the last read before the boundary and the first after it.
   The record says so (``interpolated``) and carries the bound on the energy the
   interpolation may have put on the wrong side of the edge (``edge_error_wh``:
   the energy between the two reads × max(x, y)/(x + y), x and y their distances
   from the boundary; see docs/oracle.md, "Interval edges"). What one interval
   gains at an edge its neighbour loses, so the session's total is exact. On a
   virtual clock the read lands on the boundary and nothing is interpolated;
5. **reports** every interval and, at the end, the session's date, time, duration
   and energy (BR-12) through the durable :class:`~rig.esi.outbox.Outbox`: a
   utility outage delays them, in order, and nothing is lost or doubled (the
   idempotency keys are the session ID with the interval's start, and
   ``<session>:close``);
6. writes every transaction with the utility to its audit log (BR-10): the synchronous
   ones (binding, energy request, signal polls) here, the outbox's itself.

**A failed EUMD read is a transient until it lasts.** Every read the ESI needs is
tried up to :data:`EUMD_TRIES` times at once (each a full Modbus transaction, which
the link itself retries once). A boundary whose read still fails stays *owed*: the
open interval is not cut, the ESI tries again every :data:`EUMD_RETRY_S`, and the
first read that answers cuts the owed boundary by interpolating the register
between the last read before it and this one (``edge_error_wh`` says how much that
may misplace; the session's total stays exact). Only when no read has answered for
:func:`eumd_patience_s` after the boundary (60 s, or half the metering interval if
that is shorter) is the EUMD *unavailable* (BR-04): ``eumd_available`` is cleared,
the span from the last read that answered is kept in :attr:`Esi.unmetered`, and
metering resumes from the next read that answers. A read that fails at the
session's end (no later read can come) is unavailable at once, after its tries.

Time is the rig's clock; the ESI never sleeps. The runner calls :meth:`Esi.on_time`
whenever the clock has moved, and asks :meth:`Esi.next_wake` when it next needs to.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from drivers.kinds import MeterSnapshot
from drivers.meter.energy import snapshot_delta
from rig.clock import Clock
from rig.domain.vocabulary import Communication, RoamingOption
from rig.esi.audit import AuditLog
from rig.esi.link import NotOffered, Unreachable, UtilityLink, report_path
from rig.esi.outbox import Outbox, Rejected
from rig.record import BindingAnswer, GrantAnswer, MeteringInterval

BindingState = Literal["none", "pending", "accepted", "refused"]
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
class EsiSetup:
    """Who and where the ESI is, from the utility data set."""

    esi_id: str
    premise_id: str
    portal_id: str
    eumd_id: str | None
    interval_s: int
    """The utility's metering interval as configured; a binding answer overrides it."""


@dataclass(frozen=True)
class Signal:
    """A grid signal as the utility announced it to this premise."""

    kind: Literal["dlc", "price", "alm"]
    effective_from: datetime
    effective_until: datetime | None
    limit_kw: Decimal | None
    price: Decimal | None
    tariff_id: str | None


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


def _instant(t: float) -> datetime:
    """A clock reading as an aware UTC datetime, to the millisecond (as the utility keeps it)."""
    ms = round(t * 1000)
    return datetime.fromtimestamp(ms // 1000, UTC) + timedelta(milliseconds=ms % 1000)


def _kwh(wh: float) -> Decimal:
    return (Decimal(repr(wh)) / 1000).quantize(WH, rounding=ROUND_HALF_UP)


class Esi:
    """The ESI for one session; see the module docstring."""

    def __init__(
        self,
        setup: EsiSetup,
        utility: UtilityLink,
        clock: Clock,
        outbox: Outbox,
        audit: AuditLog,
        read_eumd: Callable[[], MeterSnapshot | None],
        *,
        eumd_rollover_wh: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.setup = setup
        self.utility = utility
        self.clock = clock
        self.outbox = outbox
        self.audit = audit
        self.read_eumd = read_eumd
        self.eumd_rollover_wh = eumd_rollover_wh
        """Where the EUMD's register wraps, asked at each subtraction: a SunSpec driver
        learns it from the map at its first read, after the ESI was made."""
        self.binding_id = f"B-{uuid.uuid4().hex[:16]}"
        self.session_id = f"S-{self.binding_id[2:]}"
        self.state: BindingState = "none"
        self.asked = False
        """A binding was asked for (or queued): the utility knows, or will, of the session."""
        self.answer: BindingAnswer | None = None
        self.refusal = ""
        self.grant: GrantAnswer | None = None
        self.start_delay_s = 0.0
        self.communication = Communication.ESTABLISHED
        self.eumd_available = True
        self.pev_id: str | None = None
        self.intervals: list[MeteringInterval] = []
        self.interval_s = setup.interval_s
        self._signals_since = 0
        self._edge: _Edge | None = None
        self._last: _Read | None = None
        """The ESI's latest EUMD read that answered."""
        self._pre_read_for: float | None = None
        """The boundary the last pre-read was taken for."""
        self._retry_at: float | None = None
        """When the owed boundary's read is tried again (``None``: nothing owed)."""
        self.unmetered: list[tuple[float, float | None]] = []
        """Spans the EUMD was unavailable (BR-04): from the last read that answered
        (or the boundary, if none had) to the next one (``None``: none did)."""
        self._started_at: float | None = None
        self.closed = False

    # ----------------------------------------------------------------- binding, grant

    def bind(
        self,
        pev_id: str | None,
        communication: Communication,
        roaming_option: RoamingOption,
    ) -> BindingAnswer | None:
        """Bind the PEV; ``None`` when the utility could not be reached (queued for later).

        For a PEV that does not communicate the ESI still registers the session with
        the utility (so it can be billed to the premise), but nothing was asked of or
        told to the PEV: the state stays ``none`` and the answer is ``None``.
        """
        self.asked = True
        self.pev_id = pev_id
        self.communication = communication
        self.eumd_available = self._read() is not None
        request = {
            "binding_id": self.binding_id,
            "premise_id": self.setup.premise_id,
            "esi_id": self.setup.esi_id,
            "portal_id": self.setup.portal_id,
            "pev_id": pev_id,
            "communication": communication,
            "eumd_available": self.eumd_available,
            "roaming_option": roaming_option,
            # the utility accepts intervals from here, even if this arrives late
            "session_start": _instant(
                self._started_at if self._started_at is not None else self.clock.now()
            ).isoformat(),
        }
        self.state = "pending"
        reply = self._call("binding", self.binding_id, "/bindings", self.utility.bind, request)
        if reply is None:
            self.state = "none"
            self.communication = Communication.FAILED
            request["communication"] = "failed"
            self.outbox.put(self.binding_id, "binding", "/bindings", request)
            return None
        self.interval_s = int(reply["interval_s"])
        if communication != "established":
            self.state = "none"
            return None  # the session is reported, but no PEV asked to bind (SC-5, BR-01)
        self.state = "accepted" if reply["bound"] else "refused"
        self.refusal = "" if reply["bound"] else str(reply["reason"])
        self.answer = BindingAnswer(
            bound=bool(reply["bound"]),
            incentive=bool(reply["incentive"]),
            scenario=str(reply["scenario"]),
            payer_account_id=str(reply["payer_account_id"]),
            tariff_id=str(reply["tariff_id"]),
            reason=str(reply.get("reason", "")),
            requirement_ids=tuple(str(r) for r in reply.get("requirement_ids", ())),
        )
        return self.answer

    def request_energy(self, kwh: Decimal, kw: Decimal, departure: datetime) -> GrantAnswer | None:
        """Pass the PEV's energy request on (BR-07); ``None`` if there is no binding to ask on."""
        if self.state != "accepted":
            return None
        key = f"{self.binding_id}:request:{len(self.intervals)}:{self.clock.now():.3f}"
        body = {
            "request_id": key.replace(":", "-").replace(".", "-")[:80],
            "energy_requested_kwh": str(kwh),
            "power_requested_kw": str(kw),
            "departure": departure.isoformat(),
        }
        path = f"/bindings/{self.binding_id}/energy-requests"

        def ask(body: dict[str, Any]) -> dict[str, Any]:
            return self.utility.request_energy(self.binding_id, body)

        reply = self._call("energy_request", key, path, ask, body)
        if reply is None:
            return None
        self.start_delay_s = float(reply["start_delay_s"])
        self.grant = GrantAnswer(
            status=str(reply["status"]),
            energy_requested_kwh=Decimal(str(reply["energy_requested_kwh"])),
            energy_available_kwh=Decimal(str(reply["energy_available_kwh"])),
            power_available_kw=Decimal(str(reply["power_available_kw"])),
        )
        return self.grant

    def poll_signals(self) -> list[Signal]:
        """Grid signals announced for this premise since the last poll (none if unreachable)."""
        key = f"signals:{self._signals_since}"
        try:
            page = self.utility.signals(self._signals_since, self.setup.premise_id)
        except NotOffered:
            raise  # the protocol cannot carry signals: the plan fails, not a quiet "none"
        except (Unreachable, Rejected) as error:
            self.audit.record("signals", key, "/signals", "failed", attempt=1, detail=str(error))
            return []
        self.audit.record("signals", key, "/signals", "sent", attempt=1)
        self._signals_since = int(page["next_since"])
        return [
            Signal(
                kind=s["kind"],
                effective_from=datetime.fromisoformat(s["effective_from"]),
                effective_until=(
                    datetime.fromisoformat(s["effective_until"]) if s["effective_until"] else None
                ),
                limit_kw=None if s["limit_kw"] is None else Decimal(str(s["limit_kw"])),
                price=None if s["price"] is None else Decimal(str(s["price"])),
                tariff_id=s["tariff_id"],
            )
            for s in page["signals"]
        ]

    def _call(
        self,
        kind: str,
        key: str,
        path: str,
        send: Callable[[dict[str, Any]], dict[str, Any]],
        body: dict[str, Any],
    ) -> dict[str, Any] | None:
        """One synchronous transaction, audited; ``None`` when the utility was unreachable.

        ``path`` names it in the audit log (the JSON API's resource, whatever the protocol).
        """
        try:
            reply = send(body)
        except Unreachable as error:
            self.audit.record(kind, key, path, "failed", attempt=1, detail=str(error))
            return None
        except Rejected as error:
            self.audit.record(kind, key, path, "rejected", attempt=1, detail=str(error))
            raise
        self.audit.record(kind, key, path, "sent", attempt=1)
        return reply

    # ----------------------------------------------------------------- metering

    def start_metering(self) -> None:
        """The session starts now: the first EUMD read, the first interval opens."""
        read = self._read()
        self._started_at = self.clock.now() if read is None else read.t
        self._edge = _Edge(self._started_at, read)

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
        """When the ESI next has something to do: just before an interval boundary (the
        pre-read, wall clock), the boundary, or the outbox's next delivery attempt."""
        times = [message.next_attempt_at for message in self.outbox.messages("pending")[:1]]
        boundary = self._boundary()
        if boundary is not None and self._retry_at is not None:
            times.append(self._retry_at)
        elif boundary is not None:
            early = boundary - PRE_READ_S
            wants = self._wants_pre_read(boundary) and self.clock.now() < early - 1e-3
            times.append(early if wants else boundary)
        return min(times, default=None)

    def on_time(self) -> bool:
        """Cut the interval if a boundary has come (True), and deliver what is due."""
        boundary = self._boundary()
        now = self.clock.now()
        due = boundary is not None and now >= boundary - 1e-6
        retry_due = self._retry_at is None or now >= self._retry_at - 1e-6
        cut = False
        if boundary is not None and due and retry_due:
            cut = self._cut(boundary)
        elif boundary is not None and not due and self._pre_read_due(boundary):
            self._pre_read_for = boundary
            self._read()
        self.outbox.deliver_due()
        return cut

    def _read(self) -> _Read | None:
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

    def _cut(self, boundary: float | None) -> bool:
        """Close the open interval at ``boundary`` (``None``: at a read, now) and open the next.

        False when the boundary's read failed and stays owed (see the module docstring).
        """
        edge = self._edge
        assert edge is not None
        before, after = self._last, self._read()
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
        if end - edge.t < 1e-3:  # nothing to report: the energy goes to the next interval
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
            _instant(edge.t),
            _instant(end),
            _kwh(max(wh, 0.0)),
            interpolated=edge.interpolated or new_edge.interpolated,
            edge_error_wh=edge.error_wh + new_edge.error_wh,
        )
        self.intervals.append(interval)
        record = {"start": interval.start.isoformat(), "end": interval.end.isoformat()}
        self.outbox.put(
            f"{self.session_id}:{interval.start.isoformat()}",
            "interval",
            report_path(self.session_id),
            self._report([{**record, "kwh": str(interval.kwh)}]),
        )
        return True

    def _lost(self, edge: _Edge, end: float, before: _Read | None, after: _Read | None) -> None:
        """No interval from ``edge`` to ``end``: the EUMD was unavailable (BR-04)."""
        self.eumd_available = False
        if edge.base is not None:  # it went silent now: the span starts at its last answer
            self.unmetered.append((before.t if before is not None else edge.t, None))
        elif not self.unmetered:  # silent since the session started
            self.unmetered.append((edge.t, None))
        if after is not None:  # it answers again: metering resumes from this read
            self.unmetered[-1] = (self.unmetered[-1][0], after.t)
        self._edge = _Edge(end, after)

    def _report(
        self, intervals: list[dict[str, str]], close: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "binding_id": self.binding_id,
            "pev_id": self.pev_id,
            "premise_id": self.setup.premise_id,
            "eumd_id": self.setup.eumd_id,
            "intervals": intervals,
        }
        if close is not None:
            body["close"] = close
        return body

    def close(self) -> dict[str, Any]:
        """The session ends now: the last interval, then the summary (BR-12), queued.

        Returns the summary (date and time, duration, energy) the PEV is told too.
        """
        if self.closed or self._started_at is None:
            raise RuntimeError("the ESI has no open session to close")
        self._cut(None)
        self.closed = True
        started, ended = _instant(self._started_at), _instant(self.clock.now())
        energy = sum((i.kwh for i in self.intervals), Decimal(0))
        summary = {
            "started_at": started.isoformat(),
            "ended_at": ended.isoformat(),
            "duration_s": (ended - started) / timedelta(seconds=1),
            "energy_kwh": str(energy),
        }
        self.outbox.put(
            f"{self.session_id}:close",
            "close",
            report_path(self.session_id),
            self._report([], summary),
        )
        self.outbox.deliver_due()
        return summary

    @property
    def pending(self) -> int:
        """Messages not yet delivered to the utility."""
        return len(self.outbox.messages("pending"))

    def refusals(self) -> list[str]:
        """Every message the utility refused for good (4xx), as ``kind key: its reason``.

        A refused record is never "delivered": the runner fails the step and the
        plan with these reasons (:mod:`rig.runner.refusals`).
        """
        return [f"{m.kind} {m.key}: {m.last_error}" for m in self.outbox.messages("rejected")]
