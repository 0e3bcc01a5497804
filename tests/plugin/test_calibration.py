"""An instrument out of calibration refuses the run, unless the operator says so (recorded)."""

from __future__ import annotations

from pathlib import Path

from plugin.support import Project
from rig.results import RunRecord, read_results
from rig.runner.api import DEFAULT_BENCH


def overdue_bench(project: Project) -> Path:
    bench = project.pytester.path / "overdue.yaml"
    text = DEFAULT_BENCH.read_text("utf-8")
    text = text.replace(
        '  serial_number: "22040001"', "  serial_number: SDM-1\n  calibration_due: 2025-06-30", 1
    )
    bench.write_text(text, "utf-8")
    return bench


def test_an_overdue_calibration_refuses_the_run_and_names_the_instrument(
    project: Project,
) -> None:
    project.plan("sc1_home")
    result = project.pytester.runpytest("--bench", str(overdue_bench(project)))
    assert result.ret == 4  # a usage error: nothing ran
    result.stderr.fnmatch_lines(
        ["*calibration overdue: eumd (SDM-1) was due 2025-06-30*--allow-expired-calibration*"]
    )
    assert not list((project.pytester.path / "reports").glob("results-*.jsonl"))


def test_allowed_it_runs_and_the_results_and_report_say_so(project: Project) -> None:
    project.plan("sc1_home")
    result = project.pytester.runpytest(
        "--bench", str(overdue_bench(project)), "--allow-expired-calibration"
    )
    result.assert_outcomes(passed=1)
    [results_file] = (project.pytester.path / "reports").glob("results-*.jsonl")
    run = read_results(results_file)[0]
    assert isinstance(run, RunRecord) and run.allowed_expired_calibration
    [report] = (project.pytester.path / "reports").glob("*.html")
    assert "run with --allow-expired-calibration" in report.read_text("utf-8")
