"""A failing plan reads as a plan: the failing step's YAML at file:line, expected vs measured."""

from __future__ import annotations

from plugin.support import Project


def test_a_failing_plan_shows_its_step_and_the_values_not_a_traceback(project: Project) -> None:
    project.plan("sc1_fail")
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ sc1-fail _*",
            "plan sc1-fail: fail at step 2 (charge), test_plans/sc1_fail.yaml:12",
            "    - charge: {until: 5 kWh, within: 2 h}",
            "energy 5 kWh not reached within 2 h",
            "  expected: >= 5 kWh",
            "  measured: 3.2 kWh",
            "failing measurements:",
            "  FAIL energy delivered: measured 3.2 kWh, expected within ≥ 5.0 kWh  [J-04]",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*def runtest*")
    result.stdout.fnmatch_lines(
        ["1 plan: 1 fail", "FAILED test_plans/sc1_fail.yaml::sc1-fail - plan sc1-fail: fail*"]
    )


def test_a_bug_in_the_runner_keeps_its_traceback(project: Project) -> None:
    project.pytester.makeconftest(
        'pytest_plugins = ["rig.pytest_plugin"]\n'
        "def pytest_rig_run_plan(item, run, progress):\n"
        "    raise RuntimeError('runner bug')\n"
    )
    project.plan("sc1_home")
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: runner bug*", "sc1-home*error*0/0*"])


def test_the_summary_lists_failures_first_and_the_exit_status_says_fail(project: Project) -> None:
    project.plan("a_home")
    project.plan("b_fail")
    result = project.pytester.runpytest()
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*= compliance summary =*",
            "plan    scenario  verdict  measurements  wall    requirements",
            "b-fail  sc1       fail     0/1           0.25 s  SC-1 J-04",
            "a-home  sc1       pass     1/1           0.25 s  SC-1 J-04",
            "2 plans: 1 pass, 1 fail",
            "results: reports/results-*.jsonl",
            "report:  reports/report-*.html",
        ]
    )


def test_quiet_shows_no_table(project: Project) -> None:
    project.plan("a_home")
    result = project.pytester.runpytest("-q")
    result.stdout.no_fnmatch_line("*compliance summary*")
    result.stdout.fnmatch_lines(
        ["results: reports/results-*.jsonl", "report:  reports/report-*.html"]
    )
