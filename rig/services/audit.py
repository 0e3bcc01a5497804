"""The audit log (BR-10): one row for every call a service receives.

An ASGI middleware wraps the whole application. For each HTTP request it notes the
service clock's time, the caller (set by :mod:`rig.services.auth` once the token is
checked; empty when authentication failed), method, path with query, response
status, a SHA-256 of the request body and how long the call took — and appends a
row to the ``audit`` table. Refused and malformed calls are logged too: an audit
log that only records successes would hide exactly the calls worth auditing.

The middleware also enforces the request body limit: a body larger than
``max_body_bytes`` is refused with 413 before any of it reaches a handler, so a
hostile client cannot make the service buffer gigabytes.

Audit rows are queued after the response and written in batches by one background
thread (:class:`AuditWriter`), so logging never holds up the call itself; the queue
is flushed before the log is read back (``GET /audit``) and when the service stops.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rig.clock import Clock
from rig.services.db import Database


class AuditWriter:
    """Append audit rows from a queue, in batches, on one background thread."""

    def __init__(self, db: Database, *, max_batch: int = 500) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def put(self, row: dict[str, Any]) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(row)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued row is in the database."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join(timeout=10.0)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            rows = [first]
            stop = False
            while len(rows) < self.max_batch:
                try:
                    row = self._queue.get_nowait()
                except queue.Empty:
                    break
                if row is None:
                    stop = True
                    break
                rows.append(row)
            try:
                with self.db.write() as conn:
                    conn.execute(self.db.tables.audit.insert(), rows)
            except Exception:  # pragma: no cover - an audit failure must not stop the service
                pass
            with self._idle:
                self._pending -= len(rows)
                self._idle.notify_all()
            if stop:
                return


class AuditMiddleware:
    """Log every HTTP call to the ``audit`` table and cap request body size."""

    def __init__(
        self, app: ASGIApp, *, writer: AuditWriter, clock: Clock, max_body_bytes: int = 1_000_000
    ) -> None:
        self.app = app
        self.writer = writer
        self.clock = clock
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        at = self.clock.now()
        digest = hashlib.sha256()
        status = 500
        scope.setdefault("state", {})

        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            status = 413
            await _too_large(send, self.max_body_bytes)
            self._log(scope, at, status, None, started)
            return

        # Read the whole body first (it is small, or refused): a body that grows past
        # the limit without a Content-Length is refused here, not half-way in a handler.
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                self._log(scope, at, 499, None, started)  # the client went away
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body_bytes:
                await _too_large(send, self.max_body_bytes)
                self._log(scope, at, 413, None, started)
                return
            chunks.append(chunk)
            digest.update(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, replay, recording_send)
        finally:
            self._log(scope, at, status, digest.hexdigest() if received else None, started)

    def _log(self, scope: Scope, at: float, status: int, sha: str | None, started: float) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        path = scope.get("path", "") + (f"?{query}" if query else "")
        caller = scope.get("state", {}).get("caller")
        row: dict[str, Any] = {
            "at": at,
            "caller": caller,
            "method": scope.get("method", "")[:8],
            "path": path[:400],
            "status": status,
            "request_sha256": sha,
            "duration_ms": (time.perf_counter() - started) * 1000.0,
        }
        self.writer.put(row)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
