"""Who is calling: one bearer credential per caller, and what each caller may do.

Every request carries ``Authorization: Bearer <token>``. The data set gives each
caller its own token:

* an **ESI** (``kind="esi"``) belongs to exactly one premise of one utility; it may
  bind, request energy, poll signals and report sessions *for that premise only*;
* a **utility** (``kind="utility"``) calls the clearinghouse, and acts as the
  operator of its own service (publishing grid signals, reading statements and the
  audit log) — it may only ever post *as itself*;
* the **clearinghouse** (``kind="clearinghouse"``) calls a home utility to post a
  roaming charge to the PEV owner's account.

Tokens are kept only as SHA-256 digests in memory, so a lookup never compares the
secret itself. A missing or unknown token is 401; a known caller asking for
something outside its rights is 403 (see :func:`forbid`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

CallerKind = Literal["esi", "utility", "clearinghouse"]


@dataclass(frozen=True)
class Caller:
    """An authenticated caller."""

    kind: CallerKind
    id: str
    utility_id: str | None = None  # an ESI's utility; a utility's own ID
    premise_id: str | None = None  # an ESI's premise

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Credentials:
    """The token → caller table of one service."""

    def __init__(self, entries: Iterable[tuple[str, Caller]]) -> None:
        self._by_digest: dict[str, Caller] = {}
        for token, caller in entries:
            self._by_digest[digest(token)] = caller

    def lookup(self, token: str) -> Caller | None:
        return self._by_digest.get(digest(token))

    @property
    def callers(self) -> Mapping[str, Caller]:
        return self._by_digest


_bearer = HTTPBearer(auto_error=False, description="the caller's own token from the data set")


def authenticator(credentials: Credentials) -> Callable[..., Awaitable[Caller]]:
    """A FastAPI dependency returning the caller, or raising 401 (documented in OpenAPI).

    ``async`` so that FastAPI runs it on the event loop, not in a worker thread.
    """

    async def current_caller(
        request: Request,
        given: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Caller:
        token = given.credentials.strip() if given is not None else None
        caller = credentials.lookup(token) if token else None
        if caller is None:
            raise HTTPException(
                status_code=401,
                detail="missing or unknown credential: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.state.caller = caller.label
        return caller

    return current_caller


def forbid(message: str) -> HTTPException:
    """A 403 to raise when a known caller oversteps its rights."""
    return HTTPException(status_code=403, detail=message)
