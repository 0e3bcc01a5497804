"""Report benchmark (issue 5): a 1,000-plan report's size, generation time and load time.

Goals: the HTML is at most 5 MB, ``write_report`` makes it in at most 2 s, and a
browser has it loaded in at most 2 s.

Method:

1. A synthetic run of ``--plans`` plans is written with the real results writer
   (:func:`rig.report.sample.write_sample_run`: one-hour sessions sampled as the
   runner samples a virtual-clock bench — every 30 s, densely for 6 s after each
   change — seven series per plan, 14 measurements, 10 steps, 4 intervals, utility
   and clearinghouse records, events). Not timed.
2. ``write_report([results], out)`` is timed ``--repeat`` times, wall clock and
   the process's CPU time; the table shows the best and the median, and splits the
   CPU time into reading (parse and validate every record,
   :func:`rig.results.merge_results`) and the rest (view model, HTML, charts,
   writing the file).
3. Headless Chromium (started as the report's browser test starts it) opens the
   file ``--repeat`` times; the time is from ``Page.navigate`` to the load event,
   after one warm-up navigation to the same file (the first load pays for the
   browser's own start-up). Console errors and requests are reported too.

The machine may be shared: the load average is printed, and the CPU times (which
other processes hardly change) are shown beside the wall-clock ones.
The script reports, it does not assert: it exits 0 whether or not a goal is met.

    .venv/bin/python benchmarks/bench_report.py                 # 1,000 plans, 3 repeats
    .venv/bin/python benchmarks/bench_report.py --plans 100 --keep /tmp/report-bench
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "report"))  # the browser helper of the report tests

from chromium import Chromium, find_chromium  # noqa: E402

from rig.report import write_report  # noqa: E402
from rig.report.sample import write_sample_run  # noqa: E402
from rig.results import merge_results  # noqa: E402

MB = 1_000_000


def _timed(action: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of ``repeat`` calls of ``action``."""
    wall, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return wall, cpu


def _row(what: str, best: str, median: str, goal: str, met: bool | None) -> str:
    verdict = "" if met is None else ("met" if met else "NOT met")
    return f"| {what} | {best} | {median} | {goal} | {verdict} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        where = args.keep or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        results = write_sample_run(where / "results.jsonl", plans=args.plans)
        out = where / "report.html"

        generate, generate_cpu = _timed(lambda: write_report([results], out), args.repeat)
        _, read_cpu = _timed(lambda: merge_results([results]), args.repeat)
        points = sum(
            len(s.points)
            for run in merge_results([results]).runs
            for plan in run.plans.values()
            for s in plan.series.values()
        )
        size = out.stat().st_size
        results_size = results.stat().st_size

        binary = find_chromium()
        load: list[float] = []
        problems: list[str] = []
        if binary is not None:
            with Chromium(binary, where / "chromium-profile", timeout=120) as browser:
                browser.open(out.as_uri())  # warm-up
                for _ in range(args.repeat):
                    load.append(browser.open(out.as_uri()))
                    problems += browser.problems()

    print(
        f"{args.plans} plans, {points:,} samples; results file "
        f"{results_size / MB:.1f} MB; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print()
    print("| measure | best | median | goal | |")
    print("|---|---|---|---|---|")
    print(_row("HTML size", f"{size / MB:.2f} MB", "", "≤ 5 MB", size <= 5 * MB))
    print(
        _row("  per plan", f"{size / args.plans / 1000:.1f} kB", "", "", None),
    )
    print(
        _row(
            "generate (write_report)",
            f"{min(generate):.2f} s",
            f"{statistics.median(generate):.2f} s",
            "≤ 2 s",
            min(generate) <= 2.0,
        )
    )
    print(
        _row(
            "generate, CPU time",
            f"{min(generate_cpu):.2f} s",
            f"{statistics.median(generate_cpu):.2f} s",
            "",
            None,
        )
    )
    print(
        _row(
            "  of which reading + validating (CPU)",
            f"{min(read_cpu):.2f} s",
            f"{statistics.median(read_cpu):.2f} s",
            "",
            None,
        )
    )
    print(
        _row(
            "  of which model + HTML + charts + write (CPU)",
            f"{min(generate_cpu) - min(read_cpu):.2f} s",
            "",
            "",
            None,
        )
    )
    if load:
        print(
            _row(
                "browser: navigate → load event",
                f"{min(load):.2f} s",
                f"{statistics.median(load):.2f} s",
                "≤ 2 s",
                min(load) <= 2.0,
            )
        )
        print()
        print(f"browser problems (console errors, requests): {problems or 'none'}")
    else:
        print()
        print("browser: chromium not found, load time not measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
