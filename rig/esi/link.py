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

**What really failed.** A link given an :class:`UnreachableLog` notes there every
request that failed for want of the service — no connection, a timeout, a 5xx —
but not those its own switch refused (an outage the plan injected): which service,
its URL, the first error and how many. The runner records them with the plan
(``unreachable`` on ``plan_end``, :mod:`rig.results`), so a report of a run whose
services were down says so instead of leaving it to guess from the symptoms.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
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


@dataclass
class Unreached:
    """One service the links could not reach: the first error, and how many failed."""

    service: str
    url: str
    error: str
    failures: int = 1


class UnreachableLog:
    """The services links could not reach, by service, in the order first seen.

    Shared by every link of one plan (the ESI's, the operator's, the fetch's), which
    may call from different threads.
    """

    def __init__(self) -> None:
        self._seen: dict[str, Unreached] = {}
        self._lock = threading.Lock()

    def note(self, service: str, url: str, error: str) -> None:
        with self._lock:
            seen = self._seen.get(service)
            if seen is None:
                self._seen[service] = Unreached(service, url, error)
            else:
                seen.failures += 1

    def services(self) -> list[Unreached]:
        with self._lock:
            return [Unreached(u.service, u.url, u.error, u.failures) for u in self._seen.values()]


class _Cut(httpx.ConnectError):
    """A request the link's own switch refused: an injected outage, not a real one."""


class _Switch(httpx.BaseTransport):
    """An httpx transport that refuses to connect while its link is cut."""

    def __init__(self, link: ServiceLink, inner: httpx.BaseTransport) -> None:
        self._link = link
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._link.reachable:
            raise _Cut(f"{self._link.name} is unreachable", request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class ServiceLink:
    """JSON requests to one service as one caller; see the module docstring."""

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        log: UnreachableLog | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url
        self.reachable = True
        self._log = log
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
            what = f"{self.name} {method} {path}: {error}"
            if not isinstance(error, _Cut):
                self._unreached(f"{type(error).__name__}: {error}")
            raise Unreachable(what) from error
        if response.is_success:
            return response.json()
        what = f"{self.name} {method} {path}: HTTP {response.status_code} {response.text[:300]}"
        if 400 <= response.status_code < 500 and response.status_code not in _RETRYABLE:
            raise Rejected(what)
        self._unreached(f"HTTP {response.status_code} on {method} {path}")
        raise Unreachable(what)

    def _unreached(self, error: str) -> None:
        if self._log is not None:
            self._log.note(self.name, self.base_url, error)

    def close(self) -> None:
        self._client.close()
