"""Pre-flight at collection: an ID the data set does not know fails at the plan's line."""

from __future__ import annotations

from pathlib import Path

from plugin.support import PLAN, Project
from rig.plans import plan_files
from rig.plans.loader import load_located
from rig.pytest_plugin.items import preflight


def plan(plan_id: str) -> str:
    return PLAN.format(id=plan_id, scenario="sc1", covers="SC-1, J-04", title="A plan")


def test_a_typod_premise_and_account_are_reported_at_their_lines_and_nothing_runs(
    project: Project,
) -> None:
    project.plan("good")
    typo = plan("typo").replace("PREM-ALICE", "PREM-ALICEE")
    project.plan("typo", text=typo.replace("payer: ACC-ALICE", "payer: ACC-ALICX"))
    result = project.pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting test_plans/typo.yaml*",
            "test_plans/typo.yaml:7:10: premise: premise 'PREM-ALICEE' is not in data set "
            "'two_utilities' (did you mean 'PREM-ALICE'?)",
            "test_plans/typo.yaml:15:12: checks.0.payer.account: account 'ACC-ALICX' is not "
            "in data set 'two_utilities' (did you mean 'ACC-ALICE'?)",
        ]
    )
    assert result.ret == 2  # pytest's "interrupted": collection errors stop the run


def test_an_unknown_pev_is_a_typo_unless_the_plan_expects_its_binding_refused(
    project: Project,
) -> None:
    unknown = plan("ghost").replace("PEV-ALICE", "PEV-NOBODY-1")
    project.plan("ghost", text=unknown)
    expected = unknown.replace("plan: ghost", "plan: refused").replace(
        "  - payer: ACC-ALICE", "  - payer: ACC-ALICE\n  - binding: refused"
    )
    project.plan("refused", text=expected)
    result = project.pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["test_plans/ghost.yaml:6:*: pev.id: PEV 'PEV-NOBODY-1' is not in data set*"]
    )
    result.stdout.fnmatch_lines(["test_plans/refused.yaml::refused"])
    result.stdout.no_fnmatch_line("*refused.yaml:*PEV*")


def test_a_missing_data_set_is_reported_at_utility_data(project: Project) -> None:
    project.plan("nodata", text=plan("nodata").replace("two_utilities", "two_utilitys"))
    result = project.pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["test_plans/nodata.yaml:5:1: utility_data: its data set cannot be loaded"]
    )


def test_every_shipped_plan_passes_preflight() -> None:
    shipped = plan_files(Path(__file__).resolve().parents[2] / "test_plans")
    assert len(shipped) > 20
    for file in shipped:
        plan, sources = load_located(file)
        preflight(file, plan, sources)  # raises YamlFileError at the first unknown ID
