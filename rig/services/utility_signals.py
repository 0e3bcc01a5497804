"""Grid signals: DLC events (PG-DLC), hourly prices (PG-RTP), ALM limits (PG-ALM).

Signals from the data set are seeded at start-up; the utility operator publishes
more with ``POST /signals``. Each has an ``announced_at`` (from then on it is
visible) and an ``effective_from`` (from then on it applies). An ESI polls
``GET /signals?since=<cursor>``: the answer carries the signals for its premise,
its feeder or everyone, and the next cursor. The cursor never passes a signal that
is published but not yet announced, so a poll may repeat one; dedupe by
``signal_id``. A published hourly price also enters the pricing of its tariff.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from rig.services import api_models as m
from rig.services.auth import Caller
from rig.services.errors import conflict, forbidden, invalid, not_found
from rig.services.times import from_s, to_ms
from rig.services.utility_base import (
    UtilityBase,
)


class SignalDesk(UtilityBase):
    """Grid signals: DLC events (PG-DLC), hourly prices (PG-RTP), ALM limits (PG-ALM)."""

    def _seed_signals(self) -> Iterable[dict[str, Any]]:
        for ev in self.u.dr_events:
            targets: list[str | None] = list(ev.premise_ids) if ev.premise_ids else [None]
            for premise_id in targets:
                suffix = f"@{premise_id}" if ev.premise_ids else ""
                yield {
                    "signal_id": f"{ev.id}{suffix}",
                    "kind": "dlc",
                    "premise_id": premise_id,
                    "feeder_id": ev.feeder_id,
                    "announced_at": ev.announced_at.timestamp(),
                    "effective_from": ev.start.timestamp(),
                    "effective_until": ev.end.timestamp(),
                    "body": {"limit_kw": str(ev.limit_kw)},
                }
        for alm in self.u.alm_limits:
            yield {
                "signal_id": alm.id,
                "kind": "alm",
                "premise_id": alm.premise_id,
                "feeder_id": None,
                "announced_at": alm.effective_from.timestamp(),
                "effective_from": alm.effective_from.timestamp(),
                "effective_until": None,
                "body": {"limit_kw": str(alm.limit_kw)},
            }
        for tariff in self.u.tariffs:
            for hp in tariff.hourly_prices:
                start = hp.start.timestamp()
                yield {
                    "signal_id": f"{tariff.id}@{to_ms(hp.start)}",
                    "kind": "price",
                    "premise_id": None,
                    "feeder_id": None,
                    # published a day ahead (PG-RTP)
                    "announced_at": start - 86400.0,
                    "effective_from": start,
                    "effective_until": start + 3600.0,
                    "body": {"tariff_id": tariff.id, "price": str(hp.price)},
                }

    def signals(self, caller: Caller, premise_id: str | None, since: int) -> m.SignalsPage:
        if caller.kind == "esi":
            premise_id = premise_id or caller.premise_id
            self._esi_premise(caller, premise_id or "")
        elif not (caller.kind == "utility" and caller.id == self.id):
            raise forbidden(f"{caller.label} may not read this utility's signals")
        if premise_id is not None and premise_id not in self.ds.premises:
            raise not_found("premise", premise_id)
        if premise_id is not None and self.ds.utility_of.get(premise_id) != self.id:
            raise not_found("premise", premise_id)
        table = self.t.signals
        with self.db.read() as conn:
            found = self._signal_rows(conn, premise_id, since)
            waiting = conn.execute(
                select(func.min(table.c.seq)).where(
                    table.c.seq > since, table.c.announced_at > self._now()
                )
            ).scalar()
        # The cursor never passes a signal that is published but not yet announced,
        # so it is returned once its time comes; a poll may therefore repeat a signal
        # (dedupe by signal_id).
        next_since = max([s.seq for s in found], default=since)
        if waiting is not None:
            next_since = min(next_since, int(waiting) - 1)
        return m.SignalsPage(
            signals=found, next_since=max(next_since, since), now=from_s(self._now())
        )

    def publish_signal(self, caller: Caller, sig: m.SignalIn) -> m.SignalOut:
        if not (caller.kind == "utility" and caller.id == self.id):
            raise forbidden(f"only utility '{self.id}' itself may publish its grid signals")
        if sig.premise_id is not None and self.ds.utility_of.get(sig.premise_id) != self.id:
            raise not_found("premise", sig.premise_id)
        feeders = {p.feeder_id for p in self.u.premises if p.feeder_id}
        if sig.feeder_id is not None and sig.feeder_id not in feeders:
            raise not_found("feeder", sig.feeder_id)
        if sig.effective_until is not None and sig.effective_until <= sig.effective_from:
            raise invalid("effective_until must be after effective_from")
        body: dict[str, str] = {}
        if sig.kind in ("dlc", "alm"):
            if sig.limit_kw is None:
                raise invalid(f"a {sig.kind} signal needs limit_kw")
            if sig.kind == "alm" and sig.premise_id is None:
                raise invalid("an alm signal names the premise whose limit changes")
            if sig.kind == "dlc" and sig.effective_until is None:
                raise invalid("a dlc event needs effective_until (the end of the event)")
            body["limit_kw"] = str(sig.limit_kw)
        else:
            if sig.tariff_id is None or sig.price is None:
                raise invalid("a price signal needs tariff_id and price")
            if sig.tariff_id not in {t.id for t in self.u.tariffs}:
                raise not_found("tariff", sig.tariff_id)
            if to_ms(sig.effective_from) % 3_600_000:
                raise invalid("an hourly price starts on the hour")
            body = {"tariff_id": sig.tariff_id, "price": str(sig.price)}
        now = self._now()
        effective_until = sig.effective_until
        if sig.kind == "price":
            effective_until = sig.effective_from + timedelta(hours=1)
        row = {
            "signal_id": sig.signal_id,
            "kind": sig.kind,
            "premise_id": sig.premise_id,
            "feeder_id": sig.feeder_id,
            "announced_at": sig.announced_at.timestamp() if sig.announced_at else now,
            "effective_from": sig.effective_from.timestamp(),
            "effective_until": effective_until.timestamp() if effective_until else None,
            "body": body,
        }
        table = self.t.signals
        with self.db.write() as conn:
            existing = conn.execute(select(table).where(table.c.signal_id == sig.signal_id)).first()
            if existing is not None:
                same = all(getattr(existing, k) == v for k, v in row.items() if k != "announced_at")
                if not same:
                    raise conflict(f"signal '{sig.signal_id}' was already published differently")
                return self._signal_out(existing)
            conn.execute(table.insert().values(**row))
            stored = conn.execute(select(table).where(table.c.signal_id == sig.signal_id)).one()
        if sig.kind == "price" and sig.tariff_id and sig.price is not None:
            self._remember_price(sig.tariff_id, sig.effective_from.timestamp(), str(sig.price))
        return self._signal_out(stored)
