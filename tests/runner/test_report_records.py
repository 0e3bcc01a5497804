"""What the runner writes for the HTML report: plan header, steps, series, events, tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from rig.plans import load_plan
from rig.record import BillLine, MeteringInterval
from rig.results import (
    BenchIdentity,
    EventRecord,
    IntervalRecord,
    MeasurementRecord,
    PlanEndRecord,
    PlanStartRecord,
    ResultsWriter,
    RunRecord,
    SeriesRecord,
    ServiceRecord,
    StepRecord,
    file_sha256,
    read_results,
)
from rig.runner.api import run_plan
from rig.runner.session_rows import interval_rows
from tests.runner.support import EXAMPLES

T = TypeVar("T")
RUN = RunRecord(
    run_id="test-run",
    started_at=datetime(2026, 3, 2, tzinfo=UTC),
    software_version="test",
    bench=BenchIdentity(name="sim", simulated=True),
)


def _run(name: str, tmp_path: Path) -> list[object]:
    path = EXAMPLES / f"{name}.yaml"
    results = tmp_path / "results.jsonl"
    with ResultsWriter(results) as writer:
        writer.write(RUN)
        outcome = run_plan(load_plan(path), plan_file=path, results=writer, run_id=RUN.run_id)
    assert outcome.verdict == "pass", outcome.failure
    return list(read_results(results))


def _of(records: list[object], kind: type[T]) -> list[T]:
    return [r for r in records if isinstance(r, kind)]


def test_dr_plan_records_what_the_report_draws(tmp_path: Path) -> None:
    records = _run("pg_dlc_event", tmp_path)
    path = EXAMPLES / "pg_dlc_event.yaml"
    plan = load_plan(path)
    (start,) = _of(records, PlanStartRecord)
    assert start.title == plan.title and start.scenario == plan.scenario
    assert start.file_sha256 == file_sha256(path)
    assert plan.start is not None and start.started_at == plan.start  # the bench clock
    (end,) = _of(records, PlanEndRecord)
    assert end.ended_at > start.started_at and end.ended_at.year == 2026
    steps = _of(records, StepRecord)
    assert steps[0].source == "plug_in" and all(s.source for s in steps)
    assert steps[0].started_at == start.started_at

    series = {s.name: s for s in _of(records, SeriesRecord)}
    assert {
        "pilot state",
        "advertised ampacity",
        "load current",
        "load power",
        "EUMD register",
        "load energy",
        "billed energy",
    } <= set(series)
    assert series["pilot state"].unit == "state"
    assert {v for _, v in series["pilot state"].points} == {0, 1, 2}  # A, B, C
    billed = series["billed energy"].points
    assert billed[0][1] == 0 and billed[-1][1] > 2
    assert abs(series["load energy"].points[-1][1] / 1000 - billed[-1][1]) < 0.1

    events = _of(records, EventRecord)
    (dr,) = [e for e in events if e.kind == "dr"]
    assert dr.t_end is not None and dr.t_end - dr.t == 30 * 60 and dr.label == "DR limit 0.0 kW"
    first, last = series["pilot state"].points[0][0], series["pilot state"].points[-1][0]
    assert all(first <= e.t <= last for e in events)  # clipped to the session
    assert len(events) == len({(e.kind, e.t, e.t_end, e.label) for e in events})

    measurements = _of(records, MeasurementRecord)
    (limit,) = [m for m in measurements if m.name.startswith("DR ")]
    assert limit.step == next(s.index for s in steps if s.kind == "dr_event")
    payer = next(m for m in measurements if m.name == "payer: account")
    assert payer.step is None and payer.source.startswith("payer")

    intervals = _of(records, IntervalRecord)
    assert intervals and all(i.account == "ACC-ALICE" for i in intervals)
    metered = sum((i.metered_kwh or Decimal(0) for i in intervals), Decimal(0))
    assert metered == sum((i.billed_kwh or Decimal(0) for i in intervals), Decimal(0))
    assert len(billed) == len(intervals) + 1  # the billed curve steps per interval row
    kinds = {(r.source, r.kind) for r in _of(records, ServiceRecord)}
    assert {("utility", "binding"), ("utility", "grant"), ("utility", "session")} <= kinds
    assert ("utility", "bill_line") in kinds


def test_roaming_plan_records_posting_and_settlement(tmp_path: Path) -> None:
    records = _run("sc4_home_rate", tmp_path)
    kinds = {(r.source, r.kind) for r in _of(records, ServiceRecord)}
    assert {("clearinghouse", "posting"), ("clearinghouse", "settlement")} <= kinds


def test_outage_is_a_fault_event_until_the_utility_is_back(tmp_path: Path) -> None:
    records = _run("br01_utility_unreachable", tmp_path)
    steps = _of(records, StepRecord)
    (fault,) = [e for e in _of(records, EventRecord) if e.kind == "fault"]
    back = next(s for s in steps if s.kind == "utility_back")
    assert fault.t_end == back.started_at.timestamp()
    assert fault.label == "utility unreachable (premise)"
    (end,) = _of(records, PlanEndRecord)
    assert end.unreachable == ()  # an injected outage is a fault, not a service down


def _at(minute: int) -> datetime:
    return datetime(2026, 3, 2, 16, 0, tzinfo=UTC).replace(minute=minute)


def _line(start: int, end: int, kwh: str, amount: str, period: str) -> BillLine:
    return BillLine(
        account_id="ACC",
        kind="charge",
        start=_at(start),
        end=_at(end),
        kwh=Decimal(kwh),
        tariff_id="T",
        rate_period=period,
        rate=Decimal("0.1"),
        amount=Decimal(amount),
        currency="USD",
    )


def test_interval_rows_cut_at_a_line_boundary_and_sum_to_the_lines() -> None:
    intervals = [
        MeteringInterval(_at(0), _at(15), Decimal("1.000")),
        MeteringInterval(_at(15), _at(30), Decimal("1.200")),
        MeteringInterval(_at(30), _at(45), Decimal("0.900")),
    ]
    lines = [
        _line(0, 20, "1.400", "0.14", "mid"),  # the first interval and a third of the second
        _line(20, 45, "1.700", "0.34", "on"),
    ]
    rows = interval_rows(intervals, lines)
    assert [(r.start.minute, r.end.minute) for r in rows] == [(0, 15), (15, 20), (20, 30), (30, 45)]
    assert [r.metered_kwh for r in rows] == [
        Decimal("1.000"),
        Decimal("0.400"),
        Decimal("0.800"),
        Decimal("0.900"),
    ]
    assert [r.line.rate_period if r.line else "" for r in rows] == ["mid", "mid", "on", "on"]
    assert sum((r.billed_kwh or Decimal(0) for r in rows), Decimal(0)) == Decimal("3.100")
    # Each row priced at its line's rate; each line's rounding given once on its last row.
    assert [r.amount for r in rows] == [
        Decimal("0.1000"),
        Decimal("0.0400"),
        Decimal("0.0800"),
        Decimal("0.0900"),
    ]
    assert [r.line_rounding for r in rows] == [None, Decimal("0.0000"), None, Decimal("0.1700")]
    priced = sum((r.amount or Decimal(0) for r in rows), Decimal(0))
    assert priced + sum((r.line_rounding or Decimal(0) for r in rows), Decimal(0)) == Decimal(
        "0.48"
    )


def test_an_interval_no_line_covers_shows_nothing_billed() -> None:
    intervals = [MeteringInterval(_at(0), _at(15), Decimal("1.000"))]
    (row,) = interval_rows(intervals, [])
    assert row.billed_kwh is None and row.line is None and row.metered_kwh == Decimal("1.000")


def test_an_interval_amount_is_its_own_price_and_the_line_rounding_is_shown_once() -> None:
    # One line over four intervals, 0.166 + 0.166 + 0.166 + 0.002 = 0.500 kWh at
    # 0.10 USD/kWh: 0.05 USD. Sharing the rounded 0.05 by energy gave 0.02, 0.02, 0.02
    # and −0.01 USD on the 0.002 kWh interval. Each interval's amount is now its own
    # energy at the line's rate, exact: 0.0166 ×3 and 0.0002; the line's rounding to the
    # cent (0.05 − 0.0500 = 0) is carried once, on the line's last row.
    intervals = [
        MeteringInterval(_at(0), _at(15), Decimal("0.166")),
        MeteringInterval(_at(15), _at(30), Decimal("0.166")),
        MeteringInterval(_at(30), _at(45), Decimal("0.166")),
        MeteringInterval(_at(45), _at(59), Decimal("0.002")),
    ]
    rows = interval_rows(intervals, [_line(0, 59, "0.500", "0.05", "mid")])
    assert [r.amount for r in rows] == [Decimal("0.0166")] * 3 + [Decimal("0.0002")]
    assert [r.line_rounding for r in rows] == [None, None, None, Decimal(0)]
    # At 0.13 USD/kWh the line is 0.065 → 0.07 USD: the rows price 0.065 exactly and the
    # line's half-up rounding, +0.005 USD, is shown once, not spread over the intervals.
    line = replace(_line(0, 59, "0.500", "0.07", "mid"), rate=Decimal("0.13"))
    rows = interval_rows(intervals, [line])
    assert [r.amount for r in rows] == [Decimal("0.02158")] * 3 + [Decimal("0.00026")]
    assert rows[-1].line_rounding == Decimal("0.005")
    assert sum((r.amount or 0 for r in rows), Decimal(0)) + Decimal("0.005") == line.amount
