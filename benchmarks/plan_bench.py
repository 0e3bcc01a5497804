"""What the parts of the test-plan benchmark share: where the repository is, the
settings of a run and one row of its table.

``bench_plans.py`` is the script; :mod:`plans_suite` measures the suite as users run
it (rows 1 and 2), :mod:`plans_steps` the runner's cost per step against OpenHTF's
(rows 3 and 4), :mod:`plans_profile` where a pass over the plans spends its time.
Importing this module puts the repository on ``sys.path``, so the others can import
``rig`` after it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from figures import number, ratio, table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PLANS = ROOT / "test_plans"


@dataclass(frozen=True)
class Settings:
    repeats: int  # suite runs (and collect-only runs); medians are reported
    steps: int  # no-op steps per plan
    holding_steps: int  # wait_for steps per plan
    step_repeats: int  # runs of each step plan
    plan_limit: int | None  # run only the first plan files (quick)


FULL = Settings(repeats=3, steps=500, holding_steps=100, step_repeats=3, plan_limit=None)
QUICK = Settings(repeats=1, steps=50, holding_steps=20, step_repeats=1, plan_limit=2)


@dataclass
class Row:
    """One line of the table (and of the JSON file)."""

    key: str
    measurement: str
    value: float
    unit: str
    baseline: float
    baseline_label: str
    ratio: float
    goal: str
    met: bool | None
    detail: str = ""
    runs: list[float] = field(default_factory=list)
    baseline_runs: list[float] = field(default_factory=list)


def rows_table(rows: list[Row]) -> str:
    lines = [
        (
            row.measurement,
            f"{number(row.value)} {row.unit}",
            f"{number(row.baseline)} {row.baseline_label}",
            ratio(row.ratio),
            row.goal,
            "yes" if row.met else ("NO" if row.met is not None else "-"),
        )
        for row in rows
    ]
    return table(lines)
