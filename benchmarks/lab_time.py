"""Lab time: how long the suite holds a wall-clock bench, as written and under a profile.

A plan's bench-clock time (:attr:`~rig.runner.api.PlanOutcome.simulated_s`, first
step's start to last step's end) is the same on the virtual clock and on a lab
bench: the steps wait for the same states, charge for the same durations, and the
services' start delays come from the same seeded draws. So the suite's wall time
on a lab bench is estimated without one, in two parts:

1. **bench time**: every plan run on the simulated bench (virtual clock, a few
   seconds for the whole suite), as written and under the profile
   (:mod:`rig.plans.labtime`), its ``simulated_s`` summed;
2. **overhead per plan** — set-up (the bench's drivers, the services), the outbox
   drain, fetching the records, judging, safe state — measured for real with
   ``--wall PLAN …``: each named plan, under the profile, runs on ``rig sim``
   through a lab-style bench file (:class:`rig.bench.labsim.LabSim`, wall clock);
   its wall time minus its bench time is that plan's overhead.

The estimate is ``Σ bench time + plans × largest measured overhead``. The table
also gives, per plan, the worst case: every charge to its duration or timeout and
every ``wait_for`` to its timeout.

    .venv/bin/python benchmarks/lab_time.py                                   # ~30 s
    .venv/bin/python benchmarks/lab_time.py --wall pilot-fault-e sc5-unknown-pev   # + ~5 min

It reports; it asserts nothing (``tests/plans/test_labtime.py`` holds the 2-h goal).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rig.bench.labsim import LabSim
from rig.plans import Plan, labtime, load_plans, plan_files
from rig.plans import steps as s
from rig.pytest_plugin.failure import describe
from rig.runner.api import finish_teardowns, run_plan

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "test_plans"
GOAL_S = 2 * 3600.0


@dataclass(frozen=True)
class Row:
    plan: str
    written_s: float
    profiled_s: float
    worst_written_s: float
    worst_profiled_s: float


def worst_case_s(plan: Plan) -> float:
    """Bench time if every charge and every wait ran to its duration or timeout."""
    total = 0.0
    for step in plan.steps:
        match step:
            case s.Charge(charge=args):
                longest = args.duration or args.within
                total += longest.seconds if longest is not None else 0.0
            case s.WaitFor(wait_for=args):
                total += args.within.seconds
    return total


def bench_time_s(plan: Plan, file: Path) -> float:
    """The plan's bench-clock seconds on the simulated bench; it must pass."""
    outcome = run_plan(plan, plan_file=file)
    if not outcome.passed:
        raise SystemExit(f"{plan.plan} did not pass:\n{describe(outcome)}")
    return outcome.simulated_s


def rows(profile: labtime.LabProfile) -> list[Row]:
    table = []
    for file, plan in load_plans(plan_files(PLANS)).items():
        lab = labtime.apply(profile, plan)
        table.append(
            Row(
                plan.plan,
                bench_time_s(plan, file),
                bench_time_s(lab, file),
                worst_case_s(plan),
                worst_case_s(lab),
            )
        )
    finish_teardowns()
    return table


@dataclass(frozen=True)
class WallRun:
    plan: str
    wall_s: float
    bench_s: float

    @property
    def overhead_s(self) -> float:
        return self.wall_s - self.bench_s


def wall_runs(profile: labtime.LabProfile, names: list[str]) -> list[WallRun]:
    """Each named plan under the profile on ``rig sim`` through a lab bench file."""
    by_id = {plan.plan: (file, plan) for file, plan in load_plans(plan_files(PLANS)).items()}
    runs = []
    for name in names:
        file, plan = by_id[name]
        with tempfile.TemporaryDirectory() as scratch, LabSim(Path(scratch)) as lab:
            began = time.monotonic()
            outcome = run_plan(
                labtime.apply(profile, plan), plan_file=file, bench_file=lab.bench_file
            )
            wall = time.monotonic() - began
        if not outcome.passed:
            raise SystemExit(f"{name} did not pass on the wall clock:\n{describe(outcome)}")
        runs.append(WallRun(name, wall, outcome.simulated_s))
        print(f"  wall clock: {name}: {wall:.1f} s wall, {outcome.simulated_s:.1f} s bench time")
    return runs


def _h(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="lab-2h", help="profile name or file")
    parser.add_argument("--wall", nargs="*", default=[], metavar="PLAN", help="plans to time")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    profile = labtime.load_profile(args.profile)

    runs = wall_runs(profile, args.wall)
    table = rows(profile)
    print(f"\nbench-clock seconds per plan, as written and under {profile.name}")
    print(f"{'plan':36} {'written':>9} {profile.name:>9} {'ratio':>6}   worst: written  profiled")
    for r in table:
        ratio = r.written_s / r.profiled_s if r.profiled_s else 0.0
        print(
            f"{r.plan:36} {r.written_s:9.0f} {r.profiled_s:9.0f} {ratio:5.1f}×"
            f"   {r.worst_written_s:14.0f} {r.worst_profiled_s:9.0f}"
        )
    written = sum(r.written_s for r in table)
    profiled = sum(r.profiled_s for r in table)
    print(
        f"{'total (' + str(len(table)) + ' plans)':36} {written:9.0f} {profiled:9.0f} "
        f"{written / profiled:5.1f}×   {sum(r.worst_written_s for r in table):14.0f} "
        f"{sum(r.worst_profiled_s for r in table):9.0f}"
    )
    print(f"bench time: {_h(written)} as written, {_h(profiled)} under {profile.name}")
    if runs:
        overhead = max(run.overhead_s for run in runs)
        estimate = profiled + len(table) * overhead
        print(
            f"overhead per plan on the wall clock: "
            f"{', '.join(f'{r.plan} {r.overhead_s:.1f} s' for r in runs)}; largest {overhead:.1f} s"
        )
        print(
            f"estimate under {profile.name}: {_h(profiled)} + {len(table)} × {overhead:.1f} s = "
            f"{_h(estimate)} (goal {_h(GOAL_S)}: {'met' if estimate <= GOAL_S else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
