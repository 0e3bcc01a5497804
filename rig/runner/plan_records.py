"""One plan's records in the results file (:mod:`rig.results`, ``docs/results.md``).

:class:`PlanRecords` writes, for one plan, what the HTML report (:mod:`rig.report`)
renders — it reads nothing else:

- ``plan_start`` (:meth:`PlanRecords.begin`): title, scenario, requirements, the plan
  file and its SHA-256, and ``started_at`` on the *bench clock*, the clock the
  steps, series and events are on;
- a ``step`` record as each step ends: kind, ``source_line`` and ``source`` (the
  step's YAML), start and end on the bench clock, outcome, message;
- after the checks, every measurement: ``step`` where it belongs to one (the DR
  and ALM limits to the step that published them), otherwise ``source``, the YAML
  of the plan check it answers, so a failing check can be shown as written; the
  series it rests on that hold no point (``billed energy`` when the utility could
  not be reached and billed nothing) go to its ``unrecorded``, not its ``series``;
- the time series, each named and tagged by its :class:`~rig.results.SeriesKind`
  (:func:`~rig.runner.session_rows.series_of`);
- ``event`` records: each DR event, ALM limit and published price with its
  effective window, clipped to the session, and each fault a step injected (a
  :class:`~rig.plans.steps.Fault`, until the step that ends it if one does);
- ``interval`` records (:func:`~rig.runner.session_rows.interval_rows`): metered
  against billed energy per metering interval, with the bill line's account,
  tariff, period and rate, the interval's own amount (exact) and, on a line's last
  row, the line's rounding;
- ``service`` records: the binding answer, the grant, the utility's session, every
  bill line, and for SC-4 the clearinghouse's posting and settlement statement;
- ``plan_end`` with the verdict, ``ended_at`` on the bench clock when the plan's
  world was opened (the session's end as the services saw it), and the services
  the plan's links could not reach (``unreachable``).

Without a writer it writes nothing, so the runner never asks whether it has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rig.clock import to_datetime
from rig.esi.link import Unreached
from rig.plans import Plan
from rig.record import SessionRecord
from rig.results import (
    EventRecord,
    Interruption,
    IntervalRecord,
    MeasurementRecord,
    PlanEndRecord,
    PlanStartRecord,
    ResultsWriter,
    SeriesRecord,
    ServiceRecord,
    StepRecord,
    UnreachableService,
    file_sha256,
)
from rig.results.measurements import Measurement, Verdict
from rig.runner.outcome import StepOutcome
from rig.runner.session_rows import events_of, interval_rows, series_of, services_of


@dataclass(frozen=True)
class Judgement:
    """A measurement as the report files it: its step, or the YAML of its plan check."""

    measurement: Measurement
    step: int | None = None
    source: str = ""


class PlanRecords:
    """Writes one plan's records; see the module docstring."""

    def __init__(
        self, writer: ResultsWriter | None, run_id: str, plan: Plan, plan_file: Path | None
    ) -> None:
        self.writer = writer
        self.run_id = run_id
        self.source = plan
        self.plan = plan.plan
        self.plan_file = plan_file
        self.begun = False

    def begin(self, started_at: float | None, utility_protocol: str = "") -> None:
        """Write ``plan_start``; ``started_at`` on the bench clock (``None``: wall time now),
        ``utility_protocol`` the ESI's (empty when the plan broke before its world)."""
        if self.writer is None or self.begun:
            return
        self.begun = True
        plan, path = self.source, self.plan_file
        self.writer.write(
            PlanStartRecord(
                run_id=self.run_id,
                plan=plan.plan,
                file=str(path or ""),
                file_sha256=file_sha256(path) if path is not None and path.is_file() else "",
                title=plan.title,
                scenario=plan.scenario,
                requirements=tuple(plan.covers),
                started_at=to_datetime(started_at) if started_at is not None else datetime.now(UTC),
                utility_protocol=utility_protocol,
                utility_data=plan.utility_data,
            )
        )

    def step(self, outcome: StepOutcome) -> None:
        if self.writer is None:
            return
        self.begin(None)
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
                source=outcome.yaml,
            )
        )

    def measurements(
        self,
        judged: Sequence[Judgement],
        record: SessionRecord | None,
        steps: Sequence[StepOutcome],
    ) -> None:
        if self.writer is None:
            return
        self.begin(None)
        series = {k: p for k, p in (series_of(record) if record else {}).items() if p}
        for j in judged:
            m = MeasurementRecord.from_measurement(self.run_id, self.plan, j.step, j.measurement)
            update: dict[str, object] = {"source": j.source} if j.source else {}
            if not series.keys() >= set(m.series):
                update["series"] = tuple(n for n in m.series if n in series)
                update["unrecorded"] = tuple(n for n in m.series if n not in series)
            self.writer.write(m.model_copy(update=update) if update else m)
        for of, points in series.items():
            self.writer.write(
                SeriesRecord(
                    run_id=self.run_id,
                    plan=self.plan,
                    name=of.value,
                    unit=of.unit,
                    kind=of,
                    points=tuple(points),
                )
            )
        if record is None:
            return
        for kind, t, t_end, label in events_of(record, self.source, steps):
            self.writer.write(
                EventRecord(
                    run_id=self.run_id, plan=self.plan, kind=kind, t=t, t_end=t_end, label=label
                )
            )
        for row in interval_rows(record.intervals, record.services.bill_lines):
            self.writer.write(
                IntervalRecord(
                    run_id=self.run_id,
                    plan=self.plan,
                    start=row.start,
                    end=row.end,
                    metered_kwh=row.metered_kwh,
                    billed_kwh=row.billed_kwh,
                    account=row.line.account_id if row.line else "",
                    tariff=row.line.tariff_id if row.line else "",
                    rate_period=row.line.rate_period if row.line else "",
                    rate=row.line.rate if row.line else None,
                    amount=row.amount,
                    line_rounding=row.line_rounding,
                    currency=row.line.currency if row.line else "",
                )
            )
        for source, kind, data in services_of(record):
            self.writer.write(ServiceRecord.of(self.run_id, self.plan, source, kind, data))

    def end(
        self,
        verdict: Verdict,
        message: str,
        ended_at: float | None = None,
        interrupted: Interruption | None = None,
        unreachable: Sequence[Unreached] = (),
    ) -> None:
        """Write ``plan_end``; ``ended_at`` on the bench clock (``None``: wall time now)."""
        if self.writer is None:
            return
        self.begin(None)
        self.writer.write(
            PlanEndRecord(
                run_id=self.run_id,
                plan=self.plan,
                ended_at=to_datetime(ended_at) if ended_at is not None else datetime.now(UTC),
                verdict=verdict,
                message=message,
                interrupted=interrupted,
                unreachable=tuple(
                    UnreachableService(
                        service=u.service, url=u.url, error=u.error, failures=u.failures
                    )
                    for u in unreachable
                ),
            )
        )
