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

**An answer is sent only once its audit row is committed.** The middleware hands
the row to one background thread (:class:`AuditWriter`) as the response starts and
waits for it; the writer commits whatever rows have queued up in one transaction
(a *group commit*), so under load many calls share one commit. A caller that got
an answer can therefore find its call in the log even if the service is killed the
next instant. (Should the log ever fail to write, the answer still goes out: an
audit failure must not stop charging.)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rig.clock import Clock
from rig.services.db import Database


class AuditWriter:
    """Append audit rows from a queue, in batches, on one background thread."""

    def __init__(self, db: Database, *, max_batch: int = 500) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[dict[str, Any], Future[None]] | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(self, row: dict[str, Any]) -> Future[None]:
        """Queue ``row``; the future is done once it is committed."""
        done: Future[None] = Future()
        with self._idle:
            self._pending += 1
        self._queue.put((row, done))
        return done

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
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            error: Exception | None = None
            try:
                with self.db.write() as conn:
                    conn.execute(self.db.tables.audit.insert(), [row for row, _ in batch])
            except Exception as exc:  # pragma: no cover - must not stop the service
                error = exc
            for _, done in batch:
                if error is None:
                    done.set_result(None)
                else:  # pragma: no cover
                    done.set_exception(error)
            with self._idle:
                self._pending -= len(batch)
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
            await _committed(self._log(scope, at, 413, None, started))
            await _too_large(send, self.max_body_bytes)
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
                await _committed(self._log(scope, at, 413, None, started))
                await _too_large(send, self.max_body_bytes)
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

        sha = digest.hexdigest() if received else None
        logged = False

        async def recording_send(message: Message) -> None:
            nonlocal status, logged
            if message["type"] == "http.response.start":
                status = int(message["status"])
                logged = True
                await _committed(self._log(scope, at, status, sha, started))
            await send(message)

        try:
            await self.app(scope, replay, recording_send)
        finally:
            if not logged:  # no response at all (the handler failed, the client left)
                self._log(scope, at, status, sha, started)

    def _log(
        self, scope: Scope, at: float, status: int, sha: str | None, started: float
    ) -> Future[None]:
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
        return self.writer.submit(row)


async def _committed(done: Future[None], timeout_s: float = 10.0) -> None:
    """Wait until an audit row is committed (never longer than ``timeout_s``)."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.wrap_future(done), timeout=timeout_s)


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
