"""One plan's records in the results file (:mod:`rig.results`, ``docs/results.md``).

:class:`PlanReport` writes, for one plan, what the HTML report (:mod:`rig.report`)
renders — it reads nothing else:

- ``plan_start`` (:meth:`PlanReport.begin`): title, scenario, requirements, the plan
  file and its SHA-256, and ``started_at`` on the *bench clock*, the clock the
  steps, series and events are on;
- a ``step`` record as each step ends: kind, ``source_line`` and ``source`` (the
  step's YAML), start and end on the bench clock, outcome, message;
- after the checks, every measurement: ``step`` where it belongs to one (the DR
  and ALM limits to the step that published them), otherwise ``source``, the YAML
  of the plan check it answers, so a failing check can be shown as written; the
  series it rests on that hold no point (``billed energy`` when the utility could
  not be reached and billed nothing) go to its ``unrecorded``, not its ``series``;
- the time series: ``pilot state`` (unit ``state``, 0…5 for A…F), ``pilot duty``,
  ``advertised ampacity``, ``load current``, ``load power``, and the cumulative
  energies ``EUMD register`` (meter), ``load energy`` (the trapezoid of the load's
  own power readings) and ``billed energy`` (the payer's billed energy, cumulated
  per interval row);
- ``event`` records: each DR event, ALM limit and published price with its
  effective window, clipped to the session, and each injected fault (an outage lasts until its
  ``…_back`` step; other faults are open-ended);
- ``interval`` records (:func:`interval_rows`): metered against billed energy per
  metering interval, with the bill line's account, tariff, period and rate, the
  interval's own amount (exact) and, on a line's last row, the line's rounding;
- ``service`` records: the binding answer, the grant, the utility's session, every
  bill line, and for SC-4 the clearinghouse's posting and settlement statement;
- ``plan_end`` with the verdict, ``ended_at`` on the bench clock when the plan's
  world was opened (the session's end as the services saw it), and the services
  the plan's links could not reach (``unreachable``).

Without a writer it writes nothing, so the runner never asks whether it has one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from rig.clock import to_datetime, to_seconds
from rig.esi.link import Unreached
from rig.oracle.compare import PAYER_KINDS
from rig.plans import Plan
from rig.plans import steps as s
from rig.record import BillLine, MeteringInterval, SessionRecord
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
from rig.runner.api import StepOutcome

#: The value of each pilot state on the ``pilot state`` series (unit ``state``).
PILOT_STATE_VALUE = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4, "F": 5}
_WH = Decimal("0.001")


@dataclass(frozen=True)
class Judgement:
    """A measurement as the report files it: its step, or the YAML of its plan check."""

    measurement: Measurement
    step: int | None = None
    source: str = ""


class PlanReport:
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
        series = [(n, u, p) for n, u, p in (series_of(record) if record else []) if p]
        recorded = {name for name, _, _ in series}
        for j in judged:
            m = MeasurementRecord.from_measurement(self.run_id, self.plan, j.step, j.measurement)
            update: dict[str, object] = {"source": j.source} if j.source else {}
            if not recorded.issuperset(m.series):
                update["series"] = tuple(n for n in m.series if n in recorded)
                update["unrecorded"] = tuple(n for n in m.series if n not in recorded)
            self.writer.write(m.model_copy(update=update) if update else m)
        for name, unit, points in series:
            self.writer.write(
                SeriesRecord(
                    run_id=self.run_id, plan=self.plan, name=name, unit=unit, points=tuple(points)
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


Points = list[tuple[float, float]]


def series_of(record: SessionRecord) -> list[tuple[str, str, Points]]:
    """The recorded time series as (name, unit, points), on the bench clock."""
    eumd = record.eumd.samples if record.eumd else []
    load_wh: Points = []
    total = 0.0
    for before, after in zip([None, *record.load], record.load, strict=False):
        if before is not None:
            total += (before.power_w + after.power_w) / 2 * (after.t - before.t) / 3600.0
        load_wh.append((after.t, total))
    return [
        ("pilot state", "state", [(p.t, PILOT_STATE_VALUE[p.state.value]) for p in record.pilot]),
        ("pilot duty", "%", [(p.t, p.duty_pct) for p in record.pilot]),
        ("advertised ampacity", "A", [(a.t, a.amps) for a in record.ampacity]),
        ("load current", "A", [(x.t, x.current_a) for x in record.load]),
        ("load power", "W", [(x.t, x.power_w) for x in record.load]),
        ("EUMD register", "Wh", [(m.t, m.import_wh) for m in eumd]),
        ("load energy", "Wh", load_wh),
        ("billed energy", "kWh", _billed(record.intervals, record.services.bill_lines)),
    ]


def _billed(intervals: Sequence[MeteringInterval], lines: Sequence[BillLine]) -> Points:
    """The payer's billed energy, cumulated at the end of each interval row (from 0).

    The rows of :func:`interval_rows` share each bill line among the metering
    intervals it covers, so the curve steps per interval, not once per line; without
    intervals it steps at each line's end.
    """
    payer = sorted((x for x in lines if x.kind in PAYER_KINDS), key=lambda x: x.start)
    if not payer:
        return []
    spans = [(r.start, r.end, r.billed_kwh or Decimal(0)) for r in interval_rows(intervals, payer)]
    if not intervals:
        spans = [(x.start, x.end, x.kwh) for x in payer]
    points: Points = [(to_seconds(spans[0][0]), 0.0)]
    total = Decimal(0)
    for _, end, kwh in spans:
        total += kwh
        points.append((to_seconds(end), float(total)))
    return points


#: The fault steps, by their YAML key; an outage ends at its ``…_back`` step.
_FAULTS = {
    "utility_unreachable": "utility_back",
    "clearinghouse_unreachable": "clearinghouse_back",
    "meter_unavailable": None,
    "pilot_fault": None,
    "pev_stops_communicating": None,
}


def events_of(
    record: SessionRecord, plan: Plan, steps: Sequence[StepOutcome]
) -> list[tuple[str, float, float | None, str]]:
    """Grid signals and injected faults as (kind, t, t_end, label), on the bench clock.

    A grid signal is shown where it was in force during the session, from when the
    ESI heard of it if that was later: one in force since before plug-in starts at
    the first pilot reading, one published for
    later hours than the session lasted is left out (the charts' time axis is the
    session's).
    """
    found: list[tuple[str, float, float | None, str]] = []
    first = record.pilot[0].t if record.pilot else -math.inf
    last = record.pilot[-1].t if record.pilot else math.inf
    for e in dict.fromkeys(record.grid_events):  # the ESI hears a signal at every poll
        start = to_seconds(e.binding_from)
        end = to_seconds(e.effective_until) if e.effective_until else None
        if start > last or (end is not None and end <= first):
            continue
        if e.kind == "price":
            label = f"price {e.price}/kWh"
        else:
            label = f"{e.kind.upper()} limit {e.limit_kw if e.limit_kw is not None else 0} kW"
        found.append((e.kind, max(start, first), end, label))
    ran = [o for o in steps if o.outcome != "skipped"]
    for position, outcome in enumerate(ran):
        if outcome.key not in _FAULTS:
            continue
        back = _FAULTS[outcome.key]
        end = next((o.start for o in ran[position + 1 :] if back and o.key == back), None)
        step = plan.steps[outcome.index]
        label = outcome.key.replace("_", " ")
        if isinstance(step, s.PilotFault):
            label = f"pilot {step.pilot_fault.state}"
        elif isinstance(step, s.UtilityUnreachable):
            label += f" ({step.utility_unreachable.utility})"
        found.append(("fault", outcome.start, end, label))
    return found


@dataclass(frozen=True)
class IntervalRow:
    """One row of the interval table: a metering interval, or its part on one bill line."""

    start: datetime
    end: datetime
    metered_kwh: Decimal
    billed_kwh: Decimal | None
    amount: Decimal | None
    """The row's billed energy at its line's rate, exact (not rounded to the cent)."""
    line: BillLine | None
    line_rounding: Decimal | None = None
    """On a line's last row only: the line's amount less the sum of its rows' amounts."""


def interval_rows(
    intervals: Sequence[MeteringInterval], lines: Sequence[BillLine]
) -> list[IntervalRow]:
    """Metered against billed energy, one row per metering interval and payer bill line.

    A bill line may span several intervals (consecutive pieces at one price form
    one line), and a line boundary may cut an interval (a TOU boundary). Each
    interval is cut at the payer's line boundaries; a piece's metered energy is its
    share of the interval by time (billing rule 2, ``docs/oracle.md``), and its
    billed energy is the line's, shared among the line's pieces by their metered
    energy (the last piece of a line takes the remainder to the Wh, and a step
    size's extra with it, so the rows sum to the line). A row's **amount is its own
    billed energy at the line's rate, exact** (0.002 kWh at 0.10 USD/kWh is 0.0002
    USD): never a share of the line's rounded amount, which put a line's rounding
    remainder on one interval (−0.01 USD on a 0.002 kWh interval). The line's
    rounding to the cent — its amount less its rows' amounts — is given once, as
    ``line_rounding`` on the line's last row. An interval no line covers shows
    nothing billed.
    """
    payer = sorted((x for x in lines if x.kind in PAYER_KINDS), key=lambda x: x.start)
    pieces: list[tuple[MeteringInterval, datetime, datetime, Decimal, BillLine | None]] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        span = (interval.end - interval.start).total_seconds()
        covering = [x for x in payer if x.start < interval.end and x.end > interval.start]
        if not covering or span <= 0:
            pieces.append((interval, interval.start, interval.end, interval.kwh, None))
            continue
        for line in covering:
            start, end = max(line.start, interval.start), min(line.end, interval.end)
            share = Decimal(repr((end - start).total_seconds() / span))
            kwh = (interval.kwh * share).quantize(_WH, rounding=ROUND_HALF_UP)
            pieces.append((interval, start, end, kwh, line))
    metered_on: dict[int, Decimal] = {}
    for _, _, _, kwh, on in pieces:
        if on is not None:
            metered_on[id(on)] = metered_on.get(id(on), Decimal(0)) + kwh
    left = {id(x): (x.kwh, x.amount, sum(1 for p in pieces if p[4] is x)) for x in payer}
    rows = []
    for _, start, end, kwh, billed_on in pieces:
        if billed_on is None:
            rows.append(IntervalRow(start, end, kwh, None, None, None))
            continue
        line = billed_on
        kwh_left, amount_left, count = left[id(line)]
        if count == 1:
            billed = kwh_left
        else:
            metered = metered_on[id(line)]
            fraction = kwh / metered if metered else Decimal(1) / Decimal(count)
            billed = (line.kwh * fraction).quantize(_WH, rounding=ROUND_HALF_UP)
        amount = billed * line.rate
        left[id(line)] = (kwh_left - billed, amount_left - amount, count - 1)
        rounding = amount_left - amount if count == 1 else None
        rows.append(IntervalRow(start, end, kwh, billed, amount, line, rounding))
    return rows


def services_of(record: SessionRecord) -> list[tuple[str, str, object]]:
    """The service records of the session as (source, kind, dataclass)."""
    found: list[tuple[str, str, object]] = []
    held = record.services
    if record.binding is not None:
        found.append(("utility", "binding", record.binding))
    if record.grant is not None:
        found.append(("utility", "grant", record.grant))
    if held.session is not None:
        found.append(("utility", "session", held.session))
    found += [("utility", "bill_line", line) for line in held.bill_lines]
    if held.posting is not None:
        found.append(("clearinghouse", "posting", held.posting))
    if held.settlement is not None:
        found.append(("clearinghouse", "settlement", held.settlement))
    return found
