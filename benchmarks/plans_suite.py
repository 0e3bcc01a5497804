"""Rows 1 and 2 of the test-plan benchmark: the compliance suite as users run it.

``pytest test_plans -q -p no:cacheprovider`` runs in a subprocess (results to a
temporary ``--report`` directory), ``--repeats`` times, against the same command
with ``--collect-only`` (start-up and loading every plan, no plan run). The
bench-clock time of every plan, read back from the run's results file, over the
suite's wall time gives the simulated time per wall second. See ``bench_plans.py``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from plan_bench import PLANS, ROOT, Row, Settings


@dataclass(frozen=True)
class SuiteRun:
    wall_s: float
    cpu_s: float  # user + system of the pytest process
    exit_code: int
    results: list[Path]


def pytest_command() -> list[str]:
    script = Path(sys.executable).parent / "pytest"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pytest"]


def run_suite(
    files: list[str], extra: list[str], report: Path | None, env: dict[str, str] | None = None
) -> SuiteRun:
    """One ``pytest`` run of ``files``; ``env`` is added to this process's environment."""
    command = [*pytest_command(), *files, "-q", "-p", "no:cacheprovider", *extra]
    if report is not None:
        command += ["--report", str(report)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    results = sorted(report.glob("results-*.jsonl")) if report is not None else []
    return SuiteRun(wall, cpu, done.returncode, results)


@dataclass(frozen=True)
class PlanFigures:
    plan: str
    verdict: str
    steps: int
    simulated_s: float  # bench clock, first step's start to last step's end


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def plan_figures(results: list[Path]) -> list[PlanFigures]:
    """Per plan, from the results file(s) of one suite run."""
    steps: dict[str, list[tuple[float, float]]] = {}
    out: list[PlanFigures] = []
    for path in results:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            kind, plan = record.get("type"), record.get("plan", "")
            if kind == "plan_start":
                steps[plan] = []
            elif kind == "step":
                steps[plan].append((_time(record["started_at"]), _time(record["ended_at"])))
            elif kind == "plan_end":
                spans = steps.get(plan, [])
                simulated = spans[-1][1] - spans[0][0] if spans else 0.0
                out.append(PlanFigures(plan, record["verdict"], len(spans), simulated))
    return out


def bench_suite(
    settings: Settings, scratch: Path
) -> tuple[list[Row], list[PlanFigures], list[str]]:
    files = sorted(str(p.relative_to(ROOT)) for p in PLANS.glob("*.yaml"))
    if settings.plan_limit is not None:
        files = files[: settings.plan_limit]
    full = settings.plan_limit is None
    notes: list[str] = []
    run_suite(files, ["--collect-only"], None)  # warm the file cache, not recorded
    suite: list[SuiteRun] = []
    collect: list[SuiteRun] = []
    for repeat in range(settings.repeats):  # alternate so load bursts hit both alike
        collect.append(run_suite(files, ["--collect-only"], None))
        suite.append(run_suite(files, [], scratch / f"suite-{repeat}"))
    walls = [r.wall_s for r in suite]
    base = [r.wall_s for r in collect]
    wall, collect_wall = statistics.median(walls), statistics.median(base)
    middle = sorted(suite, key=lambda r: r.wall_s)[len(suite) // 2]
    plans = plan_figures(middle.results)
    simulated_h = sum(p.simulated_s for p in plans) / 3600.0
    passed = sum(p.verdict in ("PASS", "MARGINAL") for p in plans)
    label = "all plans" if settings.plan_limit is None else f"first {len(files)} plan files"
    exits = sorted({r.exit_code for r in suite})
    notes.append(
        f"suite: {len(files)} plan files ({label}), {len(plans)} plans ran, {passed} passed; "
        f"pytest exit status {', '.join(map(str, exits))}; wall per run "
        f"{', '.join(f'{w:.2f}' for w in walls)} s; CPU (user+sys) per run "
        f"{', '.join(f'{r.cpu_s:.2f}' for r in suite)} s; collect-only "
        f"{', '.join(f'{w:.2f}' for w in base)} s wall, "
        f"{statistics.median(r.cpu_s for r in collect):.2f} s CPU"
    )
    notes.append(
        f"{simulated_h:.2f} simulated h in all; plan and step records are stamped on the "
        "bench clock, so the suite's wall time is split here only as start-up + collection "
        "(the --collect-only baseline) and the rest"
    )
    rows = [
        Row(
            "suite_wall",
            f"compliance suite wall time ({len(plans)} plans)",
            wall,
            "s",
            collect_wall,
            "s start-up + collection only",
            wall / collect_wall,
            "<= 15 s" if full else "<= 15 s (full suite only)",
            wall <= 15.0 if full else None,
            f"pytest {'test_plans' if settings.plan_limit is None else ' '.join(files)} -q "
            "-p no:cacheprovider in a subprocess vs the same with --collect-only",
            walls,
            base,
        ),
    ]
    per_s = simulated_h / wall if wall > 0 else 0.0
    real = 1 / 3600.0
    rows.append(
        Row(
            "sim_speed",
            "simulated time per wall second",
            per_s,
            "sim h/s",
            real,
            "sim h/s (real time)",
            per_s / real,
            ">= 5,000x" if full else ">= 5,000x (full suite only)",
            per_s / real >= 5000.0 if full else None,
            "sum over plans of bench-clock time from first step start to last step end "
            "(results file), over the suite's median wall time",
            [simulated_h / w for w in walls if w > 0],
            [real],
        )
    )
    return rows, plans, notes
