"""Accounts: statements for a period, and SC-4 charges posted to a home account.

``GET /accounts/{id}/statement?start=&end=`` lists the account's line items whose
start lies in ``[start, end)`` — charges, SC-3 netting credits and roaming charges —
with totals per kind. The operator reads any account; an ESI only its premise's.

``POST /roaming/charges`` is how the clearinghouse posts an SC-4 session to the PEV
owner's account at the home utility; it is idempotent per ``charge_id`` (a changed
charge replaces the old lines, never adds to them).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import delete, select

from rig.services import api_models as m
from rig.services.auth import Caller
from rig.services.errors import forbidden, invalid, not_found
from rig.services.times import to_ms
from rig.services.utility_base import (
    UtilityBase,
)


class AccountDesk(UtilityBase):
    """Accounts: statements for a period, and SC-4 charges posted to a home account."""

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
        body = m.as_json(charge)
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
