"""The ESI's line to one service: HTTP as one caller, and a switch that cuts it.

An ESI talks to its utility over the network, and the network fails. The
:class:`ServiceLink` is that conversation: JSON over ``httpx`` with the caller's
bearer token, and a plain answer to "did it work?":

- a 2xx reply is returned as a dict;
- a 4xx reply (except 408 and 429, which are worth retrying) raises
  :class:`~rig.esi.outbox.Rejected`: the utility refused the message for good,
  and the outbox sets it aside instead of resending it;
- anything else — connection refused, a timeout, a 5xx — raises
  :class:`Unreachable`, which the outbox retries with backoff.

**The outage switch.** ``link.reachable = False`` makes every request fail at the
ESI's own network edge, before a byte is sent, exactly as a dead link would
(``httpx.ConnectError``). That is how a plan's ``utility_unreachable`` step
cuts the ESI off from a utility — embedded or external — without touching the
service itself; ``utility_back`` closes the switch again.
"""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import httpx

from rig.esi.outbox import Rejected

#: 4xx answers that say "try again later", not "never".
_RETRYABLE = frozenset({408, 429})


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every link (building one reads the CA bundle: ~20 ms)."""
    return ssl.create_default_context()


class Unreachable(ConnectionError):
    """The service did not answer usefully (no connection, a timeout, a 5xx): retry later."""


class _Switch(httpx.BaseTransport):
    """An httpx transport that refuses to connect while its link is cut."""

    def __init__(self, link: ServiceLink, inner: httpx.BaseTransport) -> None:
        self._link = link
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._link.reachable:
            raise httpx.ConnectError(f"{self._link.name} is unreachable", request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class ServiceLink:
    """JSON requests to one service as one caller; see the module docstring."""

    def __init__(self, name: str, base_url: str, token: str, *, timeout_s: float = 10.0) -> None:
        self.name = name
        self.reachable = True
        self._client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
            transport=_Switch(self, httpx.HTTPTransport(verify=_tls())),
        )

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = self._send("POST", path, json=body)
        return reply

    def get(self, path: str, **params: str | int) -> Any:
        return self._send("GET", path, params=params)

    def _send(self, method: str, path: str, **options: Any) -> Any:
        try:
            response = self._client.request(method, path, **options)
        except httpx.HTTPError as error:
            raise Unreachable(f"{self.name} {method} {path}: {error}") from error
        if response.is_success:
            return response.json()
        what = f"{self.name} {method} {path}: HTTP {response.status_code} {response.text[:300]}"
        if 400 <= response.status_code < 500 and response.status_code not in _RETRYABLE:
            raise Rejected(what)
        raise Unreachable(what)

    def close(self) -> None:
        self._client.close()
