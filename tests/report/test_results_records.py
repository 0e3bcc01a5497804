"""The optional results records the report renders: events, intervals, service records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from rig.record import BillLine
from rig.results import (
    BenchIdentity,
    EventRecord,
    IntervalRecord,
    PlanStartRecord,
    ResultsWriter,
    RunRecord,
    ServiceRecord,
    StepRecord,
    merge_results,
)

T0 = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)


def test_new_records_round_trip_and_group_under_their_plan(tmp_path: Path) -> None:
    line = BillLine(
        account_id="ACC-1",
        kind="charge",
        start=T0,
        end=T0 + dt.timedelta(minutes=15),
        kwh=Decimal("1.750"),
        tariff_id="HPL-PEV-TOU",
        rate_period="mid_peak",
        rate=Decimal("0.120"),
        amount=Decimal("0.21"),
        currency="USD",
    )
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as out:
        out.write(
            RunRecord(
                run_id="r",
                started_at=T0,
                software_version="v",
                bench=BenchIdentity(name="sim", simulated=True),
            )
        )
        out.write(
            PlanStartRecord(
                run_id="r",
                plan="p",
                title="A plan",
                scenario="sc1",
                file_sha256="cd" * 32,
                started_at=T0,
            )
        )
        out.write(
            StepRecord(
                run_id="r",
                plan="p",
                index=0,
                kind="charge",
                source_line=9,
                source="- charge: 30 min",
                started_at=T0,
                ended_at=T0,
                outcome="passed",
            )
        )
        out.write(EventRecord(run_id="r", plan="p", kind="dr", t=10.0, t_end=20.0, label="0 kW"))
        out.write(
            IntervalRecord(
                run_id="r",
                plan="p",
                start=line.start,
                end=line.end,
                metered_kwh=Decimal("1.750"),
                billed_kwh=line.kwh,
                rate_period=line.rate_period,
                rate=line.rate,
                amount=line.amount,
                currency="USD",
            )
        )
        out.write(ServiceRecord.of("r", "p", "utility", "bill_line", line))

    plan = merge_results([path]).runs[0].plans["p"]
    assert plan.start.scenario == "sc1"
    assert plan.steps[0].source == "- charge: 30 min"
    assert plan.events[0].t_end == 20.0
    assert plan.intervals[0].rate == Decimal("0.120")
    assert plan.services[0].fields["amount"] == "0.21"
    assert plan.services[0].fields["start"] == T0.isoformat()
