"""The compliance summary printed at the end of a run of plans.

One row per plan that ran, failures first, then a count and where the results
went::

    plan            scenario  verdict  measurements  wall    requirements
    sc4-home-rate   sc4       fail     17/18         0.84 s  SC-4 BR-06 J-04
    pg-tou-boundary sc1       pass     21/21         0.71 s  PG-TOU SC-1 J-04
    2 plans: 1 pass, 1 fail
    results: reports/results-20261126T021500Z-3f2a9c1e.jsonl
    report:  reports/report-20261126T021500Z-3f2a9c1e.html

``measurements`` counts the plan's measurements that passed (MARGINAL included,
INCONCLUSIVE not) out of all it recorded; ``wall`` is the wall time of the whole
plan, bench set-up and safe state included. The printing hook shows the table
unless ``-q`` is given, and the results and report lines always (a report that
could not be written says why, and the table is still printed).

A plan whose only shortfall is an INCONCLUSIVE measurement (the bench could not
tell: J-04's guard band, docs/oracle.md) is counted as ``inconclusive``, apart from
``pass`` and ``fail``; its pytest outcome is *failed* and the run exits 1, so no lab
or CI can read it as a pass. A run a stop signal ended adds
what the stop did (:meth:`rig.bench.safe.Stop.describe`), always::

    ========================= stopped by SIGTERM =========================
    SIGTERM received: run stopped, no further plan or step runs
    safe state confirmed on bench 'lab': load input read back off, pilot read back in state A

Under pytest-xdist the controller prints the one table of every worker's plans, then
one ``results:`` line per worker with its bench, and the one merged report
(:mod:`rig.pytest_plugin.pool`)::

    results: reports/results-20261126T021500Z-3f2a9c1e-gw0.jsonl (gw0, bench 'lab-a')
    results: reports/results-20261126T021500Z-3f2a9c1e-gw1.jsonl (gw1, bench 'lab-b')
    report:  reports/report-20261126T021500Z-3f2a9c1e.html

and, after a stop, each worker's stop under its worker ID.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest

from rig.bench.stop_signals import current_stop
from rig.pytest_plugin.items import shown
from rig.pytest_plugin.pool import Controller, worker_number
from rig.pytest_plugin.session import RUN, PlanRow

HEADER = ("plan", "scenario", "verdict", "measurements", "wall", "requirements")
VERDICTS = ("pass", "inconclusive", "fail", "error", "interrupted")


def table(rows: Sequence[PlanRow]) -> list[str]:
    """The summary table's lines (see the module doc), failures first."""
    ordered = sorted(rows, key=lambda row: row.verdict == "pass")
    cells = [HEADER] + [
        (
            row.plan_id,
            row.scenario,
            row.verdict,
            f"{row.measurements_passed}/{row.measurements_total}",
            f"{row.wall_s:.2f} s",
            " ".join(row.requirements),
        )
        for row in ordered
    ]
    widths = [max(len(line[column]) for line in cells) for column in range(len(HEADER) - 1)]
    lines = ["  ".join([*map(str.ljust, line[:-1], widths), line[-1]]).rstrip() for line in cells]
    counts = Counter(row.verdict for row in rows)
    tally = ", ".join(f"{counts[verdict]} {verdict}" for verdict in VERDICTS if counts[verdict])
    plans = "plan" if len(rows) == 1 else "plans"
    return [*lines, f"{len(rows)} {plans}: {tally}"]


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    run = config.stash[RUN]
    if run.rows and config.get_verbosity() >= 0:
        terminalreporter.write_sep("=", "compliance summary")
        for line in table(run.rows):
            terminalreporter.write_line(line)
    stop = current_stop()
    if stop is not None:
        terminalreporter.write_sep("=", f"stopped by {stop.signal}", red=True)
        for line in stop.describe():
            terminalreporter.write_line(line)
        stop.reported = True
    if run.results_path is not None:
        terminalreporter.write_line(f"results: {shown(run.results_path)}")
    if run.controller is not None:
        _workers(terminalreporter, run.controller)
    if run.report_path is not None:
        terminalreporter.write_line(f"report:  {shown(run.report_path)}")
    if run.report_error:
        terminalreporter.write_line(f"report:  not written: {run.report_error}", red=True)


def _workers(terminalreporter: pytest.TerminalReporter, controller: Controller) -> None:
    """The controller's lines for its workers: their stops, then their results files."""
    ends = sorted(controller.ends, key=lambda end: worker_number(end.worker))
    if controller.forwarded:
        terminalreporter.write_sep("=", f"stopped by {controller.forwarded[0]}", red=True)
        terminalreporter.write_line(f"forwarded to the workers: {', '.join(controller.forwarded)}")
    for end in ends:
        if end.stop_signal:
            if not controller.forwarded:
                terminalreporter.write_sep("=", f"{end.worker} stopped by {end.stop_signal}")
            for line in end.stop_describe:
                terminalreporter.write_line(f"{end.worker}: {line}")
    for end in ends:
        where = f"({end.worker}, bench '{end.bench}')" if end.bench else f"({end.worker}, no bench)"
        if end.results is None:
            terminalreporter.write_line(f"results: none, no plan ran {where}")
        else:
            terminalreporter.write_line(f"results: {shown(end.results)} {where}")
