"""After the session: what the services recorded, fetched into the session record.

The oracle judges the services by their records, so after the steps the runner
asks for them, as the parties entitled to see them would:

- the premise's utility, as its operator: ``GET /sessions/{id}`` — who pays at which
  tariff, incentive, flags, and every bill line of the session on any account
  (the payer's charge or roaming lines, the host's SC-3 netting lines);
- for a roaming session (SC-4), the clearinghouse, as the roaming utility:
  ``GET /roaming-charges/{roaming utility}:{session id}`` — the charge as posted,
  which becomes the :class:`~rig.record.Posting` (404, or not yet forwarded to the
  home utility: no posting); and ``GET /settlements`` over the session's day — the
  settlement statement.

Everything is converted into the plain dataclasses of :mod:`rig.record`; a
service that cannot be reached leaves its part empty, which the oracle reports
as missing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rig.esi.link import ServiceLink, Unreachable
from rig.esi.outbox import Rejected
from rig.record import (
    BillLine,
    Posting,
    ServiceRecords,
    Settlement,
    SettlementRow,
    UtilitySession,
)
from rig.runner.world import World
from rig.services.cluster import CLEARINGHOUSE
from rig.services.endpoints import ServiceEndpoints


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def bill_line(item: dict[str, Any]) -> BillLine:
    return BillLine(
        account_id=item["account_id"],
        kind=item["kind"],
        start=_when(item["start"]),
        end=_when(item["end"]),
        kwh=Decimal(str(item["kwh"])),
        tariff_id=item["tariff_id"],
        rate_period=item["rate_period"],
        rate=Decimal(str(item["rate"])),
        amount=Decimal(str(item["amount"])),
        currency=item["currency"],
    )


def _get(link: ServiceLink, path: str, **params: str | int) -> Any:
    try:
        return link.get(path, **params)
    except (Unreachable, Rejected):
        return None


def fetch_services(world: World) -> dict[str, Any] | None:
    """Fill ``world.record.services``; return the utility's raw session record (or None)."""
    esi = world.esi
    operator = world.operator(world.place.utility.id)
    try:
        raw: dict[str, Any] | None = _get(operator, f"/sessions/{esi.session_id}")
    finally:
        operator.close()
    records = ServiceRecords()
    if raw is not None:
        records.session = UtilitySession(
            session_id=raw["session_id"],
            scenario=raw["scenario"],
            payer_account_id=raw["payer_account_id"],
            tariff_id=raw["tariff_id"],
            incentive=bool(raw["incentive"]),
            flags=tuple(raw["flags"]),
            pev_id=raw["pev_id"],
            interval_count=int(raw["interval_count"]),
        )
        records.bill_lines = [bill_line(item) for item in raw["line_items"]]
    facts = world.record.facts
    home = facts.pev.home_utility_id
    roaming = world.place.utility.id
    if raw is not None and home and home != roaming and records.bill_lines:
        _roaming_records(world, records, roaming, home)
    world.record.services = records
    return raw


def _roaming_records(world: World, records: ServiceRecords, roaming: str, home: str) -> None:
    lines = records.bill_lines
    start = min(line.start for line in lines) - timedelta(hours=12)
    end = max(line.end for line in lines) + timedelta(hours=12)
    endpoints: ServiceEndpoints = world.endpoints
    clearinghouse = ServiceLink(
        CLEARINGHOUSE,
        endpoints.urls[CLEARINGHOUSE],
        endpoints.token(roaming),
        log=world.unreachable,
    )
    try:
        held = _get(clearinghouse, f"/roaming-charges/{roaming}:{world.esi.session_id}")
        statement = _get(
            clearinghouse,
            "/settlements",
            roaming_utility_id=roaming,
            home_utility_id=home,
            start=start.isoformat(),
            end=end.isoformat(),
        )
    finally:
        clearinghouse.close()
    if held is not None and held["forwarded"]:
        records.posting = posting(held["charge"])
    if statement is None:
        return
    records.settlement = Settlement(
        roaming_utility_id=statement["roaming_utility_id"],
        home_utility_id=statement["home_utility_id"],
        rows=tuple(
            SettlementRow(
                option=row["option"],
                sessions=int(row["sessions"]),
                kwh=Decimal(str(row["kwh"])),
                customer_amount=Decimal(str(row["customer_amount"])),
                settlement_amount=Decimal(str(row["settlement_amount"])),
                difference=Decimal(str(row["difference"])),
            )
            for row in statement["rows"]
        ),
        charges=tuple(statement["charges"]),
        totals=SettlementRow(
            option="total",
            sessions=int(statement["sessions"]),
            kwh=Decimal(str(statement["kwh"])),
            customer_amount=Decimal(str(statement["customer_amount"])),
            settlement_amount=Decimal(str(statement["roaming_utility_owed"])),
            difference=Decimal(str(statement["home_utility_keeps"])),
        ),
    )


def posting(charge: dict[str, Any]) -> Posting:
    """A charge as the clearinghouse holds it (``GET /roaming-charges/{id}``'s ``charge``)."""
    return Posting(
        charge_id=charge["charge_id"],
        roaming_utility_id=charge["roaming_utility_id"],
        home_utility_id=charge["home_utility_id"],
        account_id=charge["account_id"],
        option=charge["option"],
        tariff_id=charge["tariff_id"],
        settlement_tariff_id=charge["settlement_tariff_id"],
        kwh=Decimal(str(charge["kwh"])),
        customer_amount=Decimal(str(charge["customer_amount"])),
        settlement_amount=Decimal(str(charge["settlement_amount"])),
        difference=Decimal(str(charge["difference"])),
        currency=charge["currency"],
    )
