"""The PEV binding over 2030.5: the one resource the rig adds to the standard.

SAE J2847/1's binding — the ESI tells its utility which PEV plugged in at which
portal of its premise, the utility validates PEV and premise and answers bound,
incentive, scenario, payer account and tariff (SC-1…SC-6, BR-02/05, BR-12) — has
no IEEE 2030.5 resource: SEP 2.0's PEV function set did not make it into 2030.5,
and its billing function set describes accounts, not a session's validation. The
2030.5 parts that do apply are used as they are: the ESI's **EndDevice
registration** (LFDI, SFDI, the PIN check) identifies the ESI and its premise, and
a binding is posted *under that EndDevice*. What the binding itself says is one
extension resource in the rig's own namespace, as CSIP-AUS extends 2030.5 with
``csipaus:`` elements (the 2030.5 XSD does not know it; the rest of the server's
answers still validate against it):

========================================  ==========================================
``PEVBinding`` (``urn:x-rig:sep2:pev``)   binding (JSON ``POST /bindings``)
========================================  ==========================================
``POST {EndDevice}/pevb``                 the request; 201 ``Location {…}/pevb/{id}``
``GET  {EndDevice}/pevb/{bindingID}``     the request and the utility's answer
``bindingID``                             ``binding_id`` (the ESI's idempotency key)
``pevID``                                 ``pev_id`` (absent: the PEV sent none)
``portalID``, ``communication``,          ``portal_id``, ``communication``,
``eumdAvailable``, ``roamingOption``      ``eumd_available``, ``roaming_option``
``sessionStart`` (epoch s)                ``session_start``
premise, ESI                              the EndDevice's registration (its premise)
``bound``, ``incentive``, ``scenario``,   the answer's fields of the same names
``payerAccountID``, ``tariffID``,
``reason``, ``requirementID`` (each),
``intervalLength`` (s)                    ``interval_s``
========================================  ==========================================

The binding goes through :meth:`~rig.services.utility_binding.BindingDesk.bind`, so
the rules, the clearinghouse's validation of a roaming PEV and the idempotency (the
same ``bindingID`` and request: the same answer; another request: 409) are the JSON
API's.
"""

from typing import Any

from fastapi import FastAPI, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from pydantic_xml import BaseXmlModel, attr, element
from pydantic_xml.element.element import SearchMode
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from rig.services import api_models as m
from rig.services.auth import Caller
from rig.services.errors import invalid, not_found
from rig.services.sep2_common import created, parse_body, sep_xml
from rig.services.sep2_flow import device_at
from rig.services.times import from_s
from rig.services.utility_service import UtilityService

PEV_NS = "urn:x-rig:sep2:pev"
BINDINGS = "pevb"
"""The binding list under an EndDevice: ``/edev/{sfdi}/pevb``."""


class PEVBinding(
    BaseXmlModel, tag="PEVBinding", nsmap={"": PEV_NS}, search_mode=SearchMode.UNORDERED
):
    """A PEV binding: the ESI's request, and (read back) the utility's answer."""

    href: str | None = attr(default=None)
    bindingID: str = element()
    pevID: str | None = element(default=None)
    portalID: str = element()
    communication: str = element()
    eumdAvailable: bool = element()
    roamingOption: str = element()
    sessionStart: int | None = element(default=None)
    bound: bool | None = element(default=None)
    incentive: bool | None = element(default=None)
    scenario: str | None = element(default=None)
    payerAccountID: str | None = element(default=None)
    tariffID: str | None = element(default=None)
    reason: str | None = element(default=None)
    requirementID: list[str] | None = element(default=None)
    intervalLength: int | None = element(default=None)


def binding_request(posted: PEVBinding, esi_id: str, premise_id: str) -> m.BindingRequest:
    """The JSON API's binding request a posted PEVBinding is; 400 if it is not one."""
    try:
        return m.BindingRequest.model_validate(
            {
                "binding_id": posted.bindingID,
                "premise_id": premise_id,
                "esi_id": esi_id,
                "portal_id": posted.portalID,
                "pev_id": posted.pevID,
                "communication": posted.communication,
                "eumd_available": posted.eumdAvailable,
                "roaming_option": posted.roamingOption,
                "session_start": (
                    None if posted.sessionStart is None else from_s(posted.sessionStart)
                ),
            }
        )
    except ValidationError as exc:
        raise invalid(f"not a valid PEV binding: {exc}") from None


def answered(href: str, request: m.BindingRequest, answer: m.BindingResponse) -> PEVBinding:
    """A binding and the utility's answer as the resource reads back."""
    start = request.session_start
    return PEVBinding(
        href=href,
        bindingID=answer.binding_id,
        pevID=request.pev_id,
        portalID=answer.portal_id,
        communication=request.communication,
        eumdAvailable=request.eumd_available,
        roamingOption=request.roaming_option,
        sessionStart=None if start is None else int(start.timestamp()),
        bound=answer.bound,
        incentive=answer.incentive,
        scenario=answer.scenario,
        payerAccountID=answer.payer_account_id,
        tariffID=answer.tariff_id,
        reason=answer.reason or None,
        requirementID=answer.requirement_ids or None,
        intervalLength=answer.interval_s,
    )


def add_routes(app: FastAPI, service: UtilityService, caller_dep: Any) -> None:
    """``/edev/{sfdi}/pevb`` on the 2030.5 application of ``service``."""
    Sfdi = Path(ge=0, le=10**12)

    def device_of(caller: Caller, request: Request, sfdi: int) -> Any:
        return device_at(service, caller, request, sfdi)

    @app.post(f"/edev/{{sfdi}}/{BINDINGS}")
    async def bind(caller: caller_dep, request: Request, sfdi: int = Sfdi) -> Response:
        device = device_of(caller, request, sfdi)
        posted = await parse_body(request, PEVBinding)
        req = binding_request(posted, caller.id, device.premise_id)
        if service.needs_clearinghouse(req):  # a network call: keep the loop free
            await run_in_threadpool(service.bind, caller, req)
        else:
            service.bind(caller, req)
        return created(f"/edev/{sfdi}/{BINDINGS}/{req.binding_id}")

    @app.get(f"/edev/{{sfdi}}/{BINDINGS}/{{binding_id}}")
    async def binding(
        caller: caller_dep,
        request: Request,
        binding_id: str = Path(min_length=1, max_length=80),
        sfdi: int = Sfdi,
    ) -> Response:
        device = device_of(caller, request, sfdi)
        table = service.t.bindings
        with service.db.read() as conn:
            row = conn.execute(select(table).where(table.c.binding_id == binding_id)).first()
        if row is None or row.esi_id != caller.id or row.premise_id != device.premise_id:
            raise not_found("binding", binding_id)
        return sep_xml(
            answered(
                f"/edev/{sfdi}/{BINDINGS}/{binding_id}",
                m.BindingRequest.model_validate(row.decision["request"]),
                m.BindingResponse.model_validate(row.decision["response"]),
            )
        )
