"""What a utility does, without HTTP: bind, grant, signal, record, bill.

One :class:`UtilityService` is one utility of the data set — the same code plays
the PEV's *home* utility and the *roaming* utility of a foreign premise. Each
public method takes the authenticated :class:`~rig.services.auth.Caller` and a
validated request model, checks the caller's rights (an ESI acts only for its own
premise), gathers the facts, lets the pure modules decide
(:func:`rig.services.rules.decide`, :func:`rig.services.grants.grant`,
:mod:`rig.services.tariffs` pricing), stores the outcome and returns a response
model. Anything wrong with the request raises
:class:`~rig.services.errors.ServiceError` (4xx) *before* anything is written:
every write happens in one transaction at the end of a method.

The flow of a session::

    POST /bindings                       → decision (payer, tariff, incentive) stored
    POST /bindings/{id}/energy-requests  → grant (schedule, delay) stored
    GET  /signals?since=N                → DLC events, hourly prices, ALM limits
    POST /sessions/{id}/intervals        → intervals stored once each; with "close",
                                           the session is billed (and, for SC-4,
                                           posted to the clearinghouse via the outbox)
    GET  /accounts/{id}/statement        → line items and totals for a period
"""

from __future__ import annotations

import bisect
import itertools
import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import httpx
from sqlalchemy import Connection, delete, func, select, update

from rig.clock import Clock
from rig.services import api_models as m
from rig.services.auth import Caller, Credentials
from rig.services.billing import roaming_charge, session_lines
from rig.services.dataset import LoadedDataset, Portal, Premise, document
from rig.services.db import Database, insert_ignore
from rig.services.errors import ServiceError, conflict, forbidden, invalid, not_found
from rig.services.facts import capacity_slots, local_pev_record, premise_facts
from rig.services.grants import (
    DemandResponseEvent,
    EnergyRequest,
    Grant,
    GrantError,
    LoadLimit,
    grant,
)
from rig.services.outbox import Outbox
from rig.services.rules import (
    Communication,
    PevFacts,
    PevRecord,
    SessionConditions,
    decide,
)
from rig.services.tariffs import (
    HourlyPrice,
    MeteredInterval,
    PricedSpan,
    PricingError,
    Tariff,
    price_spans,
)
from rig.services.times import from_ms, from_s, to_ms

FUTURE_SLACK_S = 300.0
"""How far ahead of the service clock a reported instant may be (bench clock skew)."""
MAX_HORIZON = timedelta(days=7)
"""The latest departure an energy request may name."""
ENERGY_SLACK = Decimal("1.25")
"""An interval may hold at most the portal's rating × duration × this (meter class, rounding)."""


def _json(model: Any) -> Any:
    return json.loads(model.model_dump_json())


class UtilityService:
    """One utility's back office over its database."""

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
        self._client = httpx.Client(timeout=5.0)
        self._hourly: dict[str, dict[datetime, HourlyPrice]] = {}
        self._binding_cache: dict[str, tuple[m.BindingResponse, Any]] = {}

    # --- set-up -----------------------------------------------------------------

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

    def start(self) -> None:
        """Create the schema, store the data set, seed its signals, start the outbox."""
        now = self.clock.now()
        self.db.create(now)
        with self.db.write() as conn:
            ds_table = self.t.dataset
            conn.execute(delete(ds_table))
            conn.execute(
                ds_table.insert().values(
                    id=1,
                    sha256=self.ds.sha256,
                    source=self.ds.source,
                    document=document(self.ds),
                    loaded_at=now,
                )
            )
            insert_ignore(conn, self.t.signals, list(self._seed_signals()))
        self._load_hourly()
        self.outbox.start()
        self.outbox.nudge()

    def close(self) -> None:
        self.outbox.close()
        self._client.close()

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

    def tariff(self, tariff_id: str) -> Tariff:
        """A tariff of the data set, with the hourly prices published so far."""
        base = self.ds.tariffs.get(tariff_id)
        if base is None:
            raise invalid(f"tariff '{tariff_id}' is not known to {self.id}")
        posted = self._hourly.get(tariff_id)
        if not posted:
            return base
        merged = {hp.start: hp for hp in base.hourly_prices}
        merged.update(posted)
        prices = [merged[k] for k in sorted(merged)]
        return base.model_copy(update={"hourly_prices": prices})

    # --- helpers --------------------------------------------------------------------

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
        row = conn.execute(
            select(self.t.bindings).where(self.t.bindings.c.binding_id == binding_id)
        ).first()
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

    # --- binding ----------------------------------------------------------------------

    def bind(self, caller: Caller, req: m.BindingRequest) -> m.BindingResponse:
        premise = self._esi_premise(caller, req.premise_id)
        if req.esi_id != caller.id:
            raise forbidden(f"ESI '{caller.id}' may not bind as ESI '{req.esi_id}'")
        portal = self._portal(premise, req.portal_id)
        request_json = _json(req)

        communication = req.communication
        home_extra: dict[str, Any] = {}
        record: PevRecord | None = None
        if req.pev_id is not None and communication == Communication.ESTABLISHED:
            record = local_pev_record(self.ds, self.u, req.pev_id)
            if record is None:
                record, home_extra, reachable = self._ask_clearinghouse(req.pev_id, premise.id)
                if not reachable:
                    communication = Communication.FAILED
        decision = decide(
            PevFacts(pev_id=req.pev_id, record=record),
            premise_facts(self.u, premise, portal),
            SessionConditions(
                communication=communication,
                eumd_available=req.eumd_available,
                roaming_option=req.roaming_option,
            ),
        )
        now = self._now()
        response = m.BindingResponse(
            binding_id=req.binding_id or f"B-{uuid.uuid4().hex}",
            premise_id=premise.id,
            portal_id=portal.id,
            pev_id=decision.pev_id,
            bound=decision.bound,
            scenario=str(decision.scenario),
            payer_utility_id=decision.payer_utility_id,
            payer_account_id=decision.payer_account_id,
            tariff_id=decision.tariff_id,
            incentive=decision.incentive,
            flagged=decision.flagged,
            reason=decision.reason,
            requirement_ids=list(decision.requirement_ids),
            net_from_premise_bill=decision.net_from_premise_bill,
            roaming=(
                m.RoamingTermsOut(
                    option=decision.roaming.option,
                    home_utility_id=decision.roaming.home_utility_id,
                    roaming_utility_id=decision.roaming.roaming_utility_id,
                    settlement_tariff_id=decision.roaming.settlement_tariff_id,
                )
                if decision.roaming
                else None
            ),
            home_utility_id=record.home_utility_id if record else None,
            interval_s=self.u.interval_s,
            created_at=from_s(now),
        )
        stored = {"request": request_json, "response": _json(response), "home": home_extra}
        with self.db.write() as conn:
            existing = conn.execute(
                select(self.t.bindings).where(self.t.bindings.c.binding_id == response.binding_id)
            ).first()
            if existing is not None:  # a concurrent retry won the race
                return self._same_binding(existing, request_json)
            conn.execute(
                self.t.bindings.insert().values(
                    binding_id=response.binding_id,
                    premise_id=premise.id,
                    esi_id=caller.id,
                    portal_id=portal.id,
                    pev_id=decision.pev_id,
                    bound=decision.bound,
                    payer_account_id=decision.payer_account_id,
                    tariff_id=decision.tariff_id,
                    incentive=decision.incentive,
                    scenario=str(decision.scenario),
                    home_utility_id=response.home_utility_id,
                    decision=stored,
                    created_at=now,
                )
            )
        return response

    def _same_binding(self, row: Any, request_json: Any) -> m.BindingResponse:
        if row.decision["request"] != request_json:
            raise conflict(
                f"binding '{row.binding_id}' already exists with a different request; "
                "use a new binding_id"
            )
        return m.BindingResponse.model_validate(row.decision["response"])

    def _ask_clearinghouse(
        self, pev_id: str, premise_id: str
    ) -> tuple[PevRecord | None, dict[str, Any], bool]:
        """SC-4/SC-5: ask the clearinghouse about a PEV this utility does not know."""
        if not self.clearinghouse_url:
            return None, {}, False
        try:
            response = self._client.post(
                self.clearinghouse_url.rstrip("/") + "/pev-validations",
                json={"pev_id": pev_id, "premise_id": premise_id},
                headers={"Authorization": f"Bearer {self.u.token}"},
            )
        except httpx.HTTPError:
            return None, {}, False
        if response.status_code != 200:
            return None, {}, False
        try:
            found = m.PevValidationOut.model_validate(response.json())
        except ValueError:
            return None, {}, False
        if not found.found or found.home_utility_id is None or found.account_id is None:
            return None, {}, True
        record = PevRecord(
            pev_id=pev_id,
            home_utility_id=found.home_utility_id,
            owner_account_id=found.account_id,
            program_tariff_id=found.program_tariff_id,
            validated=found.validated,
        )
        return record, {"off_peak_preference": found.off_peak_preference}, True

    # --- energy request → grant ------------------------------------------------------

    def energy_request(
        self, caller: Caller, binding_id: str, req: m.EnergyRequestIn
    ) -> m.GrantResponse:
        with self.db.read() as conn:
            decision, row = self._binding(conn, binding_id)
            self._esi_premise(caller, row.premise_id)
            grant_id = f"{binding_id}/{req.request_id}" if req.request_id else None
            if grant_id is not None:
                stored = conn.execute(
                    select(self.t.grants).where(self.t.grants.c.grant_id == grant_id)
                ).first()
                if stored is not None:
                    if stored.request != _json(req):
                        raise conflict(f"request '{req.request_id}' was already made differently")
                    return m.GrantResponse.model_validate(stored.response)
            signals = self._signal_rows(conn, row.premise_id, 0, kinds=("dlc", "alm"))
        if not decision.bound:
            raise forbidden(
                f"binding '{binding_id}' is not bound ({decision.reason}); an unbound PEV "
                "gets no grant (BR-05) — charging proceeds at the premise default rate"
            )
        now_s = self._now()
        now = from_s(now_s)
        if req.departure <= now:
            raise invalid(f"departure {req.departure.isoformat()} is not after now {now}")
        if req.departure - now > MAX_HORIZON:
            raise invalid(f"departure more than {MAX_HORIZON.days} days ahead")
        premise = self.ds.premises[row.premise_id]
        portal = self._portal(premise, row.portal_id)
        try:
            prices = price_spans(self.tariff(decision.tariff_id), now, req.departure)
        except (PricingError, ServiceError):
            prices = ()
        enrolment = self.ds.enrolments.get(decision.pev_id or "")
        home_pref = bool(row.decision.get("home", {}).get("off_peak_preference", False))
        prefers_off_peak = enrolment.off_peak_preference if enrolment else home_pref
        try:
            result = self._grant(
                req, now, binding_id, prefers_off_peak, premise, portal, signals, prices
            )
        except GrantError as error:
            raise invalid(f"energy request cannot be granted: {error}") from None
        response = self._grant_response(req, now, binding_id, grant_id, result)
        with self.db.write() as conn:
            stored = conn.execute(
                select(self.t.grants).where(self.t.grants.c.grant_id == response.grant_id)
            ).first()
            if stored is not None:
                return m.GrantResponse.model_validate(stored.response)
            conn.execute(
                self.t.grants.insert().values(
                    grant_id=response.grant_id,
                    binding_id=binding_id,
                    request=_json(req),
                    response=_json(response),
                    created_at=now_s,
                )
            )
        return response

    def _grant(
        self,
        req: m.EnergyRequestIn,
        now: datetime,
        binding_id: str,
        prefers_off_peak: bool,
        premise: Premise,
        portal: Portal,
        signals: list[m.SignalOut],
        prices: tuple[PricedSpan, ...],
    ) -> Grant:
        return grant(
            EnergyRequest(
                energy_requested_kwh=req.energy_requested_kwh,
                power_requested_kw=req.power_requested_kw,
                departure=req.departure,
                prefers_off_peak=prefers_off_peak,
            ),
            now=now,
            seed=f"{self.u.grant_seed}:{binding_id}:{req.request_id or ''}",
            capacity=capacity_slots(self.u, premise, portal, now, req.departure),
            dr_events=[
                DemandResponseEvent(
                    event_id=s.signal_id,
                    start=s.effective_from,
                    end=s.effective_until or req.departure,
                    limit_kw=s.limit_kw or Decimal(0),
                )
                for s in signals
                if s.kind == "dlc"
            ],
            load_limits=[
                LoadLimit(effective=s.effective_from, limit_kw=s.limit_kw or Decimal(0))
                for s in signals
                if s.kind == "alm"
            ],
            prices=prices,
            max_random_delay=timedelta(seconds=self.u.max_start_delay_s),
        )

    @staticmethod
    def _grant_response(
        req: m.EnergyRequestIn,
        now: datetime,
        binding_id: str,
        grant_id: str | None,
        result: Grant,
    ) -> m.GrantResponse:
        return m.GrantResponse(
            grant_id=grant_id or f"{binding_id}/{uuid.uuid4().hex}",
            binding_id=binding_id,
            status=str(result.status),
            energy_requested_kwh=req.energy_requested_kwh,
            power_requested_kw=req.power_requested_kw,
            energy_available_kwh=result.energy_available_kwh,
            power_available_kw=result.power_available_kw,
            interval=m.Interval(
                start=now + result.start_delay,
                duration_s=max(0, int((req.departure - now - result.start_delay).total_seconds())),
            ),
            start_delay_s=result.start_delay.total_seconds(),
            schedule=[
                m.ScheduleSlotOut(start=s.start, end=s.end, kw=s.kw, kwh=s.kwh)
                for s in result.schedule
            ],
            reasons=[
                m.ReasonOut(requirement_ids=list(r.requirement_ids), message=r.message)
                for r in result.reasons
            ],
            requirement_ids=list(result.requirement_ids),
        )

    # --- grid signals ------------------------------------------------------------------

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

    # --- session records -----------------------------------------------------------------

    def report(self, caller: Caller, session_id: str, body: m.SessionReportIn) -> m.SessionRecord:
        premise = self._esi_premise(caller, body.premise_id)
        now_s = self._now()
        latest = now_s + FUTURE_SLACK_S
        interval_ms = self.u.interval_s * 1000
        new: list[tuple[int, int, Decimal]] = []
        for i, iv in enumerate(body.intervals):
            start, end = to_ms(iv.start), to_ms(iv.end)
            if end <= start:
                raise invalid(f"intervals[{i}]: end {iv.end} is not after start {iv.start}")
            if end - start > interval_ms:
                raise invalid(
                    f"intervals[{i}]: {(end - start) / 1000:g} s is longer than this utility's "
                    f"metering interval of {self.u.interval_s} s (BR-09)"
                )
            if end / 1000 > latest:
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
            if close.ended_at.timestamp() > latest:
                raise invalid(f"close: ended_at {close.ended_at} is in the future")

        with self.db.write() as conn:
            decision, brow = self._binding(conn, body.binding_id)
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
            earliest_ms = round(brow.created_at * 1000) - interval_ms
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
            session = conn.execute(
                select(self.t.sessions).where(self.t.sessions.c.session_id == session_id)
            ).first()
            if session is not None and session.binding_id != body.binding_id:
                raise conflict(
                    f"session '{session_id}' belongs to binding '{session.binding_id}', "
                    f"not '{body.binding_id}'"
                )
            existing = {
                r.start_ms: (r.end_ms, r.kwh)
                for r in conn.execute(
                    select(
                        self.t.intervals.c.start_ms,
                        self.t.intervals.c.end_ms,
                        self.t.intervals.c.kwh,
                    ).where(self.t.intervals.c.session_id == session_id)
                )
            }
            fresh, duplicates = self._classify(existing, new)
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
            if session is None:
                conn.execute(
                    self.t.sessions.insert().values(
                        session_id=session_id,
                        binding_id=body.binding_id,
                        esi_id=caller.id,
                        premise_id=premise.id,
                        pev_id=brow.pev_id,
                        eumd_id=body.eumd_id,
                        status="open",
                        flags=["eumd_unavailable"] if decision.flagged else [],
                        created_at=now_s,
                    )
                )
            if close is not None:
                self._close(conn, session_id, session, close)
            received_at = now_s
            insert_ignore(
                conn,
                self.t.intervals,
                [
                    {
                        "session_id": session_id,
                        "start_ms": s,
                        "end_ms": e,
                        "kwh": k,
                        "received_at": received_at,
                    }
                    for s, e, k in fresh
                ],
            )
            known = sorted(
                [(st, en, kwh) for st, (en, kwh) in existing.items()] + fresh,
                key=lambda x: x[0],
            )
            metered = [MeteredInterval(from_ms(st), from_ms(en), kwh) for st, en, kwh in known]
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
        t = self.t.intervals
        rows = conn.execute(
            select(t.c.start_ms, t.c.end_ms, t.c.kwh)
            .where(t.c.session_id == session_id)
            .order_by(t.c.start_ms)
        )
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
                body=_json(charge),
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

    def _record(
        self, conn: Connection, session_id: str, intervals: list[MeteredInterval] | None = None
    ) -> m.SessionRecord:
        s = conn.execute(
            select(self.t.sessions).where(self.t.sessions.c.session_id == session_id)
        ).first()
        if s is None:
            raise not_found("session", session_id)
        decision, _ = self._binding(conn, s.binding_id)
        if intervals is None:
            intervals = self._intervals(conn, session_id)
        total = sum((iv.kwh for iv in intervals), Decimal(0))
        li = self.t.line_items
        lines = [
            self._line_out(r)
            for r in conn.execute(
                select(li).where(li.c.source_key == f"session:{session_id}").order_by(li.c.id)
            )
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

    # --- billing --------------------------------------------------------------------------

    def statement(
        self, caller: Caller, account_id: str, start: datetime, end: datetime
    ) -> m.Statement:
        if end <= start:
            raise invalid("end must be after start")
        own = caller.kind == "utility" and caller.id == self.id
        if not own:
            premise = self.ds.premises.get(caller.premise_id or "")
            if caller.kind != "esi" or premise is None or premise.account_id != account_id:
                raise forbidden(f"{caller.label} may not read account '{account_id}'")
        li = self.t.line_items
        with self.db.read() as conn:
            rows = conn.execute(
                select(li)
                .where(
                    li.c.account_id == account_id,
                    li.c.start_ms >= to_ms(start),
                    li.c.start_ms < to_ms(end),
                )
                .order_by(li.c.start_ms, li.c.id)
            )
            lines = [self._line_out(r) for r in rows]
        if not lines and account_id not in self.ds.accounts:
            raise not_found("account", account_id)
        by_kind: dict[str, Decimal] = {}
        for x in lines:
            by_kind[x.kind] = by_kind.get(x.kind, Decimal(0)) + x.amount
        return m.Statement(
            account_id=account_id,
            period_start=start,
            period_end=end,
            currency=lines[0].currency if lines else self.u.currency,
            line_items=lines,
            total_kwh=sum((x.kwh for x in lines), Decimal(0)),
            total_amount=sum((x.amount for x in lines), Decimal(0)),
            by_kind=by_kind,
        )

    # --- roaming charges posted by the clearinghouse (home utility side) --------------

    def receive_roaming_charge(
        self, caller: Caller, charge: m.RoamingChargeIn
    ) -> m.RoamingChargeOut:
        if caller.kind != "clearinghouse":
            raise forbidden("only the clearinghouse posts roaming charges to a home utility")
        if charge.home_utility_id != self.id:
            raise invalid(f"charge is for home utility '{charge.home_utility_id}', not {self.id}")
        if self.ds.utility_of.get(charge.account_id) != self.id:
            raise not_found("account", charge.account_id)
        pev = self.ds.pevs.get(charge.pev_id)
        if pev is None or pev.account_id != charge.account_id:
            raise invalid(f"PEV '{charge.pev_id}' is not registered to '{charge.account_id}'")
        body = _json(charge)
        rc = self.t.roaming_charges
        li = self.t.line_items
        with self.db.write() as conn:
            row = conn.execute(select(rc.c.body).where(rc.c.charge_id == charge.charge_id)).first()
            if row is not None and row.body == body:
                return m.RoamingChargeOut(charge_id=charge.charge_id, status="duplicate")
            if row is not None:
                conn.execute(delete(rc).where(rc.c.charge_id == charge.charge_id))
            conn.execute(rc.insert().values(**self._charge_row(charge, body)))
            source = f"roaming:{charge.charge_id}"
            conn.execute(delete(li).where(li.c.source_key == source))
            now = self._now()
            rows = [
                {
                    "account_id": charge.account_id,
                    "kind": "roaming",
                    "session_id": charge.session_id,
                    "source_key": source,
                    "pev_id": charge.pev_id,
                    "premise_id": charge.premise_id,
                    "start_ms": to_ms(line.start),
                    "end_ms": to_ms(line.end),
                    "kwh": line.kwh,
                    "tariff_id": charge.tariff_id,
                    "rate_period": line.rate_period,
                    "rate": line.rate,
                    "amount": line.amount,
                    "currency": charge.currency,
                    "created_at": now,
                }
                for line in charge.lines
            ]
            if rows:
                conn.execute(li.insert(), rows)
        status: Literal["recorded", "replaced"] = "replaced" if row is not None else "recorded"
        return m.RoamingChargeOut(charge_id=charge.charge_id, status=status)

    def _charge_row(self, charge: m.RoamingChargeIn, body: Any) -> dict[str, Any]:
        return {
            "charge_id": charge.charge_id,
            "roaming_utility_id": charge.roaming_utility_id,
            "home_utility_id": charge.home_utility_id,
            "pev_id": charge.pev_id,
            "account_id": charge.account_id,
            "option": str(charge.option),
            "start_ms": to_ms(charge.start),
            "end_ms": to_ms(charge.end),
            "kwh": charge.kwh,
            "customer_amount": charge.customer_amount,
            "settlement_amount": charge.settlement_amount,
            "difference": charge.difference,
            "currency": charge.currency,
            "body": body,
            "received_at": self._now(),
        }
