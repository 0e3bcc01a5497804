"""J-04's guard band over seeds: does a 1.2×-class EUMD always fail, a 0.8×-class one always pass?

Runs the J-04 plan(s) (default ``test_plans/sc1_home.yaml``, 6 kWh) on the default
simulated bench — SDM630 EUMD class C12.20 0.5, class 0.05 reference standard —
over ``--seeds`` seeds (1…N), with the EUMD's gain error set to ``±0.8`` and ``±1.2``
times its class. The bench file refuses a bias beyond the class (as it must), and
helper-free defect injection is not part of the bench file yet, so this script sets
the *simulator's* bias directly: it wraps :func:`rig.bench.simulated.model_config`
so the coupled model's EUMD carries the bias (and the seed), while the bench file,
the records and the oracle keep the declared class.

Two reference settings per seed:

* ``declared``: the reference's bias as the bench file states it (0.01 %);
* ``edge``: the reference's bias drawn per seed, uniformly within its whole class
  (±0.05 %, seeded), the worst a calibrated class 0.05 standard may be.

It prints, per setting and bias, how many runs the J-04 class decision
("J-04 EUMD accuracy vs reference") called PASS, INCONCLUSIVE and FAIL, the
measured error range, U and the TUR, then whether the goal holds: 1.2× → FAIL in
every run, 0.8× → PASS in every run (``declared``); never a wrong verdict
(``edge``: a 1.2× never passes, a 0.8× never fails).

    .venv/bin/python benchmarks/j04_guard_band.py [--seeds 20] [--plans test_plans/sc1_home.yaml]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from figures import table

from drivers.sim.model import ModelConfig
from rig.bench import simulated
from rig.bench.config import BenchConfig
from rig.plans import load_plan
from rig.results.measurements import Measurement, Verdict
from rig.runner.api import run_plan
from rig.runner.teardown import finish_teardowns

ROOT = Path(__file__).resolve().parents[1]
EUMD_CLASS_PCT = 0.5
REFERENCE_CLASS_PCT = 0.05
FACTORS = (-1.2, -0.8, 0.8, 1.2)
NAME = "J-04 EUMD accuracy vs reference"


@dataclass(frozen=True)
class Run:
    factor: float
    setting: str
    seed: int
    verdict: Verdict
    error_pct: float
    expanded_pct: float


@contextmanager
def biased(seed: int, eumd_bias_pct: float, reference_bias_pct: float | None) -> Iterator[None]:
    """The simulator's EUMD (and maybe reference) bias and seed, for one plan run."""
    original: Callable[[BenchConfig], ModelConfig] = simulated.model_config

    def model_config(config: BenchConfig) -> ModelConfig:
        made = original(config)
        eumd = replace(
            made.eumd,
            accuracy_pct=max(abs(eumd_bias_pct), made.eumd.accuracy_pct),  # the model's guard
            bias_pct=eumd_bias_pct,
        )
        reference = made.reference
        if reference is not None and reference_bias_pct is not None:
            reference = replace(reference, bias_pct=reference_bias_pct)
        return replace(made, seed=seed, eumd=eumd, reference=reference)

    simulated.model_config = model_config  # type: ignore[assignment]
    try:
        yield
    finally:
        simulated.model_config = original  # type: ignore[assignment]


def decision(measurements: list[Measurement]) -> Measurement:
    found = [m for m in measurements if m.name == NAME]
    if not found:
        raise SystemExit(f"no {NAME!r} measurement: does the bench have a reference?")
    return found[0]


def run_all(plans: list[Path], seeds: int) -> list[Run]:
    runs: list[Run] = []
    for setting in ("declared", "edge"):
        for factor in FACTORS:
            for seed in range(1, seeds + 1):
                ref_bias = None
                if setting == "edge":
                    draw = random.Random(f"reference-{seed}-{factor}")
                    ref_bias = draw.uniform(-REFERENCE_CLASS_PCT, REFERENCE_CLASS_PCT)
                for path in plans:
                    with biased(seed, factor * EUMD_CLASS_PCT, ref_bias):
                        outcome = run_plan(load_plan(path), plan_file=path)
                    m = decision(outcome.measurements)
                    assert m.uncertainty is not None and isinstance(m.value, float)
                    runs.append(
                        Run(factor, setting, seed, m.verdict, m.value, m.uncertainty.expanded)
                    )
    finish_teardowns()
    return runs


def report(runs: list[Run]) -> tuple[str, bool]:
    rows: list[tuple[str, ...]] = []
    met = True
    for setting in ("declared", "edge"):
        for factor in FACTORS:
            group = [r for r in runs if r.setting == setting and r.factor == factor]
            counts = Counter(r.verdict for r in group)
            errors = [r.error_pct for r in group]
            u = max(r.expanded_pct for r in group)
            wanted = Verdict.FAIL if abs(factor) > 1 else Verdict.PASS
            wrong = Verdict.PASS if wanted is Verdict.FAIL else Verdict.FAIL
            ok = counts[wanted] == len(group) if setting == "declared" else counts[wrong] == 0
            met &= ok
            rows.append(
                (
                    setting,
                    f"{factor:+.1f}x ({factor * EUMD_CLASS_PCT:+.2f} %)",
                    str(len(group)),
                    str(counts[Verdict.PASS]),
                    str(counts[Verdict.INCONCLUSIVE]),
                    str(counts[Verdict.FAIL]),
                    f"{min(errors):+.3f}…{max(errors):+.3f} %",
                    f"{u:.3f} %",
                    f"{EUMD_CLASS_PCT / u:.1f}:1",
                    "yes" if ok else "NO",
                )
            )
    header = ("reference", "EUMD bias", "runs", "PASS", "INCONCL.", "FAIL", "error", "U", "TUR")
    return table(rows, (*header, "goal met")), met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--plans", nargs="+", default=["test_plans/sc1_home.yaml"])
    args = parser.parse_args()
    plans = [ROOT / p for p in args.plans]
    start = time.perf_counter()
    runs = run_all(plans, args.seeds)
    text, met = report(runs)
    print(text)
    print(
        f"{len(runs)} plan runs in {time.perf_counter() - start:.0f} s; goal "
        f"(declared: 1.2x all FAIL, 0.8x all PASS; edge: no wrong verdict) "
        f"{'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
