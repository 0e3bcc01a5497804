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
    project.plan("c_other")
    result = project.pytester.run(RIG, "demo", "--report", "runs", "--", "-k", "home or fail")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*= compliance summary =*",
            "b-fail *fail*",
            "a-home *pass*",
            "2 plans: 1 pass, 1 fail",  # c-other deselected by the pytest arguments
            "results: runs/results-*.jsonl",
        ]
    )
