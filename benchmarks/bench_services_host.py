"""Is the services host worth its second process? Plans with it and without, in pairs.

The services host (:mod:`rig.services.host`) starts each plan's fresh services
cluster one plan ahead, in a child process, on the plan's virtual clock. This script
runs plans through the real runner (:func:`rig.runner.api.run_plan`) in this
process, each plan twice in a row — once taking its cluster from the host, once
starting it in-process (``RIG_SERVICES_HOST=0``, read at every plan), alternating
which goes first — so a burst of load from other processes hits both sides of a
pair alike. It reports, per mode, the median wall time per plan and this process's
CPU time per plan (every thread: the in-process services included), the host's CPU
per plan that took a cluster from it, the median of the per-pair wall ratios
(in-process / host) and the wall time saved per plan.

    .venv/bin/python benchmarks/bench_services_host.py                  # every plan, 3 rounds
    .venv/bin/python benchmarks/bench_services_host.py --plans 6 --rounds 2   # a sample
    .venv/bin/python benchmarks/bench_services_host.py --json out.json

Wall time is what the host is for, and it needs a free core: on a machine whose
cores are all busy with other processes it cannot save anything. The CPU figures
say what it costs either way. The script reports, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from figures import load_average, machine
from plan_bench import PLANS

from rig.plans import load_plan
from rig.runner.api import run_plan
from rig.services.host import Lease, ServicesHost, services_host

MODES = ("host", "in-process")


@dataclass(frozen=True)
class Run:
    plan: str
    mode: str
    wall_s: float
    cpu_s: float  # this process, every thread
    verdict: str


def host_cpu_s(host: ServicesHost) -> float | None:
    """The host process's CPU time so far (Linux ``/proc``; ``None`` elsewhere)."""
    try:
        fields = Path(f"/proc/{host.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(path: Path, mode: str) -> Run:
    os.environ["RIG_SERVICES_HOST"] = "1" if mode == "host" else "0"
    plan = load_plan(path)
    cpu, start = time.process_time(), time.perf_counter()
    outcome = run_plan(plan, plan_file=path)
    return Run(
        path.stem, mode, time.perf_counter() - start, time.process_time() - cpu, outcome.verdict
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plans with and without the services host.")
    parser.add_argument("--plans", type=int, help="only the first N plan files (a sample)")
    parser.add_argument("--rounds", type=int, default=3, help="pairs per plan (3)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    paths = sorted(PLANS.glob("*.yaml"))[: args.plans]
    load_before = load_average()
    began = time.perf_counter()
    host = services_host()
    if host is None:
        print("the services host is switched off or did not start: nothing to compare")
        return 0
    taken: list[Lease] = []
    take = host.take

    def counting(data: str) -> Lease | None:
        lease = take(data)
        if lease is not None:
            taken.append(lease)
        return lease

    host.take = counting  # type: ignore[method-assign]
    for path in paths[:3]:  # warm-up: imports, caches, the host started and warm
        run_once(path, "host")
        run_once(path, "in-process")
    taken.clear()
    host_cpu_before = host_cpu_s(host)
    runs: list[Run] = []
    for round_ in range(args.rounds):
        for i, path in enumerate(paths):
            order = MODES if (i + round_) % 2 == 0 else MODES[::-1]
            runs += [run_once(path, mode) for mode in order]
    host_cpu_after = host_cpu_s(host)
    pairs = [(runs[k], runs[k + 1]) for k in range(0, len(runs), 2)]
    ratios = [
        (a.wall_s / b.wall_s) if a.mode == "in-process" else (b.wall_s / a.wall_s) for a, b in pairs
    ]
    wall = {m: statistics.median(r.wall_s for r in runs if r.mode == m) for m in MODES}
    cpu = {m: statistics.median(r.cpu_s for r in runs if r.mode == m) for m in MODES}
    host_runs = sum(r.mode == "host" for r in runs)
    host_cpu = (
        (host_cpu_after - host_cpu_before) / host_runs
        if host_cpu_after is not None and host_cpu_before is not None
        else None
    )
    verdicts = sorted({r.verdict for r in runs})
    print(
        f"services host: {len(paths)} plans x {args.rounds} round(s), each plan once per mode "
        f"in a row; {machine()['nproc']} CPU(s); load average before {load_before}"
    )
    print(f"  host used by {len(taken)} of {host_runs} host runs; verdicts {', '.join(verdicts)}")
    for mode in MODES:
        print(
            f"  {mode:10} wall per plan {wall[mode] * 1000:6.0f} ms (median), "
            f"this process's CPU per plan {cpu[mode] * 1000:6.0f} ms"
        )
    if host_cpu is not None:
        print(f"  host process CPU per host plan {host_cpu * 1000:.0f} ms")
    spread = (
        f"quartiles {', '.join(f'{q:.2f}' for q in statistics.quantiles(ratios, n=4))}"
        if len(ratios) >= 4
        else f"pairs {', '.join(f'{q:.2f}' for q in ratios)}"
    )
    print(
        f"  wall ratio in-process / host, median of {len(ratios)} pairs: "
        f"{statistics.median(ratios):.2f}x ({spread}); "
        f"wall saved per plan {(wall['in-process'] - wall['host']) * 1000:.0f} ms"
    )
    print(
        f"total {time.perf_counter() - began:.1f} s; load average after {load_average()} "
        "(a shared machine inflates wall figures)"
    )
    if args.json is not None:
        payload = {
            "plans": len(paths),
            "rounds": args.rounds,
            "machine": machine(),
            "load_average": {"before": load_before, "after": load_average()},
            "host_used": len(taken),
            "host_cpu_s_per_plan": host_cpu,
            "ratios": ratios,
            "runs": [asdict(r) for r in runs],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
