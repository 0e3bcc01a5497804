"""Turning a closed session into bill lines on the right accounts.

The binding decided *who pays at which tariff* (:mod:`rig.services.rules`); the
EUMD intervals say *how much energy when*; :mod:`rig.services.tariffs` prices them,
split exactly at every rate boundary. This module only decides where the priced
lines go:

* **charge** lines on the payer's account at the decided tariff (SC-1, SC-2, SC-3,
  SC-5, SC-6);
* **netting** lines (SC-3, when the decision says so): the same energy priced at the
  premise's default tariff with *negative* kWh and amount on the host's account —
  the host's revenue meter saw the PEV's energy, and this credit takes it out;
* **roaming** lines (SC-4): the session priced for the customer at the option's
  tariff (guest or home programme) and for the utilities at the roaming utility's
  settlement tariff, via :func:`~rig.services.tariffs.settle_roaming`; the lines
  are kept at the roaming utility and the charge is posted to the clearinghouse.

:func:`session_lines` is pure: same decision, same intervals, same lines. The
utility replaces a session's lines whenever its intervals change after closing, so
a late interval is billed once, never added twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rig.domain.tariff import Tariff
from rig.services.api_models import BindingResponse, RoamingChargeIn, RoamingLine
from rig.services.tariffs import (
    BillLine,
    MeteredInterval,
    RoamingSettlement,
    SessionBill,
    price_session,
    settle_roaming,
)


@dataclass(frozen=True)
class Line:
    """One bill line bound for one account."""

    account_id: str
    kind: str
    tariff_id: str
    currency: str
    line: BillLine
    sign: int = 1

    @property
    def kwh(self) -> Decimal:
        return self.line.kwh * self.sign

    @property
    def amount(self) -> Decimal:
        return self.line.amount * self.sign


@dataclass(frozen=True)
class SessionBilling:
    lines: list[Line]
    bill: SessionBill | None
    """The payer's bill (the customer's, for SC-4)."""
    settlement: RoamingSettlement | None


def session_lines(
    decision: BindingResponse,
    premise_account_id: str,
    premise_default_tariff: Tariff,
    tariffs: dict[str, Tariff],
    intervals: list[MeteredInterval],
) -> SessionBilling:
    """Price ``intervals`` per ``decision``; raises ``KeyError`` for a tariff not known here."""
    lines: list[Line] = []
    settlement: RoamingSettlement | None = None
    if not intervals:
        return SessionBilling([], None, None)
    if decision.roaming is not None:
        settlement = settle_roaming(
            tariffs[decision.tariff_id], tariffs[decision.roaming.settlement_tariff_id], intervals
        )
        bill = settlement.customer_bill
        kind = "roaming"
    else:
        bill = price_session(tariffs[decision.tariff_id], intervals)
        kind = "charge"
    for bl in bill.lines:
        lines.append(Line(decision.payer_account_id, kind, bill.tariff_id, bill.currency, bl))
    if decision.net_from_premise_bill:
        netting = price_session(premise_default_tariff, intervals)
        for bl in netting.lines:
            lines.append(
                Line(premise_account_id, "netting", netting.tariff_id, netting.currency, bl, -1)
            )
    return SessionBilling(lines, bill, settlement)


def roaming_charge(
    decision: BindingResponse,
    *,
    session_id: str,
    premise_id: str,
    settlement: RoamingSettlement,
) -> RoamingChargeIn:
    """The SC-4 message for the clearinghouse, built from a priced session."""
    roaming = decision.roaming
    if roaming is None or decision.pev_id is None:
        raise ValueError("not a roaming session")
    bill = settlement.customer_bill
    return RoamingChargeIn(
        charge_id=f"{roaming.roaming_utility_id}:{session_id}",
        roaming_utility_id=roaming.roaming_utility_id,
        home_utility_id=roaming.home_utility_id,
        session_id=session_id,
        pev_id=decision.pev_id,
        premise_id=premise_id,
        account_id=decision.payer_account_id,
        option=roaming.option,
        tariff_id=bill.tariff_id,
        settlement_tariff_id=roaming.settlement_tariff_id,
        currency=bill.currency,
        start=bill.lines[0].start,
        end=bill.lines[-1].end,
        kwh=bill.total_kwh,
        customer_amount=settlement.customer_amount,
        settlement_amount=settlement.roaming_utility_owed,
        difference=settlement.home_utility_keeps,
        lines=[
            RoamingLine(
                start=bl.start,
                end=bl.end,
                kwh=bl.kwh,
                rate_period=str(bl.rate_period),
                rate=bl.rate,
                amount=bl.amount,
            )
            for bl in bill.lines
        ],
    )
