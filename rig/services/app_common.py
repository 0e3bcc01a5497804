"""What every service application shares: errors as JSON, the audit log, health.

:func:`make_app` builds a FastAPI application with

* :class:`~rig.services.errors.ServiceError` answered as ``{"detail": "..."}`` with
  its 4xx status (request validation errors stay FastAPI's 422 with the field
  locations);
* the :class:`~rig.services.audit.AuditMiddleware` around everything (every call
  logged, oversized bodies refused with 413);
* ``GET /health`` (no credential: who this is, what time its clock says) and
  ``GET /audit`` (the service's own operator sees every call; an ESI or a utility
  sees its own calls);
* OpenAPI at ``/openapi.json`` with the bearer scheme and the error answers
  documented on every route.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from rig.clock import Clock
from rig.services import api_models as m
from rig.services.audit import AuditMiddleware, AuditWriter
from rig.services.auth import Caller, Credentials, authenticator
from rig.services.db import Database
from rig.services.errors import ServiceError
from rig.services.tables import SCHEMA_VERSION
from rig.services.times import from_s

MAX_BODY_BYTES = 2_000_000

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": m.Problem, "description": "missing or unknown credential"},
    403: {"model": m.Problem, "description": "the caller may not do this"},
    404: {"model": m.Problem, "description": "unknown ID"},
    409: {"model": m.Problem, "description": "conflicts with what is already recorded"},
    413: {"model": m.Problem, "description": "request body too large"},
    422: {"model": m.Problem, "description": "invalid request"},
}


def json_response(model: BaseModel) -> Response:
    """A model as a JSON response, serialised once (FastAPI would validate it again)."""
    return Response(content=model.model_dump_json(), media_type="application/json")


def validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Field errors as plain JSON: location, message, type, and the input shown briefly.

    FastAPI's own handler echoes the input as is, which fails to serialise for a
    ``NaN`` and can be huge; here the input is shown as a short ``repr``.
    """
    details: list[dict[str, Any]] = []
    for error in list(exc.errors())[:50]:
        entry: dict[str, Any] = {
            "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "invalid")),
            "type": str(error.get("type", "value_error")),
        }
        if "input" in error:
            shown = repr(error["input"])
            entry["input"] = shown if len(shown) <= 120 else shown[:117] + "..."
        details.append(entry)
    return details


class ServiceApp:
    """A FastAPI app plus the pieces the routes need."""

    def __init__(self, app: FastAPI, caller: Callable[..., Awaitable[Caller]], audit: AuditWriter):
        self.app = app
        self.caller = caller
        self.audit = audit


def make_app(
    *,
    title: str,
    description: str,
    role: Literal["utility", "clearinghouse"],
    service_id: str,
    db: Database,
    clock: Clock,
    credentials: Credentials,
) -> ServiceApp:
    app = FastAPI(title=title, description=description, version=f"1.{SCHEMA_VERSION}")
    writer = AuditWriter(db)
    app.add_middleware(AuditMiddleware, writer=writer, clock=clock, max_body_bytes=MAX_BODY_BYTES)
    current_caller = authenticator(credentials)
    CallerDep = Annotated[Caller, Depends(current_caller)]

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_details(exc)}, status_code=422)

    @app.get("/health", response_model=m.Health, tags=["service"])
    async def health() -> Response:
        """Who this service is and what its clock says (no credential needed)."""
        return json_response(
            m.Health(
                service=title,
                role=role,
                id=service_id,
                now=from_s(clock.now()),
                schema_version=SCHEMA_VERSION,
            )
        )

    @app.get("/audit", response_model=list[m.AuditEntry], responses=ERRORS, tags=["service"])
    def audit(
        caller: CallerDep,
        since: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[m.AuditEntry]:
        """The audit log (BR-10): every call, oldest first, after ``since``."""
        writer.flush()
        table = db.tables.audit
        query = select(table).where(table.c.seq > since).order_by(table.c.seq).limit(limit)
        operator = caller.kind == role and caller.id == service_id
        if not operator:
            query = query.where(table.c.caller == caller.label)
        with db.read() as conn:
            return [
                m.AuditEntry(
                    seq=r.seq,
                    at=from_s(r.at),
                    caller=r.caller,
                    method=r.method,
                    path=r.path,
                    status=r.status,
                    request_sha256=r.request_sha256,
                    duration_ms=r.duration_ms,
                )
                for r in conn.execute(query)
            ]

    return ServiceApp(app, current_caller, writer)
