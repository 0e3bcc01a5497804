"""``rig demo``: the plans under ./test_plans through pytest, the summary, pytest's exit status."""

from __future__ import annotations

import sys
from pathlib import Path

from plugin.support import Project
from rig.results import RunRecord, read_results

RIG = str(Path(sys.executable).with_name("rig"))


def test_rig_demo_runs_the_plans_prints_the_summary_and_fails_when_a_plan_fails(
    project: Project,
) -> None:
    project.plan("a_home")
    project.plan("b_fail")
    project.plan("c_other")
    result = project.pytester.run(
        RIG, "demo", "--report", "runs", "--operator", "O. Perator", "--approver", "A. Prover",
        "--", "-k", "home or fail",
    )  # fmt: skip
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
    [results] = (project.pytester.path / "runs").glob("results-*.jsonl")
    run = read_results(results)[0]
    assert isinstance(run, RunRecord)
    assert (run.operator, run.approver) == ("O. Perator", "A. Prover")
