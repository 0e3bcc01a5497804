"""Steps are states, not sleeps: wait until a condition holds, or fail clearly.

``wait_for(lambda: pilot.status().contactor_closed, within_s=3, clock=clock,
what="contactor closed")`` polls the condition on the bench's clock. On a virtual
clock each poll moves simulated time forward by ``poll_s``, so waiting three
simulated seconds costs a few milliseconds; on the wall clock it really waits.
When the time is up it raises :class:`WaitTimeout` (a :class:`TimeoutError`) that
says what was awaited, for how long, and what was last seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rig.clock import Clock

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    """A condition did not hold within its time limit."""

    def __init__(self, what: str, within_s: float, last: object) -> None:
        self.what = what
        self.within_s = within_s
        self.last = last
        super().__init__(f"timed out after {within_s:g} s waiting for {what} (last seen: {last!r})")


def wait_for(
    read: Callable[[], T],
    *,
    until: Callable[[T], bool] = bool,
    within_s: float,
    clock: Clock,
    what: str,
    poll_s: float = 0.1,
) -> T:
    """Poll ``read()`` until ``until(value)``; return that value or raise :class:`WaitTimeout`."""
    deadline = clock.now() + within_s
    while True:
        value = read()
        if until(value):
            return value
        if clock.now() >= deadline:
            raise WaitTimeout(what, within_s, value)
        clock.sleep(min(poll_s, max(deadline - clock.now(), 0.0)) or poll_s)
