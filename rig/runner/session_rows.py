"""The session record as the results file's rows: series, events, interval rows, services.

What :class:`~rig.runner.plan_records.PlanRecords` writes after the checks, worked
out from the :class:`~rig.record.SessionRecord` alone:

- :func:`series_of`: the time series, each with its :class:`~rig.results.SeriesKind`;
- :func:`events_of`: grid signals and the faults the plan's steps injected;
- :func:`interval_rows`: metered against billed energy per metering interval;
- :func:`services_of`: the records the services held for the session.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from rig.clock import to_seconds
from rig.oracle.compare import PAYER_KINDS
from rig.plans import Plan
from rig.plans import steps as s
from rig.record import BillLine, MeteringInterval, SessionRecord
from rig.results import PILOT_STATE_VALUE, SeriesKind
from rig.results import SeriesKind as Kind
from rig.runner.outcome import StepOutcome

_WH = Decimal("0.001")


Points = list[tuple[float, float]]


def series_of(record: SessionRecord) -> dict[SeriesKind, Points]:
    """The recorded time series by kind, on the bench clock."""
    eumd = record.eumd.samples if record.eumd else []
    load_wh: Points = []
    total = 0.0
    for before, after in zip([None, *record.load], record.load, strict=False):
        if before is not None:
            total += (before.power_w + after.power_w) / 2 * (after.t - before.t) / 3600.0
        load_wh.append((after.t, total))
    return {
        Kind.PILOT_STATE: [(p.t, PILOT_STATE_VALUE[p.state.value]) for p in record.pilot],
        Kind.PILOT_DUTY: [(p.t, p.duty_pct) for p in record.pilot],
        Kind.ADVERTISED_AMPACITY: [(a.t, a.amps) for a in record.ampacity],
        Kind.LOAD_CURRENT: [(x.t, x.current_a) for x in record.load],
        Kind.LOAD_POWER: [(x.t, x.power_w) for x in record.load],
        Kind.EUMD_REGISTER: [(m.t, m.import_wh) for m in eumd],
        Kind.LOAD_ENERGY: load_wh,
        Kind.BILLED_ENERGY: _billed(record.intervals, record.services.bill_lines),
    }


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
        fault = plan.steps[outcome.index]
        if not isinstance(fault, s.Fault):
            continue
        later = (o for o in ran[position + 1 :] if _ends(plan.steps[o.index], fault))
        found.append(("fault", outcome.start, next((o.start for o in later), None), fault.label()))
    return found


def _ends(step: s.Step, fault: s.Fault) -> bool:
    """Whether ``step`` ends ``fault`` (an outage ends at its ``…_back`` step)."""
    return isinstance(step, s.FaultEnd) and isinstance(fault, step.ends)


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
