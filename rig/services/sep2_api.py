"""The utility's IEEE 2030.5 (SEP 2) server: the same desks, spoken as ``application/sep+xml``.

The JSON API (:mod:`rig.services.utility_api`) is the rig's own; a utility head-end
speaks IEEE 2030.5. This module serves the same :class:`UtilityService` — same
database, same rules, same clock — as 2030.5 resources, on a port of its own
(:class:`~rig.services.cluster.Cluster` starts it beside the JSON API and lists it
in :attr:`~rig.services.cluster.Cluster.sep2_endpoints`).

Every body is built from the pydantic-xml models of ``envoy-schema`` (the schema
package of the open-source *envoy* utility server; see ``docs/ieee2030_5.md`` for
why) and written by :func:`sep_xml`; nothing here writes XML by hand. The tests
validate every answer against the official 2030.5 XSD.

This module serves the device resources (``/dcap``, ``/tm``, ``/edev``) and gathers
the rest, one module each: pricing (:mod:`rig.services.sep2_pricing`), demand
response (:mod:`rig.services.sep2_drlc`), PEV bindings (:mod:`rig.services.sep2_binding`),
mirror usage points
(:mod:`rig.services.sep2_mirror`) and flow reservations (:mod:`rig.services.sep2_flow`).

==================================  ========================================================
resource                            what it holds (the JSON API's equivalent)
==================================  ========================================================
``GET  /dcap``                      DeviceCapability: links to everything below, pollRate
``GET  /tm``                        Time: the utility's clock (``GET /health`` ``now``)
``GET  /edev``                      EndDeviceList: the caller's registered devices
``POST /edev``                      register an EndDevice (lFDI, sFDI) for the caller's premise
``GET  /edev/{sfdi}``               the EndDevice, with its RegistrationLink
``GET  /edev/{sfdi}/rg``            Registration: the PIN the device checks (out of band)
``GET  /tp``, ``/tp/{tariff}``      TariffProfile per tariff of the data set
``GET  /tp/{t}/rc``, ``…/rc/1``     RateComponent: consumption, kWh
``GET  …/rc/1/tti``                 TimeTariffInterval per priced span (TOU periods, hourly
                                    prices) from the utility's day start to two days on
``GET  …/tti/{start}/cti``          ConsumptionTariffInterval: the span's price
``GET  /dr``, ``/dr/{dlc,alm}``     DemandResponsePrograms PG-DLC and PG-ALM
``GET  /dr/{kind}/edc``             EndDeviceControl per event of that kind visible to the
                                    caller (``GET /signals``), its kW limit a TargetReduction
``…/edev/{sfdi}/pevb``              PEV bindings (:mod:`rig.services.sep2_binding`)
==================================  ========================================================

Who calls: on plain HTTP the caller presents its bearer token from the data set, as
on the JSON API (an ESI acts for its own premise; the utility operator sees all).
An ESI's device is then known by the LFDI it registered.

Numbers follow 2030.5 conventions: times are epoch seconds; prices are integers with
``pricePowerOfTenMultiplier`` −6 (micro-units of the currency per kWh), so a rate
such as 0.123456 is carried exactly; energy is Wh × 10³ (kWh).
"""

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated

from envoy_schema.server.schema.sep2.device_capability import DeviceCapabilityResponse
from envoy_schema.server.schema.sep2.end_device import (
    EndDeviceListResponse,
    EndDeviceRequest,
    EndDeviceResponse,
    RegistrationResponse,
)
from envoy_schema.server.schema.sep2.error import ErrorResponse
from envoy_schema.server.schema.sep2.identification import Link, ListLink
from envoy_schema.server.schema.sep2.time import TimeResponse
from envoy_schema.server.schema.sep2.types import (
    ReasonCodeType,
    TimeQualityType,
)
from fastapi import Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sep2tools.cert_id import get_sfdi
from sqlalchemy import select
from starlette.exceptions import HTTPException

from rig.services import sep2_binding, sep2_drlc, sep2_flow, sep2_mirror, sep2_pricing
from rig.services.app_common import MAX_BODY_BYTES
from rig.services.audit import AuditMiddleware, AuditWriter
from rig.services.auth import Caller
from rig.services.errors import ServiceError, conflict, forbidden, invalid, not_found
from rig.services.sep2_common import (
    POLL_RATE_S,
    PageDep,
    normal_lfdi,
    parse_body,
    sep2_authenticator,
    sep_xml,
)
from rig.services.sep2_tls import cert_lfdi
from rig.services.utility_service import UtilityService


def pin(utility_id: str, esi_id: str) -> int:
    """The registration PIN of an ESI's device: five digits and a checksum digit.

    The data set names no PINs, so each is derived from the utility and ESI IDs;
    the checksum is the 2030.5 one (10 − digit sum mod 10, as for the SFDI).
    """
    digits = int(hashlib.sha256(f"{utility_id}/{esi_id}".encode()).hexdigest(), 16) % 100_000
    check = (10 - sum(map(int, f"{digits:05d}")) % 10) % 10
    return digits * 10 + check


def _error(status: int, reason: ReasonCodeType = ReasonCodeType.invalid_request_format) -> Response:
    return sep_xml(ErrorResponse(reasonCode=reason), status)


def create_app(service: UtilityService, audit: AuditWriter) -> FastAPI:
    """The 2030.5 application of one utility; ``audit`` is the utility's audit log."""
    app = FastAPI(title=f"Utility {service.u.name} ({service.id}): IEEE 2030.5", openapi_url=None)
    app.add_middleware(
        AuditMiddleware, writer=audit, clock=service.clock, max_body_bytes=MAX_BODY_BYTES
    )
    current_caller: Callable[..., Awaitable[Caller]] = sep2_authenticator(service)
    CallerDep = Annotated[Caller, Depends(current_caller)]
    u = service.u

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> Response:
        return _error(400 if exc.status == 422 else exc.status)  # 2030.5: 400 Bad Request

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, exc: HTTPException) -> Response:
        return _error(exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, _exc: RequestValidationError) -> Response:
        return _error(400)

    def now() -> int:
        return int(service.clock.now())

    def devices(caller: Caller) -> list[EndDeviceResponse]:
        table = service.t.end_devices
        query = select(table).order_by(table.c.sfdi)
        if caller.kind == "esi":
            query = query.where(table.c.esi_id == caller.id)
        elif not (caller.kind == "utility" and caller.id == service.id):
            raise forbidden(f"{caller.label} has no end devices here")
        with service.db.read() as conn:
            rows = list(conn.execute(query))
        return [
            EndDeviceResponse(
                href=f"/edev/{r.sfdi}",
                lFDI=r.lfdi,
                sFDI=r.sfdi,
                changedTime=int(r.registered_at),
                enabled=True,
                RegistrationLink=Link(href=f"/edev/{r.sfdi}/rg"),
                FlowReservationRequestListLink=Link(href=f"/edev/{r.sfdi}/frq"),
                FlowReservationResponseListLink=Link(href=f"/edev/{r.sfdi}/frp"),
            )
            for r in rows
        ]

    def device(caller: Caller, sfdi: int) -> tuple[EndDeviceResponse, str]:
        table = service.t.end_devices
        with service.db.read() as conn:
            row = conn.execute(select(table).where(table.c.sfdi == sfdi)).first()
        mine = row is not None and (
            (caller.kind == "esi" and row.esi_id == caller.id)
            or (caller.kind == "utility" and caller.id == service.id)
        )
        if row is None or not mine:  # another's device is not even confirmed to exist
            raise not_found("end device", str(sfdi))
        found = next(d for d in devices(caller) if d.sFDI == sfdi)
        return found, row.esi_id

    @app.get("/dcap")
    async def dcap(caller: CallerDep) -> Response:
        return sep_xml(
            DeviceCapabilityResponse(
                href="/dcap",
                pollRate=POLL_RATE_S,
                TimeLink=Link(href="/tm"),
                EndDeviceListLink=ListLink(href="/edev", all_=len(devices(caller))),
                TariffProfileListLink=ListLink(href="/tp", all_=len(u.tariffs)),
                DemandResponseProgramListLink=ListLink(href="/dr", all_=1),
                MirrorUsagePointListLink=ListLink(href="/mup"),
            )
        )

    @app.get("/tm")
    async def tm(_caller: CallerDep) -> Response:
        at = now()
        return sep_xml(
            TimeResponse(
                href="/tm",
                currentTime=at,
                dstEndTime=0,
                dstOffset=0,
                dstStartTime=0,
                localTime=at,
                quality=TimeQualityType.level_3_source,
                tzOffset=0,
            )
        )

    @app.get("/edev")
    async def edev_list(caller: CallerDep, window: PageDep) -> Response:
        found = devices(caller)
        shown = window.of(found)
        return sep_xml(
            EndDeviceListResponse(
                href="/edev",
                all_=len(found),
                results=len(shown),
                pollRate=POLL_RATE_S,
                EndDevice=shown,
            )
        )

    @app.post("/edev")
    async def register(caller: CallerDep, request: Request) -> Response:
        """Register the caller's device; again with the same LFDI is the same device."""
        req = await parse_body(request, EndDeviceRequest)
        if caller.kind != "esi" or caller.premise_id is None:
            raise forbidden("only an ESI registers an end device, for its own premise")
        lfdi = normal_lfdi(req.lFDI)
        presented = cert_lfdi(request)
        if presented is not None and presented != lfdi:
            raise forbidden(f"the client certificate is device {presented}, not {lfdi}")
        if int(get_sfdi(lfdi, group=False)) != req.sFDI:
            raise invalid("sFDI does not belong to this lFDI")
        table = service.t.end_devices
        with service.db.write() as conn:
            row = conn.execute(select(table).where(table.c.lfdi == lfdi)).first()
            if row is not None and row.esi_id != caller.id:
                raise conflict("this LFDI is registered to another device")
            if row is None:
                conn.execute(
                    table.insert().values(
                        lfdi=lfdi,
                        sfdi=req.sFDI,
                        esi_id=caller.id,
                        premise_id=caller.premise_id,
                        registered_at=service.clock.now(),
                    )
                )
        return Response(status_code=201, headers={"Location": f"/edev/{req.sFDI}"})

    @app.get("/edev/{sfdi}")
    async def edev(caller: CallerDep, sfdi: Annotated[int, Path(ge=0, le=10**12)]) -> Response:
        return sep_xml(device(caller, sfdi)[0])

    @app.get("/edev/{sfdi}/rg")
    async def registration(
        caller: CallerDep, sfdi: Annotated[int, Path(ge=0, le=10**12)]
    ) -> Response:
        found, esi_id = device(caller, sfdi)
        return sep_xml(
            RegistrationResponse(
                href=f"/edev/{sfdi}/rg",
                pollRate=POLL_RATE_S,
                dateTimeRegistered=found.changedTime,
                pIN=pin(service.id, esi_id),
            )
        )

    sep2_pricing.add_routes(app, service, CallerDep)
    sep2_drlc.add_routes(app, service, CallerDep)
    sep2_mirror.add_routes(app, service, CallerDep)
    sep2_flow.add_routes(app, service, CallerDep)
    sep2_binding.add_routes(app, service, CallerDep)
    return app
