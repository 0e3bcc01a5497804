"""`rig report` merges runs, benches and pytest-xdist workers into one report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report.conftest import NOW
from report.page import parse
from rig.cli import EXIT_BAD_INPUT, EXIT_OK, main
from rig.report import write_report, write_run_report
from rig.report.sample import write_sample_run
from rig.results import ResultsFileError


def test_two_runs_merge_into_one_report(tmp_path: Path) -> None:
    a = write_sample_run(tmp_path / "a.jsonl", run_id="run-a", plans=12)
    b = write_sample_run(tmp_path / "b.jsonl", run_id="run-b", plans=3, failing=False, seed=2)
    page = parse(write_report([a, b], tmp_path / "r.html", now=NOW).read_text(encoding="utf-8"))
    assert len(page.plan_sections()) == 15
    bench = page.section_text("bench")
    assert "run-a" in bench and "run-b" in bench
    summary = page.section_text("summary")
    assert "15 plans" in summary and "a.jsonl" in page.all_text()
    # the same plan ID from two runs appears twice, each labelled with its run
    assert page.all_text().count("sc1-home") >= 2


def test_workers_of_one_run_merge(tmp_path: Path) -> None:
    gw0 = write_sample_run(tmp_path / "gw0.jsonl", run_id="run-x", worker="gw0", plans=4)
    gw1 = write_sample_run(tmp_path / "gw1.jsonl", run_id="run-x", worker="gw1", plans=2)
    page = parse(write_report([gw0, gw1], tmp_path / "r.html").read_text(encoding="utf-8"))
    assert len(page.plan_sections()) == 6
    assert "gw0" in page.section_text("bench") and "gw1" in page.section_text("bench")


def test_the_same_file_twice_is_refused(tmp_path: Path) -> None:
    a = write_sample_run(tmp_path / "a.jsonl")
    with pytest.raises(ResultsFileError, match="appears twice"):
        write_report([a, a], tmp_path / "r.html")


def test_cli_merges_two_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_sample_run(tmp_path / "a.jsonl", run_id="run-a")
    b = write_sample_run(tmp_path / "b.jsonl", run_id="run-b", plans=2)
    out = tmp_path / "out" / "report.html"
    assert main(["report", str(a), str(b), "-o", str(out)]) == EXIT_OK
    assert capsys.readouterr().out.strip() == str(out)
    assert len(parse(out.read_text(encoding="utf-8")).plan_sections()) == 14


def test_cli_names_file_and_line_of_a_bad_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_sample_run(tmp_path / "a.jsonl", plans=1)
    lines = a.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[1])
    record["started_at"] = "yesterday"
    lines[1] = json.dumps(record)
    a.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "report.html"
    assert main(["report", str(a), "-o", str(out)]) == EXIT_BAD_INPUT
    assert f"{a}:2:" in capsys.readouterr().err
    assert not out.exists()


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "r.html")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_run_report_gathers_every_worker_of_the_run(tmp_path: Path) -> None:
    run_id = "0123456789abcdef"
    for worker, plans in (("gw0", 3), ("gw1", 2)):
        write_sample_run(
            tmp_path / f"results-20260302T160000Z-{run_id[:8]}-{worker}.jsonl",
            run_id=run_id,
            worker=worker,
            plans=plans,
        )
    write_sample_run(tmp_path / "results-20260302T150000Z-ffffffff.jsonl", run_id="other")
    assert write_run_report(tmp_path, run_id, worker="gw0") is None  # a worker's no job
    out = write_run_report(tmp_path, run_id)
    assert out == tmp_path / f"report-20260302T160000Z-{run_id[:8]}.html"
    assert len(parse(out.read_text(encoding="utf-8")).plan_sections()) == 5
    assert write_run_report(tmp_path / "empty", run_id) is None
