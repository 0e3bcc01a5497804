"""The ESI's line to one service: HTTP as one caller, and a switch that cuts it.

**A utility link chosen by configuration.** What the ESI asks of its utility is
the small protocol :class:`UtilityLink` — bind, energy request, poll signals,
report intervals and the session's close — and the utility's protocol is chosen
by name, as python-can chooses a bus interface
(:func:`rig.esi.connect.open_utility_link`):

- ``rest`` — :class:`ServiceLink`, the rig's own JSON API (:mod:`rig.services.utility_api`);
- ``ieee2030.5`` — :class:`rig.esi.sep2_link.Sep2Link`, IEEE 2030.5 (SEP 2) resources
  as ``application/sep+xml``.

Both speak the JSON API's shapes to the ESI (a binding answer, a grant, a signals
page), so the ESI, the session record and the checks do not know which is in use.
An operation the chosen protocol cannot carry raises :class:`NotOffered`, which is
neither retried nor set aside: the plan fails, naming what is missing — a link
never falls back to the other protocol.

:class:`ServiceLink` is the JSON conversation: ``httpx`` with the caller's
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
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Protocol, get_args

import httpx

from rig.delivery import refused
from rig.esi.audit import AuditLog
from rig.esi.outbox import OutboxMessage, Rejected


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every link (building one reads the CA bundle: ~20 ms)."""
    return ssl.create_default_context()


UtilityProtocol = Literal["rest", "ieee2030.5"]
"""How the ESI talks to its utility: the rig's JSON API, or IEEE 2030.5."""
PROTOCOLS: tuple[UtilityProtocol, ...] = get_args(UtilityProtocol)


class Unreachable(ConnectionError):
    """The service did not answer usefully (no connection, a timeout, a 5xx): retry later."""


class NotOffered(Rejected):
    """The utility's protocol (or this server of it) does not carry an operation the ESI
    needs. Never retried: the ESI raises it from a synchronous call, and the outbox sets
    such a message aside, so the runner fails the plan naming what is missing."""


class UtilityLink(Protocol):
    """What the ESI asks of its utility, whatever the protocol (see the module docstring).

    Bodies and answers are the JSON API's shapes (:mod:`rig.services.api_models`):
    ``bind`` takes a ``BindingRequest`` and answers a ``BindingResponse``;
    ``request_energy`` an ``EnergyRequestIn`` → ``GrantResponse``; ``signals``
    answers a ``SignalsPage`` (``signals``, ``next_since``); ``report`` a
    ``SessionReportIn`` (intervals, or the closing summary). Failures:
    :class:`Unreachable` (retry later), :class:`~rig.esi.outbox.Rejected` (refused for
    good), :class:`NotOffered`.
    """

    name: str
    base_url: str
    protocol: UtilityProtocol
    reachable: bool
    """Cleared by a plan's ``utility_unreachable``: every request fails at the ESI's edge."""
    resolution_s: float
    """The finest time the protocol carries: the ESI records its session's instants so."""

    def bind(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def request_energy(self, binding_id: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def signals(self, since: int, premise_id: str) -> dict[str, Any]: ...

    def report(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def log_to(self, audit: AuditLog) -> None:
        """Where the link notes the transactions the ESI does not note itself (BR-10)."""
        ...

    def next_poll(self) -> float | None:
        """When :meth:`signals` next reads the utility anew (rig clock); ``None``: at
        every call (the ESI then polls only at its own steps)."""
        ...

    def close(self) -> None: ...


def report_path(session_id: str) -> str:
    """Where the JSON API takes a session's reports; the outbox's target for them."""
    return f"/sessions/{session_id}/intervals"


def outbox_sender(link: UtilityLink) -> Callable[[OutboxMessage], None]:
    """The outbox's sender through ``link``: a queued binding, an interval, the close."""

    def send(message: OutboxMessage) -> None:
        if message.kind == "binding":
            link.bind(message.body)
        else:  # "interval" or "close", targeted at report_path(session)
            link.report(message.target.split("/")[2], message.body)

    return send


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

    def __init__(self, link: HttpLink, inner: httpx.BaseTransport) -> None:
        self._link = link
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._link.reachable:
            raise _Cut(f"{self._link.name} is unreachable", request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class HttpLink:
    """HTTP to one service as one caller, with the outage switch and the failure rules
    of the module docstring; the protocols build on :meth:`exchange`."""

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        log: UnreachableLog | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url
        self.reachable = True
        self._log = log
        self._client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
            transport=_Switch(self, httpx.HTTPTransport(verify=tls or _tls())),
        )

    def exchange(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request; the 2xx response, else :class:`Unreachable` or ``Rejected``."""
        try:
            response = self._client.request(method, path, **options)
        except httpx.HTTPError as error:
            what = f"{self.name} {method} {path}: {error}"
            if not isinstance(error, _Cut):
                self._unreached(f"{type(error).__name__}: {error}")
            raise Unreachable(what) from error
        if response.is_success:
            return response
        what = f"{self.name} {method} {path}: HTTP {response.status_code} {response.text[:300]}"
        if refused(response.status_code):
            raise Rejected(what)
        self._unreached(f"HTTP {response.status_code} on {method} {path}")
        raise Unreachable(what)

    def _unreached(self, error: str) -> None:
        if self._log is not None:
            self._log.note(self.name, self.base_url, error)

    def close(self) -> None:
        self._client.close()


class ServiceLink(HttpLink):
    """JSON requests to one service as one caller; see the module docstring.

    As a :class:`UtilityLink` it is the ``rest`` protocol; the operator and the
    clearinghouse fetch use its plain :meth:`get` and :meth:`post`.
    """

    protocol: UtilityProtocol = "rest"
    resolution_s = 0.001

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = self.exchange("POST", path, json=body).json()
        return reply

    def get(self, path: str, **params: str | int) -> Any:
        return self.exchange("GET", path, params=params).json()

    def log_to(self, audit: AuditLog) -> None:
        """Nothing to note: each JSON request is one transaction the ESI notes itself."""

    def next_poll(self) -> float | None:
        return None

    def bind(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.post("/bindings", body)

    def request_energy(self, binding_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.post(f"/bindings/{binding_id}/energy-requests", body)

    def signals(self, since: int, premise_id: str) -> dict[str, Any]:
        page: dict[str, Any] = self.get("/signals", since=since, premise_id=premise_id)
        return page

    def report(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.post(report_path(session_id), body)
