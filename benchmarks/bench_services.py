"""Services benchmark (issue 3, section 9): ingest throughput and binding latency.

The three services run in a **child process** (as ``rig serve`` would, on a
:class:`~rig.clock.VirtualClock` the parent can move through a pipe); this process
is the load generator, so client and server do not share one interpreter lock.
Storage is the default: one SQLite file per service (WAL, ``synchronous=NORMAL``)
in a temporary directory.

1. **Session records ingested per second.** ``--sessions`` bindings are made first
   (not timed); the clock then moves a day on, and each session is posted as ONE
   request: 96 fifteen-minute intervals (a whole day, so TOU boundaries are split)
   plus the close — recorded once, priced and billed. ``--ingest-concurrency``
   requests are in flight at a time. Goal: >= 1,000 sessions/s.
2. **Binding latency** with ``--callers`` concurrent callers (default 32), each an
   ESI binding an enrolled PEV at its own premise in a closed loop: p50 and p99 of
   the request latency as the caller sees it. Goal: p99 <= 10 ms.

The script reports, it does not assert; it exits 0 whether or not a goal is met.

    .venv/bin/python benchmarks/bench_services.py                 # full run
    .venv/bin/python benchmarks/bench_services.py --quick         # a few seconds
    .venv/bin/python benchmarks/bench_services.py --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rig.services.testing import DEFAULT_DATA  # noqa: E402

T0 = datetime(2026, 3, 9, 0, 0, tzinfo=ZoneInfo("America/Chicago"))  # a Monday
# (ESI, premise, portal, PEV): enrolled PEVs binding where they are allowed to
BINDERS = [
    ("ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE"),  # SC-1
    ("ESI-BOB", "PREM-BOB", "EP-BOB-240", "PEV-ALICE"),  # SC-2
    ("ESI-CAROL", "PREM-CAROL", "EP-CAROL-240", "PEV-ALICE"),  # SC-3
    ("ESI-ERIN", "PREM-ERIN", "EP-ERIN-240", "PEV-ERIN"),  # SC-1, RTP
    ("ESI-WORKS", "PREM-WORKS", "EP-WORKS-DIRECT", "PEV-ALICE"),  # SC-6
]


def _serve(conn: Any, state_dir: str) -> None:
    """Child process: run the cluster on a virtual clock; obey 'advance' messages."""
    from rig.clock import VirtualClock
    from rig.services.cluster import Cluster

    clock = VirtualClock(T0)
    with Cluster.from_file(DEFAULT_DATA, clock=clock, state_dir=Path(state_dir)) as cluster:
        sep2 = {f"{u}:2030.5": url for u, url in cluster.sep2_endpoints.items()}
        conn.send({**cluster.endpoints, **sep2})
        while True:
            message = conn.recv()
            if message[0] == "advance":
                clock.advance(message[1])
                conn.send(clock.now())
            elif message[0] == "cpu":  # CPU seconds the services have used so far
                conn.send(time.process_time())
            else:
                conn.send("bye")
                return


@contextmanager
def services_process(prefix: str) -> Iterator[tuple[Any, dict[str, str]]]:
    """The services in a child process (:func:`_serve`, fresh SQLite files): the pipe
    that moves their clock, and their endpoints (``HPL:2030.5`` keys too)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as state:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child, state), daemon=True)
        proc.start()
        urls: dict[str, str] = parent.recv()
        try:
            yield parent, urls
        finally:
            parent.send(("stop",))
            parent.recv()
            proc.join(timeout=30)


def _tokens() -> dict[str, str]:
    from rig.services.dataset import load_dataset

    ds = load_dataset(DEFAULT_DATA)
    return {esi: pair[0].token for esi, pair in ds.esis.items()}


def session_days(bindings: list[Any], first_day: int = 0) -> list[datetime]:
    """Each binding's session start: its own day on its portal, from ``T0 + first_day``.

    A portal meters one session at a time, and the utility refuses an interval that
    overlaps one of another session on the same portal (BR-09), so the k-th session of
    a portal runs on day k; the clock must then stand past the last day.
    """
    seen: dict[str, int] = {}
    starts = []
    for _, _, premise, _ in bindings:
        day = seen[premise] = seen.get(premise, -1) + 1
        starts.append(T0.astimezone(UTC) + timedelta(days=first_day + day))
    return starts


def days_spanned(starts: list[datetime]) -> int:
    """How many days from T0 the sessions starting at ``starts`` reach (whole days)."""
    return max((s - T0).days for s in starts) + 1


def _session_body(binding_id: str, premise: str, pev: str, start: datetime) -> bytes:
    step = timedelta(minutes=15)
    intervals = [
        {
            "start": (start + i * step).isoformat(),
            "end": (start + (i + 1) * step).isoformat(),
            "kwh": "1.250",
        }
        for i in range(96)
    ]
    end = start + 96 * step
    body = {
        "binding_id": binding_id,
        "premise_id": premise,
        "pev_id": pev,
        "intervals": intervals,
        "close": {
            "started_at": start.isoformat(),
            "ended_at": end.isoformat(),
            "duration_s": 86400,
            "energy_kwh": "120.000",
        },
    }
    return json.dumps(body).encode()


class RawClient:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams.

    The load generator must cost far less than the server it measures; a full HTTP
    client library spends more CPU per request than a small service handler does.
    """

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(
        self, path: str, body: bytes, token: str, content_type: str = "application/json"
    ) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: {content_type}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        header = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in header.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return int(header[9:12]), await reader.readexactly(length)

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()


def _binding_body(key: str, binder: tuple[str, str, str, str]) -> bytes:
    esi, premise, portal, pev = binder
    body = {"binding_id": key, "premise_id": premise, "esi_id": esi, "portal_id": portal}
    return json.dumps({**body, "pev_id": pev}).encode()


async def _make_bindings(base: str, tokens: dict[str, str], n: int, run: str) -> list[Any]:
    out: list[Any] = []
    todo = list(range(n))

    async def worker() -> None:
        client = RawClient(base)
        while todo:
            i = todo.pop()
            binder = BINDERS[i % len(BINDERS)]
            status, data = await client.post(
                "/bindings", _binding_body(f"{run}-B{i}", binder), tokens[binder[0]]
            )
            assert status == 200, data
            out.append((f"{run}-B{i}", binder[0], binder[1], binder[3]))
        await client.close()

    await asyncio.gather(*(worker() for _ in range(8)))
    return out


Post = tuple[str, str, bytes, str]  # path, ESI, body, content type


async def post_all(
    base: str, tokens: dict[str, str], posts: list[Post], ok: int, concurrency: int
) -> tuple[float, int]:
    """POST every item, ``concurrency`` in flight: (wall seconds, answers other than ``ok``)."""
    errors = 0
    queue = list(reversed(posts))

    async def worker() -> None:
        nonlocal errors
        client = RawClient(base)
        while queue:
            path, esi, body, content_type = queue.pop()
            status, data = await client.post(path, body, tokens[esi], content_type)
            if status != ok:
                errors += 1
                if errors == 1:
                    print("first error:", path, status, data[:300], file=sys.stderr)
        await client.close()

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t, errors


async def _ingest(
    base: str, tokens: dict[str, str], bodies: list[tuple[str, str, bytes]], concurrency: int
) -> tuple[float, int]:
    posts = [
        (f"/sessions/{session_id}/intervals", esi, content, "application/json")
        for session_id, esi, content in bodies
    ]
    return await post_all(base, tokens, posts, 200, concurrency)


async def _binding_latency(
    base: str,
    tokens: dict[str, str],
    callers: int,
    per_caller: int,
    run: str,
    period_s: float = 0.0,
) -> list[float]:
    """Each caller binds ``per_caller`` times: back to back (closed loop) when
    ``period_s`` is 0, else one binding every ``period_s`` (open loop)."""
    latencies: list[float] = []

    async def caller(c: int) -> None:
        client = RawClient(base)
        binder = BINDERS[c % len(BINDERS)]
        await asyncio.sleep(period_s * c / callers)  # spread the open-loop callers
        for i in range(per_caller):
            t = time.perf_counter()
            status, data = await client.post(
                "/bindings", _binding_body(f"{run}-L{c}-{i}", binder), tokens[binder[0]]
            )
            took = time.perf_counter() - t
            assert status == 200, data
            latencies.append(took)
            if period_s:
                await asyncio.sleep(max(0.0, period_s - took))
        await client.close()

    await asyncio.gather(*(caller(c) for c in range(callers)))
    return latencies


def _cpu(pipe: Any) -> float:
    pipe.send(("cpu",))
    return float(pipe.recv())


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=3000)
    parser.add_argument("--ingest-concurrency", type=int, default=8)
    parser.add_argument("--callers", type=int, default=32)
    parser.add_argument("--per-caller", type=int, default=100)
    parser.add_argument(
        "--open-loop-rate",
        type=float,
        default=4.0,
        help="bindings per second per caller for the open-loop latency figure",
    )
    parser.add_argument("--quick", action="store_true", help="small counts, a few seconds")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.per_caller = 200, 10

    tokens = _tokens()
    with services_process("bench-services-") as (parent, urls):
        base = urls["HPL"]
        # warm-up (not timed): a few bindings and sessions
        warm = asyncio.run(_make_bindings(base, tokens, 50, "W"))
        bindings = asyncio.run(_make_bindings(base, tokens, args.sessions, "I"))
        warm_starts = session_days(warm)
        starts = session_days(bindings, days_spanned(warm_starts))
        parent.send(("advance", 86400 * days_spanned(starts) + 600))
        parent.recv()
        bodies = [
            (f"S-{b}", esi, _session_body(b, premise, pev, start))
            for (b, esi, premise, pev), start in zip(bindings, starts, strict=True)
        ]
        warm_bodies = [
            (f"S-{b}", esi, _session_body(b, premise, pev, start))
            for (b, esi, premise, pev), start in zip(warm, warm_starts, strict=True)
        ]
        asyncio.run(_ingest(base, tokens, warm_bodies, args.ingest_concurrency))
        cpu0, me0 = _cpu(parent), time.process_time()
        took, errors = asyncio.run(_ingest(base, tokens, bodies, args.ingest_concurrency))
        ingest_cpu, ingest_client_cpu = _cpu(parent) - cpu0, time.process_time() - me0
        ingest_rate = args.sessions / took
        asyncio.run(_binding_latency(base, tokens, args.callers, 3, "LW"))
        cpu0, me0 = _cpu(parent), time.process_time()
        lat = asyncio.run(_binding_latency(base, tokens, args.callers, args.per_caller, "L"))
        binding_cpu, binding_client_cpu = _cpu(parent) - cpu0, time.process_time() - me0
        open_lat = asyncio.run(
            _binding_latency(
                base,
                tokens,
                args.callers,
                max(10, args.per_caller // 4),
                "O",
                period_s=1.0 / args.open_loop_rate,
            )
        )

    figures = {
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "sessions": args.sessions,
        "intervals_per_session": 96,
        "ingest_concurrency": args.ingest_concurrency,
        "ingest_seconds": round(took, 3),
        "ingest_errors": errors,
        "sessions_per_s": round(ingest_rate, 1),
        "intervals_per_s": round(ingest_rate * 96),
        "ingest_server_cpu_ms_per_session": round(ingest_cpu / args.sessions * 1000, 2),
        "sessions_per_server_cpu_s": round(args.sessions / ingest_cpu, 1),
        "ingest_client_cpu_ms_per_session": round(ingest_client_cpu / args.sessions * 1000, 3),
        "binding_callers": args.callers,
        "bindings": len(lat),
        "binding_p50_ms": round(_pct(lat, 50) * 1000, 2),
        "binding_p99_ms": round(_pct(lat, 99) * 1000, 2),
        "binding_mean_ms": round(statistics.fmean(lat) * 1000, 2),
        "binding_server_cpu_ms": round(binding_cpu / len(lat) * 1000, 3),
        "binding_client_cpu_ms": round(binding_client_cpu / len(lat) * 1000, 3),
        "bindings_per_s": round(len(lat) / sum(lat) * args.callers, 1),
        "open_loop_rate_per_s": round(args.callers * args.open_loop_rate, 1),
        "open_loop_p50_ms": round(_pct(open_lat, 50) * 1000, 2),
        "open_loop_p99_ms": round(_pct(open_lat, 99) * 1000, 2),
    }
    print(f"machine: {figures['machine']}")
    print(
        f"ingest: {figures['sessions_per_s']} sessions/s "
        f"({figures['intervals_per_s']} intervals/s), "
        f"{args.sessions} sessions x 96 intervals, {args.ingest_concurrency} in flight, "
        f"{errors} errors   [goal >= 1000 sessions/s]"
    )
    print(
        f"        server CPU {figures['ingest_server_cpu_ms_per_session']} ms per session "
        f"= {figures['sessions_per_server_cpu_s']} sessions per CPU-second; "
        f"client CPU {figures['ingest_client_cpu_ms_per_session']} ms per session"
    )
    print(
        f"binding: p50 {figures['binding_p50_ms']} ms, p99 {figures['binding_p99_ms']} ms "
        f"with {args.callers} concurrent callers ({len(lat)} bindings, "
        f"~{figures['bindings_per_s']}/s)   [goal p99 <= 10 ms]"
    )
    print(
        f"         server CPU {figures['binding_server_cpu_ms']} ms per binding; "
        f"client CPU {figures['binding_client_cpu_ms']} ms per binding"
    )
    print(
        f"binding, open loop: p50 {figures['open_loop_p50_ms']} ms, p99 "
        f"{figures['open_loop_p99_ms']} ms with {args.callers} callers at "
        f"{args.open_loop_rate:g}/s each ({figures['open_loop_rate_per_s']}/s in all)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
