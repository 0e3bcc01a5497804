"""The utility's demand response over IEEE 2030.5: the PG-DLC and PG-ALM programmes.

Part of the utility's 2030.5 server (:mod:`rig.services.sep2_api`): two
DemandResponsePrograms, ``/dr/dlc`` (PG-DLC, direct load control events) and
``/dr/alm`` (PG-ALM, the premise's load management limits), whose
EndDeviceControls are the signals of that kind visible to the caller (the JSON
API's ``GET /signals`` ``kind=dlc`` / ``kind=alm``); a device acknowledges them
with the Responses of :mod:`rig.services.sep2_flow`.

**The kW limit.** 2030.5 offers an EndDeviceControl four ways to say how much:
``ApplianceLoadReduction`` (a level 0–3, no unit), ``DutyCycle`` (% on-time),
``Offset`` (thermostat or load-adjustment %) and ``TargetReduction``, "a
RECOMMENDED threshold that a device/premises should maintain its consumption
below", in a unit of ``UnitType``. The signal's limit *is* such a threshold, so it
is a ``TargetReduction``: ``type`` 2 (Watts) with the limit in W while it fits the
UInt16 ``value`` (≤ 65 535 W), else ``type`` 1 (kW) rounded to the kW. A limit
of 0 stops charging, as over JSON. A signal without an end (a standing ALM
limit) is an event of duration :data:`UNTIL_FURTHER_NOTICE`.
"""

from decimal import Decimal
from typing import Any, Literal

from envoy_schema.server.schema.sep2.base import BaseXmlModelWithNS
from envoy_schema.server.schema.sep2.der import (
    DemandResponseProgramListResponse,
    DemandResponseProgramResponse,
    EndDeviceControlResponse,
)
from envoy_schema.server.schema.sep2.event import EventStatus, EventStatusType
from envoy_schema.server.schema.sep2.identification import ListLink, SubscribableList
from envoy_schema.server.schema.sep2.types import DateTimeIntervalType, PrimacyType
from fastapi import FastAPI
from fastapi.responses import Response
from pydantic_xml import element

from rig.services import sep2_flow
from rig.services.api_models import SignalOut
from rig.services.sep2_common import PageDep, mrid, sep_xml
from rig.services.utility_service import UtilityService

PROGRAMS = {"dlc": "PG-DLC direct load control", "alm": "PG-ALM load management"}
"""The DemandResponsePrograms, by the signal kind their events are (``/dr/{kind}``)."""
UNTIL_FURTHER_NOTICE = 0xFFFFFFFF
"""An event's duration when the signal has no end (the UInt32 maximum, ~136 years):
2030.5 events always have one; the ESI reads this one back as "no end"."""
WATTS, KILOWATTS = 2, 1
"""UnitType of a TargetReduction."""


class TargetReduction(BaseXmlModelWithNS):
    type: int = element()
    value: int = element()


class EndDeviceControl(EndDeviceControlResponse, tag="EndDeviceControl"):
    """envoy's EndDeviceControl with the 2030.5 ``TargetReduction`` (the kW limit)."""

    TargetReduction_: TargetReduction | None = element(default=None, tag="TargetReduction")


def target_reduction(limit_kw: Decimal | None) -> TargetReduction | None:
    """A signal's kW limit as a TargetReduction (see the module docstring)."""
    if limit_kw is None:
        return None
    watts = (limit_kw * 1000).to_integral_value()
    if watts <= 0xFFFF:
        return TargetReduction(type=WATTS, value=int(watts))
    return TargetReduction(type=KILOWATTS, value=int(limit_kw.to_integral_value()))


def limit_kw(target: TargetReduction | None) -> Decimal | None:
    """The kW limit a TargetReduction carries (``None``: none, or not in W or kW)."""
    if target is None or target.type not in (WATTS, KILOWATTS):
        return None
    return Decimal(target.value).scaleb(-3 if target.type == WATTS else 0).normalize()


Kind = Literal["dlc", "alm"]


class EndDeviceControlListResponse(SubscribableList, tag="EndDeviceControlList"):
    """The 2030.5 EndDeviceControlList, which ``envoy-schema`` does not define (it serves
    DER controls); built from its base list model and its EndDeviceControl."""

    EndDeviceControl_: list[EndDeviceControl] | None = element(default=None, tag="EndDeviceControl")


def add_routes(app: FastAPI, service: UtilityService, caller_dep: Any) -> None:
    """``/dr`` and below on the 2030.5 application of ``service``."""

    def now() -> int:
        return int(service.clock.now())

    def program(kind: str) -> DemandResponseProgramResponse:
        return DemandResponseProgramResponse(
            href=f"/dr/{kind}",
            mRID=mrid(service.id, "dr", kind),
            description=PROGRAMS[kind],
            EndDeviceControlListLink=ListLink(href=f"/dr/{kind}/edc"),
            primacy=PrimacyType(0),
        )

    def control(kind: str, sig: SignalOut, at: int) -> EndDeviceControl:
        start = int(sig.effective_from.timestamp())
        until = sig.effective_until
        end = start + UNTIL_FURTHER_NOTICE if until is None else int(until.timestamp())
        status = EventStatusType.Active if start <= at < end else EventStatusType.Scheduled
        return EndDeviceControl(
            href=f"/dr/{kind}/edc/{sig.seq}",
            mRID=mrid(service.id, "edc", sig.signal_id),
            description=sig.signal_id[:32],
            creationTime=int(sig.announced_at.timestamp()),
            EventStatus_=EventStatus(
                currentStatus=int(status), dateTime=at, potentiallySuperseded=False
            ),
            interval=DateTimeIntervalType(start=start, duration=end - start),
            deviceCategory=f"{1 << 18:08x}",  # DeviceCategoryType bit 18: PEV
            drProgramMandatory=True,
            replyTo=sep2_flow.RESPONSES,
            responseRequired=sep2_flow.RESPONSE_REQUIRED,
            loadShiftForward=False,
            TargetReduction_=target_reduction(sig.limit_kw),
        )

    @app.get("/dr")
    async def programs(_caller: caller_dep, window: PageDep) -> Response:
        listed = [program(kind) for kind in PROGRAMS]
        shown = window.of(listed)
        return sep_xml(
            DemandResponseProgramListResponse(
                href="/dr", all_=len(listed), results=len(shown), DemandResponseProgram=shown
            )
        )

    @app.get("/dr/{kind}")
    async def one_program(_caller: caller_dep, kind: Kind) -> Response:
        return sep_xml(program(kind))

    @app.get("/dr/{kind}/edc")
    async def controls(caller: caller_dep, window: PageDep, kind: Kind) -> Response:
        at = now()
        found = [
            control(kind, sig, at)
            for sig in service.signals(caller, None, 0).signals
            if sig.kind == kind
        ]
        shown = window.of(found)
        return sep_xml(
            EndDeviceControlListResponse(
                href=f"/dr/{kind}/edc",
                all_=len(found),
                results=len(shown),
                EndDeviceControl_=shown,
            )
        )
