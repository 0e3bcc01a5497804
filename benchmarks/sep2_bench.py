"""IEEE 2030.5 benchmark (issue 12, *Measured*), in one run.

1. **The plan suite over 2030.5 against the same suite over JSON.**
   ``pytest test_plans -q -p no:cacheprovider --utility-protocol P`` in a subprocess
   (``plans_suite.run_suite``), in the order rest, ieee2030.5, ieee2030.5, rest
   (``--repeats`` times), so a burst of load from other processes hits both alike.
   Figures: the median wall time of each, their ratio (goal: 2030.5 at most 1.5× the
   JSON wall time), and how many plans passed over each — a ratio of suites that do
   not both pass compares unequal work, and the script says so.
2. **Metering-mirror ingest against the JSON ingest** on the same database
   (``sep2_ingest.py``): 96-interval sessions per second over each.
3. **The longer fuzz** of the XML endpoints (``sep2_fuzz.py``): requests sent, 5xx
   answers (goal: 0).

The script reports; it does not assert, and exits 0 whether or not a goal is met.

    .venv/bin/python benchmarks/sep2_bench.py                 # full run (a few minutes)
    .venv/bin/python benchmarks/sep2_bench.py --quick         # small counts, no plan suite
    .venv/bin/python benchmarks/sep2_bench.py --json reports/sep2_bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from plans_suite import plan_figures, run_suite
from sep2_fuzz import measure as fuzz
from sep2_ingest import measure as ingest

PROTOCOLS = ("rest", "ieee2030.5")


def plan_suites(repeats: int, files: list[str]) -> dict[str, Any]:
    """Wall time and verdicts of the plan suite over each protocol."""
    walls: dict[str, list[float]] = {p: [] for p in PROTOCOLS}
    passed: dict[str, int] = {}
    plans: dict[str, int] = {}
    exits: dict[str, set[int]] = {p: set() for p in PROTOCOLS}
    failed: dict[str, set[str]] = {p: set() for p in PROTOCOLS}  # in any run
    with tempfile.TemporaryDirectory(prefix="bench-sep2-plans-") as tmp:
        run_suite(files, ["--collect-only"], None)  # warm the file cache, not recorded
        for repeat in range(repeats):
            for i, protocol in enumerate([*PROTOCOLS, *reversed(PROTOCOLS)]):
                report = Path(tmp) / f"{protocol}-{repeat}-{i}"
                run = run_suite(files, ["--utility-protocol", protocol], report)
                walls[protocol].append(run.wall_s)
                exits[protocol].add(run.exit_code)
                figures = plan_figures(run.results)
                ok = [p.verdict in ("PASS", "MARGINAL", "pass") for p in figures]
                plans[protocol], passed[protocol] = len(ok), sum(ok)
                failed[protocol] |= {
                    p.plan for p, good in zip(figures, ok, strict=True) if not good
                }
    rest, sep2 = (statistics.median(walls[p]) for p in PROTOCOLS)
    return {
        "plan_files": files,
        "walls_s": {p: [round(w, 2) for w in ws] for p, ws in walls.items()},
        "rest_wall_s": round(rest, 2),
        "sep2_wall_s": round(sep2, 2),
        "sep2_over_rest": round(sep2 / rest, 3),
        "plans": plans,
        "passed": passed,
        "pytest_exit": {p: sorted(e) for p, e in exits.items()},
        "not_passed_in_some_run": {p: sorted(f) for p, f in failed.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1, help="ABBA rounds of the plan suite")
    parser.add_argument("--plans", nargs="*", default=["test_plans"], help="plan files/dirs")
    parser.add_argument("--sessions", type=int, default=2000, help="sessions per ingest run")
    parser.add_argument("--fuzz-examples", type=int, default=2000, help="payloads per endpoint")
    parser.add_argument("--quick", action="store_true", help="small counts, no plan suite")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.fuzz_examples, args.plans = 200, 50, []

    figures: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    }
    print(f"machine: {figures['machine']}")
    if args.plans:
        suites = plan_suites(args.repeats, args.plans)
        figures["plan_suite"] = suites
        same = suites["passed"]["rest"] == suites["passed"]["ieee2030.5"]
        print(
            f"plan suite: JSON {suites['rest_wall_s']} s, 2030.5 {suites['sep2_wall_s']} s "
            f"(median of {suites['walls_s']}): 2030.5/JSON = {suites['sep2_over_rest']}x "
            f"[goal <= 1.5x]; plans passed: JSON {suites['passed']['rest']}/"
            f"{suites['plans']['rest']}, 2030.5 {suites['passed']['ieee2030.5']}/"
            f"{suites['plans']['ieee2030.5']}"
            + ("" if same else " -- NOT the same plans passing: the ratio compares unequal work")
        )
        print(f"  not passing in some run: {suites['not_passed_in_some_run']}")
    flow = ingest(args.sessions, 8)
    figures["ingest"] = flow
    print(
        f"ingest, {flow['sessions_per_protocol']} sessions x 96 intervals each way, "
        f"{flow['concurrency']} in flight, one database: JSON {flow['json_sessions_per_s']} "
        f"sessions/s, 2030.5 mirror {flow['sep2_sessions_per_s']} sessions/s "
        f"(2030.5/JSON = {flow['sep2_over_json']}x); errors JSON {flow['json_errors']}, "
        f"2030.5 {flow['sep2_errors']}; server CPU per session JSON "
        f"{flow['json_server_cpu_ms_per_session']} ms, 2030.5 "
        f"{flow['sep2_server_cpu_ms_per_session']} ms"
    )
    fuzzed = fuzz(args.fuzz_examples)
    figures["fuzz"] = fuzzed
    print(
        f"fuzz: {fuzzed['requests']} requests to {len(fuzzed['per_endpoint'])} XML endpoints "
        f"in {fuzzed['seconds']} s, {fuzzed['server_errors']} 5xx [goal 0]; statuses "
        f"{fuzzed['statuses']}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
