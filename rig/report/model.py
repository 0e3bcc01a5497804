"""The report's view model: what the HTML shows, worked out from results files alone.

Design principle 6 (*records are data*) says the report is rendered from the JSON
lines results files (:mod:`rig.results`), never from a runner's memory; that is
what lets a lab re-render a run from its archive years later, or merge the files
of several benches or pytest-xdist workers into one report. :func:`build_report`
therefore takes only a :class:`~rig.results.ResultSet` (read and validated by
:func:`~rig.results.merge_results`) plus the requirement catalogue, and works out:

* one :class:`PlanView` per plan per run, **failures first** (worst verdict first,
  by :data:`~rig.report.traceability.RANK`; by run start and plan ID within each);
* per scenario (``sc1`` … ``sc6``, from the plan's ``scenario`` or else its
  ``SC-n`` tag) the worst verdict of its plans;
* the traceability matrix (:mod:`rig.report.traceability`);
* per run: the bench and each instrument's calibration, flagged expired when due
  before the run started (an instrument must be in calibration when it measures);
* the services a plan could not reach (``unreachable`` on ``plan_end``), per
  service, and the series a measurement rests on that were never recorded.

Verdicts rank FAIL < INCONCLUSIVE < MARGINAL < PASS (:data:`~rig.report.traceability.RANK`);
MARGINAL passes but is shown, so a lab looks; INCONCLUSIVE, once the results have it,
is never shown as a pass.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rig.report.traceability import RANK, Covered, trace, worst
from rig.results import (
    InstrumentIdentity,
    Interruption,
    MeasurementRecord,
    PlanResults,
    ResultSet,
    RunResults,
    StepRecord,
    UnreachableService,
)
from rig.results.measurements import Verdict


@dataclass(frozen=True)
class InstrumentView:
    identity: InstrumentIdentity
    expired: bool
    """Calibration due before the run started."""


@dataclass(frozen=True)
class RunView:
    """One run (or one worker of a run) and its bench."""

    results: RunResults
    label: str
    instruments: tuple[InstrumentView, ...]

    @property
    def expired(self) -> tuple[InstrumentView, ...]:
        return tuple(i for i in self.instruments if i.expired)


@dataclass(frozen=True)
class PlanView:
    """One plan as one run recorded it."""

    anchor: str
    run: RunView
    results: PlanResults
    scenario: str

    @property
    def plan(self) -> str:
        return self.results.start.plan

    @property
    def verdict(self) -> Verdict:
        return self.results.verdict

    @property
    def interrupted(self) -> Interruption | None:
        """What a stop signal did to the plan, if one ended it."""
        end = self.results.end
        return end.interrupted if end is not None else None

    @property
    def unreachable(self) -> tuple[UnreachableService, ...]:
        """The services the plan could not reach."""
        end = self.results.end
        return end.unreachable if end is not None else ()

    @property
    def unrecorded(self) -> list[str]:
        """Series some measurement rests on that the plan never recorded, first seen first."""
        return list(dict.fromkeys(n for m in self.results.measurements for n in m.unrecorded))

    @property
    def failing(self) -> list[MeasurementRecord]:
        return [m for m in self.results.measurements if m.verdict is Verdict.FAIL]

    @property
    def failed_steps(self) -> list[StepRecord]:
        return [s for s in self.results.steps if s.outcome in ("failed", "error", "interrupted")]

    def step(self, index: int | None) -> StepRecord | None:
        return next((s for s in self.results.steps if s.index == index), None)

    @property
    def requirements(self) -> list[str]:
        """Tagged in ``plan_start`` or on any measurement, in first-seen order."""
        tags = list(self.results.start.requirements)
        tags += [r for m in self.results.measurements for r in m.requirements]
        return list(dict.fromkeys(tags))


@dataclass(frozen=True)
class ScenarioView:
    scenario: str
    title: str
    plans: tuple[PlanView, ...]

    @property
    def verdict(self) -> Verdict | None:
        return worst(p.verdict for p in self.plans)


@dataclass(frozen=True)
class Report:
    """Everything the HTML shows, in the order it shows it."""

    runs: tuple[RunView, ...]
    plans: tuple[PlanView, ...]
    scenarios: tuple[ScenarioView, ...]
    traceability: tuple[Covered[PlanView], ...]
    generated_at: dt.datetime
    sources: tuple[str, ...] = ()
    counts: dict[Verdict, int] = field(default_factory=dict)

    @property
    def verdict(self) -> Verdict | None:
        """FAIL if any plan failed, or if no plan ran at all."""
        return worst(p.verdict for p in self.plans) if self.plans else Verdict.FAIL

    @property
    def uncovered(self) -> list[Covered[PlanView]]:
        return [c for c in self.traceability if not c.plans]

    @property
    def unreachable(self) -> dict[tuple[str, str], list[tuple[PlanView, UnreachableService]]]:
        """Each service (ID, URL) some plan could not reach, with those plans."""
        found: dict[tuple[str, str], list[tuple[PlanView, UnreachableService]]] = {}
        for plan in self.plans:
            for u in plan.unreachable:
                found.setdefault((u.service, u.url), []).append((plan, u))
        return found

    @property
    def measurement_count(self) -> int:
        return sum(len(p.results.measurements) for p in self.plans)


_SCENARIO_TAG = re.compile(r"^SC-(\d+)$")


def scenario_of(plan: PlanResults) -> str:
    """``sc4`` from the plan's ``scenario`` field, else from its first ``SC-n`` tag."""
    if plan.start.scenario:
        return plan.start.scenario
    for tag in plan.start.requirements:
        match = _SCENARIO_TAG.match(tag)
        if match:
            return f"sc{match.group(1)}"
    return ""


def _run_view(run: RunResults, several: bool) -> RunView:
    record = run.run
    started = record.started_at.date()
    instruments = tuple(
        InstrumentView(i, i.calibration_due is not None and i.calibration_due < started)
        for i in record.bench.instruments
    )
    label = f"{record.bench.name} · {record.started_at:%Y-%m-%d %H:%M} · {record.run_id[:8]}"
    if record.worker:
        label += f" · {record.worker}"
    return RunView(run, label if several else record.bench.name, instruments)


def build_report(
    results: ResultSet,
    catalogue: Mapping[str, str],
    *,
    sources: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> Report:
    """The view model of ``results`` against the requirement ``catalogue`` (ID → title)."""
    runs = tuple(_run_view(r, len(results.runs) > 1) for r in results.runs)
    unsorted = [(run, plan) for run in runs for plan in run.results.plans.values()]
    unsorted.sort(
        key=lambda rp: (RANK[rp[1].verdict], rp[0].results.run.started_at, rp[1].start.plan)
    )
    plans = tuple(
        PlanView(f"plan-{i}", run, plan, scenario_of(plan))
        for i, (run, plan) in enumerate(unsorted, start=1)
    )
    scenario_ids = sorted({p.scenario for p in plans if p.scenario})
    scenarios = tuple(
        ScenarioView(
            s,
            catalogue.get(f"SC-{s[2:]}", "") if s.startswith("sc") else "",
            tuple(p for p in plans if p.scenario == s),
        )
        for s in scenario_ids
    )
    counts = {v: sum(1 for p in plans if p.verdict is v) for v in Verdict}
    if not counts[Verdict.INCONCLUSIVE]:
        del counts[Verdict.INCONCLUSIVE]  # shown only when a plan could not be decided
    return Report(
        runs=runs,
        plans=plans,
        scenarios=scenarios,
        traceability=trace(plans, catalogue),
        generated_at=now or dt.datetime.now(dt.UTC),
        sources=tuple(sources),
        counts=counts,
    )
