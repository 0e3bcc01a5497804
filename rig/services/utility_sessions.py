"""Session interval records (BR-09, BR-12): stored once, billed once.

``POST /sessions/{id}/intervals`` carries any batch of EUMD intervals, in any
order, optionally with the close (date, time, duration, energy). Each interval is
keyed by ``(session, start)``: an exact repeat is counted as a duplicate, a changed
one is refused (409), an overlap is refused — within the session, and across
sessions on the same portal or EUMD (409 naming the other session), so one meter's
energy is never recorded, and billed, under two session IDs; a batch is all or
nothing. Every check
runs before anything is written, and the write is one transaction under the
service's write lock, so concurrent identical posts land once.

When a session is closed — or a late interval arrives for a closed one — its bill
lines are recomputed from *all* its intervals and replace the old ones
(:mod:`rig.services.billing`), so nothing is ever billed twice; an SC-4 session's
roaming charge goes to the outbox in the same transaction.

Why one module of ~440 lines: a batch goes check → store → bill → answer inside
one write transaction (:meth:`SessionDesk.report`); the steps share the batch, the
binding's decision and the open connection, and split over modules they would only
pass those back and forth. What is reusable on its own already lives elsewhere:
pricing in :mod:`rig.services.tariffs`, bill lines in :mod:`rig.services.billing`.
"""

from __future__ import annotations

import bisect
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from rig.services import api_models as m
from rig.services.auth import Caller
from rig.services.billing import roaming_charge, session_lines
from rig.services.dataset import Premise
from rig.services.db import insert_ignore
from rig.services.errors import conflict, forbidden, invalid, not_found
from rig.services.tariffs import (
    MeteredInterval,
    PricingError,
)
from rig.services.times import from_ms, from_s, to_ms
from rig.services.utility_base import (
    EDGE_TOLERANCE_S,
    ENERGY_SLACK,
    FUTURE_SLACK_S,
    UtilityBase,
)


class SessionDesk(UtilityBase):
    """Session interval records (BR-09, BR-12): stored once, billed once."""

    def report(self, caller: Caller, session_id: str, body: m.SessionReportIn) -> m.SessionRecord:
        """Record a batch of intervals (and the close); bill the session once closed."""
        premise = self._esi_premise(caller, body.premise_id)
        now_s = self._now()
        interval_ms = self.u.interval_s * 1000
        new = self._checked_batch(body, now_s + FUTURE_SLACK_S)
        close = body.close

        with self.db.write() as conn:
            decision, brow = self._binding(conn, body.binding_id)
            self._check_against_binding(body, premise, decision, brow, new)
            session = conn.execute(self.q_session, {"id": session_id}).first()
            if session is not None and session.binding_id != body.binding_id:
                raise conflict(
                    f"session '{session_id}' belongs to binding '{session.binding_id}', "
                    f"not '{body.binding_id}'"
                )
            existing = {
                r.start_ms: (r.end_ms, r.kwh)
                for r in conn.execute(self.q_intervals, {"id": session_id})
            }
            fresh, duplicates = self._classify(existing, new)
            self._check_other_sessions(conn, session_id, brow.portal_id, body.eumd_id, fresh)
            closed = close is not None or (session is not None and session.status == "closed")
            window = self._window(session, close)
            if window is not None:
                lo, hi = window
                for s, e, _ in fresh:
                    if s < lo - interval_ms or e > hi + interval_ms:
                        raise invalid(
                            f"interval {from_ms(s)}–{from_ms(e)} lies outside the closed "
                            f"session ({from_ms(lo)}–{from_ms(hi)})"
                        )
            # every check passed: write
            if session is None:
                conn.execute(
                    self.t.sessions.insert(),
                    dict(
                        session_id=session_id,
                        binding_id=body.binding_id,
                        esi_id=caller.id,
                        premise_id=premise.id,
                        pev_id=brow.pev_id,
                        eumd_id=body.eumd_id,
                        status="open",
                        flags=["eumd_unavailable"] if decision.flagged else [],
                        created_at=now_s,
                    ),
                )
            if close is not None:
                self._close(conn, session_id, session, close)
            self._insert_intervals(conn, session_id, fresh, now_s)
            known = sorted([(s, e, k) for s, (e, k) in existing.items()] + fresh)
            metered = [MeteredInterval(from_ms(s), from_ms(e), k) for s, e, k in known]
            if closed and (fresh or close is not None):
                self._bill(conn, session_id, decision, premise, metered)
            record = self._record(conn, session_id, metered)
        if decision.roaming is not None and closed:
            self.outbox.deliver_pending()
        return record.model_copy(
            update={
                "intervals_received": len(new),
                "intervals_accepted": len(fresh),
                "intervals_duplicate": duplicates,
            }
        )

    def _insert_intervals(
        self,
        conn: Connection,
        session_id: str,
        fresh: list[tuple[int, int, Decimal]],
        now_s: float,
    ) -> None:
        """The new intervals, in one ``executemany`` of a prepared statement.

        On SQLite the rows go straight to the driver (SQLAlchemy's per-row parameter
        processing cost more than the insert itself); the values are what the
        ``intervals`` table's types would bind (``kwh`` as exact text).
        """
        if not fresh:
            return
        if self.db.is_sqlite:
            conn.exec_driver_sql(
                self._sql_insert_intervals,
                [(session_id, s, e, str(k), now_s) for s, e, k in fresh],
            )
            return
        insert_ignore(
            conn,
            self.t.intervals,
            [
                {
                    "session_id": session_id,
                    "start_ms": s,
                    "end_ms": e,
                    "kwh": k,
                    "received_at": now_s,
                }
                for s, e, k in fresh
            ],
        )

    @property
    def _sql_insert_intervals(self) -> str:
        return (
            f'INSERT OR IGNORE INTO "{self.t.intervals.name}" '
            "(session_id, start_ms, end_ms, kwh, received_at) VALUES (?, ?, ?, ?, ?)"
        )

    def _checked_batch(
        self, body: m.SessionReportIn, latest_s: float
    ) -> list[tuple[int, int, Decimal]]:
        """The batch as sorted (start ms, end ms, kWh); 422 for anything implausible."""
        interval_ms = self.u.interval_s * 1000
        new: list[tuple[int, int, Decimal]] = []
        for i, iv in enumerate(body.intervals):
            start, end = to_ms(iv.start), to_ms(iv.end)
            if end <= start:
                raise invalid(f"intervals[{i}]: end {iv.end} is not after start {iv.start}")
            tolerance_ms = round(EDGE_TOLERANCE_S * 1000)
            if end - start > interval_ms + 2 * tolerance_ms:
                raise invalid(
                    f"intervals[{i}]: {(end - start) / 1000:g} s is longer than this utility's "
                    f"metering interval of {self.u.interval_s} s (BR-09; edges may be off the "
                    f"grid by {EDGE_TOLERANCE_S:g} s)"
                )
            if end / 1000 > latest_s:
                raise invalid(f"intervals[{i}]: end {iv.end} is in the future")
            new.append((start, end, iv.kwh))
        new.sort()
        for (s1, e1, _), (s2, _, _) in itertools.pairwise(new):
            if s2 < e1:
                raise invalid(f"intervals starting {from_ms(s1)} and {from_ms(s2)} overlap")
        close = body.close
        if close is not None:
            if close.ended_at < close.started_at:
                raise invalid("close: ended_at is before started_at")
            span = (close.ended_at - close.started_at).total_seconds()
            if abs(span - close.duration_s) > 2.0:
                raise invalid(
                    f"close: duration_s {close.duration_s:g} does not match ended_at − "
                    f"started_at = {span:g} s"
                )
            if close.ended_at.timestamp() > latest_s:
                raise invalid(f"close: ended_at {close.ended_at} is in the future")
        return new

    def _check_against_binding(
        self,
        body: m.SessionReportIn,
        premise: Premise,
        decision: m.BindingResponse,
        brow: Any,
        new: list[tuple[int, int, Decimal]],
    ) -> None:
        """The report fits its binding: premise, PEV, EUMD, times, and the portal's power."""
        if brow.premise_id != premise.id:
            raise forbidden(f"binding '{body.binding_id}' is not at premise '{premise.id}'")
        if body.pev_id is not None and brow.pev_id is not None and body.pev_id != brow.pev_id:
            raise invalid(
                f"pev_id '{body.pev_id}' is not the PEV of binding '{body.binding_id}' "
                f"('{brow.pev_id}')"
            )
        portal = self._portal(premise, brow.portal_id)
        if body.eumd_id and portal.eumd_id and body.eumd_id != portal.eumd_id:
            raise invalid(
                f"EUMD '{body.eumd_id}' is not the meter of portal '{portal.id}' "
                f"('{portal.eumd_id}')"
            )
        # from the ESI's own session start when it sent one (a binding delivered late
        # from the ESI's outbox after an outage), else from the binding's arrival
        began_s = brow.created_at
        if decision.session_start is not None:
            began_s = min(began_s, decision.session_start.timestamp())
        earliest_ms = round(began_s * 1000) - self.u.interval_s * 1000
        max_kw = Decimal(str(portal.max_kw)) * ENERGY_SLACK
        for start, end, kwh in new:
            if start < earliest_ms:
                raise invalid(f"interval starting {from_ms(start)} is before the binding")
            ceiling = max_kw * Decimal(end - start) / Decimal(3_600_000) + Decimal("0.01")
            if kwh > ceiling:
                raise invalid(
                    f"interval starting {from_ms(start)}: {kwh} kWh is more than portal "
                    f"'{portal.id}' ({portal.max_kw} kW) can deliver in "
                    f"{(end - start) / 1000:g} s"
                )

    @staticmethod
    def _classify(
        existing: dict[int, tuple[int, Decimal]], new: list[tuple[int, int, Decimal]]
    ) -> tuple[list[tuple[int, int, Decimal]], int]:
        """Split new intervals into fresh ones and exact duplicates; 409 for conflicts."""
        fresh: list[tuple[int, int, Decimal]] = []
        duplicates = 0
        starts = sorted(existing)
        for s, e, k in new:
            if s in existing:
                old_end, old_kwh = existing[s]
                if old_end == e and old_kwh == k:
                    duplicates += 1
                    continue
                raise conflict(
                    f"interval starting {from_ms(s)} was already recorded as {old_kwh} kWh "
                    f"until {from_ms(old_end)}; a record is never changed once stored"
                )
            i = bisect.bisect_left(starts, s)
            neighbours = [starts[j] for j in (i - 1, i) if 0 <= j < len(starts)]
            for ns in neighbours:
                ne = existing[ns][0]
                if ns < e and s < ne:
                    raise conflict(
                        f"interval {from_ms(s)}–{from_ms(e)} overlaps the recorded interval "
                        f"{from_ms(ns)}–{from_ms(ne)}"
                    )
            fresh.append((s, e, k))
        return fresh, duplicates

    def _check_other_sessions(
        self,
        conn: Connection,
        session_id: str,
        portal_id: str | None,
        eumd_id: str | None,
        fresh: list[tuple[int, int, Decimal]],
    ) -> None:
        """409 when a fresh interval overlaps one another session recorded on the same
        portal or EUMD: one meter's energy is billed under one session only."""
        if not fresh:
            return
        iv, ss, bd = self.t.intervals, self.t.sessions, self.t.bindings
        same = [bd.c.portal_id == portal_id] if portal_id else []
        same += [ss.c.eumd_id == eumd_id] if eumd_id else []
        if not same:
            return
        lo, hi = fresh[0][0], max(e for _, e, _ in fresh)
        rows = conn.execute(
            select(iv.c.session_id, iv.c.start_ms, iv.c.end_ms, bd.c.portal_id, ss.c.eumd_id)
            .join(ss, ss.c.session_id == iv.c.session_id)
            .join(bd, bd.c.binding_id == ss.c.binding_id)
            .where(iv.c.session_id != session_id, iv.c.start_ms < hi, iv.c.end_ms > lo, or_(*same))
        ).all()
        for s, e, _ in fresh:
            for row in rows:
                if row.start_ms < e and s < row.end_ms:
                    where = (
                        f"portal '{portal_id}'"
                        if portal_id and row.portal_id == portal_id
                        else f"EUMD '{eumd_id}'"
                    )
                    raise conflict(
                        f"interval {from_ms(s)}–{from_ms(e)} overlaps interval "
                        f"{from_ms(row.start_ms)}–{from_ms(row.end_ms)} of session "
                        f"'{row.session_id}' on {where}: the same metered energy is "
                        "recorded under one session only"
                    )

    @staticmethod
    def _window(session: Any, close: m.SessionCloseIn | None) -> tuple[int, int] | None:
        if close is not None:
            return to_ms(close.started_at), to_ms(close.ended_at)
        if session is not None and session.status == "closed":
            return round(session.started_at * 1000), round(session.ended_at * 1000)
        return None

    def _close(
        self, conn: Connection, session_id: str, session: Any, close: m.SessionCloseIn
    ) -> None:
        values = {
            "started_at": close.started_at.timestamp(),
            "ended_at": close.ended_at.timestamp(),
            "duration_s": close.duration_s,
            "reported_energy_kwh": close.energy_kwh,
        }
        if session is not None and session.status == "closed":
            same = (
                session.started_at == values["started_at"]
                and session.ended_at == values["ended_at"]
                and session.duration_s == values["duration_s"]
                and session.reported_energy_kwh == close.energy_kwh
            )
            if not same:
                raise conflict(f"session '{session_id}' was already closed with other figures")
            return
        conn.execute(
            update(self.t.sessions)
            .where(self.t.sessions.c.session_id == session_id)
            .values(status="closed", **values)
        )

    def _intervals(self, conn: Connection, session_id: str) -> list[MeteredInterval]:
        rows = conn.execute(self.q_intervals, {"id": session_id})
        return [MeteredInterval(from_ms(r.start_ms), from_ms(r.end_ms), r.kwh) for r in rows]

    def _bill(
        self,
        conn: Connection,
        session_id: str,
        decision: m.BindingResponse,
        premise: Premise,
        intervals: list[MeteredInterval],
    ) -> None:
        """Replace the session's bill lines (and SC-4 charge) from all its intervals."""
        tariffs = {
            tid: self.tariff(tid)
            for tid in {
                decision.tariff_id,
                premise.default_tariff_id,
                *([decision.roaming.settlement_tariff_id] if decision.roaming else []),
            }
        }
        try:
            billing = session_lines(
                decision, premise.account_id, tariffs[premise.default_tariff_id], tariffs, intervals
            )
        except PricingError as error:
            raise invalid(f"session '{session_id}' cannot be priced: {error}") from None
        source = f"session:{session_id}"
        li = self.t.line_items
        conn.execute(delete(li).where(li.c.source_key == source))
        now = self._now()
        rows = [
            {
                "account_id": line.account_id,
                "kind": line.kind,
                "session_id": session_id,
                "source_key": source,
                "pev_id": decision.pev_id,
                "premise_id": premise.id,
                "start_ms": to_ms(line.line.start),
                "end_ms": to_ms(line.line.end),
                "kwh": line.kwh,
                "tariff_id": line.tariff_id,
                "rate_period": str(line.line.rate_period),
                "rate": line.line.rate,
                "amount": line.amount,
                "currency": line.currency,
                "created_at": now,
            }
            for line in billing.lines
        ]
        if rows:
            conn.execute(li.insert(), rows)
        if billing.settlement is not None and decision.roaming is not None:
            charge = roaming_charge(
                decision,
                session_id=session_id,
                premise_id=premise.id,
                settlement=billing.settlement,
            )
            self.outbox.enqueue(
                conn,
                key=charge.charge_id,
                target="clearinghouse",
                path="/roaming-charges",
                body=m.as_json(charge),
            )

    def _record(
        self, conn: Connection, session_id: str, intervals: list[MeteredInterval] | None = None
    ) -> m.SessionRecord:
        s = conn.execute(self.q_session, {"id": session_id}).first()
        if s is None:
            raise not_found("session", session_id)
        decision, _ = self._binding(conn, s.binding_id)
        if intervals is None:
            intervals = self._intervals(conn, session_id)
        total = sum((iv.kwh for iv in intervals), Decimal(0))
        lines = [
            self._line_out(r) for r in conn.execute(self.q_lines, {"key": f"session:{session_id}"})
        ]
        payer = [x for x in lines if x.kind in ("charge", "roaming")]
        flags = list(s.flags)
        if s.status == "closed" and s.reported_energy_kwh is not None:
            tolerance = Decimal("0.005") * total + Decimal("0.002")
            if abs(s.reported_energy_kwh - total) > tolerance:
                flags.append("energy_mismatch")
        closed = s.status == "closed"
        return m.SessionRecord(
            session_id=session_id,
            binding_id=s.binding_id,
            premise_id=s.premise_id,
            pev_id=s.pev_id,
            eumd_id=s.eumd_id,
            status=s.status,
            scenario=decision.scenario,
            payer_account_id=decision.payer_account_id,
            tariff_id=decision.tariff_id,
            incentive=decision.incentive,
            flags=flags,
            intervals_received=0,
            intervals_accepted=0,
            intervals_duplicate=0,
            interval_count=len(intervals),
            start_date_time=from_s(s.started_at) if closed else None,
            end_date_time=from_s(s.ended_at) if closed else None,
            total_time=(
                (Decimal(str(s.duration_s)) / Decimal(3600)).quantize(Decimal("0.000001"))
                if closed
                else None
            ),
            total_energy=total,
            reported_energy_kwh=s.reported_energy_kwh,
            total_cost=m.Price(excl_vat=sum((x.amount for x in payer), Decimal(0)))
            if closed
            else None,
            currency=payer[0].currency if payer else None,
            charging_periods=[
                m.ChargingPeriod(
                    start_date_time=x.start,
                    end_date_time=x.end,
                    dimensions=[m.CdrDimension(type="ENERGY", volume=x.kwh)],
                    tariff_id=x.tariff_id,
                    rate_period=x.rate_period,
                    rate=x.rate,
                    amount=x.amount,
                )
                for x in payer
            ],
            line_items=lines,
        )

    def session(self, caller: Caller, session_id: str) -> m.SessionRecord:
        with self.db.read() as conn:
            row = conn.execute(
                select(self.t.sessions.c.premise_id).where(
                    self.t.sessions.c.session_id == session_id
                )
            ).first()
            if row is None:
                raise not_found("session", session_id)
            self._may_read_premise(caller, row.premise_id)
            return self._record(conn, session_id)
