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
4. **meters**: its :class:`~rig.esi.metering.IntervalMeter` reads the EUMD at the
   session's ends and around every boundary of the utility's metering interval, and
   cuts each interval record — PEV ID, premise ID, EUMD ID, start, end, kWh to the
   Wh (BR-09) — *at the boundary instant*, interpolating the register where a read
   cannot land on it (wall clock), and keeping a boundary *owed* while the EUMD
   briefly fails to answer (see :mod:`rig.esi.metering`);
5. **reports** every interval and, at the end, the session's date, time, duration
   and energy (BR-12) through the durable :class:`~rig.esi.outbox.Outbox`: a
   utility outage delays them, in order, and nothing is lost or doubled (the
   idempotency keys are the session ID with the interval's start, and
   ``<session>:close``);
6. writes every transaction with the utility to its audit log (BR-10): the synchronous
   ones (binding, energy request, signal polls) here, the outbox's itself.

Time is the rig's clock; the ESI never sleeps. The runner calls :meth:`Esi.on_time`
whenever the clock has moved, and asks :meth:`Esi.next_wake` when it next needs to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from drivers.kinds import MeterSnapshot
from rig.clock import Clock
from rig.domain.vocabulary import Communication, RoamingOption
from rig.esi.audit import AuditLog
from rig.esi.link import NotOffered, Unreachable, UtilityLink, report_path
from rig.esi.metering import IntervalMeter, instant
from rig.esi.outbox import Outbox, Rejected
from rig.record import BindingAnswer, GrantAnswer, MeteringInterval

BindingState = Literal["none", "pending", "accepted", "refused"]


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
        self.pev_id: str | None = None
        self.meter = IntervalMeter(
            clock, read_eumd, eumd_rollover_wh, setup.interval_s, self._put_interval
        )
        """The EUMD's reads cut into interval records (:mod:`rig.esi.metering`)."""
        self._wired = False
        self._signals_since = 0

    @property
    def intervals(self) -> list[MeteringInterval]:
        """The interval records cut so far, in order."""
        return self.meter.intervals

    @property
    def eumd_available(self) -> bool:
        """The EUMD answered at binding and has not stayed silent since (BR-04)."""
        return self.meter.available

    @property
    def unmetered(self) -> list[tuple[float, float | None]]:
        """Spans the EUMD was unavailable (:attr:`IntervalMeter.unmetered`)."""
        return self.meter.unmetered

    @property
    def interval_s(self) -> int:
        """The utility's metering interval: as configured, or as the binding answered."""
        return self.meter.interval_s

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
        self._wire()
        self.asked = True
        self.pev_id = pev_id
        self.communication = communication
        self.meter.available = self.meter.read() is not None
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
            "session_start": instant(
                self.meter.started_at if self.meter.started_at is not None else self.clock.now(),
                self.meter.resolution_s,
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
        self.meter.interval_s = int(reply["interval_s"])
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
        self._wire()
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

    def _wire(self) -> None:
        """Before the first call on the link: tell it where to note the transactions the
        ESI does not note itself, and record instants as finely as its protocol carries
        them (the ESI polls and binds before it cuts its first interval)."""
        if not self._wired:
            self._wired = True
            self.meter.resolution_s = self.utility.resolution_s
            self.utility.log_to(self.audit)

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
        self.meter.start()

    def next_wake(self) -> float | None:
        """When the ESI next has something to do: just before an interval boundary (the
        pre-read, wall clock), the boundary, the outbox's next delivery attempt, or the
        link's next signal poll (a 2030.5 link polls at the server's ``pollRate``)."""
        times = [message.next_attempt_at for message in self.outbox.messages("pending")[:1]]
        times += [t for t in (self.meter.next_wake(), self._next_poll()) if t is not None]
        return min(times, default=None)

    def _next_poll(self) -> float | None:
        return self.utility.next_poll() if self.asked else None

    def on_time(self) -> bool:
        """Cut the interval if a boundary has come, and deliver what is due. True when
        the signals are due a poll: at a boundary, or at the link's next poll."""
        cut = self.meter.on_time()
        self.outbox.deliver_due()
        poll = self._next_poll()
        return cut or (poll is not None and self.clock.now() >= poll)

    def _put_interval(self, interval: MeteringInterval) -> None:
        record = {"start": interval.start.isoformat(), "end": interval.end.isoformat()}
        self.outbox.put(
            f"{self.session_id}:{interval.start.isoformat()}",
            "interval",
            report_path(self.session_id),
            self._report([{**record, "kwh": str(interval.kwh)}]),
        )

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
        started_at = self.meter.started_at
        if self.meter.closed or started_at is None:
            raise RuntimeError("the ESI has no open session to close")
        self.meter.finish()
        resolution = self.meter.resolution_s
        started, ended = instant(started_at, resolution), instant(self.clock.now(), resolution)
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
