"""Test-plan benchmark (issue 4, section 8): the suite's speed and the runner's cost per step.

One run measures, each against its baseline taken in the same run:

1. **Compliance suite wall time**, as users run it: ``pytest test_plans -q -p
   no:cacheprovider`` in a subprocess (results to a temporary ``--report`` directory),
   median of ``--repeats`` runs. Baseline: the same command with ``--collect-only``
   (interpreter, pytest and plugin start-up plus loading every plan, no plan run).
   Goal: <= 15 s on 2 cores.
2. **Simulated time per wall second**: the bench-clock time of every plan (first
   step's start to last step's end, from the ``step`` records of the run's results
   file) summed, over the suite's median wall time. Baseline: real time (one
   simulated second per wall second). Goal: >= 5,000x.
3. **Framework overhead per plan step**, in this process, on the simulated bench: a
   plan of ``plug_in`` then ``--steps`` no-op steps runs through the real runner
   (:func:`rig.runner.api.run_plan`, from a plan file, with a results writer). The
   *no-op step* is ``pev_stops_communicating``: the one step kind whose action is a
   single attribute assignment (no bench look, no service call), so everything else
   it costs is the runner's. The overhead covers

   - the step loop: clock read, dispatch (``run_step``'s ``match``), the action,
     the ``StepOutcome``, and the ``step`` record built, serialised, written and
     flushed to the results file — timed as the mean interval between consecutive
     ``step`` records of the no-op steps (the writer timestamps each one);
   - its share of locating the steps in the plan file (``file:line`` and YAML text
     for messages: the runner re-reads the plan once per run) — the cost of
     :func:`rig.runner.source.locate` on the N-step file minus on a 1-step file,
     per step;

   minus one call of a bare no-op Python function (the baseline of "a step that
   does nothing"). Not covered: the plan's set-up and safe end (once per plan, in
   row 1), loading and validating the plan (collection time).
   Baseline: **OpenHTF**'s overhead per no-op phase measured the same way in the same
   run (mean interval between consecutive calls of a phase that only records the
   time, minus a bare call), in the interpreter given by ``--openhtf-python``
   (default ``/tmp/openhtf-venv/bin/python`` if it exists, else this one). Without an
   importable ``openhtf`` the row is skipped with a note and the issue's quoted
   ~1 ms/phase is the baseline. Goal: <= 100 us/step (a tenth of OpenHTF's phase).
4. For scale, a ``wait_for`` whose condition already holds (``pilot.state == B``):
   the same plan shape, so the difference to row 3 is the one bench look (pilot,
   load and — when due — meters read over their simulated wires) every waiting
   step takes. No goal: it is bench I/O, not framework overhead.

``--profile`` adds a wall-clock cProfile of one in-process pass over the plans
(main thread: where each plan's wall time goes, set-up waits included).

Rows 1 and 2 are measured in ``plans_suite.py``, rows 3 and 4 in ``plans_steps.py``
(OpenHTF's side in ``openhtf_probe.py``), the profile in ``plans_profile.py``; what
they share is in ``plan_bench.py``. This script runs them and prints the table.

The script reports, it does not assert; it exits 0 whether or not a goal is met.
OpenHTF is never installed into the project's environment; for the baseline::

    python3 -m venv /tmp/openhtf-venv && /tmp/openhtf-venv/bin/pip install openhtf==1.6.3

    .venv/bin/python benchmarks/bench_plans.py               # full run
    .venv/bin/python benchmarks/bench_plans.py --quick       # smoke run: 2 plans, 1 repeat
    .venv/bin/python benchmarks/bench_plans.py --json out.json --profile
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from figures import load_average, machine
from plan_bench import FULL, QUICK, rows_table
from plans_profile import profile_plans
from plans_steps import OPENHTF_VENV, bench_steps, openhtf_python
from plans_suite import bench_suite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Test-plan benchmark (issue 4, section 8): suite speed, cost per step."
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 plans, 1 repeat")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the figures here")
    parser.add_argument(
        "--openhtf-python",
        metavar="PYTHON",
        help=f"interpreter with openhtf installed (default {OPENHTF_VENV} if present)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile one in-process pass over the plans"
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    htf_python = openhtf_python(args.openhtf_python)

    began = time.perf_counter()
    load_before = load_average()
    host = machine()
    print(
        f"test-plan benchmark ({'quick' if args.quick else 'full'}): "
        f"{host['nproc']} CPU(s) {host['cpu']}, Python {host['python']}; "
        f"load average {load_before}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-plans-") as tmp:
        scratch = Path(tmp)
        suite_rows, plans, notes = bench_suite(settings, scratch)
        step_rows, steps_info, step_notes = bench_steps(settings, scratch, htf_python)
    rows = suite_rows + step_rows
    notes += step_notes
    profile = profile_plans(settings) if args.profile else []
    elapsed = time.perf_counter() - began
    load_after = load_average()
    htf = steps_info.get("openhtf")
    info = machine(openhtf=htf.get("version") if isinstance(htf, dict) else None)

    print()
    print(rows_table(rows))
    print()
    for row in rows:
        print(f"- {row.measurement}: {row.detail}")
    print()
    for note in notes:
        print(note)
    if plans:
        print("per plan (median suite run): plan, verdict, steps, simulated")
        for p in plans:
            print(f"  {p.plan:32} {p.verdict:8} {p.steps:3}  {p.simulated_s / 3600:6.2f} h")
    for line in profile:
        print(line)
    print(
        f"total {elapsed:.1f} s; load average before {load_before}, after {load_after} "
        f"(a shared machine inflates wall figures; CPU figures are in the notes)"
    )
    if args.json is not None:
        payload = {
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "quick": args.quick,
            "machine": info,
            "load_average": {"before": load_before, "after": load_after},
            "elapsed_s": round(elapsed, 2),
            "rows": [asdict(row) for row in rows],
            "plans": [asdict(p) for p in plans],
            "steps": steps_info,
            "notes": notes,
            "profile": profile,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
