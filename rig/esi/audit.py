"""The ESI's audit log (BR-10): every transaction with the utility, one JSON line each.

Whatever the ESI asks of the utility — a binding, an energy request, a session
post, each delivery attempt of the outbox — leaves an :class:`AuditEntry`: when
(on the rig's clock), what kind of transaction, its idempotency key, where it went,
the outcome (``queued``, ``sent``, ``failed``, ``rejected``, ``duplicate``) and, for
failures, why. The log is append-only: entries are written whole, one line per
``write``, flushed, and never rewritten, so it survives the process that wrote it
and can be read while the rig still runs.

:func:`read_audit` reads a log back and validates every line, naming ``file:line``
of anything malformed: an audit log that cannot be trusted to parse is no audit log.
:func:`check_audit` is the BR-10 measurement: every transaction the ESI made (by its
key) has an entry saying how it ended — ``sent`` or ``rejected``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from rig.clock import Clock, to_datetime
from rig.results.measurements import Measurement

Outcome = Literal["queued", "sent", "failed", "rejected", "duplicate"]


class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    kind: str
    key: str
    target: str
    outcome: Outcome
    attempt: int = 0
    detail: str = ""


class AuditLogError(ValueError):
    """A malformed line in an audit log; ``str()`` names ``file:line``."""


class AuditLog:
    """Append-only JSON-lines audit log, safe for the threads of one process."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def record(
        self,
        kind: str,
        key: str,
        target: str,
        outcome: Outcome,
        *,
        attempt: int = 0,
        detail: str = "",
    ) -> AuditEntry:
        entry = AuditEntry(
            at=to_datetime(self.clock.now()),
            kind=kind,
            key=key,
            target=target,
            outcome=outcome,
            attempt=attempt,
            detail=detail,
        )
        line = entry.model_dump_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as log:
            log.write(line)
        return entry


def read_audit(path: Path) -> list[AuditEntry]:
    entries = []
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                entries.append(AuditEntry.model_validate_json(text))
            except ValidationError as error:
                raise AuditLogError(f"{path}:{number}: {error.errors()[0]['msg']}") from None
    return entries


def check_audit(entries: Sequence[AuditEntry], keys: Iterable[str]) -> Measurement:
    """BR-10: each transaction key has a ``sent`` or ``rejected`` entry in the log."""
    ended = {entry.key for entry in entries if entry.outcome in ("sent", "rejected")}
    missing = [f"{key} not audited as sent or rejected" for key in keys if key not in ended]
    return Measurement.none_of(
        "BR-10 ESI audit log", missing, "transactions", requirements=("BR-10",)
    )
