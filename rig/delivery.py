"""At-least-once delivery: the one state machine every outbox follows.

Two parts of the rig must get a message to a peer that may be down: the ESI reports
its sessions to the utility (:mod:`rig.esi.outbox`, an SQLite file beside the ESI),
and the services forward roaming charges to one another (:mod:`rig.services.outbox`,
a table in the service's database, written in the same transaction as the records).
Where the messages are kept and in which order they go differs; what one attempt
does to a message does not, and lives here::

    pending ──send returns──────────────────────────────► delivered
       │    ──refused for good (Rejected)───────────────► rejected   (kept, never resent)
       └──  ──anything else (no connection, timeout, 5xx,
               408, 429, an unexpected error)──► pending, one more attempt, retry later

**One rule for 4xx** (:func:`refused`): a 4xx answer says the peer understood the
message and will never take it — retrying cannot help — so it is *set aside*,
except 408 (Request Timeout) and 429 (Too Many Requests), which say "try again
later". Everything else that is not a 2xx is an outage and is retried.

The wait before the next attempt grows with the attempts (:class:`Backoff`:
``base_s × 2^(attempts−1)``, capped at ``max_s``). Delivery is *at least once*:
a message is marked delivered only after the send returned, so a crash in between
sends it again, and every receiver is idempotent on the message's key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Status = Literal["pending", "delivered", "rejected"]

#: 4xx answers that say "try again later", not "never".
RETRYABLE_4XX = frozenset({408, 429})


class Rejected(Exception):
    """The peer refused a message for good (an HTTP 4xx): set it aside, do not retry."""


class Undelivered(ConnectionError):
    """The peer did not take the message this time (a 5xx, a 408 or 429): retry later."""


def refused(status_code: int) -> bool:
    """Whether an HTTP answer refuses the message for good (a 4xx other than 408, 429)."""
    return 400 <= status_code < 500 and status_code not in RETRYABLE_4XX


def check_answer(status_code: int, what: str) -> None:
    """Return for a 2xx; raise :class:`Rejected` for a refusal, else :class:`Undelivered`."""
    if 200 <= status_code < 300:
        return
    raise Rejected(what) if refused(status_code) else Undelivered(what)


@dataclass(frozen=True)
class Attempt:
    """What one attempt did to a message: its new status, attempts so far, and why not."""

    status: Status
    attempts: int
    error: str = ""
    """Empty when delivered; the refusal, or the failure as ``Type: message``."""

    @property
    def settled(self) -> bool:
        """Delivered or set aside: the message will not be sent again."""
        return self.status != "pending"


def attempt(send: Callable[[], None], attempts: int) -> Attempt:
    """Send once (``attempts`` made before) and say what that makes of the message."""
    try:
        send()
    except Rejected as refusal:
        return Attempt("rejected", attempts + 1, str(refusal))
    except Exception as error:  # an outage shows up as many kinds of error
        return Attempt("pending", attempts + 1, f"{type(error).__name__}: {error}")
    return Attempt("delivered", attempts + 1)


@dataclass(frozen=True)
class Backoff:
    """How long a failing message waits: ``base_s × 2^(attempts−1)``, at most ``max_s``."""

    base_s: float
    max_s: float

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.max_s < self.base_s:
            raise ValueError("need 0 < base_delay_s ≤ max_delay_s")

    def delay(self, attempts: int) -> float:
        """The wait after the ``attempts``-th failure in a row (1, 2, …)."""
        return min(self.base_s * 2.0 ** min(attempts - 1, 64), self.max_s)
