"""The mutation self-test: seed defects one at a time and see whether the plan suite fails.

``make mutate`` (``python benchmarks/mutate.py``) runs three parts, each in scratch
copies of the tree (:mod:`mutation.workspace`; the working tree is never touched),
``--jobs`` suites at a time (2 on a 2-core machine):

1. **Curated defects** (:mod:`mutation.curated`): every entry of
   ``benchmarks/mutation/catalogue.yaml`` — realistic defects of the services and the
   simulated instruments, kept as data (a bench ``defects:`` section, or file + old
   text + new text) — against ``pytest test_plans -q -x``. Printed per defect: caught
   or survived, the plan that caught it, whether the failure message names it.
2. **Automated mutants** (:mod:`mutation.ast_mutants`): ``--sample`` mutants drawn
   with ``--seed`` from every site of the billing, rules and tariff code; killed,
   survived or equivalent.
3. **False fails**: the suite over ``--seeds`` bench seeds with no defect and a
   random in-class bias on each meter (90 % of its class at most): every failure is
   a false fail.

Goals, printed as ratios: at least 95 % of curated defects caught, at least 90 % of
non-equivalent mutants killed, 0 false fails. ``--json FILE`` writes every figure.
``--curated N`` / ``--sample N`` / ``--seeds N`` shrink a part (0 skips it) and ``-k
EXPR`` runs only the plans it selects; CI runs two curated defects and two mutants,
drawn at random, against one plan (``tests/benchmarks/test_mutate_sample.py``).
The figures of a full run are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutation import ast_mutants, curated
from mutation.workspace import ROOT, SuiteRun, Workspace

T = TypeVar("T")
R = TypeVar("R")
#: The accuracy classes (%) of the default bench's EUMD (C12.20 0.5) and premise meter (0.2).
CLASSES = (0.5, 0.2)


def in_parallel(
    jobs: int, items: Sequence[T], work: Callable[[Workspace, T], R], pytest_args: list[str]
) -> list[R]:
    """``work(workspace, item)`` for every item, ``jobs`` at a time, each job its own copy;
    each result is printed (its ``line()``) as it comes."""
    spaces: queue.Queue[Workspace] = queue.Queue()
    made = [Workspace(pytest_args) for _ in range(max(1, min(jobs, len(items))))]
    for space in made:
        spaces.put(space)

    def one(item: T) -> R:
        space = spaces.get()
        try:
            result = work(space, item)
            print(getattr(result, "line", lambda: str(result))(), flush=True)
            return result
        finally:
            spaces.put(space)

    try:
        with ThreadPoolExecutor(max_workers=len(made)) as pool:
            return list(pool.map(one, items))
    finally:
        for space in made:
            space.close()


def seed_bench(workspace: Workspace, seed: int) -> str:
    """The default bench on ``seed`` with a random in-class bias on each meter."""
    rng = random.Random(seed)
    eumd, premise = (round(rng.uniform(-0.9, 0.9) * limit, 3) for limit in CLASSES)
    simulation = {"seed": seed, "eumd": {"bias_pct": eumd}, "premise": {"bias_pct": premise}}
    return workspace.bench(simulation=simulation)


class SeedRun:
    def __init__(self, seed: int, run: SuiteRun) -> None:
        self.seed, self.run = seed, run

    def line(self) -> str:
        if self.run.passed:
            return f"  seed {self.seed:>3}: every plan passed ({self.run.seconds:.0f} s)"
        return f"  seed {self.seed:>3}: FALSE FAIL in {self.run.plan}"


def run_seed(workspace: Workspace, seed: int) -> SeedRun:
    try:
        return SeedRun(seed, workspace.run_suite("--bench", seed_bench(workspace, seed)))
    finally:
        workspace.restore()


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100.0 * part / whole:.1f} %" if whole else "0/0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--curated", type=int, default=None, help="a random N of the catalogue")
    parser.add_argument("--only", default="", help="comma-separated curated defect IDs")
    parser.add_argument("--sample", type=int, default=60, help="automated mutants to run")
    parser.add_argument("--seed", type=int, default=1, help="seed of both samples")
    parser.add_argument("--seeds", type=int, default=20, help="bench seeds without a defect")
    parser.add_argument("--jobs", type=int, default=2, help="suites run at a time")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("-k", dest="plans", default=None, help="only the plans pytest -k selects")
    args = parser.parse_args(argv)
    select = ["-k", args.plans] if args.plans else []
    began = time.monotonic()
    rng = random.Random(args.seed)
    figures: dict[str, Any] = {"seed": args.seed}
    ok = True

    defects = curated.catalogue()
    if args.only:
        by_id = {d.id: d for d in defects}
        defects = [by_id[name] for name in args.only.split(",")]  # in the order given
    elif args.curated is not None:
        defects = rng.sample(defects, min(args.curated, len(defects)))
    if defects:
        print(f"curated defects ({len(defects)}), pytest test_plans -q -x each:", flush=True)
        outcomes = in_parallel(args.jobs, defects, curated.run_defect, select)
        applied = [o for o in outcomes if not o.error]
        caught = [o for o in applied if o.caught]
        named = [o for o in caught if o.named]
        met = len(caught) >= 0.95 * len(applied)
        ok &= met and len(applied) == len(outcomes)
        print(f"curated caught: {ratio(len(caught), len(applied))} (goal >= 95 %)")
        print(f"  failure message names the defect: {ratio(len(named), len(caught))}")
        print(f"  not applied (stale patch): {len(outcomes) - len(applied)}")
        figures["curated"] = [o.to_json() for o in outcomes]

    if args.sample:
        mutants = ast_mutants.sample(ROOT, args.sample, args.seed)
        baseline = ast_mutants.probe(ROOT, args.seed)
        print(f"automated mutants ({len(mutants)} of {len(ast_mutants.all_mutants(ROOT))}):")
        results = in_parallel(
            args.jobs,
            mutants,
            lambda ws, m: ast_mutants.run_mutant(ws, m, baseline, args.seed),
            select,
        )
        killed = sum(r.verdict == "killed" for r in results)
        equivalent = sum(r.verdict == "equivalent" for r in results)
        live = len(results) - equivalent
        ok &= killed >= 0.9 * live
        print(f"mutants killed: {ratio(killed, live)} of non-equivalent (goal >= 90 %); ", end="")
        print(f"{equivalent} equivalent")
        figures["mutants"] = [r.to_json() for r in results]

    if args.seeds:
        print(f"false fails: the suite on {args.seeds} seeds, in-class biases, no defect:")
        runs = in_parallel(args.jobs, list(range(1, args.seeds + 1)), run_seed, select)
        false = [r for r in runs if not r.run.passed]
        ok &= not false
        print(f"false fails: {len(false)} of {len(runs)} runs (goal 0)")
        figures["seeds"] = [
            {"seed": r.seed, "passed": r.run.passed, "plan": r.run.plan, "message": r.run.failure}
            for r in runs
        ]

    figures["seconds"] = round(time.monotonic() - began)
    print(f"mutation self-test: {'every goal met' if ok else 'a goal NOT met'} "
          f"in {figures['seconds']} s")  # fmt: skip
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1), "utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
