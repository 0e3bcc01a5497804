"""A durable outbox for what the ESI must tell the utility, outage or not.

The ESI reports every session (its metering intervals and its close) to the
utility. The utility may be down — BR-01 plans make it so on purpose — and the rig
process may stop mid-outage. The use case still wants every session billed once.
So the ESI never posts directly; it *puts* each message into this outbox and the
outbox delivers:

1. :meth:`Outbox.put` writes the message to an SQLite file (WAL, ``synchronous=FULL``)
   and commits before returning: once ``put`` returns, the message survives a crash.
   Each message carries an **idempotency key** chosen by the ESI (for example
   ``"<binding id>:close"``); putting the same key again is a no-op, so an ESI that
   retries its own ``put`` cannot queue a message twice.
2. :meth:`Outbox.deliver_due` hands pending messages, oldest first, to the
   pluggable **sender** — any callable taking an :class:`OutboxMessage` (an HTTP
   post in the rig, a fake utility in tests). What one attempt does is the rig's
   one delivery state machine (:mod:`rig.delivery`): a sender that returns has
   delivered; one that raises :class:`Rejected` says the utility *refused* the
   message for good (a 4xx), so it is set aside as ``rejected`` (kept, audited,
   never resent) and the queue moves on; one that raises anything else has not
   delivered, and the message waits with **exponential backoff**
   (``base_delay_s × 2^(attempts−1)``, capped at ``max_delay_s``), timed on the
   rig's :class:`~rig.clock.Clock`, never by ``time.sleep``.
3. Delivery is **in order**: while the oldest message is failing, the newer ones
   wait behind it, so the utility never sees a session's close before its intervals.

Nothing is doubled: a message is marked delivered only after the sender returns, so
a crash in between means it is sent again after restart — and the utility
recognises the repeated idempotency key (its endpoints are idempotent on it) and
records it once. *At least once* from here, *exactly once* in effect.

Every put and every attempt is written to the ESI audit log (BR-10) when one is
given (:mod:`rig.esi.audit`).

An outbox is safe to share between threads; a delivery in progress holds up a
concurrent ``put`` until the sender returns, so give the sender a short timeout.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.clock import Clock
from rig.delivery import Backoff, Rejected, Status, attempt
from rig.domain.closing import Closing
from rig.esi.audit import AuditLog, Outcome

__all__ = ["Outbox", "OutboxMessage", "OutboxStuck", "Rejected", "Sender", "Status"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    finished_at REAL,
    last_error TEXT NOT NULL DEFAULT ''
)
"""
_COLUMNS = "seq, key, kind, target, body, status, attempts, next_attempt_at, last_error"


class OutboxStuck(TimeoutError):
    """Messages still pending when :meth:`Outbox.drain` gave up; names the oldest's last error."""


@dataclass(frozen=True)
class OutboxMessage:
    seq: int
    key: str
    kind: str
    target: str
    body: dict[str, Any]
    status: Status
    attempts: int
    next_attempt_at: float
    last_error: str


Sender = Callable[[OutboxMessage], None]


class Outbox(Closing):
    """Durable, ordered, idempotent delivery of the ESI's messages. See the module docstring."""

    def __init__(
        self,
        path: Path,
        clock: Clock,
        sender: Sender,
        *,
        base_delay_s: float = 1.0,
        max_delay_s: float = 300.0,
        audit: AuditLog | None = None,
    ) -> None:
        self.backoff = Backoff(base_delay_s, max_delay_s)
        self.clock = clock
        self.sender = sender
        self.audit = audit
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- writing

    def put(self, key: str, kind: str, target: str, body: Mapping[str, Any]) -> bool:
        """Queue a message durably; False (and nothing queued) if ``key`` was seen before."""
        now = self.clock.now()
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (key, kind, target, body, created_at, "
                "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
                (key, kind, target, json.dumps(body, sort_keys=True), now, now),
            )
        queued = cursor.rowcount == 1
        self._audit(kind, key, target, "queued" if queued else "duplicate")
        return queued

    # ----------------------------------------------------------------- delivering

    def deliver_due(self) -> int:
        """Send what is due, oldest first, stopping at the first failure; return how many went."""
        sent = 0
        with self._lock:
            while (message := self._oldest_pending()) is not None:
                if message.next_attempt_at > self.clock.now():
                    break
                if not self._attempt(message):
                    break
                sent += 1
        return sent

    def drain(self, timeout_s: float) -> None:
        """Deliver everything, waiting out backoffs on the clock (:class:`OutboxStuck` if not)."""
        deadline = self.clock.now() + timeout_s
        while True:
            self.deliver_due()
            oldest = self._oldest_pending()
            if oldest is None:
                return
            if oldest.next_attempt_at > deadline:
                raise OutboxStuck(
                    f"{len(self.messages('pending'))} message(s) undelivered after {timeout_s} s;"
                    f" oldest {oldest.key!r} failed {oldest.attempts} time(s): {oldest.last_error}"
                )
            self.clock.sleep(max(oldest.next_attempt_at - self.clock.now(), 0.0))

    def _attempt(self, message: OutboxMessage) -> bool:
        done = attempt(lambda: self.sender(message), message.attempts)
        if not done.settled:
            self._db.execute(
                "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE seq = ?",
                (
                    done.attempts,
                    self.clock.now() + self.backoff.delay(done.attempts),
                    done.error,
                    message.seq,
                ),
            )
            self._log(message, "failed", done.attempts, done.error)
            return False
        self._finish(message, done.status, done.attempts, done.error)
        self._log(
            message, "sent" if done.status == "delivered" else "rejected", done.attempts, done.error
        )
        return True

    def _finish(self, message: OutboxMessage, status: Status, attempt: int, error: str) -> None:
        self._db.execute(
            "UPDATE outbox SET status = ?, attempts = ?, finished_at = ?, last_error = ? "
            "WHERE seq = ?",
            (status, attempt, self.clock.now(), error, message.seq),
        )

    # ----------------------------------------------------------------- reading

    def messages(self, status: Status | None = None) -> list[OutboxMessage]:
        """Messages in queue order, all or those with ``status``."""
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox {where} ORDER BY seq", args
            ).fetchall()
        return [_message(row) for row in rows]

    def _oldest_pending(self) -> OutboxMessage | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE status = 'pending' ORDER BY seq LIMIT 1"
            ).fetchone()
        return None if row is None else _message(row)

    def _audit(
        self, kind: str, key: str, target: str, outcome: Outcome, attempt: int = 0, detail: str = ""
    ) -> None:
        if self.audit is not None:
            self.audit.record(kind, key, target, outcome, attempt=attempt, detail=detail)

    def _log(
        self, message: OutboxMessage, outcome: Outcome, attempt: int, detail: str = ""
    ) -> None:
        self._audit(message.kind, message.key, message.target, outcome, attempt, detail)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _message(row: tuple[Any, ...]) -> OutboxMessage:
    seq, key, kind, target, body, status, attempts, next_attempt_at, last_error = row
    return OutboxMessage(
        seq, key, kind, target, json.loads(body), status, attempts, next_attempt_at, last_error
    )
