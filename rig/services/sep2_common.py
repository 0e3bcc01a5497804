"""What every 2030.5 resource module of the utility shares: bodies, identity, devices.

* :func:`sep_xml` writes a model as ``application/sep+xml``; :func:`parse_body` reads a
  request body as one model (415 for another content type, 400 for anything that is
  not well-formed or not that resource).
* :func:`sep2_authenticator` is the callers' dependency. A bearer token from the data
  set identifies the caller as on the JSON API (plain HTTP, or TLS without a client
  certificate). Over TLS, a client certificate alone identifies the ESI whose
  registered EndDevice has the certificate's LFDI; an LFDI nobody registered is 403,
  and so is a token presented with the certificate of another ESI's device.
* :func:`scaled` and :func:`instant` read a 2030.5 number (value and power-of-ten
  multiplier) and a 2030.5 time; a multiplier outside −9…9 or a time no calendar
  holds is 400, never a server error.
* :func:`own_device` is the rule behind "a device acts only for its own premise": the
  named LFDI must be an EndDevice registered by the caller, and when the request came
  with a client certificate, it must be *that* certificate's device.
* :class:`Page` (the :data:`PageDep` dependency) is a list request's window: 2030.5
  ``?s=`` (first item, from 0) and ``?l=`` (at most that many). ``all`` counts the
  whole list, ``results`` the items sent. Without ``l`` the rest of the list is sent
  (2030.5 would send one item: the rig's own clients ask for whole lists).
"""

import contextlib
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from pydantic_xml import BaseXmlModel
from pydantic_xml.errors import ParsingError
from sqlalchemy import select
from starlette.exceptions import HTTPException

from rig.domain.vocabulary import ID_PATTERN
from rig.services.auth import Caller, authenticator
from rig.services.errors import forbidden, invalid
from rig.services.sep2_tls import cert_lfdi
from rig.services.times import from_s
from rig.services.utility_service import UtilityService

M = TypeVar("M", bound=BaseXmlModel)
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """The window ``?s=&l=`` of a list request (see the module docstring)."""

    start: int = 0
    limit: int | None = None

    def of(self, items: list[T]) -> list[T]:
        """The items of the whole list ``items`` that this window shows."""
        end = None if self.limit is None else self.start + self.limit
        return items[self.start : end]


def page(
    start: Annotated[int, Query(alias="s", ge=0)] = 0,
    limit: Annotated[int | None, Query(alias="l", ge=0)] = None,
) -> Page:
    """The :class:`Page` a list request asks for."""
    return Page(start, limit)


PageDep = Annotated[Page, Depends(page)]

SEP_XML = "application/sep+xml"
POLL_RATE_S = 300
"""The pollRate the server asks for (seconds): DRLC events are announced minutes ahead."""


def sep_xml(model: BaseXmlModel, status: int = 200, location: str | None = None) -> Response:
    """A 2030.5 resource as the response body (``None`` fields left out)."""
    body = model.to_xml(skip_empty=True, exclude_none=True)
    headers = {"Location": location} if location else None
    raw = body if isinstance(body, bytes) else body.encode()
    return Response(content=raw, status_code=status, media_type=SEP_XML, headers=headers)


def created(location: str, status: int = 201) -> Response:
    """201 Created (or 204 for a resource that was there) with its ``Location``."""
    return Response(status_code=status, headers={"Location": location})


def mrid(*parts: str) -> str:
    """A stable 128-bit mRID (32 hex digits) for a thing the data set names."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:32].upper()


async def parse_body(request: Request, *models: type[M]) -> M:
    """The request body parsed as the first of ``models`` whose root element it is:
    415 for another content type, 400 if it is not well-formed or no such resource."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != SEP_XML:
        raise HTTPException(415, f"send {SEP_XML}")
    raw = await request.body()
    problems = []
    for model in models:
        try:
            return model.from_xml(raw)
        except (ParsingError, ValidationError, ValueError, SyntaxError) as exc:
            problems.append(f"not a valid {model.__xml_tag__}: {exc}")
    raise invalid("; ".join(problems))


def scaled(value: int, multiplier: int, shift: int = 0) -> Decimal:
    """``value`` × 10^(``multiplier`` + ``shift``); 400 for a multiplier outside −9…9
    (2030.5's PowerOfTenMultiplierType)."""
    if not -9 <= multiplier <= 9:
        raise invalid("a power-of-ten multiplier is an integer from -9 to 9")
    return Decimal(value).scaleb(multiplier + shift)


def instant(seconds: int) -> datetime:
    """A 2030.5 time (epoch seconds) as a UTC datetime; 400 if no calendar holds it."""
    try:
        return from_s(seconds)
    except (OverflowError, OSError, ValueError):
        raise invalid(f"time {seconds} is out of range") from None


def normal_lfdi(text: Any) -> str:
    """An LFDI as 40 upper-case hex digits (grouping dashes dropped); 400 otherwise."""
    lfdi = str(text or "").replace("-", "").upper()
    if len(lfdi) != 40 or any(c not in "0123456789ABCDEF" for c in lfdi):
        raise invalid("an LFDI is 40 hexadecimal digits")
    return lfdi


def binding_of(description: str | None) -> str:
    """The binding ID a 2030.5 ``description`` (String32) carries; 400 if it cannot.

    The ESI chooses its binding IDs (``B-`` and 16 hex digits); one longer than 32
    characters cannot be named over 2030.5.
    """
    if not description or len(description) > 32 or not re.match(ID_PATTERN, description):
        raise invalid("the description is the binding ID (at most 32 characters)")
    return description


_bearer = HTTPBearer(auto_error=False, description="the caller's own token from the data set")


def sep2_authenticator(service: UtilityService) -> Callable[..., Awaitable[Caller]]:
    """The caller of a 2030.5 request: by bearer token, else by client certificate."""
    credentials = service.credentials()
    by_token = authenticator(credentials)
    esis = {c.id: c for c in credentials.callers.values() if c.kind == "esi"}

    async def current_caller(
        request: Request,
        given: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Caller:
        lfdi = cert_lfdi(request)
        owner = registered_to(lfdi) if lfdi is not None else None
        with contextlib.suppress(HTTPException):  # no known token: try the certificate
            caller = await by_token(request, given)
            if owner is not None and owner != caller.id:  # another ESI's device
                raise forbidden(f"the client certificate is device {lfdi} of another ESI")
            return caller
        if lfdi is None:
            raise HTTPException(401, "send a client certificate or 'Authorization: Bearer'")
        if owner is None or owner not in esis:
            raise HTTPException(403, f"no end device with LFDI {lfdi} is registered")
        caller = esis[owner]
        request.state.caller = caller.label
        return caller

    def registered_to(lfdi: str) -> str | None:
        """The ESI that registered the device ``lfdi``, if any."""
        table = service.t.end_devices
        with service.db.read() as conn:
            row = conn.execute(select(table.c.esi_id).where(table.c.lfdi == lfdi)).first()
        return None if row is None else str(row.esi_id)

    return current_caller


def own_device(service: UtilityService, caller: Caller, request: Request, lfdi: Any) -> Any:
    """The EndDevice row of ``lfdi`` if the caller may act for it; 403 otherwise."""
    wanted = normal_lfdi(lfdi)
    presented = cert_lfdi(request)
    if presented is not None and presented != wanted:
        raise forbidden(f"the client certificate is device {presented}, not {wanted}")
    table = service.t.end_devices
    with service.db.read() as conn:
        row = conn.execute(select(table).where(table.c.lfdi == wanted)).first()
    if row is None or caller.kind != "esi" or row.esi_id != caller.id:
        raise forbidden(f"device {wanted} is not registered to {caller.label}")
    return row
