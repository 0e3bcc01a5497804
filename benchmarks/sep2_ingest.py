"""Metering-mirror ingest over IEEE 2030.5 against the JSON ingest, on one database.

Part of ``benchmarks/sep2_bench.py`` (issue 12, *Measured*). The services run in a
child process on a virtual clock, as in ``bench_services.py`` (whose server process,
raw HTTP client and bindings this reuses); this process is the load generator.

Every session is ONE request carrying 96 fifteen-minute intervals (a day, so TOU
boundaries are split) and the close, recorded once, priced and billed:

* **JSON**: ``POST /sessions/{id}/intervals`` on the utility's JSON API (``SessionReportIn``);
* **2030.5**: ``POST /mup`` on the same utility's 2030.5 server: a MirrorUsagePoint
  (mRID, session ID, the ESI's registered deviceLFDI) carrying a MirrorMeterReading
  of the binding with a MirrorReadingSet of 96 Readings and the close Reading — the
  same figures as XML, parsed with envoy-schema models, then the same
  ``SessionDesk.report``.

Both go to the same ``UtilityService`` and SQLite file. The sessions are split into
four equal legs run in the order JSON, 2030.5, 2030.5, JSON, so the growing tables
and any burst of load from other processes fall on both alike; the rate of each
protocol is its sessions over its summed wall time.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import Any

from bench_services import (
    BINDERS,
    Post,
    _cpu,
    _make_bindings,
    _session_body,
    _tokens,
    days_spanned,
    post_all,
    services_process,
    session_days,
)

from rig.services.sep2_common import SEP_XML
from tests.services.test_sep2_mirror import mmr, mup
from tests.services.test_sep2_server import end_device, lfdi_of


def _mirror_body(i: int, binding: str, premise_lfdi: str, pev: str, start: datetime) -> bytes:
    t0 = int(start.timestamp())
    intervals = [(t0 + 900 * k, 900, 1250) for k in range(96)]
    readings = mmr(binding, intervals, pev=pev, close=(t0, 86400, 120_000))
    return mup(f"5E9200{i:026X}", f"S-{binding}", premise_lfdi, readings).encode()


def measure(sessions: int, concurrency: int) -> dict[str, Any]:
    """Sessions per second over each protocol (see the module docstring)."""
    tokens = _tokens()
    devices = {esi: lfdi_of(f"bench device {esi}") for esi, *_ in BINDERS}
    with services_process("bench-sep2-") as (parent, urls):
        json_base, sep2_base = urls["HPL"], urls["HPL:2030.5"]
        registrations = [
            ("/edev", esi, end_device(lfdi).encode(), SEP_XML) for esi, lfdi in devices.items()
        ]
        asyncio.run(post_all(sep2_base, tokens, registrations, 201, 1))
        legs = 4
        per_leg = max(1, sessions // legs)
        bindings = asyncio.run(_make_bindings(json_base, tokens, per_leg * legs + 20, "M"))
        day = dict(zip((b for b, *_ in bindings), session_days(bindings), strict=True))
        parent.send(("advance", 86400 * days_spanned(list(day.values())) + 600))
        parent.recv()
        warm, bindings = bindings[:20], bindings[20:]

        def json_posts(chunk: list[Any]) -> list[Post]:
            return [
                (
                    f"/sessions/S-{b}/intervals",
                    esi,
                    _session_body(b, premise, pev, day[b]),
                    "application/json",
                )
                for b, esi, premise, pev in chunk
            ]

        def mirror_posts(chunk: list[Any], first: int) -> list[Post]:
            return [
                ("/mup", esi, _mirror_body(first + k, b, devices[esi], pev, day[b]), SEP_XML)
                for k, (b, esi, _premise, pev) in enumerate(chunk)
            ]

        asyncio.run(post_all(json_base, tokens, json_posts(warm[:10]), 200, concurrency))
        asyncio.run(post_all(sep2_base, tokens, mirror_posts(warm[10:], 0), 201, concurrency))
        walls = {"json": 0.0, "sep2": 0.0}
        cpus = {"json": 0.0, "sep2": 0.0}  # the services process's CPU seconds
        errors = {"json": 0, "sep2": 0}
        for leg, kind in enumerate(["json", "sep2", "sep2", "json"]):
            chunk = bindings[leg * per_leg : (leg + 1) * per_leg]
            cpu0 = _cpu(parent)
            if kind == "json":
                took, bad = asyncio.run(
                    post_all(json_base, tokens, json_posts(chunk), 200, concurrency)
                )
            else:
                posts = mirror_posts(chunk, 1000 + leg * per_leg)
                took, bad = asyncio.run(post_all(sep2_base, tokens, posts, 201, concurrency))
            walls[kind] += took
            cpus[kind] += _cpu(parent) - cpu0
            errors[kind] += bad
    done = per_leg * 2
    return {
        "sessions_per_protocol": done,
        "intervals_per_session": 96,
        "concurrency": concurrency,
        "json_sessions_per_s": round(done / walls["json"], 1),
        "sep2_sessions_per_s": round(done / walls["sep2"], 1),
        "sep2_over_json": round(walls["json"] / walls["sep2"], 3),
        "json_server_cpu_ms_per_session": round(cpus["json"] / done * 1000, 2),
        "sep2_server_cpu_ms_per_session": round(cpus["sep2"] / done * 1000, 2),
        "json_errors": errors["json"],
        "sep2_errors": errors["sep2"],
    }


if __name__ == "__main__":
    print(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 400, 8))
