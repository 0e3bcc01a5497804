"""Rows 3 and 4 of the test-plan benchmark: the runner's cost per step, and OpenHTF's.

A plan of ``plug_in`` then N no-op steps runs through the real runner
(:func:`rig.runner.api.run_plan`, from a plan file, with a results writer); the
mean interval between its ``step`` records, plus its share of locating the steps
in the plan file, minus a bare call, is the framework's overhead per step. The
baseline is OpenHTF's cost per no-op phase, measured by ``openhtf_probe.py`` in an
interpreter that has ``openhtf``. See ``bench_plans.py``.
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from plan_bench import QUICK, Row, Settings

from rig.plans import load_plan
from rig.results import ResultsWriter, StepRecord
from rig.runner.api import run_plan

PROBE = Path(__file__).resolve().parent / "openhtf_probe.py"
OPENHTF_VENV = Path("/tmp/openhtf-venv/bin/python")
#: The issue's figure, used only when OpenHTF cannot be measured.
OPENHTF_QUOTED_US = 1000.0
NOOP_STEP = "pev_stops_communicating"
HOLDING_STEP = "wait_for: pilot.state == B within 1 s"
#: A plan on the simulated bench: Alice's PEV at her premise (fixtures/utilities).
PLAN_HEAD = """\
plan: bench-steps
title: benchmark of the runner's cost per step
scenario: sc1
covers: [SC-1]
utility_data: two_utilities
pev: {id: PEV-ALICE}
premise: PREM-ALICE
portal: EP-ALICE-240
start: 2026-03-02T10:00:00-06:00
steps:
  - plug_in
"""
PLAN_TAIL = "checks:\n  - binding: accepted\n"

#: OpenHTF runs are cheap: more of them, for a steadier median.
OPENHTF_REPEATS = {False: 7, True: 2}


class StampingWriter(ResultsWriter):
    """A results writer that notes when each ``step`` record has been written."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.stamps: list[float] = []
        self.cpu: list[float] = []

    def write(self, record: Any) -> None:
        super().write(record)
        if isinstance(record, StepRecord):
            self.stamps.append(time.perf_counter())
            self.cpu.append(time.process_time())


def step_plan(scratch: Path, step: str, count: int) -> Path:
    path = scratch / f"steps-{abs(hash(step))}-{count}.yaml"
    path.write_text(PLAN_HEAD + f"  - {step}\n" * count + PLAN_TAIL, encoding="utf-8")
    return path


def noop() -> None:
    pass


def bare_call_us(count: int = 200_000) -> float:
    call = noop
    best = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            call()
        best.append((time.perf_counter() - start) / count)
    return statistics.median(best) * 1e6


def loop_period(path: Path, scratch: Path, repeats: int) -> tuple[list[float], list[float], str]:
    """Mean interval between consecutive step records of the repeated steps, per run (us)."""
    plan = load_plan(path)
    walls: list[float] = []
    cpus: list[float] = []
    outcome = ""
    for repeat in range(repeats):
        with StampingWriter(scratch / f"steps-{repeat}-{path.stem}.jsonl") as writer:
            gc.collect()
            result = run_plan(plan, plan_file=path, results=writer, run_id="bench")
        stamps, cpu = writer.stamps[1:], writer.cpu[1:]  # [0] is plug_in's record
        walls.append((stamps[-1] - stamps[0]) / (len(stamps) - 1) * 1e6)
        cpus.append((cpu[-1] - cpu[0]) / (len(cpu) - 1) * 1e6)
        outcome = f"{sum(s.outcome == 'passed' for s in result.steps)}/{len(result.steps)} steps"
    return walls, cpus, outcome


def locate_per_step_us(path: Path, one: Path, steps: int) -> tuple[float, float] | None:
    """The runner's re-read of the plan file (``file:line`` of each step), per step.

    Wall and process CPU, each the median of 9 calls on the N-step file minus that
    on the 1-step file (calls alternate between the two files).
    """
    try:
        from rig.runner.source import locate
    except ImportError:
        return None
    plans = {p: load_plan(p) for p in (path, one)}
    wall: dict[Path, list[float]] = {path: [], one: []}
    cpu: dict[Path, list[float]] = {path: [], one: []}
    for _ in range(9):
        for p, plan in plans.items():
            sections: dict[str, list[Any]] = {
                "steps": list(plan.steps),
                "checks": list(plan.checks),
            }
            cpu0, start = time.process_time(), time.perf_counter()
            locate(plan.source, sections)
            wall[p].append(time.perf_counter() - start)
            cpu[p].append(time.process_time() - cpu0)

    def per_step(runs: dict[Path, list[float]]) -> float:
        return (statistics.median(runs[path]) - statistics.median(runs[one])) / steps * 1e6

    return per_step(wall), per_step(cpu)


def openhtf_python(given: str | None) -> str:
    if given:
        return given
    if OPENHTF_VENV.exists():
        return str(OPENHTF_VENV)
    return sys.executable


def bench_openhtf(python: str, phases: int, repeats: int) -> dict[str, Any] | str:
    """OpenHTF's per-phase figures (``openhtf_probe.py``), or why they could not be measured."""
    try:
        done = subprocess.run(
            [python, str(PROBE), str(phases), str(repeats)],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"{python}: {error}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"openhtf not importable with {python} ({last})"
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def bench_steps(
    settings: Settings, scratch: Path, htf_python: str
) -> tuple[list[Row], dict[str, Any], list[str]]:
    notes: list[str] = []
    n = settings.steps
    plan_n, plan_1 = step_plan(scratch, NOOP_STEP, n), step_plan(scratch, NOOP_STEP, 1)
    walls, cpus, outcome = loop_period(plan_n, scratch, settings.step_repeats)
    loop_us, loop_cpu = statistics.median(walls), statistics.median(cpus)
    locate_costs = locate_per_step_us(plan_n, plan_1, n - 1)
    located, located_cpu = locate_costs if locate_costs is not None else (None, None)
    bare = bare_call_us()
    ours = loop_us + (located or 0.0) - bare
    ours_cpu = loop_cpu + (located_cpu or 0.0) - bare
    notes.append(
        f"no-op step ({NOOP_STEP}), {n} per plan, {settings.step_repeats} run(s), {outcome}: "
        f"step loop {loop_us:.1f} us wall per step (runs: "
        f"{', '.join(f'{w:.1f}' for w in walls)}; process CPU "
        f"{loop_cpu:.1f} us), locating it in the plan file "
        + (f"{located:.1f} us" if located is not None else "n/a (locate not importable)")
        + f", bare no-op call {bare:.3f} us; overhead = {loop_us:.1f} + "
        f"{located or 0.0:.1f} - {bare:.3f} = {ours:.1f} us; in process CPU "
        f"{loop_cpu:.1f} + {located_cpu or 0.0:.1f} - {bare:.3f} = {ours_cpu:.1f} us"
    )
    htf = bench_openhtf(htf_python, n, OPENHTF_REPEATS[settings is QUICK])
    rows: list[Row] = []
    info: dict[str, Any] = {
        "noop_step": NOOP_STEP,
        "steps_per_plan": n,
        "loop_us": walls,
        "loop_cpu_us": cpus,
        "locate_us_per_step": located,
        "locate_cpu_us_per_step": located_cpu,
        "bare_call_us": bare,
    }
    if isinstance(htf, str):
        notes.append(f"OpenHTF row skipped: {htf}; baseline is the issue's quoted ~1 ms/phase")
        baseline, baseline_label = OPENHTF_QUOTED_US, "us OpenHTF phase (quoted, not measured)"
        baseline_cpu, baseline_cpu_label = baseline, baseline_label
        info["openhtf"] = {"skipped": htf}
    else:
        htf_us = statistics.median(htf["periods_us"]) - htf["bare_us"]
        differential = statistics.median(
            (t - s) / (n - 1) * 1e6 for t, s in zip(htf["total_s"], htf["single_s"], strict=True)
        )
        info["openhtf"] = htf
        baseline, baseline_label = htf_us, f"us OpenHTF {htf['version']} no-op phase"
        baseline_cpu = statistics.median(htf["cpu_us"])
        baseline_cpu_label = f"us CPU, OpenHTF {htf['version']} no-op phase"
        notes.append(
            f"OpenHTF {htf['version']} ({htf_python}): {n} no-op phases per test, mean interval "
            f"between phase calls {statistics.median(htf['periods_us']):.1f} us (runs: "
            f"{', '.join(f'{p:.1f}' for p in htf['periods_us'])}), bare call "
            f"{htf['bare_us']:.3f} us; whole test ({n} phases minus 1 phase) / {n - 1}: "
            f"{differential:.1f} us; process CPU per phase "
            f"{statistics.median(htf['cpu_us']):.1f} us; a tenth of the measured phase is "
            f"{htf_us / 10:.1f} us: {'met' if ours <= htf_us / 10 else 'NOT met'} by "
            f"{ours:.1f} us/step"
        )
        rows.append(
            Row(
                "openhtf_phase",
                "OpenHTF overhead per no-op phase",
                htf_us,
                "us",
                htf["bare_us"],
                "us bare no-op call",
                htf_us / htf["bare_us"],
                "baseline",
                None,
                f"openhtf.Test of {n} phases that only record the time, Test.execute(); "
                "mean interval between phase calls minus a bare call",
                htf["periods_us"],
                [htf["bare_us"]],
            )
        )
    rows.insert(
        0,
        Row(
            "step_overhead",
            "framework overhead per no-op step",
            ours,
            "us",
            baseline,
            baseline_label,
            ours / baseline,
            "<= 100 us",
            ours <= 100.0,
            f"plug_in + {n} x {NOOP_STEP} through run_plan (plan file, results writer): mean "
            "interval between step records + locate() share per step - a bare call",
            [w + (located or 0.0) - bare for w in walls],
            [baseline],
        ),
    )
    rows.insert(
        1,
        Row(
            "step_overhead_cpu",
            "framework overhead per no-op step, CPU",
            ours_cpu,
            "us",
            baseline_cpu,
            baseline_cpu_label,
            ours_cpu / baseline_cpu,
            "<= 100 us",
            ours_cpu <= 100.0,
            "the same in process CPU time (every thread of the process), which other "
            "processes' load does not inflate; OpenHTF's: (CPU of the N-phase test - "
            "CPU of a 1-phase test) / (N - 1)",
            [c + (located_cpu or 0.0) - bare for c in cpus],
            [baseline_cpu],
        ),
    )
    m = settings.holding_steps
    held, held_cpu, held_outcome = loop_period(
        step_plan(scratch, HOLDING_STEP, m), scratch, settings.step_repeats
    )
    held_us = statistics.median(held)
    notes.append(
        f"wait_for already holding ({HOLDING_STEP}), {m} per plan, {held_outcome}: "
        f"{held_us:.1f} us wall per step (process CPU {statistics.median(held_cpu):.1f} "
        f"us), i.e. {held_us - loop_us:.1f} us for one bench look beyond a no-op step"
    )
    info["holding_us"] = held
    rows.append(
        Row(
            "wait_for_holding",
            "wait_for already holding (one bench look)",
            held_us,
            "us",
            loop_us,
            "us no-op step loop",
            held_us / loop_us,
            "info",
            None,
            f"plug_in + {m} x '{HOLDING_STEP}': mean interval between step records",
            held,
            [loop_us],
        )
    )
    return rows, info, notes
