"""The utility's tariffs over IEEE 2030.5: TariffProfile, RateComponent, time tariff intervals.

Part of the utility's 2030.5 server (:mod:`rig.services.sep2_api`): each tariff of
the data set is a TariffProfile with one consumption RateComponent, whose
TimeTariffIntervals are the tariff's priced spans (TOU periods, hourly prices) from
the start of the utility's UTC day to :data:`PRICE_WINDOW` on, each with one
ConsumptionTariffInterval carrying its price in micro-units of the currency per kWh
(``pricePowerOfTenMultiplier`` :data:`PRICE_POWER_OF_TEN`), so a rate such as
0.123456 is carried exactly.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from envoy_schema.server.schema.sep2.event import EventStatus, EventStatusType
from envoy_schema.server.schema.sep2.identification import Link, ListLink
from envoy_schema.server.schema.sep2.pricing import (
    ConsumptionTariffIntervalListResponse,
    ConsumptionTariffIntervalListSummaryResponse,
    ConsumptionTariffIntervalResponse,
    RateComponentListResponse,
    RateComponentResponse,
    TariffProfileListResponse,
    TariffProfileResponse,
    TimeTariffIntervalListResponse,
    TimeTariffIntervalResponse,
)
from envoy_schema.server.schema.sep2.types import (
    ConsumptionBlockType,
    CurrencyCode,
    DateTimeIntervalType,
    PrimacyType,
    RoleFlagsType,
    ServiceKind,
    TOUType,
)
from fastapi import FastAPI, Path
from fastapi.responses import Response
from pydantic_xml import element

from rig.domain.tariff import RatePeriod
from rig.domain.vocabulary import ID_PATTERN
from rig.services.errors import not_found
from rig.services.sep2_common import PageDep, mrid, sep_xml
from rig.services.tariffs import price_spans
from rig.services.utility_service import UtilityService

PRICE_POLL_RATE_S = 900
"""The TariffProfileList's pollRate: hourly prices are published ahead of their hour
(PG-RTP), so a quarter of an hour hears them in time, and a client need not read every
priced span each minute as it does the DRLC events."""

PRICE_POWER_OF_TEN = -6
PRICE_WINDOW = timedelta(days=2)
TOU_TIERS: dict[RatePeriod, TOUType] = {
    RatePeriod.FLAT: TOUType.NOT_APPLICABLE,
    RatePeriod.OFF_PEAK: TOUType.TOU_A,
    RatePeriod.MID_PEAK: TOUType.TOU_B,
    RatePeriod.ON_PEAK: TOUType.TOU_C,
    RatePeriod.HOURLY: TOUType.TOU_D,
}
ISO_CURRENCY = {"USD": CurrencyCode.US_DOLLAR, "AUD": CurrencyCode.AUSTRALIAN_DOLLAR}
ISO_CURRENCY |= {"CAD": CurrencyCode.CANADIAN_DOLLAR, "EUR": CurrencyCode.EURO}


class TariffProfile(TariffProfileResponse, tag="TariffProfile"):
    """envoy's TariffProfile without its required CSIP-AUS extension link (not 2030.5)."""

    CombinedTimeTariffIntervalListLink: ListLink | None = element(ns="csipaus", default=None)  # type: ignore[assignment]


CtiSummary = ConsumptionTariffIntervalListSummaryResponse


class TimeTariffInterval(TimeTariffIntervalResponse, tag="TimeTariffInterval"):
    """envoy's TimeTariffInterval without the CSIP-AUS price summary and rate component
    link it requires (neither is in 2030.5)."""

    ConsumptionTariffIntervalListSummary: CtiSummary | None = element(ns="csipaus", default=None)  # type: ignore[assignment]
    RateComponentLink: Link | None = element(default=None)  # type: ignore[assignment]


def add_routes(app: FastAPI, service: UtilityService, caller_dep: Any) -> None:
    """``/tp`` and below on the 2030.5 application of ``service``."""
    TariffId = Annotated[str, Path(min_length=1, max_length=80, pattern=ID_PATTERN)]
    u = service.u

    def now() -> int:
        return int(service.clock.now())

    def profile(tariff_id: str) -> TariffProfile:
        tariff = service.tariff(tariff_id)
        href = f"/tp/{tariff_id}"
        return TariffProfile(
            href=href,
            mRID=mrid(service.id, "tp", tariff_id),
            description=tariff_id,
            currency=ISO_CURRENCY.get(tariff.currency, CurrencyCode.NOT_APPLICABLE),
            pricePowerOfTenMultiplier=PRICE_POWER_OF_TEN,
            primacyType=int(PrimacyType(0)),
            rateCode=tariff_id[:20],
            RateComponentListLink=ListLink(href=f"{href}/rc", all_=1),
            serviceCategoryKind=ServiceKind.ELECTRICITY,
        )

    def known_tariff(tariff_id: str) -> None:
        if tariff_id not in {t.id for t in u.tariffs}:
            raise not_found("tariff", tariff_id)

    def spans(tariff_id: str) -> list[tuple[int, int, RatePeriod, Decimal]]:
        """The tariff's priced spans from the start of the utility's UTC day, two days on."""
        day = datetime.fromtimestamp(now(), UTC).replace(hour=0, minute=0, second=0)
        out = []
        for s in price_spans(service.tariff(tariff_id), day, day + PRICE_WINDOW):
            start = int(s.start.timestamp())
            out.append((start, int(s.end.timestamp()) - start, s.period, s.rate))
        return out

    def micro(rate: Decimal) -> int:
        return int(rate.scaleb(-PRICE_POWER_OF_TEN).to_integral_value())

    @app.get("/tp")
    async def tariffs(_caller: caller_dep, window: PageDep) -> Response:
        found: list[TariffProfileResponse] = [profile(t.id) for t in u.tariffs]
        shown = window.of(found)
        return sep_xml(
            TariffProfileListResponse(
                href="/tp",
                all_=len(found),
                results=len(shown),
                pollRate=PRICE_POLL_RATE_S,
                TariffProfile=shown,
            )
        )

    @app.get("/tp/{tariff_id}")
    async def tariff(_caller: caller_dep, tariff_id: TariffId) -> Response:
        known_tariff(tariff_id)
        return sep_xml(profile(tariff_id))

    def rate_component(tariff_id: str) -> RateComponentResponse:
        href = f"/tp/{tariff_id}/rc/1"
        return RateComponentResponse(
            href=href,
            mRID=mrid(service.id, "rc", tariff_id),
            description=f"{tariff_id} energy",
            ReadingTypeLink=Link(href=f"{href}/rt"),
            roleFlags=f"{int(RoleFlagsType.IS_PEV):04x}",
            TimeTariffIntervalListLink=ListLink(href=f"{href}/tti", all_=len(spans(tariff_id))),
        )

    @app.get("/tp/{tariff_id}/rc")
    async def rate_components(_caller: caller_dep, tariff_id: TariffId) -> Response:
        known_tariff(tariff_id)
        return sep_xml(
            RateComponentListResponse(
                href=f"/tp/{tariff_id}/rc",
                all_=1,
                results=1,
                RateComponent=[rate_component(tariff_id)],
            )
        )

    @app.get("/tp/{tariff_id}/rc/1")
    async def rate_component_one(_caller: caller_dep, tariff_id: TariffId) -> Response:
        known_tariff(tariff_id)
        return sep_xml(rate_component(tariff_id))

    def cti(tariff_id: str, start: int, rate: Decimal) -> ConsumptionTariffIntervalResponse:
        return ConsumptionTariffIntervalResponse(
            href=f"/tp/{tariff_id}/rc/1/tti/{start}/cti/1",
            consumptionBlock=ConsumptionBlockType(0),
            price=micro(rate),
            startValue=0,
        )

    @app.get("/tp/{tariff_id}/rc/1/tti")
    async def time_tariff_intervals(
        _caller: caller_dep, window: PageDep, tariff_id: TariffId
    ) -> Response:
        known_tariff(tariff_id)
        at = now()
        base = f"/tp/{tariff_id}/rc/1/tti"
        found: list[TimeTariffIntervalResponse] = [
            TimeTariffInterval(
                href=f"{base}/{start}",
                mRID=mrid(service.id, "tti", tariff_id, str(start)),
                description=str(period),
                creationTime=at,
                EventStatus_=EventStatus(
                    currentStatus=int(
                        EventStatusType.Active if start <= at else EventStatusType.Scheduled
                    ),
                    dateTime=at,
                    potentiallySuperseded=False,
                ),
                interval=DateTimeIntervalType(start=start, duration=duration),
                ConsumptionTariffIntervalListLink=ListLink(href=f"{base}/{start}/cti", all_=1),
                touTier=TOU_TIERS[period],
            )
            for start, duration, period, _rate in spans(tariff_id)
        ]
        shown = window.of(found)
        return sep_xml(
            TimeTariffIntervalListResponse(
                href=base,
                all_=len(found),
                results=len(shown),
                pollRate=None,
                TimeTariffInterval=shown,
            )
        )

    @app.get("/tp/{tariff_id}/rc/1/tti/{start}/cti")
    async def consumption_tariff_intervals(
        _caller: caller_dep, tariff_id: TariffId, start: Annotated[int, Path(ge=0, le=2**40)]
    ) -> Response:
        known_tariff(tariff_id)
        rate = next((r for s, _d, _p, r in spans(tariff_id) if s == start), None)
        if rate is None:
            raise not_found("time tariff interval", str(start))
        return sep_xml(
            ConsumptionTariffIntervalListResponse(
                href=f"/tp/{tariff_id}/rc/1/tti/{start}/cti",
                all_=1,
                results=1,
                ConsumptionTariffInterval=[cti(tariff_id, start, rate)],
            )
        )
