"""Is the services host worth its second process? The plan suite with it and without.

The services host (:mod:`rig.services.host`) starts each plan's fresh services
cluster one plan ahead, in a child process, on the plan's virtual clock. This
script runs the compliance suite as users run it (``pytest test_plans -q -p
no:cacheprovider`` in a subprocess, as ``bench_plans.py`` row 1) alternately with
the host (the default) and without it (``RIG_SERVICES_HOST=0``: every plan starts
its cluster in-process), ``--repeats`` times each, and reports the median wall
time and CPU time (user + system of pytest and its children, the host included)
of each, their ratio, and the wall time saved per plan.

    .venv/bin/python benchmarks/bench_services_host.py                # whole suite, 3 x 2 runs
    .venv/bin/python benchmarks/bench_services_host.py --plans 8 --repeats 2   # a sample
    .venv/bin/python benchmarks/bench_services_host.py --json out.json

The script reports, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from figures import load_average, machine
from plan_bench import PLANS, ROOT
from plans_suite import SuiteRun, run_suite

MODES = {"with the host": {"RIG_SERVICES_HOST": "1"}, "in-process": {"RIG_SERVICES_HOST": "0"}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The plan suite with and without the host.")
    parser.add_argument("--plans", type=int, help="only the first N plan files (a sample)")
    parser.add_argument("--repeats", type=int, default=3, help="suite runs per mode (3)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    files = sorted(str(p.relative_to(ROOT)) for p in PLANS.glob("*.yaml"))[: args.plans]
    load_before = load_average()
    began = time.perf_counter()
    run_suite(files, ["--collect-only"], None)  # warm the file cache, not recorded
    runs: dict[str, list[SuiteRun]] = {mode: [] for mode in MODES}
    for _ in range(args.repeats):  # alternate so load bursts hit both alike
        for mode, env in MODES.items():
            runs[mode].append(run_suite(files, [], None, env))
    wall = {mode: statistics.median(r.wall_s for r in done) for mode, done in runs.items()}
    cpu = {mode: statistics.median(r.cpu_s for r in done) for mode, done in runs.items()}
    host, alone = MODES
    saved_ms = (wall[alone] - wall[host]) / len(files) * 1000
    print(
        f"services host: {len(files)} plan files, {args.repeats} run(s) per mode; "
        f"{machine()['nproc']} CPU(s); load average before {load_before}"
    )
    for mode, done in runs.items():
        exits = ", ".join(map(str, sorted({r.exit_code for r in done})))
        walls = ", ".join(f"{r.wall_s:.2f}" for r in done)
        cpus = ", ".join(f"{r.cpu_s:.2f}" for r in done)
        print(
            f"  {mode:14} wall {wall[mode]:6.2f} s (runs {walls}), "
            f"CPU {cpu[mode]:6.2f} s (runs {cpus}); pytest exit {exits}"
        )
    print(
        f"  ratio in-process / with the host: wall {wall[alone] / wall[host]:.2f}x, "
        f"CPU {cpu[alone] / cpu[host]:.2f}x; wall saved per plan {saved_ms:.0f} ms"
    )
    print(
        f"total {time.perf_counter() - began:.1f} s; load average after {load_average()} "
        "(a shared machine inflates wall figures)"
    )
    if args.json is not None:
        payload = {
            "plans": len(files),
            "repeats": args.repeats,
            "machine": machine(),
            "wall_s": {mode: [r.wall_s for r in done] for mode, done in runs.items()},
            "cpu_s": {mode: [r.cpu_s for r in done] for mode, done in runs.items()},
            "saved_ms_per_plan": saved_ms,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
