"""Helpers for the service tests: clock moves, a whole session in one call, sums.

The expected figures in the tests are computed by hand from the data set
(``fixtures/utilities/two_utilities.yaml``), never by asking the services' own
pricing code — the tests are an independent oracle.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from rig.clock import VirtualClock
from rig.services.endpoints import ServiceEndpoints

CENTRAL = ZoneInfo("America/Chicago")
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=CENTRAL)  # Monday
WIDE = {"start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"}
_ids = itertools.count(1)


def uid(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def clock_of(svc: ServiceEndpoints) -> VirtualClock:
    assert isinstance(svc.clock, VirtualClock)
    return svc.clock


def now(svc: ServiceEndpoints) -> datetime:
    return datetime.fromtimestamp(clock_of(svc).now(), tz=CENTRAL)


def next_local(svc: ServiceEndpoints, hour: int, minute: int = 0, weekday: bool = True) -> datetime:
    """Move the clock to the next local ``hour:minute`` on a weekday (or weekend day)."""
    t = now(svc).replace(hour=hour, minute=minute, second=0, microsecond=0)
    while t <= now(svc) or (t.weekday() < 5) != weekday:
        t += timedelta(days=1)
    clock_of(svc).advance_to(t.timestamp())
    return t


def bind(
    svc: ServiceEndpoints,
    utility: str,
    esi: str,
    premise: str,
    portal: str,
    pev: str | None,
    **extra: Any,
) -> dict[str, Any]:
    body = {"premise_id": premise, "esi_id": esi, "portal_id": portal, "pev_id": pev, **extra}
    with svc.client(utility, as_caller=esi) as c:
        r = c.post("/bindings", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def intervals(start: datetime, kwh: list[str], minutes: int = 15) -> list[dict[str, str]]:
    step = timedelta(minutes=minutes)
    return [
        {
            "start": (start + i * step).isoformat(),
            "end": (start + (i + 1) * step).isoformat(),
            "kwh": k,
        }
        for i, k in enumerate(kwh)
    ]


@dataclass
class Session:
    binding: dict[str, Any]
    record: dict[str, Any]
    session_id: str


def charge(
    svc: ServiceEndpoints,
    utility: str,
    esi: str,
    premise: str,
    portal: str,
    pev: str | None,
    kwh: list[str],
    *,
    binding_extra: dict[str, Any] | None = None,
    minutes: int = 15,
) -> Session:
    """Bind now, let the clock run through the intervals, report them and close."""
    binding = bind(svc, utility, esi, premise, portal, pev, **(binding_extra or {}))
    start = now(svc)
    ivs = intervals(start, kwh, minutes)
    end = start + timedelta(minutes=minutes * len(kwh))
    clock_of(svc).advance_to(end.timestamp())
    session_id = uid("S")
    total = sum((Decimal(k) for k in kwh), Decimal(0))
    body = {
        "binding_id": binding["binding_id"],
        "premise_id": premise,
        "pev_id": pev,
        "intervals": ivs,
        "close": {
            "started_at": start.isoformat(),
            "ended_at": end.isoformat(),
            "duration_s": (end - start).total_seconds(),
            "energy_kwh": str(total),
        },
    }
    with svc.client(utility, as_caller=esi) as c:
        r = c.post(f"/sessions/{session_id}/intervals", json=body)
    assert r.status_code == 200, r.text
    return Session(binding, dict(r.json()), session_id)


def statement(svc: ServiceEndpoints, utility: str, account: str) -> dict[str, Any]:
    with svc.client(utility, as_caller=utility) as c:
        r = c.get(f"/accounts/{account}/statement", params=WIDE)
    assert r.status_code == 200, r.text
    return dict(r.json())


def session_lines(svc: ServiceEndpoints, utility: str, account: str, session_id: str) -> list[Any]:
    return [
        x for x in statement(svc, utility, account)["line_items"] if x["session_id"] == session_id
    ]


def total(lines: list[dict[str, Any]], key: str = "amount") -> Decimal:
    return sum((Decimal(x[key]) for x in lines), Decimal(0))


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()
