"""The run's records: one results file under --report, and JUnit XML with each plan's verdict."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from plugin.support import Project
from rig.bench.config import load_bench
from rig.results import RunRecord, file_sha256, merge_results, read_results
from rig.runner.api import DEFAULT_BENCH


def test_one_results_file_per_run_with_run_metadata(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "lab-tech")
    project.plan("sc1_home")
    project.plan("sc1_fail")
    project.pytester.runpytest("--report", "out/results", "--approver", "Q. A. Lead")
    [path] = (project.pytester.path / "out" / "results").glob("results-*.jsonl")
    records = read_results(path)
    run = records[0]
    assert isinstance(run, RunRecord)
    assert run.operator == "lab-tech"
    assert run.approver == "Q. A. Lead"
    assert run.software_dirty is not None  # run from this checkout
    assert run.software_version not in ("", "unknown")
    simulation = load_bench(DEFAULT_BENCH).simulation
    assert simulation is not None
    assert (run.bench.name, run.bench.simulated, run.seed) == ("sim", True, simulation.seed)
    assert run.bench.file_sha256 == file_sha256(DEFAULT_BENCH)
    instruments = {i.role: i for i in run.bench.instruments}
    assert set(instruments) >= {"eumd", "load", "pilot"}
    assert instruments["eumd"].idn == "Eastron SDM630"  # the instrument's own answer
    assert instruments["eumd"].accuracy_class  # the bench file's
    assert all(i.serial for i in instruments.values())
    [result] = merge_results([path]).runs
    assert sorted(result.plans) == ["sc1-fail", "sc1-home"]
    assert result.ended_at is not None
    assert [m.verdict for m in result.plans["sc1-fail"].measurements] == ["FAIL"]


def test_operator_option_and_default_report_dir(project: Project) -> None:
    project.plan("sc1_home")
    project.pytester.runpytest("--operator", "ci-bot")
    [path] = (project.pytester.path / "reports").glob("results-*.jsonl")
    run = read_results(path)[0]
    assert isinstance(run, RunRecord) and run.operator == "ci-bot"


def test_no_plans_run_no_results_file(project: Project) -> None:
    project.pytester.makepyfile(test_unit="def test_x():\n    pass\n")
    project.pytester.runpytest().assert_outcomes(passed=1)
    assert not (project.pytester.path / "reports").exists()


def test_junit_xml_carries_each_plans_verdict_and_requirements(project: Project) -> None:
    project.plan("sc1_home")
    project.plan("sc4_fail", scenario="sc4", covers="SC-4, BR-06")
    # xunit1: the JUnit family whose schema has per-testcase properties (pyproject.toml)
    project.pytester.runpytest("--junitxml", "junit.xml", "-o", "junit_family=xunit1")
    tree = ET.parse(project.pytester.path / "junit.xml")
    cases = {case.get("name"): case for case in tree.iter("testcase")}
    assert set(cases) == {"sc1-home", "sc4-fail"}
    properties = {
        name: {p.get("name"): p.get("value") for p in case.iter("property")}
        for name, case in cases.items()
    }
    assert properties["sc1-home"] == {
        "verdict": "pass",
        "scenario": "sc1",
        "requirements": "SC-1 J-04",
        "measurements": "1/1",
    }
    assert properties["sc4-fail"]["verdict"] == "fail"
    assert properties["sc4-fail"]["requirements"] == "SC-4 BR-06"
    failure = cases["sc4-fail"].find("failure")
    assert failure is not None
    assert "- charge: {until: 5 kWh, within: 2 h}" in (failure.text or "")
    assert cases["sc1-home"].find("failure") is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--bench", "missing.yaml"], "*missing.yaml:1:1: cannot read*"),
        (["--utility-url", "HPL=http://h:1"], "*need both --utility-url*--clearinghouse-url*"),
        (["--clearinghouse-url", "http://c:1", "--utility-url", "HPL"], "*expected ID=URL*"),
    ],
)
def test_bad_options_are_usage_errors(project: Project, arguments: list[str], message: str) -> None:
    project.plan("sc1_home")
    result = project.pytester.runpytest(*arguments)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_bench_file_with_errors_is_reported_at_its_positions(project: Project) -> None:
    project.plan("sc1_home")
    bench = Path(project.pytester.path / "lab.yaml")
    bench.write_text(DEFAULT_BENCH.read_text().replace("bench: sim", "bench: sim\nbnech: x"))
    result = project.pytester.runpytest("--bench", "lab.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lab.yaml:*:1: bnech: unknown key*"])
