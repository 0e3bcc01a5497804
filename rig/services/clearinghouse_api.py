"""The clearinghouse's HTTP API: thin routes over
:class:`~rig.services.clearinghouse_service.ClearinghouseService`.

=====================================================  =============  =========================
route                                                  caller         what
=====================================================  =============  =========================
``POST /pev-validations``                              utility        who is this PEV's home?
``POST /roaming-charges``                              utility        SC-4 charge, as itself
``GET  /roaming-charges/{charge_id}``                  party utility  one posted charge
``GET  /settlements?roaming_utility_id=&home_…=``      party utility  settlement statement
``GET  /audit``, ``GET /health``                       any / none     audit log, liveness
=====================================================  =============  =========================
"""

from typing import Annotated

from fastapi import Body, Depends, FastAPI, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from rig.domain.vocabulary import ID_PATTERN
from rig.services import api_models as m
from rig.services.app_common import ERRORS, json_response, make_app
from rig.services.auth import Caller
from rig.services.clearinghouse_service import ClearinghouseService

QueryId = Annotated[str, Query(min_length=1, max_length=80, pattern=ID_PATTERN)]


def create_app(service: ClearinghouseService) -> FastAPI:
    """The FastAPI application of the clearinghouse."""
    built = make_app(
        title=f"{service.ch.name} ({service.id})",
        description=(
            "Cross-utility clearinghouse: PEV validation, roaming charge posting to the home "
            "utility, settlement statements between utilities."
        ),
        role="clearinghouse",
        service_id=service.id,
        db=service.db,
        clock=service.clock,
        credentials=service.credentials(),
    )
    app = built.app
    CallerDep = Annotated[Caller, Depends(built.caller)]

    @app.post(
        "/pev-validations", response_model=m.PevValidationOut, responses=ERRORS, tags=["roaming"]
    )
    async def validate(caller: CallerDep, req: Annotated[m.PevValidationIn, Body()]) -> Response:
        """Find a PEV's home utility, account and programme (or not found)."""
        return json_response(service.validate(caller, req))

    @app.post(
        "/roaming-charges", response_model=m.RoamingChargeOut, responses=ERRORS, tags=["roaming"]
    )
    async def post_charge(
        caller: CallerDep, charge: Annotated[m.RoamingChargeIn, Body()]
    ) -> Response:
        """Record a roaming charge once and forward it to the home utility's account."""
        # forwards to the home utility over HTTP: off the event loop
        return json_response(await run_in_threadpool(service.post_charge, caller, charge))

    @app.get(
        "/roaming-charges/{charge_id}",
        response_model=m.RoamingChargeRecord,
        responses=ERRORS,
        tags=["roaming"],
    )
    async def get_charge(
        caller: CallerDep,
        charge_id: Annotated[str, Path(min_length=1, max_length=200)],
    ) -> Response:
        """One posted charge as recorded (either party utility, or the clearinghouse)."""
        return json_response(service.charge(caller, charge_id))

    @app.get(
        "/settlements",
        response_model=m.SettlementStatement,
        responses=ERRORS,
        tags=["settlement"],
    )
    async def settlements(
        caller: CallerDep,
        roaming_utility_id: QueryId,
        home_utility_id: QueryId,
        start: Annotated[m.Instant, Query()],
        end: Annotated[m.Instant, Query()],
    ) -> Response:
        """What the home utility owes the roaming utility for sessions starting in the period."""
        return json_response(
            service.settlement(caller, roaming_utility_id, home_utility_id, start, end)
        )

    app.state.audit = built.audit
    return app
