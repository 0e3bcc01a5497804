"""The state and helpers every part of a utility shares.

:class:`UtilityBase` holds one utility's data set entry, database, clock, outbox and
the small look-ups the desks need: the caller's premise (an ESI acts only for its
own), a portal, a stored binding (bindings never change, so they are cached), the
tariffs with the hourly prices published so far, and the signals in force. The
desks — :mod:`~rig.services.utility_binding`, :mod:`~rig.services.utility_signals`,
:mod:`~rig.services.utility_sessions`, :mod:`~rig.services.utility_accounts` — each
add one part of the API; :class:`~rig.services.utility_service.UtilityService`
puts them together.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select

from rig.clock import Clock
from rig.domain.tariff import HourlyPrice, Tariff
from rig.domain.vocabulary import Communication
from rig.services import api_models as m
from rig.services.auth import Caller, Credentials
from rig.services.dataset import LoadedDataset, Portal, Premise
from rig.services.db import Database
from rig.services.errors import ServiceError, forbidden, invalid, not_found
from rig.services.facts import local_pev_record
from rig.services.http import peer_client
from rig.services.outbox import Outbox
from rig.services.times import from_ms, from_s

FUTURE_SLACK_S = 300.0
"""How far ahead of the service clock a reported instant may be (bench clock skew)."""
MAX_HORIZON = timedelta(days=7)
"""The latest departure an energy request may name."""
MAX_SESSION_AGE = timedelta(days=14)
"""The oldest session start a (late-delivered) binding may name."""
EDGE_TOLERANCE_S = 2.0
"""How far an interval's edge may be off the utility's metering grid (BR-09).

A head-end cannot demand that every meter's clock agree with its own to the
millisecond: each edge of an interval record may be this far off the grid
(:00, :15, … for 15 min), so a record is accepted up to
``interval_s + 2 × EDGE_TOLERANCE_S`` long and refused beyond. Two seconds is the time-sync band
typical of AMI meters; the rig's own ESI cuts on the grid exactly
(:mod:`rig.esi.session`)."""
ENERGY_SLACK = Decimal("1.25")
"""An interval may hold at most the portal's rating × duration × this (meter class, rounding)."""


class UtilityBase:
    """One utility's data, storage, clock and shared look-ups."""

    role = "utility"

    def __init__(
        self,
        ds: LoadedDataset,
        utility_id: str,
        db: Database,
        clock: Clock,
        *,
        clearinghouse_url: str | None,
    ) -> None:
        if utility_id not in ds.utilities:
            raise KeyError(f"no utility '{utility_id}' in the data set")
        self.ds = ds
        self.u = ds.utilities[utility_id]
        self.id = utility_id
        self.db = db
        self.t = db.tables
        self.clock = clock
        self.clearinghouse_url = clearinghouse_url
        self.outbox = Outbox(
            db,
            clock,
            targets={"clearinghouse": clearinghouse_url} if clearinghouse_url else {},
            token=self.u.token,
        )
        self._client = peer_client([clearinghouse_url], timeout=5.0)
        self._hourly: dict[str, dict[datetime, HourlyPrice]] = {}
        self._merged: dict[str, tuple[int, Tariff]] = {}
        self._hourly_version = 0
        self._binding_cache: dict[str, tuple[m.BindingResponse, Any]] = {}
        # hot queries, built once (each run only binds its parameter)
        t = self.t
        self.q_binding = select(t.bindings).where(t.bindings.c.binding_id == bindparam("id"))
        self.q_session = select(t.sessions).where(t.sessions.c.session_id == bindparam("id"))
        iv = t.intervals
        self.q_intervals = (
            select(iv.c.start_ms, iv.c.end_ms, iv.c.kwh)
            .where(iv.c.session_id == bindparam("id"))
            .order_by(iv.c.start_ms)
        )
        li = t.line_items
        self.q_lines = select(li).where(li.c.source_key == bindparam("key")).order_by(li.c.id)

    def credentials(self) -> Credentials:
        entries: list[tuple[str, Caller]] = [
            (self.u.token, Caller("utility", self.u.id, utility_id=self.u.id)),
            (
                self.ds.data.clearinghouse.token,
                Caller("clearinghouse", self.ds.data.clearinghouse.id),
            ),
        ]
        for premise in self.u.premises:
            for esi in premise.esis:
                entries.append(
                    (esi.token, Caller("esi", esi.id, utility_id=self.u.id, premise_id=premise.id))
                )
        return Credentials(entries)

    def close(self) -> None:
        self.outbox.close()
        self._client.close()

    def _load_hourly(self) -> None:
        table = self.t.signals
        with self.db.read() as conn:
            rows = conn.execute(select(table).where(table.c.kind == "price"))
            for row in rows:
                self._remember_price(row.body["tariff_id"], row.effective_from, row.body["price"])

    def _remember_price(self, tariff_id: str, start_s: float, price: str) -> None:
        start = from_s(start_s)
        self._hourly.setdefault(tariff_id, {})[start] = HourlyPrice(
            start=start, price=Decimal(price)
        )
        self._hourly_version += 1  # a merged copy made before this is stale

    def tariff(self, tariff_id: str) -> Tariff:
        """A tariff of the data set, with the hourly prices published so far."""
        base = self.ds.tariffs.get(tariff_id)
        if base is None:
            raise invalid(f"tariff '{tariff_id}' is not known to {self.id}")
        posted = self._hourly.get(tariff_id)
        if not posted:
            return base
        # one object per published state: the pricing caches per tariff object
        version = self._hourly_version
        cached = self._merged.get(tariff_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        merged = {hp.start: hp for hp in base.hourly_prices}
        merged.update(posted)
        prices = [merged[k] for k in sorted(merged)]
        copy = base.model_copy(update={"hourly_prices": prices})
        self._merged[tariff_id] = (version, copy)
        return copy

    def _now(self) -> float:
        return self.clock.now()

    def _esi_premise(self, caller: Caller, premise_id: str) -> Premise:
        """The premise an ESI speaks for; 403 for any other premise."""
        if caller.kind != "esi":
            raise forbidden(f"{caller.label} may not call this; it is for an ESI")
        if premise_id != caller.premise_id:
            raise forbidden(f"ESI '{caller.id}' may act only for premise '{caller.premise_id}'")
        return self.ds.premises[premise_id]

    def _portal(self, premise: Premise, portal_id: str) -> Portal:
        for portal in premise.portals:
            if portal.id == portal_id:
                return portal
        known = ", ".join(p.id for p in premise.portals)
        raise invalid(f"premise '{premise.id}' has no portal '{portal_id}' (it has {known})")

    def _binding(self, conn: Connection, binding_id: str) -> tuple[m.BindingResponse, Any]:
        """A stored binding (decision and row); bindings never change, so they are cached."""
        cached = self._binding_cache.get(binding_id)
        if cached is not None:
            return cached
        row = conn.execute(self.q_binding, {"id": binding_id}).first()
        if row is None:
            raise not_found("binding", binding_id)
        found = m.BindingResponse.model_validate(row.decision["response"]), row
        if len(self._binding_cache) > 100_000:
            self._binding_cache.clear()
        self._binding_cache[binding_id] = found
        return found

    def is_roaming(self, binding_id: str) -> bool:
        """Whether a session of this binding is posted on to the clearinghouse (SC-4)."""
        try:
            with self.db.read() as conn:
                decision, _ = self._binding(conn, binding_id)
        except ServiceError:
            return False
        return decision.roaming is not None

    def needs_clearinghouse(self, req: m.BindingRequest) -> bool:
        """Whether binding ``req`` asks the clearinghouse (a PEV this utility does not know)."""
        return (
            req.pev_id is not None
            and req.communication == Communication.ESTABLISHED
            and local_pev_record(self.ds, self.u, req.pev_id) is None
        )

    def _may_read_premise(self, caller: Caller, premise_id: str) -> None:
        if caller.kind == "utility" and caller.id == self.id:
            return
        if caller.kind == "esi" and caller.premise_id == premise_id:
            return
        raise forbidden(f"{caller.label} may not read records of premise '{premise_id}'")

    def _signal_rows(
        self,
        conn: Connection,
        premise_id: str | None,
        since: int,
        kinds: tuple[str, ...] = ("dlc", "price", "alm"),
        limit: int = 1000,
    ) -> list[m.SignalOut]:
        table = self.t.signals
        now = self._now()
        query = (
            select(table)
            .where(table.c.seq > since, table.c.announced_at <= now, table.c.kind.in_(kinds))
            .order_by(table.c.seq)
            .limit(limit)
        )
        feeder = self.ds.premises[premise_id].feeder_id if premise_id else None
        out: list[m.SignalOut] = []
        for row in conn.execute(query):
            if premise_id is not None:
                if row.premise_id is not None and row.premise_id != premise_id:
                    continue
                if row.feeder_id is not None and row.feeder_id != feeder:
                    continue
            out.append(self._signal_out(row))
        return out

    @staticmethod
    def _signal_out(row: Any) -> m.SignalOut:
        body = row.body
        return m.SignalOut(
            seq=row.seq,
            signal_id=row.signal_id,
            kind=row.kind,
            premise_id=row.premise_id,
            feeder_id=row.feeder_id,
            announced_at=from_s(row.announced_at),
            effective_from=from_s(row.effective_from),
            effective_until=from_s(row.effective_until) if row.effective_until else None,
            limit_kw=Decimal(body["limit_kw"]) if "limit_kw" in body else None,
            tariff_id=body.get("tariff_id"),
            price=Decimal(body["price"]) if "price" in body else None,
        )

    def _line_out(self, row: Any) -> m.LineItemOut:
        return m.LineItemOut(
            account_id=row.account_id,
            kind=row.kind,
            session_id=row.session_id,
            pev_id=row.pev_id,
            premise_id=row.premise_id,
            start=from_ms(row.start_ms),
            end=from_ms(row.end_ms),
            kwh=row.kwh,
            tariff_id=row.tariff_id,
            rate_period=row.rate_period,
            rate=row.rate,
            amount=row.amount,
            currency=row.currency,
        )
