"""Messages to other services that must arrive even if the other side is down.

A roaming utility must report every SC-4 session to the clearinghouse, and the
clearinghouse must post it to the home utility's account. If the message were sent
straight from the request handler, a peer that is down (or a crash right after the
commit) would lose it. So the *transactional outbox* pattern is used:

1. the handler writes the message into the ``outbox`` table **in the same
   transaction** as the records it belongs to (``enqueue``), keyed by an
   idempotency key — a re-post replaces a message not yet delivered;
2. after the commit, :meth:`Outbox.deliver_pending` tries to send it at once;
3. a background thread (:meth:`Outbox.start`) retries what is still pending, with a
   growing pause, for as long as the service runs — including messages left over
   from before a restart.

Each attempt follows the rig's one delivery state machine (:mod:`rig.delivery`), the
ESI's outbox's too: a 2xx delivers; a 4xx other than 408 and 429 says the peer will
never take the message, so it is set aside as ``rejected`` (kept, never resent);
anything else — no connection, a timeout, a 5xx, a 408 or 429 — leaves it pending.
Unlike the ESI's, messages here are independent of one another, so one that fails
does not hold up the others.

The receiving endpoints are idempotent on the message's own key, so delivering
twice (a crash after sending, before marking) is harmless.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select, update

from rig.clock import Clock
from rig.delivery import Backoff, Undelivered, attempt, check_answer
from rig.services.db import Database
from rig.services.http import peer_client


class Outbox:
    """Pending messages of one service and the thread that delivers them."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        targets: Mapping[str, str],
        token: str,
        timeout_s: float = 5.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.targets = dict(targets)  # target name → base URL
        self.token = token
        self._client = peer_client(self.targets.values(), timeout=timeout_s)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def enqueue(
        self, conn: Connection, *, key: str, target: str, path: str, body: dict[str, Any]
    ) -> None:
        """Add (or replace, if not yet delivered) a message inside the caller's transaction."""
        table = self.db.tables.outbox
        row = conn.execute(select(table.c.status).where(table.c.key == key)).first()
        values = {
            "target": target,
            "path": path,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "last_error": None,
        }
        if row is None:
            conn.execute(table.insert().values(key=key, created_at=self.clock.now(), **values))
        else:
            conn.execute(update(table).where(table.c.key == key).values(**values))

    def pending(self) -> list[dict[str, Any]]:
        table = self.db.tables.outbox
        with self.db.read() as conn:
            rows = conn.execute(
                select(table).where(table.c.status == "pending").order_by(table.c.created_at)
            )
            return [dict(r._mapping) for r in rows]

    def deliver_pending(self) -> int:
        """Try every pending message once; return how many are still pending."""
        with self._send_lock:
            return sum(not self._send(message) for message in self.pending())

    def _send(self, message: dict[str, Any]) -> bool:
        """One attempt at ``message``; whether it is settled (delivered or set aside)."""
        table = self.db.tables.outbox
        done = attempt(lambda: self._post(message), message["attempts"])
        with self.db.write() as conn:
            current = conn.execute(
                select(table.c.body).where(table.c.key == message["key"])
            ).first()
            if current is None or current[0] != message["body"]:
                return done.settled  # replaced meanwhile: the new version stays pending
            conn.execute(
                update(table)
                .where(table.c.key == message["key"])
                .values(
                    status=done.status,
                    attempts=table.c.attempts + 1,
                    last_error=done.error or None,
                )
            )
        return done.settled

    def _post(self, message: dict[str, Any]) -> None:
        base = self.targets.get(message["target"])
        if base is None:
            raise Undelivered(f"no URL configured for {message['target']}")
        response = self._client.post(
            base.rstrip("/") + message["path"],
            json=message["body"],
            headers={"Authorization": f"Bearer {self.token}"},
        )
        check_answer(response.status_code, f"HTTP {response.status_code}: {response.text[:300]}")

    def nudge(self) -> None:
        """Ask the background thread to try now."""
        self._wake.set()

    def start(self, *, min_pause_s: float = 0.2, max_pause_s: float = 5.0) -> None:
        """Run the retry loop (wall-clock pauses, whatever the service clock) until stopped."""

        backoff = Backoff(min_pause_s, max_pause_s)

        def loop() -> None:
            failed_rounds = 0
            while not self._stop.is_set():
                self._wake.wait(backoff.delay(failed_rounds + 1))
                self._wake.clear()
                if self._stop.is_set():
                    return
                try:
                    left = self.deliver_pending()
                except Exception:  # pragma: no cover - keep retrying whatever happens
                    left = 1
                failed_rounds = failed_rounds + 1 if left else 0

        self._thread = threading.Thread(target=loop, name="outbox", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._client.close()
