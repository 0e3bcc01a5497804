"""The plugin with the real runner on the simulated bench: a plan of the repository end to end."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from plugin.support import Project
from rig.results import merge_results

PLANS = Path(__file__).resolve().parents[2] / "test_plans"


@pytest.mark.real_runner
def test_a_repository_plan_runs_on_the_simulated_bench(project: Project) -> None:
    shutil.copytree(PLANS / "common", project.plans / "common")
    shutil.copy(PLANS / "sc1_home.yaml", project.plans)
    result = project.pytester.runpytest("--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["sc1-home *sc1 *pass *", "1 plan: 1 pass"])
    [path] = (project.pytester.path / "reports").glob("results-*.jsonl")
    [run] = merge_results([path]).runs
    plan = run.plans["sc1-home"]
    assert plan.verdict == "PASS"
    assert plan.start.file == "test_plans/sc1_home.yaml"
    assert [step.kind for step in plan.steps][:2] == ["plug_in", "wait_for"]
    assert plan.measurements and all(m.verdict != "FAIL" for m in plan.measurements)
    [case] = ET.parse(project.pytester.path / "junit.xml").iter("testcase")
    verdict = {p.get("name"): p.get("value") for p in case.iter("property")}["verdict"]
    assert verdict == "pass"
