"""Grid signals read over IEEE 2030.5: DRLC events and prices as the JSON API's signals.

Part of the ESI's 2030.5 link (:mod:`rig.esi.sep2_link`), which polls these at the
server's ``pollRate``:

- **DRLC**: every DemandResponseProgram's EndDeviceControls become signals of
  kind ``alm`` when the programme's description names PG-ALM, else ``dlc``; the
  event's interval is the signal's, its ``TargetReduction`` (W or kW) the
  ``limit_kw`` (:func:`rig.services.sep2_drlc.limit_kw`); an event lasting
  :data:`~rig.services.sep2_drlc.UNTIL_FURTHER_NOTICE` has no end. Each event is returned
  with its ``replyTo`` and ``responseRequired`` so the link can acknowledge it;
- **Pricing**, at the TariffProfileList's own ``pollRate``: every TimeTariffInterval
  on the hourly tier (``touTier`` TOU_D, the bundled server's mark for PG-RTP prices)
  becomes a ``price`` signal, its price from its ConsumptionTariffInterval
  (``price`` × 10^``pricePowerOfTenMultiplier``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from envoy_schema.server.schema.sep2.der import DemandResponseProgramListResponse
from envoy_schema.server.schema.sep2.device_capability import DeviceCapabilityResponse
from envoy_schema.server.schema.sep2.pricing import (
    ConsumptionTariffIntervalListResponse,
    RateComponentListResponse,
    TariffProfileListResponse,
    TimeTariffIntervalListResponse,
)
from pydantic_xml import BaseXmlModel, element

from rig.domain.tariff import RatePeriod
from rig.services.sep2_drlc import UNTIL_FURTHER_NOTICE, EndDeviceControlListResponse, limit_kw
from rig.services.sep2_pricing import TOU_TIERS
from rig.services.sep2_pricing import TariffProfile as PlainTariffProfile
from rig.services.sep2_pricing import TimeTariffInterval as PlainTimeTariffInterval

M = TypeVar("M", bound=BaseXmlModel)
Read = Callable[[str, type[M]], M]
HOURLY_TIER = TOU_TIERS[RatePeriod.HOURLY]
"""The touTier the bundled server gives hourly (PG-RTP) prices."""


class TariffProfileList(TariffProfileListResponse, tag="TariffProfileList"):
    """envoy's list, holding the plain-2030.5 TariffProfile (no CSIP-AUS link required)."""

    TariffProfile: list[PlainTariffProfile] | None = element(default=None)  # type: ignore[assignment]


class TimeTariffIntervalList(TimeTariffIntervalListResponse, tag="TimeTariffIntervalList"):
    """envoy's list, holding the plain-2030.5 TimeTariffInterval."""

    TimeTariffInterval: list[PlainTimeTariffInterval] | None = element(default=None)  # type: ignore[assignment]


@dataclass(frozen=True)
class Event:
    """A DRLC event the device may have to acknowledge (2030.5 §12: Response)."""

    mrid: str
    reply_to: str | None
    response_required: int


def dr_events(
    read: Read[Any], dcap: DeviceCapabilityResponse
) -> list[tuple[Event, dict[str, Any]]]:
    """Every DRLC event the server lists, with its signal."""
    if dcap.DemandResponseProgramListLink is None:
        return []
    programs = read(dcap.DemandResponseProgramListLink.href, DemandResponseProgramListResponse)
    found = []
    for program in programs.DemandResponseProgram or []:
        if program.EndDeviceControlListLink is None:
            continue
        kind = "alm" if "PG-ALM" in (program.description or "").upper() else "dlc"
        controls = read(program.EndDeviceControlListLink.href, EndDeviceControlListResponse)
        for control in controls.EndDeviceControl_ or []:
            start, duration = control.interval.start, control.interval.duration
            end = None if duration == UNTIL_FURTHER_NOTICE else start + duration
            event = Event(control.mRID, control.replyTo, int(control.responseRequired or "0", 16))
            limit = limit_kw(control.TargetReduction_)
            found.append((event, signal(kind, start, end, limit, None, None)))
    return found


def prices(read: Read[Any], dcap: DeviceCapabilityResponse) -> tuple[list[dict[str, Any]], int]:
    """Every hourly price the server's tariffs list, as a signal; and the
    TariffProfileList's ``pollRate`` (0: none given)."""
    if dcap.TariffProfileListLink is None:
        return [], 0
    found = []
    profiles = read(dcap.TariffProfileListLink.href, TariffProfileList)
    for profile in profiles.TariffProfile or []:
        if profile.RateComponentListLink is None:
            continue
        scale = Decimal(10) ** (profile.pricePowerOfTenMultiplier or 0)
        tariff_id = profile.description or profile.rateCode
        components = read(profile.RateComponentListLink.href, RateComponentListResponse)
        for component in components.RateComponent or []:
            intervals = read(component.TimeTariffIntervalListLink.href, TimeTariffIntervalList)
            for tti in intervals.TimeTariffInterval or []:
                if tti.touTier != HOURLY_TIER:
                    continue
                ctis = (
                    read(
                        tti.ConsumptionTariffIntervalListLink.href,
                        ConsumptionTariffIntervalListResponse,
                    ).ConsumptionTariffInterval
                    or []
                )
                if not ctis or ctis[0].price is None:
                    continue
                start = tti.interval.start
                end = start + tti.interval.duration
                price = Decimal(ctis[0].price) * scale
                found.append(signal("price", start, end, None, price, tariff_id))
    return found, int(profiles.pollRate or 0)


def signal(
    kind: str,
    start: int,
    end: int | None,
    limit_kw: Decimal | None,
    price: Decimal | None,
    tariff_id: str | None,
) -> dict[str, Any]:
    """One signal in the JSON API's ``SignalOut`` shape (the fields the ESI reads)."""
    return {
        "kind": kind,
        "effective_from": datetime.fromtimestamp(start, UTC).isoformat(),
        "effective_until": None if end is None else datetime.fromtimestamp(end, UTC).isoformat(),
        "limit_kw": None if limit_kw is None else str(_plain(limit_kw)),
        "price": None if price is None else str(_plain(price)),
        "tariff_id": tariff_id,
    }


def _plain(value: Decimal) -> Decimal:
    """``0.250000`` → ``0.25``, ``1E+1`` → ``10``: the figure as the data set writes it."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value
