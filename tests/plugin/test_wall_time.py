"""Before a wall-clock run, the plugin prints the selection's estimated wall time."""

from __future__ import annotations

from plugin.support import Project
from rig.runner.api import DEFAULT_BENCH


def test_a_wall_clock_bench_prints_the_estimate_of_the_selection(project: Project) -> None:
    wall = DEFAULT_BENCH.read_text(encoding="utf-8").replace("clock: virtual", "clock: wall")
    (project.pytester.path / "wall.yaml").write_text(wall, encoding="utf-8")
    project.plan("first")
    project.plan("second")
    result = project.pytester.runpytest("--bench=wall.yaml", "--collect-only")
    # each plan: 30 s of set-up and `charge: {until: 5 kWh, within: 2 h}`
    result.stdout.fnmatch_lines(
        [
            "estimated wall time of 2 plans: about * min "
            "(at most 4 h 1 min if every wait runs to its timeout)"
        ]
    )


def test_the_virtual_clock_prints_no_estimate(project: Project) -> None:
    project.plan("first")
    result = project.pytester.runpytest("--collect-only")
    assert "estimated wall time" not in result.stdout.str()
