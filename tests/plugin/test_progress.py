"""Progress of long steps: shown once a step has run a while, throttled, silent under -q."""

from __future__ import annotations

from plugin.support import Project
from rig.pytest_plugin.progress import ProgressPrinter, describe
from rig.runner.api import Progress


def report(step: int = 1, kwh: float = 2.5, left: float | None = 600.0) -> Progress:
    return Progress("sc1-home", step, "charge", kwh, left)


def test_describe() -> None:
    assert describe(report(left=2460)) == "sc1-home step 2 charge: 2.50 kWh so far, 41 min 0 s left"
    assert describe(report(left=7500)).endswith("2 h 5 min left")
    assert describe(report(left=None)) == "sc1-home step 2 charge: 2.50 kWh so far"
    estimated = Progress("sc1-home", 4, "charge", 3.0, 1530.0, rate_kw=7.18)
    assert describe(estimated).endswith("3.00 kWh so far, about 25 min 30 s left at 7.2 kW")


def test_a_step_shows_progress_only_after_running_a_while_then_every_so_often() -> None:
    now = [0.0]
    lines: list[str] = []
    printer = ProgressPrinter(lines.append, every_s=10.0, clock=lambda: now[0])
    for t in (0.0, 5.0, 10.0, 15.0, 20.5, 21.0):
        now[0] = t
        printer(report(kwh=t))
    assert [line.split(": ")[1][:4] for line in lines] == ["10.0", "20.5"]
    now[0] = 22.0
    printer(report(step=2))  # a new step starts its own wait
    assert len(lines) == 2


def test_progress_lines_appear_during_the_run(project: Project) -> None:
    project.plan("sc1_home")
    result = project.pytester.runpytest("-o", "rig_progress_every=0")
    result.stdout.fnmatch_lines(
        [
            "sc1-home step 2 charge: 2.55 kWh so far, 10 min 0 s left",
            "sc1-home step 2 charge: 2.55 kWh so far, 5 min 0 s left",
        ]
    )


def test_quiet_runs_show_no_progress(project: Project) -> None:
    project.plan("sc1_home")
    result = project.pytester.runpytest("-q", "-o", "rig_progress_every=0")
    result.stdout.no_fnmatch_line("*kWh so far*")
