"""Tariffs and intervals shared by the oracle tests, with their hand-computed bills.

The TOU tariff is in America/New_York (EST, UTC−5, in late November 2026): on-peak
16:00–21:00 on weekdays at 0.31 USD/kWh, off-peak otherwise at 0.12, weekends and
holidays off-peak all day. 2026-11-25 is a Wednesday, 2026-11-26 Thanksgiving (a
listed holiday), 2026-11-28 a Saturday.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rig.domain.tariff import Tariff
from rig.domain.vocabulary import (
    Communication,
    GuestCharging,
    PortalArrangement,
    PremiseKind,
    RoamingOption,
)
from rig.record import (
    BillLine,
    MeteringInterval,
    PevFacts,
    PremiseFacts,
    SessionFacts,
)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A New York wall-clock time in late November 2026 (EST) as UTC."""
    return utc(day, hour + 5, minute)


def interval(start: datetime, end: datetime, kwh: str) -> MeteringInterval:
    return MeteringInterval(start, end, Decimal(kwh))


TOU = Tariff.model_validate(
    {
        "id": "TOU-PEV",
        "currency": "USD",
        "time_zone": "America/New_York",
        "holidays": ["2026-11-26"],
        "elements": [
            {
                "price_components": [{"price": "0.12"}],
                "restrictions": {"day_type": ["weekend", "holiday"]},
                "period": "off_peak",
            },
            {
                "price_components": [{"price": "0.31"}],
                "restrictions": {"start_time": "16:00", "end_time": "21:00"},
                "period": "on_peak",
            },
            {"price_components": [{"price": "0.12"}], "period": "off_peak"},
        ],
    }
)

FLAT_DEFAULT = Tariff.model_validate(
    {
        "id": "FLAT-RES",
        "currency": "USD",
        "time_zone": "America/New_York",
        "elements": [{"price_components": [{"price": "0.20"}], "period": "flat"}],
    }
)

GUEST = Tariff.model_validate(
    {
        "id": "GUEST-B",
        "currency": "USD",
        "time_zone": "America/New_York",
        "elements": [{"price_components": [{"price": "0.40"}], "period": "flat"}],
    }
)

SETTLEMENT = Tariff.model_validate(
    {
        "id": "SETTLE-B",
        "currency": "USD",
        "time_zone": "America/New_York",
        "elements": [{"price_components": [{"price": "0.25"}], "period": "flat"}],
    }
)

HOURLY = Tariff.model_validate(
    {
        "id": "RTP",
        "currency": "USD",
        "time_zone": "America/New_York",
        "hourly_prices": [
            {"start": "2026-11-25T10:00:00Z", "price": "0.05"},
            {"start": "2026-11-25T11:00:00Z", "price": "0.09"},
        ],
        "elements": [{"price_components": [{"price": "0.15"}], "period": "flat"}],
    }
)

#: Wednesday 15:52–16:22 local: the first interval straddles the 16:00 off→on boundary.
#: Interval 1: 8 of 15 minutes off-peak → 2.000 × 8/15 = 1.0667 → 1.067 kWh off, 0.933 on.
#: Lines: off 1.067 × 0.12 = 0.12804 → 0.13; on (0.933 + 2.000) × 0.31 = 0.90923 → 0.91.
STRADDLE = [
    interval(local(25, 15, 52), local(25, 16, 7), "2.000"),
    interval(local(25, 16, 7), local(25, 16, 22), "2.000"),
]
STRADDLE_TOTAL = Decimal("1.04")

TARIFFS = {t.id: t for t in (TOU, FLAT_DEFAULT, GUEST, SETTLEMENT, HOURLY)}


def facts(
    *,
    owner: str = "ACC-PEV-1",
    home_utility: str = "U-A",
    premise_utility: str = "U-A",
    premise_account: str = "ACC-HOST-2",
    kind: PremiseKind = "residential",
    guest_charging: GuestCharging = "guest_pays",
    arrangement: PortalArrangement = "host_pays",
    revenue_meter: bool = True,
    program: str | None = "TOU-PEV",
    known: bool = True,
    validated: bool = True,
    communication: Communication = "established",
    eumd_available: bool = True,
    option: RoamingOption = "guest_rate",
) -> SessionFacts:
    """SC-3 by default: PEV-1 of utility U-A charging at host ACC-HOST-2's premise, guest pays."""
    return SessionFacts(
        pev=PevFacts("PEV-1", known, home_utility, owner, program, validated),
        premise=PremiseFacts(
            premise_id="PREM-2",
            portal_id="PORTAL-2",
            account_id=premise_account,
            default_tariff_id="FLAT-RES",
            kind=kind,
            utility_id=premise_utility,
            guest_tariff_id="GUEST-B",
            settlement_tariff_id="SETTLE-B",
            guest_charging=guest_charging,
            portal_arrangement=arrangement,
            has_revenue_meter=revenue_meter,
        ),
        communication=communication,
        eumd_available=eumd_available,
        roaming_option=option,
    )


def line(
    start: datetime,
    end: datetime,
    kwh: str,
    rate: str,
    amount: str,
    *,
    period: str,
    account: str = "ACC-PEV-1",
    kind: str = "charge",
    tariff: str = "TOU-PEV",
) -> BillLine:
    return BillLine(
        account,
        kind,
        start,
        end,
        Decimal(kwh),
        tariff,
        period,
        Decimal(rate),
        Decimal(amount),
        "USD",
    )


#: What a correct utility bills for STRADDLE at TOU-PEV (see the hand computation above).
STRADDLE_LINES = [
    line(local(25, 15, 52), local(25, 16), "1.067", "0.12", "0.13", period="off_peak"),
    line(local(25, 16), local(25, 16, 22), "2.933", "0.31", "0.91", period="on_peak"),
]
