"""External services and time: a plan with a ``start`` runs only when their clocks read it.

A plan's ``start`` is the clock time at plug-in: the TOU, hourly-price and boundary
plans mean it. The embedded services take the plan's clock, but external services
(``--utility-url``, ``--clearinghouse-url``) run on their own clock, which the rig
cannot set. So before such a plan runs against them, the rig reads each service's
clock (``GET /health``, whose ``now`` is the service's own time) and:

- runs the plan when every service's clock reads within :data:`START_TOLERANCE_S` of
  the plan's start, on a rig clock offset to agree with theirs (the median offset
  read), so the bench and the services share one "now";
- otherwise skips it, saying what the clocks read and how to run it (start the
  services with ``rig serve --clock-start <the plan's start>`` and run that plan on
  its own), never at the wrong time of day;
- skips it too when a service's clock cannot be read (a head-end without the rig's
  ``/health``): its time is then unknown.

A plan without a ``start`` runs at whatever time the services' clocks read, on the
offset given by ``--services-clock-offset``.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

#: How far a service's clock may be from the plan's start when the plan begins: enough
#: for `rig serve --clock-start` to be started by hand a moment before pytest.
START_TOLERANCE_S = 120.0


@dataclass(frozen=True)
class ClockReading:
    """One service's clock, read over HTTP: its ``now`` and the offset from this host's."""

    service: str
    now: dt.datetime | None
    offset_s: float | None
    problem: str = ""


def read_clock(service: str, url: str, timeout_s: float = 5.0) -> ClockReading:
    """``GET <url>/health`` and take its ``now``, timed at the middle of the round trip."""
    sent = time.time()
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout_s) as reply:
            now = dt.datetime.fromisoformat(json.load(reply)["now"])
    except (OSError, urllib.error.URLError, ValueError, KeyError, TypeError) as error:
        return ClockReading(service, None, None, f"cannot read its clock: {error}")
    if now.tzinfo is None:
        return ClockReading(service, None, None, f"its clock has no time zone: {now}")
    middle = (sent + time.time()) / 2.0
    return ClockReading(service, now, now.timestamp() - middle)


def start_decision(
    start: dt.datetime, readings: list[ClockReading], tolerance_s: float = START_TOLERANCE_S
) -> tuple[float | None, str]:
    """``(rig clock offset, "")`` to run a plan starting at ``start``, or ``(None, reason)``."""
    unread = [r for r in readings if r.now is None]
    if unread:
        names = "; ".join(f"{r.service}: {r.problem}" for r in unread)
        return None, (
            f"the plan starts at {start.isoformat()}, and the external services' time is "
            f"unknown ({names}); it would run at the wrong time of day"
        )
    far = [
        r
        for r in readings
        if r.now is not None and abs((r.now - start).total_seconds()) > tolerance_s
    ]
    if far:
        clocks = ", ".join(f"{r.service} {r.now.isoformat()}" for r in far if r.now is not None)
        return None, (
            f"the plan starts at {start.isoformat()} but the external services' clocks read "
            f"{clocks}; start them with `rig serve --clock-start {start.isoformat()}` and "
            "run this plan on its own"
        )
    offsets = [r.offset_s for r in readings if r.offset_s is not None]
    return statistics.median(offsets), ""
