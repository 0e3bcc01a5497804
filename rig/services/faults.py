"""Fault injection: a service that stops answering, and answers again.

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
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio.to_thread

FAULT_PATH = "/_fault/reachable"

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


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
        if scope["type"] == "http" and scope["path"] == FAULT_PATH:
            await self._switch(scope, receive, send)
            return
        if scope["type"] == "http" and not self.reachable:
            await _answer(send, 503, {"detail": f"{self.name} is unreachable (fault injected)"})
            return
        await self.app(scope, receive, send)

    async def _switch(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > 1000:
                await _answer(send, 413, {"detail": "request body too large"})
                return
            if not message.get("more_body"):
                break
        auth = dict(scope["headers"]).get(b"authorization")
        if auth != self._auth:
            await _answer(send, 403, {"detail": "only the service's own credential may do this"})
            return
        if scope["method"] != "PUT":
            await _answer(send, 405, {"detail": "use PUT"})
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
