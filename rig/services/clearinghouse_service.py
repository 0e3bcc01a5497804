"""What the clearinghouse does, without HTTP: validate, forward, settle (BR-06, SC-4).

The clearinghouse knows every participating utility's PEVs (from the data set) and
answers three kinds of call:

* **PEV validation** — a roaming utility that does not know a PEV asks who it
  belongs to: home utility, account, programme tariff, or *not found* (SC-5).
  Every question is recorded.
* **Roaming charge posting** — the roaming utility posts a priced SC-4 session (it
  may post only *as itself*); the clearinghouse checks that the session rests on a
  PEV validation it answered for that utility at that premise (the binding), that
  the money adds up (line amounts sum to the customer amount; difference =
  customer amount − settlement amount), records it once per ``charge_id`` (which
  belongs to the utility that first posted it) and forwards it to the
  home utility's account through its outbox (delivered even if the home utility is
  down at that moment).
* **Settlement statements** — per pair of utilities and period, grouped by the
  customer's option (``guest_rate`` or ``home_rate``): the customer paid the
  option's rate, the roaming utility is owed the settlement price, and the
  difference is what the home utility keeps (or makes up).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import delete, select

from rig.clock import Clock
from rig.services import api_models as m
from rig.services.auth import Caller, Credentials
from rig.services.dataset import LoadedDataset, document
from rig.services.db import Database
from rig.services.errors import conflict, forbidden, invalid, not_found
from rig.services.outbox import Outbox
from rig.services.times import from_s, to_ms
from rig.services.utility_base import MAX_SESSION_AGE


class ClearinghouseService:
    """The cross-utility clearinghouse over its database."""

    role = "clearinghouse"

    def __init__(
        self, ds: LoadedDataset, db: Database, clock: Clock, *, utility_urls: dict[str, str]
    ) -> None:
        self.ds = ds
        self.ch = ds.data.clearinghouse
        self.id = self.ch.id
        self.db = db
        self.t = db.tables
        self.clock = clock
        self.outbox = Outbox(
            db,
            clock,
            targets={f"utility:{uid}": url for uid, url in utility_urls.items()},
            token=self.ch.token,
        )

    def credentials(self) -> Credentials:
        entries = [(self.ch.token, Caller("clearinghouse", self.ch.id))]
        for u in self.ds.data.utilities:
            entries.append((u.token, Caller("utility", u.id, utility_id=u.id)))
        return Credentials(entries)

    def start(self) -> None:
        now = self.clock.now()
        self.db.create(now)
        with self.db.write() as conn:
            conn.execute(delete(self.t.dataset))
            conn.execute(
                self.t.dataset.insert(),
                dict(
                    id=1,
                    sha256=self.ds.sha256,
                    source=self.ds.source,
                    document=document(self.ds),
                    loaded_at=now,
                ),
            )
        self.outbox.start()
        self.outbox.nudge()

    def close(self) -> None:
        self.outbox.close()

    # --- PEV validation -------------------------------------------------------------

    def validate(self, caller: Caller, req: m.PevValidationIn) -> m.PevValidationOut:
        if caller.kind != "utility":
            raise forbidden("PEV validation is asked by a utility")
        pev = self.ds.pevs.get(req.pev_id)
        home = self.ds.utility_of.get(req.pev_id) if pev else None
        if pev is None or home is None:
            answer = m.PevValidationOut(found=False, pev_id=req.pev_id)
        else:
            enrolment = self.ds.enrolments.get(req.pev_id)
            answer = m.PevValidationOut(
                found=True,
                pev_id=req.pev_id,
                home_utility_id=home,
                account_id=pev.account_id,
                program_tariff_id=enrolment.tariff_id if enrolment else None,
                program_ids=list(enrolment.program_ids) if enrolment else [],
                validated=pev.validates,
                off_peak_preference=enrolment.off_peak_preference if enrolment else False,
            )
        with self.db.write() as conn:
            conn.execute(
                self.t.validations.insert(),
                dict(
                    at=self.clock.now(),
                    requesting_utility_id=caller.id,
                    pev_id=req.pev_id,
                    premise_id=req.premise_id,
                    found=answer.found,
                    home_utility_id=answer.home_utility_id,
                ),
            )
        return answer

    # --- roaming charges -------------------------------------------------------------

    def post_charge(self, caller: Caller, charge: m.RoamingChargeIn) -> m.RoamingChargeOut:
        if caller.kind != "utility":
            raise forbidden("roaming charges are posted by the roaming utility")
        if charge.roaming_utility_id != caller.id:
            raise forbidden(
                f"utility '{caller.id}' may post only as itself, "
                f"not as '{charge.roaming_utility_id}'"
            )
        if charge.home_utility_id not in self.ds.utilities:
            raise not_found("utility", charge.home_utility_id)
        if charge.home_utility_id == charge.roaming_utility_id:
            raise invalid("a roaming charge is between two different utilities")
        pev = self.ds.pevs.get(charge.pev_id)
        if pev is None or self.ds.utility_of.get(charge.pev_id) != charge.home_utility_id:
            raise invalid(f"PEV '{charge.pev_id}' is not a PEV of '{charge.home_utility_id}'")
        if pev.account_id != charge.account_id:
            raise invalid(f"PEV '{charge.pev_id}' is not registered to '{charge.account_id}'")
        if charge.end < charge.start:
            raise invalid("end is before start")
        lines_total = sum((line.amount for line in charge.lines), Decimal(0))
        if lines_total != charge.customer_amount:
            raise invalid(
                f"line amounts add up to {lines_total}, "
                f"not customer_amount {charge.customer_amount}"
            )
        if charge.customer_amount - charge.settlement_amount != charge.difference:
            raise invalid("difference must be customer_amount − settlement_amount")
        self._check_validated(charge)
        body = m.as_json(charge)
        rc = self.t.roaming_charges
        status: Literal["recorded", "duplicate", "replaced"]
        with self.db.write() as conn:
            row = conn.execute(
                select(rc.c.body, rc.c.roaming_utility_id).where(rc.c.charge_id == charge.charge_id)
            ).first()
            if row is not None and row.roaming_utility_id != caller.id:
                raise conflict(
                    f"charge '{charge.charge_id}' belongs to '{row.roaming_utility_id}', "
                    f"which first posted it; '{caller.id}' cannot replace it"
                )
            if row is not None and row.body == body:
                status = "duplicate"
            else:
                if row is not None:
                    conn.execute(delete(rc).where(rc.c.charge_id == charge.charge_id))
                conn.execute(
                    rc.insert(),
                    dict(
                        charge_id=charge.charge_id,
                        roaming_utility_id=charge.roaming_utility_id,
                        home_utility_id=charge.home_utility_id,
                        pev_id=charge.pev_id,
                        account_id=charge.account_id,
                        option=str(charge.option),
                        start_ms=to_ms(charge.start),
                        end_ms=to_ms(charge.end),
                        kwh=charge.kwh,
                        customer_amount=charge.customer_amount,
                        settlement_amount=charge.settlement_amount,
                        difference=charge.difference,
                        currency=charge.currency,
                        body=body,
                        received_at=self.clock.now(),
                    ),
                )
                self.outbox.enqueue(
                    conn,
                    key=charge.charge_id,
                    target=f"utility:{charge.home_utility_id}",
                    path="/roaming/charges",
                    body=body,
                )
                status = "replaced" if row is not None else "recorded"
        self.outbox.deliver_pending()
        ob = self.t.outbox
        with self.db.read() as conn:
            state = conn.execute(select(ob.c.status).where(ob.c.key == charge.charge_id)).scalar()
        return m.RoamingChargeOut(
            charge_id=charge.charge_id, status=status, forwarded=state == "delivered"
        )

    def _check_validated(self, charge: m.RoamingChargeIn) -> None:
        """422 unless this clearinghouse validated the charge's PEV for its roaming binding.

        Binding a foreign PEV (SC-4) is the roaming utility asking ``/pev-validations``
        about it at the premise; the clearinghouse records every answer. A charge must
        rest on such an answer: found, asked by the posting utility, for this PEV at this
        premise, naming this home utility, no later than now and no earlier than
        :data:`~rig.services.utility_base.MAX_SESSION_AGE` before the session's start
        (a binding delivered late may be validated after the session began, never more
        than that before it). Anything else is a charge for a session nobody bound.
        """
        v = self.t.validations
        earliest = charge.start.timestamp() - MAX_SESSION_AGE.total_seconds()
        with self.db.read() as conn:
            found = conn.execute(
                select(v.c.seq)
                .where(
                    v.c.requesting_utility_id == charge.roaming_utility_id,
                    v.c.pev_id == charge.pev_id,
                    v.c.premise_id == charge.premise_id,
                    v.c.found.is_(True),
                    v.c.home_utility_id == charge.home_utility_id,
                    v.c.at >= earliest,
                    v.c.at <= self.clock.now(),
                )
                .limit(1)
            ).first()
        if found is None:
            raise invalid(
                "no roaming binding for this charge: the clearinghouse never validated PEV "
                f"'{charge.pev_id}' for '{charge.roaming_utility_id}' "
                f"at premise '{charge.premise_id}'"
            )

    def charge(self, caller: Caller, charge_id: str) -> m.RoamingChargeRecord:
        """One posted charge, for a party to it (either utility) or the clearinghouse."""
        rc, ob = self.t.roaming_charges, self.t.outbox
        with self.db.read() as conn:
            row = conn.execute(select(rc).where(rc.c.charge_id == charge_id)).first()
            if row is None:
                raise not_found("roaming charge", charge_id)
            party = caller.kind == "utility" and caller.id in (
                row.roaming_utility_id,
                row.home_utility_id,
            )
            if not (party or caller.kind == "clearinghouse"):
                raise forbidden(f"{caller.label} is not a party to charge '{charge_id}'")
            sent = conn.execute(
                select(ob.c.status, ob.c.attempts).where(ob.c.key == charge_id)
            ).first()
        return m.RoamingChargeRecord(
            charge=m.RoamingChargeIn.model_validate(row.body),
            received_at=from_s(row.received_at),
            forwarded=sent is not None and sent.status == "delivered",
            forward_attempts=sent.attempts if sent is not None else 0,
        )

    # --- settlement ---------------------------------------------------------------------

    def settlement(
        self,
        caller: Caller,
        roaming_utility_id: str,
        home_utility_id: str,
        start: datetime,
        end: datetime,
    ) -> m.SettlementStatement:
        for uid in (roaming_utility_id, home_utility_id):
            if uid not in self.ds.utilities:
                raise not_found("utility", uid)
        party = caller.kind == "utility" and caller.id in (roaming_utility_id, home_utility_id)
        if not (party or caller.kind == "clearinghouse"):
            raise forbidden(f"{caller.label} is not a party to this settlement")
        if end <= start:
            raise invalid("end must be after start")
        rc = self.t.roaming_charges
        with self.db.read() as conn:
            rows = list(
                conn.execute(
                    select(rc)
                    .where(
                        rc.c.roaming_utility_id == roaming_utility_id,
                        rc.c.home_utility_id == home_utility_id,
                        rc.c.start_ms >= to_ms(start),
                        rc.c.start_ms < to_ms(end),
                    )
                    .order_by(rc.c.start_ms, rc.c.charge_id)
                )
            )
        zero = Decimal(0)
        groups: dict[str, m.SettlementRow] = {}
        for r in rows:
            g = groups.get(r.option) or m.SettlementRow(
                option=r.option,
                sessions=0,
                kwh=zero,
                customer_amount=zero,
                settlement_amount=zero,
                difference=zero,
            )
            groups[r.option] = m.SettlementRow(
                option=r.option,
                sessions=g.sessions + 1,
                kwh=g.kwh + r.kwh,
                customer_amount=g.customer_amount + r.customer_amount,
                settlement_amount=g.settlement_amount + r.settlement_amount,
                difference=g.difference + r.difference,
            )
        ordered = [groups[k] for k in sorted(groups)]
        return m.SettlementStatement(
            roaming_utility_id=roaming_utility_id,
            home_utility_id=home_utility_id,
            period_start=start,
            period_end=end,
            currency=rows[0].currency if rows else None,
            rows=ordered,
            sessions=len(rows),
            kwh=sum((g.kwh for g in ordered), zero),
            customer_amount=sum((g.customer_amount for g in ordered), zero),
            roaming_utility_owed=sum((g.settlement_amount for g in ordered), zero),
            home_utility_keeps=sum((g.difference for g in ordered), zero),
            charges=[r.charge_id for r in rows],
        )

    def now(self) -> datetime:
        return from_s(self.clock.now())
