"""The utility's demand response over IEEE 2030.5: the PG-DLC programme and its events.

Part of the utility's 2030.5 server (:mod:`rig.services.sep2_api`): one
DemandResponseProgram, PG-DLC, whose EndDeviceControls are the DLC events visible
to the caller (the JSON API's ``GET /signals`` ``kind=dlc``); a device answers them
through the flow resources of :mod:`rig.services.sep2_flow`.
"""

from typing import Any

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
from rig.services.sep2_common import mrid, sep_xml
from rig.services.utility_service import UtilityService

DLC_PROGRAM = "dlc"


class EndDeviceControlListResponse(SubscribableList, tag="EndDeviceControlList"):
    """The 2030.5 EndDeviceControlList, which ``envoy-schema`` does not define (it serves
    DER controls); built from its base list model and its EndDeviceControl."""

    EndDeviceControl: list[EndDeviceControlResponse] | None = element(default=None)


def add_routes(app: FastAPI, service: UtilityService, caller_dep: Any) -> None:
    """``/dr`` and below on the 2030.5 application of ``service``."""

    def now() -> int:
        return int(service.clock.now())

    def program() -> DemandResponseProgramResponse:
        return DemandResponseProgramResponse(
            href=f"/dr/{DLC_PROGRAM}",
            mRID=mrid(service.id, "dr", DLC_PROGRAM),
            description="PG-DLC direct load control",
            EndDeviceControlListLink=ListLink(href=f"/dr/{DLC_PROGRAM}/edc"),
            primacy=PrimacyType(0),
        )

    @app.get("/dr")
    async def programs(_caller: caller_dep) -> Response:
        return sep_xml(
            DemandResponseProgramListResponse(
                href="/dr", all_=1, results=1, DemandResponseProgram=[program()]
            )
        )

    @app.get(f"/dr/{DLC_PROGRAM}")
    async def dlc_program(_caller: caller_dep) -> Response:
        return sep_xml(program())

    @app.get(f"/dr/{DLC_PROGRAM}/edc")
    async def controls(caller: caller_dep) -> Response:
        page = service.signals(caller, None, 0)
        at = now()
        found = []
        for sig in page.signals:
            if sig.kind != "dlc" or sig.effective_until is None:
                continue
            start = int(sig.effective_from.timestamp())
            end = int(sig.effective_until.timestamp())
            status = EventStatusType.Active if start <= at < end else EventStatusType.Scheduled
            found.append(
                EndDeviceControlResponse(
                    href=f"/dr/{DLC_PROGRAM}/edc/{sig.seq}",
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
                )
            )
        return sep_xml(
            EndDeviceControlListResponse(
                href=f"/dr/{DLC_PROGRAM}/edc",
                all_=len(found),
                results=len(found),
                EndDeviceControl=found,
            )
        )
