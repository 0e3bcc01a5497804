"""``rig demo``: the plans under ./test_plans through pytest, the summary, pytest's exit status."""

from __future__ import annotations

import sys
from pathlib import Path

from plugin.support import Project

RIG = str(Path(sys.executable).with_name("rig"))


def test_rig_demo_runs_the_plans_prints_the_summary_and_fails_when_a_plan_fails(
    project: Project,
) -> None:
    project.plan("a_home")
    project.plan("b_fail")
    result = project.pytester.run(RIG, "demo", "--report", "runs")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*= compliance summary =*",
            "b-fail *fail*",
            "a-home *pass*",
            "2 plans: 1 pass, 1 fail",
            "results: runs/results-*.jsonl",
        ]
    )


def test_rig_demo_passes_arguments_after_the_dashes_to_pytest(project: Project) -> None:
    project.plan("a_home")
    project.plan("b_fail")
    result = project.pytester.run(RIG, "demo", "--", "-k", "home")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["1 plan: 1 pass", "results: reports/results-*.jsonl"])
