"""A plan whose services could not be reached: its records, and what the report says.

The end-to-end run with the services down is ``tests/plugin/test_services_down.py``;
here the writer (:class:`~rig.runner.plan_records.PlanRecords`), the reader and the HTML
are checked on a plan whose world never opened, so no series at all was recorded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from report.conftest import NOW
from report.page import parse
from rig.esi.link import Unreached
from rig.plans import load_plan
from rig.report import write_report
from rig.results import BenchIdentity, ResultsWriter, RunRecord, merge_results
from rig.results.measurements import Limits, Measurement, Verdict
from rig.runner.plan_records import Judgement, PlanRecords

PLAN = Path(__file__).resolve().parents[2] / "test_plans" / "sc1_home.yaml"
DOWN = Unreached("HPL", "http://127.0.0.1:9", "ConnectError: [Errno 111] Connection refused", 7)


def _write(path: Path) -> None:
    j04 = Measurement.within(
        "J-04 load energy vs EUMD",
        1.0,
        "kWh",
        Limits(low=0.9, high=1.1),
        requirements=("J-04",),
        series=("EUMD register", "load energy", "billed energy"),
    )
    with ResultsWriter(path) as writer:
        writer.write(
            RunRecord(
                run_id="r",
                started_at=NOW,
                software_version="v",
                bench=BenchIdentity(name="sim", simulated=True),
            )
        )
        report = PlanRecords(writer, "r", load_plan(PLAN), PLAN)
        report.begin(NOW.timestamp())
        report.measurements([Judgement(j04)], None, [])
        report.end(Verdict.FAIL, "utility session record missing", None, None, [DOWN])


def test_unrecorded_series_and_unreachable_services_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    _write(path)
    plan = merge_results([path]).runs[0].plans["sc1-home"]
    [j04] = plan.measurements
    assert j04.series == ()
    assert j04.unrecorded == ("EUMD register", "load energy", "billed energy")
    assert j04.verdict is Verdict.PASS  # the value was measured; only its evidence is missing
    assert plan.end is not None
    [down] = plan.end.unreachable
    assert (down.service, down.url, down.failures) == ("HPL", "http://127.0.0.1:9", 7)
    assert down.error.startswith("ConnectError")


def test_the_report_names_the_unreachable_service_and_the_missing_series(
    tmp_path: Path,
) -> None:
    path = tmp_path / "results.jsonl"
    _write(path)
    html = write_report([path], tmp_path / "report.html", now=NOW + dt.timedelta(hours=1))
    page = parse(html.read_text(encoding="utf-8"))
    summary = " ".join(page.section_text("summary").split())
    assert "Services unreachable" in summary
    assert (
        "HPL at http://127.0.0.1:9 : ConnectError: [Errno 111] Connection refused — "
        "7 failed requests, in sc1-home"
    ) in summary
    section = " ".join(page.section_text("plan-1").split())
    assert "Services unreachable during this plan" in section
    assert "(7 failed requests)" in section
    assert "not recorded: EUMD register, load energy, billed energy" in section
    assert "Not recorded (no point, so no chart): EUMD register" in section
