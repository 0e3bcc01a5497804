"""OpenHTF's cost per no-op phase: the baseline of ``bench_plans.py``'s per-step row.

Run by :mod:`plans_steps` in an interpreter that has ``openhtf`` (never the
project's own environment)::

    /tmp/openhtf-venv/bin/python benchmarks/openhtf_probe.py PHASES REPEATS

It builds an ``openhtf.Test`` of ``PHASES`` phases that only record the time, runs
it ``REPEATS`` times (after one warm-up run), each time also a 1-phase test, and
prints one JSON line: the OpenHTF version, the mean interval between phase calls
per run (us), a bare no-op call (us), the whole test's wall time (s) for
``PHASES`` and for one phase, and the process CPU per phase (us). It runs from a
file, not ``python -c``: OpenHTF reads each phase function's source.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import statistics
import sys
import time
from importlib.metadata import version

import openhtf as htf

stamps: list[float] = []


def phase() -> None:
    stamps.append(time.perf_counter())


def noop() -> None:
    pass


def bare(count: int = 200_000) -> float:
    """One call of a bare no-op function, median of 5 loops (us)."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            noop()
        runs.append((time.perf_counter() - start) / count)
    return statistics.median(runs) * 1e6


def run(count: int) -> tuple[float, float, list[float]]:
    """A test of ``count`` phases: wall (s), process CPU (s), the phases' call times."""
    test = htf.Test(*[htf.PhaseOptions(name=f"noop{i}")(phase) for i in range(count)])
    stamps.clear()
    cpu, start = time.process_time(), time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        test.execute(test_start=lambda: "DUT-0")
    return time.perf_counter() - start, time.process_time() - cpu, list(stamps)


def main(argv: list[str]) -> int:
    n, repeats = int(argv[1]), int(argv[2])
    logging.disable(logging.CRITICAL)
    run(n)  # warm-up
    periods, totals, singles, cpus = [], [], [], []
    for _ in range(repeats):
        total, cpu, got = run(n)
        single, cpu1, _ = run(1)
        periods.append((got[-1] - got[0]) / (len(got) - 1) * 1e6)
        totals.append(total)
        singles.append(single)
        cpus.append((cpu - cpu1) / (n - 1) * 1e6)
    figures = {
        "version": version("openhtf"),
        "periods_us": periods,
        "bare_us": bare(),
        "total_s": totals,
        "single_s": singles,
        "cpu_us": cpus,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
