"""The plugin tests' throw-away project: plan files and a scripted runner for ``pytester``."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

#: A valid plan; ``{id}``, ``{scenario}``, ``{covers}`` and ``{title}`` vary per test.
PLAN = """\
plan: {id}
title: {title}
scenario: {scenario}
covers: [{covers}]
utility_data: two_utilities
pev: {{id: PEV-ALICE, preferences: {{energy: 10 kWh}}}}
premise: PREM-ALICE
portal: EP-ALICE-240
start: 2026-03-02T10:00:00-06:00
steps:
  - plug_in
  - charge: {{until: 5 kWh, within: 2 h}}
  - unplug
checks:
  - payer: ACC-ALICE
"""

#: Runs plans without a bench: a plan whose ID contains ``fail`` fails at its
#: ``charge`` step (index 1, line 12 of :data:`PLAN`); any other passes. It reports
#: progress twice per plan, and writes plan records to the results file.
SCRIPTED_RUNNER = """
import datetime as dt

from rig.results.measurements import Limits, Measurement
from rig.results import PlanEndRecord, PlanStartRecord
from rig.runner.api import Failure, PlanOutcome, Progress, SourceSpot

pytest_plugins = ["rig.pytest_plugin"]


def pytest_rig_run_plan(item, run, progress):
    plan = item.plan
    failing = "fail" in plan.plan
    energy = 3.2 if failing else 5.1
    measurement = Measurement.within(
        "energy delivered", energy, "kWh", Limits(low=5.0), requirements=("J-04",)
    )
    for left in (600.0, 300.0):
        progress(Progress(plan.plan, 1, "charge", energy / 2, left))
    now = dt.datetime.now(dt.UTC)
    out = run.writer()
    out.write(PlanStartRecord(run_id=run.run_id, plan=plan.plan, file=str(item.plan_file),
                              requirements=tuple(plan.covers), started_at=now))
    out.measurement(run.run_id, plan.plan, None, measurement)
    out.write(PlanEndRecord(run_id=run.run_id, plan=plan.plan, ended_at=now,
                            verdict=measurement.verdict))
    failure = None
    if failing:
        failure = Failure(
            message="energy 5 kWh not reached within 2 h",
            step_index=1,
            key="charge",
            yaml="- charge: {until: 5 kWh, within: 2 h}",
            source=SourceSpot(str(item.plan_file), 12),
            expected=">= 5 kWh",
            measured="3.2 kWh",
        )
    return PlanOutcome(
        plan_id=plan.plan,
        verdict="fail" if failing else "pass",
        measurements=[measurement],
        failure=failure,
        wall_s=0.25,
    )
"""


@dataclass
class Project:
    """A temporary project for one inner pytest run."""

    pytester: pytest.Pytester

    @property
    def plans(self) -> Path:
        return self.pytester.path / "test_plans"

    def plan(
        self,
        name: str,
        *,
        id: str | None = None,
        scenario: str = "sc1",
        covers: str = "SC-1, J-04",
        title: str = "A plan",
        text: str | None = None,
    ) -> Path:
        """Write ``test_plans/<name>.yaml``: :data:`PLAN` filled in, or ``text`` verbatim."""
        path = self.plans / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        plan_id = id or name.replace("_", "-")
        body = text or PLAN.format(id=plan_id, scenario=scenario, covers=covers, title=title)
        path.write_text(textwrap.dedent(body), encoding="utf-8")
        return path
