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
   With ``--from``, the same is done for a real results file (``rig demo``'s),
   its plans repeated (IDs suffixed) to ``--plans``: the records the runner
   writes today, at scale.
3. Headless Chromium (started as the report's browser test starts it) opens the
   file ``--repeat`` times; the time is from ``Page.navigate`` to the load event,
   after one warm-up navigation to the same file (the first load pays for the
   browser's own start-up). Console errors and requests are reported too.

The machine may be shared: the load average is printed, and the CPU times (which
other processes hardly change) are shown beside the wall-clock ones.
The script reports, it does not assert: it exits 0 whether or not a goal is met.

    .venv/bin/python benchmarks/bench_report.py                 # 1,000 plans, 3 repeats
    .venv/bin/python benchmarks/bench_report.py --from reports/results-….jsonl
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
from rig.results import Record, ResultsWriter, merge_results  # noqa: E402

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


def replicate(source: Path, plans: int, out: Path) -> Path:
    """``plans`` plans made of the plans recorded in ``source``, cycled, IDs suffixed."""
    recorded = merge_results([source])
    run = recorded.runs[0].run
    originals = [plan for r in recorded.runs for plan in r.plans.values()]
    out.unlink(missing_ok=True)
    with ResultsWriter(out) as writer:
        writer.write(run)
        for i in range(plans):
            plan = originals[i % len(originals)]
            records: list[Record] = [
                plan.start,
                *plan.steps,
                *plan.measurements,
                *plan.series.values(),
                *plan.events,
                *plan.intervals,
                *plan.services,
            ]
            if plan.end is not None:
                records.append(plan.end)
            renamed = {"plan": f"{plan.start.plan}-{i:04d}", "run_id": run.run_id}
            for record in records:
                writer.write(record.model_copy(update=renamed))
    return out


def measure(title: str, results: Path, plans: int, repeat: int, where: Path) -> None:
    """Time ``write_report`` and the browser on one results file; print the table."""
    out = where / f"{results.stem}.html"
    generate, generate_cpu = _timed(lambda: write_report([results], out), repeat)
    _, read_cpu = _timed(lambda: merge_results([results]), repeat)
    recorded = merge_results([results])
    samples = sum(
        len(s.points) for r in recorded.runs for p in r.plans.values() for s in p.series.values()
    )
    measurements = sum(len(p.measurements) for r in recorded.runs for p in r.plans.values())
    size = out.stat().st_size

    binary = find_chromium()
    load: list[float] = []
    problems: list[str] = []
    if binary is not None:
        with Chromium(binary, where / "chromium-profile", timeout=120) as browser:
            browser.open(out.as_uri())  # warm-up
            for _ in range(repeat):
                load.append(browser.open(out.as_uri()))
                problems += browser.problems()

    print(f"### {title}")
    print()
    print(
        f"{plans} plans, {measurements:,} measurements, {samples:,} samples; results file "
        f"{results.stat().st_size / MB:.1f} MB; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print()
    print("| measure | best | median | goal | |")
    print("|---|---|---|---|---|")
    print(_row("HTML size", f"{size / MB:.2f} MB", "", "≤ 5 MB", size <= 5 * MB))
    print(_row("  per plan", f"{size / plans / 1000:.1f} kB", "", "", None))
    print(
        _row(
            "generate (write_report), wall",
            f"{min(generate):.2f} s",
            f"{statistics.median(generate):.2f} s",
            "≤ 2 s",
            min(generate) <= 2.0,
        )
    )
    print(
        _row(
            "generate, CPU",
            f"{min(generate_cpu):.2f} s",
            f"{statistics.median(generate_cpu):.2f} s",
            "",
            None,
        )
    )
    print(
        _row(
            "  of which reading + validating, CPU",
            f"{min(read_cpu):.2f} s",
            f"{statistics.median(read_cpu):.2f} s",
            "",
            None,
        )
    )
    print(
        _row(
            "  of which model + HTML + charts + write, CPU",
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
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="also: a real results file (e.g. of `rig demo`), its plans repeated to --plans",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        where = args.keep or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        sample = write_sample_run(where / "sample.jsonl", plans=args.plans)
        measure("Synthetic run (rig.report.sample)", sample, args.plans, args.repeat, where)
        if args.source is not None:
            real = replicate(args.source, args.plans, where / "replicated.jsonl")
            measure(f"{args.source.name}, repeated", real, args.plans, args.repeat, where)
    return 0


if __name__ == "__main__":
    sys.exit(main())
