"""The view model and the traceability matrix, from records alone."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from report.page import parse
from rig.report import write_report
from rig.report.model import build_report
from rig.report.sample import write_sample_run
from rig.report.traceability import trace, worst
from rig.results import merge_results
from rig.results.measurements import Verdict


@dataclass(frozen=True)
class FakePlan:
    requirements: tuple[str, ...]
    verdict: Verdict


def test_matrix_rows_verdicts_and_unknown_tags() -> None:
    plans = [
        FakePlan(("SC-1", "J-04"), Verdict.PASS),
        FakePlan(("J-04", "J-04"), Verdict.MARGINAL),
        FakePlan(("SC-9",), Verdict.FAIL),
    ]
    rows = {
        r.requirement: r for r in trace(plans, {"SC-1": "home", "J-04": "energy", "BR-04": "x"})
    }
    assert rows["SC-1"].verdict is Verdict.PASS
    assert rows["J-04"].verdict is Verdict.MARGINAL and len(rows["J-04"].plans) == 2
    assert rows["BR-04"].verdict is None and rows["BR-04"].plans == ()
    assert not rows["SC-9"].in_catalogue and rows["SC-9"].verdict is Verdict.FAIL
    assert list(rows) == ["SC-1", "J-04", "BR-04", "SC-9"]


def test_worst() -> None:
    assert worst([Verdict.PASS, Verdict.MARGINAL]) is Verdict.MARGINAL
    assert worst([Verdict.PASS, Verdict.FAIL, Verdict.MARGINAL]) is Verdict.FAIL
    assert worst([]) is None


def test_plans_sorted_failures_first_and_scenarios(tmp_path: Path) -> None:
    results = merge_results([write_sample_run(tmp_path / "a.jsonl")])
    report = build_report(results, {"SC-3": "pev pays", "SC-4": "roaming"})
    assert [p.verdict for p in report.plans[:2]] == [Verdict.FAIL, Verdict.MARGINAL]
    assert report.verdict is Verdict.FAIL
    scenarios = {s.scenario: s for s in report.scenarios}
    assert scenarios["sc3"].verdict is Verdict.FAIL and scenarios["sc3"].title == "pev pays"
    assert scenarios["sc4"].verdict is Verdict.MARGINAL
    assert report.counts == {Verdict.PASS: 10, Verdict.MARGINAL: 1, Verdict.FAIL: 1}
    (run,) = report.runs
    assert [i.identity.role for i in run.expired] == ["premise_meter"]


def test_a_plan_that_never_ended_fails_and_says_so(tmp_path: Path) -> None:
    path = write_sample_run(tmp_path / "a.jsonl", plans=2, failing=False)
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [
        line
        for line in lines
        if not (
            json.loads(line)["type"] == "plan_end" and json.loads(line)["plan"] == "sc2-host-pays"
        )
    ]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    page = parse(write_report([path], tmp_path / "r.html").read_text(encoding="utf-8"))
    first = page.plan_sections()[0].attrs["id"]
    assert "sc2-host-pays" in page.section_text(first)
    assert "The plan never ended" in page.section_text(first)


def test_a_results_file_from_before_the_optional_records_renders(tmp_path: Path) -> None:
    """Schema-1 files written before events, intervals, services, titles and step YAML."""
    t0 = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC).isoformat()
    records = [
        {"type": "run", "run_id": "old", "started_at": t0, "software_version": "v0",
         "bench": {"name": "lab", "simulated": False}},
        {"type": "plan_start", "run_id": "old", "plan": "p", "requirements": ["SC-2", "J-04"],
         "started_at": t0},
        {"type": "step", "run_id": "old", "plan": "p", "index": 0, "kind": "charge",
         "started_at": t0, "ended_at": t0, "outcome": "failed", "message": "timed out"},
        {"type": "measurement", "run_id": "old", "plan": "p", "step": 0, "name": "energy",
         "mode": "limits", "value": 5.0, "unit": "kWh", "limits": {"low": 6.0},
         "verdict": "FAIL"},
        {"type": "plan_end", "run_id": "old", "plan": "p", "ended_at": t0, "verdict": "FAIL"},
    ]  # fmt: skip
    path = tmp_path / "old.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    page = parse(write_report([path], tmp_path / "r.html").read_text(encoding="utf-8"))
    text = page.section_text("plan-1")
    assert "sc2" in text  # scenario from the SC-2 tag
    assert "≥ 6 kWh" in text and "step YAML not recorded" in text
    assert [t for t in page.named("svg") if t.section == "plan-1"]
    assert "Steps over time" in text  # no series: the step timeline is its chart
