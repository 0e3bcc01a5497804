"""One plan's records in the results file (:mod:`rig.results`, ``docs/results.md``).

:class:`PlanReport` writes, for one plan: ``plan_start`` when it begins, a
``step`` record as each step ends (kind, ``source_line``, start and end on the
bench clock, outcome, message), after the checks every measurement and the time
series that back them — the pilot duty, the advertised ampacity, the load's current
and the EUMD's register — and ``plan_end`` with the verdict. Without a writer it
writes nothing, so the runner never asks whether it has one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rig.clock import to_datetime
from rig.measurements import Measurement, Verdict
from rig.plans import Plan
from rig.record import SessionRecord
from rig.results import (
    PlanEndRecord,
    PlanStartRecord,
    ResultsWriter,
    SeriesRecord,
    StepRecord,
)
from rig.runner.api import StepOutcome


class PlanReport:
    """Writes one plan's records; see the module docstring."""

    def __init__(
        self, writer: ResultsWriter | None, run_id: str, plan: Plan, plan_file: Path | None
    ) -> None:
        self.writer = writer
        self.run_id = run_id
        self.plan = plan.plan
        if writer is not None:
            writer.write(
                PlanStartRecord(
                    run_id=run_id,
                    plan=plan.plan,
                    file=str(plan_file or ""),
                    requirements=tuple(plan.covers),
                    started_at=datetime.now(UTC),
                )
            )

    def step(self, outcome: StepOutcome) -> None:
        if self.writer is None:
            return
        self.writer.write(
            StepRecord(
                run_id=self.run_id,
                plan=self.plan,
                index=outcome.index,
                kind=outcome.key,
                source_line=outcome.source.line if outcome.source else None,
                started_at=to_datetime(outcome.start),
                ended_at=to_datetime(outcome.end),
                outcome=outcome.outcome,
                message=outcome.message,
            )
        )

    def measurements(self, measurements: list[Measurement], record: SessionRecord | None) -> None:
        if self.writer is None:
            return
        for measurement in measurements:
            self.writer.measurement(self.run_id, self.plan, None, measurement)
        if record is None:
            return
        series = {
            ("pilot duty", "%"): [(p.t, p.duty_pct) for p in record.pilot],
            ("advertised ampacity", "A"): [(a.t, a.amps) for a in record.ampacity],
            ("load current", "A"): [(x.t, x.current_a) for x in record.load],
            ("EUMD register", "Wh"): [
                (m.t, m.import_wh) for m in (record.eumd.samples if record.eumd else [])
            ],
        }
        for (name, unit), points in series.items():
            if points:
                self.writer.write(
                    SeriesRecord(
                        run_id=self.run_id,
                        plan=self.plan,
                        name=name,
                        unit=unit,
                        points=tuple(points),
                    )
                )

    def end(self, verdict: Verdict, message: str) -> None:
        if self.writer is None:
            return
        self.writer.write(
            PlanEndRecord(
                run_id=self.run_id,
                plan=self.plan,
                ended_at=datetime.now(UTC),
                verdict=verdict,
                message=message,
            )
        )
