"""Selection: scenario and requirement markers (``-m``), plan ID and title keywords (``-k``)."""

from __future__ import annotations

import pytest

from plugin.support import Project


@pytest.fixture
def three(project: Project) -> Project:
    project.plan("sc1_home", covers="SC-1, BR-02")
    project.plan("sc4_guest", scenario="sc4", covers="SC-4, BR-06", title="Roaming at a guest rate")
    project.plan("br05", scenario="sc5", covers="SC-5, BR-05", title="Unenrolled PEV refused")
    return project


@pytest.mark.parametrize(
    ("expression", "selected"),
    [
        (["-m", "sc4"], ["sc4-guest"]),
        (["-m", "BR_05"], ["br05"]),
        (["-m", "SC_1 or BR_06"], ["sc1-home", "sc4-guest"]),
        (["-m", "not sc1"], ["br05", "sc4-guest"]),
        (["-k", "roaming"], ["sc4-guest"]),
        (["-k", "sc1-home or unenrolled"], ["br05", "sc1-home"]),
    ],
)
def test_selection(three: Project, expression: list[str], selected: list[str]) -> None:
    result = three.pytester.runpytest("--collect-only", "-q", *expression)
    names = sorted(line.split("::")[1] for line in result.outlines if "::" in line)
    assert names == selected


def test_the_markers_are_registered_so_strict_markers_accepts_them(three: Project) -> None:
    result = three.pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.sc4: test plans of scenario SC-4",
            "@pytest.mark.BR_05: plans covering BR-05: An unenrolled PEV cannot bind*",
            "@pytest.mark.PG_TOU: plans covering PG-TOU: *",
        ]
    )
