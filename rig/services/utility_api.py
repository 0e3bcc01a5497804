"""The utility's HTTP API: thin routes over :class:`~rig.services.utility_service.UtilityService`.

Every route needs ``Authorization: Bearer <token>`` (an ESI's, the utility's own,
or the clearinghouse's; see :mod:`rig.services.auth`). Routes validate the body
with the models of :mod:`rig.services.api_models` and hand it to the service, which
answers 4xx for anything wrong and writes nothing in that case.

=========================================  ==================  ==========================
route                                      caller              what
=========================================  ==================  ==========================
``POST /bindings``                         ESI                 bind a PEV: payer, tariff,
                                                               incentive or refusal
``POST /bindings/{id}/energy-requests``    ESI                 energy request → grant
``GET  /signals?since=&premise_id=``       ESI, utility        DLC, hourly prices, ALM
``POST /signals``                          utility (itself)    publish a grid signal
``POST /sessions/{id}/intervals``          ESI                 interval records (+ close)
``GET  /sessions/{id}``                    ESI, utility        the session / its CDR
``GET  /accounts/{id}/statement``          ESI, utility        line items for a period
``POST /roaming/charges``                  clearinghouse       SC-4 charge to home account
``GET  /audit``, ``GET /health``           any / none          audit log, liveness
=========================================  ==================  ==========================
"""

import asyncio
import contextlib
from typing import Annotated

from fastapi import Body, Depends, FastAPI, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from rig.domain.vocabulary import ID_PATTERN
from rig.services import api_models as m
from rig.services.app_common import ERRORS, json_response, make_app
from rig.services.auth import Caller
from rig.services.utility_service import UtilityService

PathId = Annotated[str, Path(min_length=1, max_length=80, pattern=ID_PATTERN)]


def create_app(service: UtilityService) -> FastAPI:
    """The FastAPI application of one utility."""
    built = make_app(
        title=f"Utility {service.u.name} ({service.id})",
        description=(
            "Utility back office for PEV roaming scenarios: binding, energy grants, grid "
            "signals, session interval records, billing and audit."
        ),
        role="utility",
        service_id=service.id,
        db=service.db,
        clock=service.clock,
        credentials=service.credentials(),
    )
    app = built.app
    published = [asyncio.Event()]  # long polls of GET /signals wait on the current one
    CallerDep = Annotated[Caller, Depends(built.caller)]

    @app.post("/bindings", response_model=m.BindingResponse, responses=ERRORS, tags=["binding"])
    async def bind(caller: CallerDep, req: Annotated[m.BindingRequest, Body()]) -> Response:
        """Bind a PEV at the ESI's premise; unknown PEVs are asked of the clearinghouse."""
        if service.needs_clearinghouse(req):  # a network call: keep the loop free
            return json_response(await run_in_threadpool(service.bind, caller, req))
        return json_response(service.bind(caller, req))

    @app.post(
        "/bindings/{binding_id}/energy-requests",
        response_model=m.GrantResponse,
        responses=ERRORS,
        tags=["grant"],
    )
    async def energy_request(
        caller: CallerDep, binding_id: PathId, req: Annotated[m.EnergyRequestIn, Body()]
    ) -> Response:
        """Energy request → grant (BR-07, BR-08)."""
        return json_response(service.energy_request(caller, binding_id, req))

    @app.get("/signals", response_model=m.SignalsPage, responses=ERRORS, tags=["signals"])
    async def signals(
        caller: CallerDep,
        since: Annotated[int, Query(ge=0, le=2**62)] = 0,
        premise_id: Annotated[
            str | None, Query(min_length=1, max_length=80, pattern=ID_PATTERN)
        ] = None,
        wait_s: Annotated[float, Query(ge=0, le=60)] = 0,
    ) -> Response:
        """Grid signals announced so far (PG-DLC, PG-RTP, PG-ALM), after ``since``.

        With ``wait_s`` > 0 this is a long poll (a subscription): when nothing new is
        there, the answer waits up to ``wait_s`` wall seconds for a publication.
        """
        page = service.signals(caller, premise_id, since)
        if page.signals or wait_s <= 0:
            return json_response(page)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(published[0].wait(), timeout=wait_s)
        return json_response(service.signals(caller, premise_id, since))

    @app.post("/signals", response_model=m.SignalOut, responses=ERRORS, tags=["signals"])
    async def publish(caller: CallerDep, sig: Annotated[m.SignalIn, Body()]) -> Response:
        """Publish a grid signal (the utility operator only); wakes long polls."""
        out = service.publish_signal(caller, sig)
        published[0].set()  # wake every long poll waiting now …
        published[0] = asyncio.Event()  # … and let the next ones wait afresh
        return json_response(out)

    @app.post(
        "/sessions/{session_id}/intervals",
        response_model=m.SessionRecord,
        responses=ERRORS,
        tags=["sessions"],
    )
    async def report(
        caller: CallerDep, session_id: PathId, body: Annotated[m.SessionReportIn, Body()]
    ) -> Response:
        """Interval records of a session, idempotent per interval; ``close`` ends it (BR-12)."""
        if service.is_roaming(body.binding_id):  # posts on to the clearinghouse
            return json_response(await run_in_threadpool(service.report, caller, session_id, body))
        return json_response(service.report(caller, session_id, body))

    @app.get(
        "/sessions/{session_id}",
        response_model=m.SessionRecord,
        responses=ERRORS,
        tags=["sessions"],
    )
    async def session(caller: CallerDep, session_id: PathId) -> Response:
        """The session as recorded: intervals, totals, OCPI charging periods, line items."""
        return json_response(service.session(caller, session_id))

    @app.get(
        "/accounts/{account_id}/statement",
        response_model=m.Statement,
        responses=ERRORS,
        tags=["billing"],
    )
    async def statement(
        caller: CallerDep,
        account_id: PathId,
        start: Annotated[m.Instant, Query()],
        end: Annotated[m.Instant, Query()],
    ) -> Response:
        """Line items of an account whose start is in ``[start, end)``, with totals."""
        return json_response(service.statement(caller, account_id, start, end))

    @app.post(
        "/roaming/charges",
        response_model=m.RoamingChargeOut,
        responses=ERRORS,
        tags=["roaming"],
    )
    async def roaming_charge(
        caller: CallerDep, charge: Annotated[m.RoamingChargeIn, Body()]
    ) -> Response:
        """An SC-4 session forwarded by the clearinghouse to the PEV owner's account."""
        return json_response(service.receive_roaming_charge(caller, charge))

    app.state.audit = built.audit
    return app
