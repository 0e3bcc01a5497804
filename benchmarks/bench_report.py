"""Report benchmark (issue 5): a 1,000-plan report's size, generation time and load time.

Goals: the HTML is at most 5 MB, ``write_report`` makes it in at most 2 s, and a
browser has it loaded in at most 2 s.

Method:

1. A synthetic run of ``--plans`` plans is written with the real results writer
   (:func:`rig.report.sample.write_sample_run`: one-hour sessions sampled as the
   runner samples a virtual-clock bench — every 30 s, densely for 6 s after each
   change — seven series per plan, 14 measurements, 10 steps, 4 intervals, utility
   and clearinghouse records, events). Not timed.
2. ``write_report([results], out)`` is timed ``--repeat`` times; the table shows
   the best and the median, and splits the best run into reading (parse and
   validate every record, :func:`rig.results.merge_results`) and the rest (view
   model, HTML, charts, writing the file).
3. Headless Chromium (started as the report's browser test starts it) opens the
   file ``--repeat`` times; the time is from ``Page.navigate`` to the load event,
   after one warm-up navigation to the same file (the first load pays for the
   browser's own start-up). Console errors and requests are reported too.

The machine is shared (other processes may be busy), hence best and median.
The script reports, it does not assert: it exits 0 whether or not a goal is met.

    .venv/bin/python benchmarks/bench_report.py                 # 1,000 plans, 3 repeats
    .venv/bin/python benchmarks/bench_report.py --plans 100 --keep /tmp/report-bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "report"))  # the browser helper of the report tests

from chromium import Chromium, find_chromium  # noqa: E402

from rig.report import write_report  # noqa: E402
from rig.report.sample import write_sample_run  # noqa: E402
from rig.results import merge_results  # noqa: E402

MB = 1_000_000


def _timed(action: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - began)
    return times


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

        generate = _timed(lambda: write_report([results], out), args.repeat)
        read = _timed(lambda: merge_results([results]), args.repeat)
        size = out.stat().st_size

        binary = find_chromium()
        load: list[float] = []
        problems: list[str] = []
        if binary is not None:
            with Chromium(binary, where / "chromium-profile", timeout=120) as browser:
                browser.open(out.as_uri())  # warm-up
                for _ in range(args.repeat):
                    load.append(browser.open(out.as_uri()))
                    problems += browser.problems()

    print(f"{args.plans} plans; results file {results.stat().st_size / MB:.1f} MB")
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
            "  of which reading + validating",
            f"{min(read):.2f} s",
            f"{statistics.median(read):.2f} s",
            "",
            None,
        )
    )
    print(
        _row(
            "  of which model + HTML + charts + write",
            f"{min(generate) - min(read):.2f} s",
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
