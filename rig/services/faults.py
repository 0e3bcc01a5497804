"""Fault injection: a service that stops answering, and answers again; defects on purpose.

The runner's ``clearinghouse_unreachable`` / ``clearinghouse_back`` steps (and a
utility outage seen from the clearinghouse) need the *services'* paths to each
other cut, not only the ESI's link. :class:`Reachability` wraps one service's ASGI
application: while cut, every request is answered **503** with
``{"detail": "<name> is unreachable (fault injected)"}`` and never reaches the
service — no audit row, no record. Callers see what they would see of a back office
that is down behind its load balancer: the utility's binding falls back per BR-01,
the outboxes keep the messages and retry.

The switch:

* in-process: :meth:`rig.services.cluster.Cluster.set_reachable`;
* over HTTP (the services may run in another process): ``PUT /_fault/reachable``
  with ``{"reachable": false|true}`` and the service's **own** credential (the
  utility's operator token; the clearinghouse's token). It is answered even while
  cut, is not in the OpenAPI document, and is not audited (it is the test bench,
  not a caller of the back office).

Restoring a service makes every service of the cluster try its outbox at once, and
the switch answers only after that attempt: a charge that waited for the
clearinghouse has been posted (and forwarded home) when ``clearinghouse_back``
returns — no race with whoever reads the records next.

**Defects** (:class:`ServiceDefects`; a bench file's ``defects:`` section,
:mod:`rig.bench.defects`, or a plan's ``utility_loses_reply`` step) make the same
front door *wrong*, the way a faulty back office is, for the mutation self-test:

* ``lost_intervals`` / ``duplicated_intervals``: the n-th distinct interval (by its
  start, counted from 1 in the order they arrive) of a ``POST …/intervals`` is
  dropped from the batch before the service sees it (the reply still says
  accepted), or reaches it with its energy doubled (counted twice);
* ``lost_reply``: the next ``count`` requests matching a path fragment and method
  reach the service and succeed, but the caller gets **502** ``reply lost after the
  write succeeded (defect injected)`` instead of the answer — what a caller sees when
  the connection drops after the write. A correct caller re-delivers; a correct
  service records the repeat once.

Set in-process with :meth:`Reachability.inject`, over HTTP with ``PUT /_fault/defects``
(the service's own credential; the JSON of :meth:`ServiceDefects.to_json`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import anyio.to_thread

FAULT_PATH = "/_fault/reachable"
DEFECTS_PATH = "/_fault/defects"
LOST_REPLY = "reply lost after the write succeeded (defect injected)"

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class LostReply:
    """The next ``count`` replies to ``method`` requests whose path contains ``path``."""

    count: int = 1
    path: str = "/intervals"
    method: str = "POST"


@dataclass(frozen=True)
class ServiceDefects:
    """What a service's front door does wrong on purpose (see the module docstring)."""

    lost_intervals: frozenset[int] = frozenset()
    duplicated_intervals: frozenset[int] = frozenset()
    lost_reply: LostReply | None = None

    def __bool__(self) -> bool:
        return bool(self.lost_intervals or self.duplicated_intervals or self.lost_reply)

    def to_json(self) -> dict[str, Any]:
        lost = self.lost_reply
        return {
            "lost_intervals": sorted(self.lost_intervals),
            "duplicated_intervals": sorted(self.duplicated_intervals),
            "lost_reply": None if lost is None else [lost.count, lost.path, lost.method],
        }

    @classmethod
    def from_json(cls, data: Any) -> ServiceDefects:
        """Raises ``ValueError`` (or ``TypeError``/``KeyError``) on anything else."""
        lost = data["lost_reply"]
        return cls(
            lost_intervals=frozenset(int(n) for n in data["lost_intervals"]),
            duplicated_intervals=frozenset(int(n) for n in data["duplicated_intervals"]),
            lost_reply=None if lost is None else LostReply(int(lost[0]), str(lost[1]), lost[2]),
        )


@dataclass
class _Defective:
    """A service's defects and what they have done so far."""

    defects: ServiceDefects
    replies_lost: int = 0
    seen: dict[str, int] = field(default_factory=dict)
    """Each interval start received, with its ordinal (from 1)."""

    def rewrite(self, body: bytes) -> bytes:
        """An interval batch with the lost intervals dropped and the doubled ones doubled."""
        d = self.defects
        try:
            data = json.loads(body)
            intervals = list(data["intervals"])
        except (ValueError, KeyError, TypeError):
            return body  # not a batch the service will accept anyway
        kept = []
        for interval in intervals:
            start = str(interval.get("start"))
            ordinal = self.seen.setdefault(start, len(self.seen) + 1)
            if ordinal in d.lost_intervals:
                continue
            if ordinal in d.duplicated_intervals:
                interval = {**interval, "kwh": str(Decimal(str(interval["kwh"])) * 2)}
            kept.append(interval)
        return json.dumps({**data, "intervals": kept}).encode()

    def loses_reply(self, scope: Scope) -> bool:
        lost = self.defects.lost_reply
        return (
            lost is not None
            and self.replies_lost < lost.count
            and scope["method"] == lost.method
            and lost.path in scope["path"]
        )


class Reachability:
    """An ASGI wrapper that can make its service answer 503 to everything."""

    def __init__(
        self,
        app: Any,
        *,
        name: str,
        token: str,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.app = app
        self.name = name
        self._auth = f"Bearer {token}".encode()
        self.reachable = True
        self.on_change = on_change
        self._defective = _Defective(ServiceDefects())

    def inject(self, defects: ServiceDefects) -> None:
        """Make this service defective (an empty :class:`ServiceDefects` repairs it)."""
        self._defective = _Defective(defects)

    def set(self, reachable: bool) -> None:
        """Cut or restore; then run ``on_change`` (it may block: a blocking caller's thread)."""
        changed = reachable != self.reachable
        self.reachable = reachable
        if changed and self.on_change is not None:
            self.on_change(reachable)

    async def _set_async(self, reachable: bool) -> None:
        changed = reachable != self.reachable
        self.reachable = reachable
        if changed and self.on_change is not None:
            # off the event loop: it may call other services, which may call this one
            await anyio.to_thread.run_sync(self.on_change, reachable)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in (FAULT_PATH, DEFECTS_PATH):
            await self._switch(scope, receive, send)
            return
        if scope["type"] == "http" and not self.reachable:
            await _answer(send, 503, {"detail": f"{self.name} is unreachable (fault injected)"})
            return
        if scope["type"] == "http" and self._defective.defects:
            await self._defective_call(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _defective_call(self, scope: Scope, receive: Receive, send: Send) -> None:
        defective = self._defective
        body = await _body(receive)
        if scope["method"] == "POST" and scope["path"].endswith("/intervals"):
            body = defective.rewrite(body)
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
            scope = {**scope, "headers": [*headers, (b"content-length", b"%d" % len(body))]}
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                message: dict[
                    str, Any
                ] = await receive()  # the app waits for a disconnect: pass it on
                return message
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        if not defective.loses_reply(scope):
            await self.app(scope, replay, send)
            return
        held: list[dict[str, Any]] = []

        async def hold(message: dict[str, Any]) -> None:
            held.append(message)

        await self.app(scope, replay, hold)
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        if status >= 300:  # the write failed: nothing to lose, the caller hears why
            for message in held:
                await send(message)
            return
        defective.replies_lost += 1
        await _answer(send, 502, {"detail": f"{self.name}: {LOST_REPLY}"})

    async def _switch(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _body(receive, limit=1000)
        if body is None:
            await _answer(send, 413, {"detail": "request body too large"})
            return
        auth = dict(scope["headers"]).get(b"authorization")
        if auth != self._auth:
            await _answer(send, 403, {"detail": "only the service's own credential may do this"})
            return
        if scope["method"] != "PUT":
            await _answer(send, 405, {"detail": "use PUT"})
            return
        if scope["path"] == DEFECTS_PATH:
            try:
                defects = ServiceDefects.from_json(json.loads(body))
            except (ValueError, KeyError, TypeError, IndexError):
                await _answer(send, 422, {"detail": "send ServiceDefects.to_json()"})
                return
            self.inject(defects)
            await _answer(send, 200, {"service": self.name, "defects": defects.to_json()})
            return
        try:
            value = json.loads(body)["reachable"]
        except (ValueError, KeyError, TypeError):
            value = None
        if not isinstance(value, bool):
            await _answer(send, 422, {"detail": 'send {"reachable": true|false}'})
            return
        await self._set_async(value)
        await _answer(send, 200, {"service": self.name, "reachable": self.reachable})


async def _body(receive: Receive, limit: int | None = None) -> Any:
    """The whole request body; ``None`` once it is longer than ``limit``."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if limit is not None and len(body) > limit:
            return None
        if not message.get("more_body"):
            return body


async def _answer(send: Send, status: int, payload: dict[str, Any]) -> None:
    content = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
