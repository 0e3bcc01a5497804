"""How ``bench_drivers.py`` times a driver against its baseline: short runs, in pairs.

After a warm-up, driver and baseline are timed in short pairs of runs (about
``Plan.round_s`` each, alternating which goes first), and a :class:`Row` holds the
median rate of each side and the median of the per-pair ratios, so a burst of load
from another process on a shared machine hits both sides of a pair alike. The
process's CPU time per call is kept too.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """How much to time: run lengths and how many runs."""

    rounds: int  # paired driver/baseline runs per comparison (medians are reported)
    round_s: float  # about how long each timed run of a pair lasts
    rtu_reads: int  # RTU transactions per timed run
    rtu_repeats: int
    charge_s: int  # simulated seconds per charge run
    charge_repeats: int
    warmup: int  # untimed calls before timing


FULL = Plan(
    rounds=31,
    round_s=0.03,
    rtu_reads=10,
    rtu_repeats=3,
    charge_s=3600,
    charge_repeats=5,
    warmup=200,
)
QUICK = Plan(
    rounds=3,
    round_s=0.01,
    rtu_reads=2,
    rtu_repeats=1,
    charge_s=3600,
    charge_repeats=1,
    warmup=20,
)


@dataclass(frozen=True)
class Row:
    """One line of the results table (and of the JSON file)."""

    key: str
    measurement: str
    detail: str
    value: float
    unit: str
    baseline: float
    baseline_label: str
    ratio: float
    goal: float
    runs: list[float]
    baseline_runs: list[float]
    #: CPU time of this process (driver thread + simulator loop) per call, median, in us.
    cpu_us: float | None = None
    baseline_cpu_us: float | None = None

    @property
    def met(self) -> bool:
        return self.ratio >= self.goal


@dataclass(frozen=True)
class Timed:
    """One timed run: calls per wall second, and this process's CPU seconds per call."""

    per_s: float
    cpu_s: float


def timed(op: Callable[[], object], count: int, *, collect: bool = True) -> Timed:
    """Time ``count`` back-to-back calls of ``op``."""
    if collect:
        gc.collect()
    cpu = time.process_time()
    start = time.perf_counter()
    for _ in range(count):
        op()
    wall = time.perf_counter() - start
    return Timed(count / wall, (time.process_time() - cpu) / count)


def warm(op: Callable[[], object], count: int) -> float:
    """Call ``op`` ``count`` times untimed-for-the-record; return seconds per call."""
    start = time.perf_counter()
    for _ in range(count):
        op()
    return (time.perf_counter() - start) / max(count, 1)


def versus(
    driver: Callable[[], object],
    baseline: Callable[[], object],
    *,
    plan: Plan,
) -> tuple[list[Timed], list[Timed]]:
    """``plan.rounds`` pairs of timed runs of ``driver`` and ``baseline``.

    Both sides get the same number of calls per run, sized from the warm-up so a run
    lasts about ``plan.round_s``. Runs are short and alternate which side goes first,
    so a burst of load from another process hits both sides of most pairs alike.
    """
    per_call = warm(driver, plan.warmup) + warm(baseline, plan.warmup)
    count = max(10, round(plan.round_s / (per_call / 2)))
    rounds = plan.rounds
    ours: list[Timed] = []
    theirs: list[Timed] = []
    for run in range(rounds):
        if run % 2 == 0:
            ours.append(timed(driver, count))
            theirs.append(timed(baseline, count))
        else:
            theirs.append(timed(baseline, count))
            ours.append(timed(driver, count))
    return ours, theirs


def compared(
    key: str,
    measurement: str,
    detail: str,
    unit: str,
    baseline_label: str,
    goal: float,
    runs: tuple[list[Timed], list[Timed]],
    *,
    scale: int = 1,
) -> Row:
    """Medians of both sides and of the per-round ratios; ``scale``: units per call."""
    ours, theirs = runs
    ratio = statistics.median(a.per_s / b.per_s for a, b in zip(ours, theirs, strict=True))
    return Row(
        key,
        measurement,
        detail,
        statistics.median(t.per_s for t in ours) * scale,
        unit,
        statistics.median(t.per_s for t in theirs) * scale,
        baseline_label,
        ratio,
        goal,
        [t.per_s * scale for t in ours],
        [t.per_s * scale for t in theirs],
        statistics.median(t.cpu_s for t in ours) * 1e6,
        statistics.median(t.cpu_s for t in theirs) * 1e6,
    )
