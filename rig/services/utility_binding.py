"""Binding a PEV (SC-1…SC-6) and answering its energy request (BR-07, BR-08).

:meth:`BindingDesk.bind` gathers the facts — the ESI's premise and portal, the
PEV's record from this utility or, for a PEV it does not know, from the
clearinghouse (SC-4; not found anywhere: SC-5) — lets
:func:`rig.services.rules.decide` decide payer, tariff and incentive, and stores the
decision under the ESI's ``binding_id`` (a retry returns the stored answer).

:meth:`BindingDesk.energy_request` turns an IEEE 2030.5-style flow reservation
request into a grant with :func:`rig.services.grants.grant`, given the capacity
slots, DLC events and ALM limits in force, the tariff's prices and a seed (so the
randomised start delay is reproducible); an unbound PEV gets none (BR-05).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from rig.domain.vocabulary import Communication
from rig.services import api_models as m
from rig.services.auth import Caller
from rig.services.dataset import Portal, Premise
from rig.services.decision import PevFacts, PevRecord, SessionConditions
from rig.services.errors import ServiceError, conflict, forbidden, invalid
from rig.services.facts import capacity_slots, local_pev_record, premise_facts
from rig.services.grants import (
    DemandResponseEvent,
    EnergyRequest,
    Grant,
    GrantError,
    LoadLimit,
    grant,
)
from rig.services.rules import decide
from rig.services.tariffs import (
    PricedSpan,
    PricingError,
    price_spans,
)
from rig.services.times import from_s
from rig.services.utility_base import (
    FUTURE_SLACK_S,
    MAX_HORIZON,
    MAX_SESSION_AGE,
    UtilityBase,
)


class BindingDesk(UtilityBase):
    """Binding a PEV (SC-1…SC-6) and answering its energy request (BR-07, BR-08)."""

    def bind(self, caller: Caller, req: m.BindingRequest) -> m.BindingResponse:
        premise = self._esi_premise(caller, req.premise_id)
        if req.esi_id != caller.id:
            raise forbidden(f"ESI '{caller.id}' may not bind as ESI '{req.esi_id}'")
        portal = self._portal(premise, req.portal_id)
        self._check_session_start(req)
        request_json = m.as_json(req)

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
            program_ids=self._programs(req.pev_id, home_extra) if decision.bound else [],
            interval_s=self.u.interval_s,
            created_at=from_s(now),
            session_start=req.session_start,
        )
        stored = {"request": request_json, "response": m.as_json(response), "home": home_extra}
        with self.db.write() as conn:
            existing = conn.execute(self.q_binding, {"id": response.binding_id}).first()
            if existing is not None:  # a concurrent retry won the race
                return self._same_binding(existing, request_json)
            conn.execute(
                self.t.bindings.insert(),
                dict(
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
                ),
            )
        return response

    def _check_session_start(self, req: m.BindingRequest) -> None:
        """422 for a session start in the future or older than :data:`MAX_SESSION_AGE`."""
        if req.session_start is None:
            return
        now = self._now()
        start = req.session_start.timestamp()
        if start > now + FUTURE_SLACK_S:
            raise invalid(f"session_start {req.session_start} is in the future")
        if start < now - MAX_SESSION_AGE.total_seconds():
            raise invalid(
                f"session_start {req.session_start} is more than {MAX_SESSION_AGE.days} days ago"
            )

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
        extra = {"off_peak_preference": found.off_peak_preference, "program_ids": found.program_ids}
        return record, extra, True

    def _programs(self, pev_id: str | None, home_extra: dict[str, Any]) -> list[str]:
        enrolment = self.ds.enrolments.get(pev_id or "")
        if enrolment is not None and self.ds.utility_of.get(pev_id or "") == self.id:
            return list(enrolment.program_ids)
        return [str(p) for p in home_extra.get("program_ids", [])]

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
                    if stored.request != m.as_json(req):
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
                self.t.grants.insert(),
                dict(
                    grant_id=response.grant_id,
                    binding_id=binding_id,
                    request=m.as_json(req),
                    response=m.as_json(response),
                    created_at=now_s,
                ),
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
