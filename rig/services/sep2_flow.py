"""2030.5 flow reservations (BR-07/BR-08) and DRLC Response acknowledgements.

**Flow reservation.** The ESI posts a ``FlowReservationRequest`` to its EndDevice's
``/edev/{sfdi}/frq``; the server hands it to the same
:meth:`~rig.services.utility_binding.BindingDesk.energy_request` as the JSON
``POST /bindings/{id}/energy-requests`` (so the grant, its idempotency and every
refusal are the same) and answers 201 with the request's ``Location``. The grant is
then a ``FlowReservationResponse`` in ``/edev/{sfdi}/frp``:

==========================================  ======================================
FlowReservationRequest                      energy request (JSON)
==========================================  ======================================
``mRID``                                    ``request_id`` (idempotency key)
``description``                             the binding ID
``energyRequested`` (value × 10^m Wh)       ``energy_requested_kwh``
``powerRequested`` (value × 10^m W)         ``power_requested_kw``
``intervalRequested`` start + duration      ``departure``
FlowReservationResponse                     grant
``subject`` / ``description``               the request's mRID / the binding ID
``interval``                                ``interval`` (start: after ``start_delay_s``)
``energyAvailable`` (mWh), ``powerAvailable``  ``energy_available_kwh``, ``power_available_kw``
==========================================  ======================================

The grant's slot schedule has no 2030.5 element and is not carried.

**Responses.** Every EndDeviceControl says ``replyTo="/rsps/dlc/rsp"`` and
``responseRequired="03"`` (received, and started/completed). ``POST /rsps/dlc/rsp``
takes a ``Response`` or ``DrResponse`` (``subject`` an event's mRID the ESI can see,
``endDeviceLFDI`` its device, ``status`` 1 received, 2 started, 3 completed, …):
stored in ``sep2_responses``, listed at ``GET /rsps/dlc/rsp``; the call itself is
in the audit log (path, caller, status, body SHA-256) like every call.
"""

from decimal import Decimal
from typing import Any

from envoy_schema.server.schema.sep2.base import BaseXmlModelWithNS
from envoy_schema.server.schema.sep2.der_control_types import ActivePower
from envoy_schema.server.schema.sep2.event import Event, EventStatus, EventStatusType
from envoy_schema.server.schema.sep2.identification import IdentifiedObject
from envoy_schema.server.schema.sep2.identification import List as Sep2List
from envoy_schema.server.schema.sep2.response import (
    DrResponse,
    Response,
    ResponseListResponse,
    ResponseType,
)
from envoy_schema.server.schema.sep2.types import DateTimeIntervalType
from fastapi import FastAPI, Path, Request
from fastapi import Response as HttpResponse
from pydantic import ValidationError
from pydantic_xml import element
from sqlalchemy import select

from rig.services import api_models as m
from rig.services.errors import invalid, not_found
from rig.services.sep2_common import (
    PageDep,
    binding_of,
    created,
    instant,
    mrid,
    own_device,
    parse_body,
    scaled,
    sep_xml,
)
from rig.services.utility_service import UtilityService

RESPONSES = "/rsps/dlc/rsp"
RESPONSE_REQUIRED = "03"
"""ResponseRequiredType bits: 0 message received, 1 specific response (started, completed)."""


class SignedRealEnergy(BaseXmlModelWithNS):
    multiplier: int = element()
    value: int = element()


class RequestStatus(BaseXmlModelWithNS):
    dateTime: int = element()
    requestStatus: int = element()


class FlowReservationRequest(IdentifiedObject, tag="FlowReservationRequest"):
    creationTime: int = element()
    durationRequested: int | None = element(default=None)
    energyRequested: SignedRealEnergy = element()
    intervalRequested: DateTimeIntervalType = element(tag="intervalRequested")
    powerRequested: ActivePower = element()
    RequestStatus_: RequestStatus = element(tag="RequestStatus")


class FlowReservationRequestList(Sep2List, tag="FlowReservationRequestList"):
    FlowReservationRequest_: list[FlowReservationRequest] | None = element(
        default=None, tag="FlowReservationRequest"
    )


class FlowReservationResponse(Event, tag="FlowReservationResponse"):
    energyAvailable: SignedRealEnergy = element()
    powerAvailable: ActivePower = element()
    subject: str = element()


class FlowReservationResponseList(Sep2List, tag="FlowReservationResponseList"):
    FlowReservationResponse_: list[FlowReservationResponse] | None = element(
        default=None, tag="FlowReservationResponse"
    )


class ResponseIn(Response, tag="Response"):
    """A plain 2030.5 Response as posted."""


def active_power(kw: Decimal) -> ActivePower:
    """kW as ActivePower: the finest multiplier whose value fits an Int16."""
    watts = kw * 1000
    for multiplier in range(-3, 6):
        value = watts.scaleb(-multiplier)
        if abs(value) <= 32767:
            return ActivePower(multiplier=multiplier, value=int(value.to_integral_value()))
    raise ValueError(f"{kw} kW does not fit an ActivePower")


def device_at(service: UtilityService, caller: Any, request: Request, sfdi: int) -> Any:
    """The EndDevice row at ``/edev/{sfdi}``, if the caller (an ESI) may act for it: 404
    for a device nobody registered, 403 for another's (:func:`own_device`)."""
    table = service.t.end_devices
    with service.db.read() as conn:
        row = conn.execute(select(table.c.lfdi).where(table.c.sfdi == sfdi)).first()
    if row is None or caller.kind != "esi":
        raise not_found("end device", str(sfdi))
    return own_device(service, caller, request, row.lfdi)


def add_routes(app: FastAPI, service: UtilityService, caller_dep: Any) -> None:
    """``/edev/{sfdi}/frq``, ``/edev/{sfdi}/frp`` and ``/rsps/dlc/rsp``."""
    Sfdi = Path(ge=0, le=10**12)

    def device_of(caller: Any, request: Request, sfdi: int) -> Any:
        return device_at(service, caller, request, sfdi)

    def grants_at(premise_id: str) -> list[Any]:
        g, b = service.t.grants, service.t.bindings
        query = (
            select(g)
            .join(b, b.c.binding_id == g.c.binding_id)
            .where(b.c.premise_id == premise_id)
            .order_by(g.c.created_at, g.c.grant_id)
        )
        with service.db.read() as conn:
            return [r for r in conn.execute(query) if r.request.get("request_id")]

    def as_request(sfdi: int, row: Any) -> FlowReservationRequest:
        req = m.EnergyRequestIn.model_validate(row.request)
        start = int(row.created_at)
        return FlowReservationRequest(
            href=f"/edev/{sfdi}/frq/{req.request_id}",
            mRID=str(req.request_id),
            description=row.binding_id,
            creationTime=start,
            energyRequested=SignedRealEnergy(
                multiplier=-3, value=int(req.energy_requested_kwh.scaleb(6))
            ),
            intervalRequested=DateTimeIntervalType(
                start=start, duration=max(0, int(req.departure.timestamp()) - start)
            ),
            powerRequested=active_power(req.power_requested_kw),
            RequestStatus_=RequestStatus(dateTime=start, requestStatus=0),
        )

    def as_response(sfdi: int, row: Any) -> FlowReservationResponse:
        grant = m.GrantResponse.model_validate(row.response)
        request_id = str(row.request["request_id"])
        start = int(grant.interval.start.timestamp())
        at = int(service.clock.now())
        active = start <= at < start + grant.interval.duration_s
        return FlowReservationResponse(
            href=f"/edev/{sfdi}/frp/{request_id}",
            mRID=mrid(service.id, "frp", row.grant_id),
            description=row.binding_id,
            creationTime=int(row.created_at),
            EventStatus_=EventStatus(
                currentStatus=int(EventStatusType.Active if active else EventStatusType.Scheduled),
                dateTime=at,
                potentiallySuperseded=False,
            ),
            interval=DateTimeIntervalType(start=start, duration=grant.interval.duration_s),
            energyAvailable=SignedRealEnergy(
                multiplier=-3, value=int(grant.energy_available_kwh.scaleb(6))
            ),
            powerAvailable=active_power(grant.power_available_kw),
            subject=request_id,
        )

    @app.post("/edev/{sfdi}/frq")
    async def flow_request(caller: caller_dep, request: Request, sfdi: int = Sfdi) -> HttpResponse:
        device_of(caller, request, sfdi)
        req = await parse_body(request, FlowReservationRequest)
        if req.RequestStatus_.requestStatus != 0:
            raise invalid("only requestStatus 0 (requested) is supported; cancel is not")
        e, p = req.energyRequested, req.powerRequested
        try:
            energy = m.EnergyRequestIn(
                request_id=req.mRID.upper(),
                energy_requested_kwh=scaled(e.value, e.multiplier, -3),
                power_requested_kw=scaled(p.value, p.multiplier, -3),
                departure=instant(req.intervalRequested.start + req.intervalRequested.duration),
            )
        except ValidationError as exc:
            raise invalid(f"not a valid energy request: {exc}") from None
        service.energy_request(caller, binding_of(req.description), energy)
        return created(f"/edev/{sfdi}/frq/{energy.request_id}")

    @app.get("/edev/{sfdi}/frq")
    async def flow_requests(
        caller: caller_dep, request: Request, window: PageDep, sfdi: int = Sfdi
    ) -> HttpResponse:
        device = device_of(caller, request, sfdi)
        found = [as_request(sfdi, r) for r in grants_at(device.premise_id)]
        shown = window.of(found)
        return sep_xml(
            FlowReservationRequestList(
                href=f"/edev/{sfdi}/frq",
                all_=len(found),
                results=len(shown),
                FlowReservationRequest_=shown,
            )
        )

    @app.get("/edev/{sfdi}/frp")
    async def flow_responses(
        caller: caller_dep, request: Request, window: PageDep, sfdi: int = Sfdi
    ) -> HttpResponse:
        device = device_of(caller, request, sfdi)
        found = [as_response(sfdi, r) for r in grants_at(device.premise_id)]
        shown = window.of(found)
        return sep_xml(
            FlowReservationResponseList(
                href=f"/edev/{sfdi}/frp",
                all_=len(found),
                results=len(shown),
                FlowReservationResponse_=shown,
            )
        )

    # --- DRLC Response acknowledgements ------------------------------------------------

    def event_ids(caller: Any) -> dict[str, str]:
        """mRID → signal ID of the DLC events the caller can see."""
        page = service.signals(caller, None, 0)
        return {
            mrid(service.id, "edc", s.signal_id): s.signal_id
            for s in page.signals
            if s.kind in ("dlc", "alm")
        }

    @app.post(RESPONSES)
    async def respond(caller: caller_dep, request: Request) -> HttpResponse:
        rsp = await parse_body(request, ResponseIn, DrResponse)
        device = own_device(service, caller, request, rsp.endDeviceLFDI)
        signal_id = event_ids(caller).get(rsp.subject.upper())
        if signal_id is None:
            raise not_found("DRLC event", rsp.subject)
        if rsp.status is None or int(rsp.status) not in {int(t) for t in ResponseType}:
            raise invalid("a Response's status is one of the 2030.5 response types")
        table = service.t.sep2_responses
        with service.db.write() as conn:
            inserted = conn.execute(
                table.insert().values(
                    esi_id=caller.id,
                    lfdi=device.lfdi,
                    subject=rsp.subject.upper(),
                    signal_id=signal_id,
                    status=int(rsp.status),
                    created_at=rsp.createdDateTime,
                    received_at=service.clock.now(),
                )
            ).inserted_primary_key
        assert inserted is not None
        return created(f"{RESPONSES}/{inserted[0]}")

    @app.get(RESPONSES)
    async def responses(caller: caller_dep, window: PageDep) -> HttpResponse:
        table = service.t.sep2_responses
        query = select(table).order_by(table.c.seq)
        if caller.kind == "esi":
            query = query.where(table.c.esi_id == caller.id)
        with service.db.read() as conn:
            rows = list(conn.execute(query))
        found = [
            Response(
                href=f"{RESPONSES}/{r.seq}",
                createdDateTime=int(r.created_at) if r.created_at is not None else None,
                endDeviceLFDI=r.lfdi,
                status=ResponseType(r.status),
                subject=r.subject,
            )
            for r in rows
        ]
        shown = window.of(found)
        return sep_xml(
            ResponseListResponse(
                href=RESPONSES, all_=len(found), results=len(shown), Response_=shown
            )
        )
