"""Collection: one item per plan file, named by its plan ID; invalid plans never run."""

from __future__ import annotations

from plugin.support import Project

INVALID = """\
plan: broken
title: Two mistakes, both reported
scenario: sc1
covers: [SC-1, BR-1]
utility_data: two_utilities
pev: {id: PEV-ALICE, preferences: {energy: 10 kWh}}
premise: PREM-ALICE
portal: EP-ALICE-240
steps:
  - plug_inn
  - charge: 1 h
checks:
  - payer: ACC-ALICE
"""


def test_each_plan_is_an_item_named_by_its_id(project: Project) -> None:
    project.plan("sc1_home")
    project.plan("pg_tou", id="pg-tou-boundary")
    (project.plans / "common").mkdir()
    (project.plans / "common" / "fragment.yaml").write_text("- plug_in\n", encoding="utf-8")
    (project.plans / "plan.schema.json").write_text("{}", encoding="utf-8")
    result = project.pytester.runpytest("--collect-only", "-q")
    result.assert_outcomes()
    result.stdout.fnmatch_lines(
        ["test_plans/pg_tou.yaml::pg-tou-boundary", "test_plans/sc1_home.yaml::sc1-home"]
    )
    result.stdout.no_fnmatch_line("*fragment*")


def test_yaml_outside_test_plans_is_not_collected(project: Project) -> None:
    project.plan("sc1_home")
    (project.pytester.path / "fixtures").mkdir()
    (project.pytester.path / "fixtures" / "bench.yaml").write_text("bench: x\n", encoding="utf-8")
    result = project.pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["1 test collected*"])


def test_an_invalid_plan_lists_every_problem_with_its_position_and_runs_nothing(
    project: Project,
) -> None:
    project.plan("good")
    project.plan("broken", text=INVALID)
    result = project.pytester.runpytest("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting test_plans/broken.yaml*",
            "test_plans/broken.yaml:4:16: covers.1: unknown requirement ID 'BR-1' "
            "(did you mean 'BR-01'?)",
            "test_plans/broken.yaml:10:5: steps.0: unknown step 'plug_inn' "
            "(did you mean 'plug_in'?)",
            "2 problems in this plan; it was not run",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    # only the valid plan reached the runner: its summary row is the only one
    result.stdout.fnmatch_lines(["1 plan: 1 pass"])


def test_without_continue_a_collection_error_stops_the_run(project: Project) -> None:
    project.plan("good")
    project.plan("broken", text=INVALID)
    result = project.pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])


def test_a_plan_id_used_twice_is_an_error_at_the_second_file(project: Project) -> None:
    project.plan("first", id="same-id")
    project.plan("second", id="same-id")
    result = project.pytester.runpytest("--collect-only")
    result.stdout.fnmatch_lines(
        ["*test_plans/second.yaml:1:1: plan: plan ID 'same-id' is also used by *first.yaml"]
    )
    assert result.ret != 0
