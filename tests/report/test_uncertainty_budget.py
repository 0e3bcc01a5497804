"""The plan detail shows a guard-banded measurement's rule, U, TUR and budget, pass or not."""

from __future__ import annotations

from pathlib import Path

from report.conftest import NOW
from report.page import parse
from rig.report import write_report
from rig.results import MeasurementRecord, PlanEndRecord, ResultsWriter, read_results
from rig.results.measurements import Limits, Measurement, Verdict
from rig.results.uncertainty import Term, Uncertainty


def test_a_passing_j04_shows_its_budget_and_an_inconclusive_one_its_badge(
    sample_run: Path, tmp_path: Path
) -> None:
    ends = [r for r in read_results(sample_run) if isinstance(r, PlanEndRecord)]
    plan = next(end.plan for end in ends if end.verdict is Verdict.PASS)
    budget = Uncertainty((Term("reference class", 0.05, note="class 0.05 %"),))
    limits = Limits(low=-0.5, high=0.5)
    passing = Measurement.within("J-04 EUMD accuracy vs reference", 0.09, "%", limits,
                                 uncertainty=budget)  # fmt: skip
    edge = Measurement.within("J-04 EUMD accuracy vs load", 0.48, "%", limits,
                              uncertainty=budget)  # fmt: skip
    assert edge.verdict is Verdict.INCONCLUSIVE
    with ResultsWriter(sample_run) as out:
        for m in (passing, edge):
            out.write(MeasurementRecord.from_measurement("sample-run", plan, None, m))
    page = parse(write_report([sample_run], tmp_path / "r.html", now=NOW).read_text("utf-8"))
    text = "".join(page.section_text(s.attrs["id"]) for s in page.plan_sections())
    assert "decision rule: guard-banded, ILAC-G8:09/2019 / ISO 14253-1:2017 (k=2)" in text
    assert "U = 0.0577 % (k=2), TUR 8.7:1" in text
    assert "reference class 0.0289 % (class 0.05 %)" in text
    assert text.count("decision rule:") == 2  # the passing one too
    assert "INCONCLUSIVE" in text
