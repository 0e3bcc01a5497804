"""The HTML compliance report: what a lab hands to a customer or an auditor.

One self-contained HTML file rendered from results files (:mod:`rig.results`) and
nothing else — design principle 6, *records are data* — so it can be made again
from an archive, and the files of several runs, benches or pytest-xdist workers
merge into one report::

    from rig.report import write_report

    write_report([Path("reports/results-gw0.jsonl"), Path("reports/results-gw1.jsonl")],
                 Path("reports/report.html"))

or from the shell, ``rig report reports/*.jsonl -o reports/report.html``.

The package, one concept per module:

:mod:`~rig.report.model`          results → view model (verdicts, failures first,
                                  scenarios, calibration status)
:mod:`~rig.report.traceability`   requirement → covering plans → verdict
:mod:`~rig.report.charts`         dependency-free SVG time charts and step timelines
:mod:`~rig.report.plan_charts`    which charts a plan's series and events make
:mod:`~rig.report.text`           escaping and how values, limits and times read
:mod:`~rig.report.render_plan`    one plan's section
:mod:`~rig.report.render`         the page: CSS, summary, traceability, bench

``docs/report.md`` describes what the report shows and how to read it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from rig.plans.requirements import catalogue
from rig.report.model import Report, build_report
from rig.report.render import render
from rig.results import merge_results

__all__ = ["Report", "build_report", "render", "write_report"]


def write_report(
    results_files: Sequence[Path], out: Path, *, now: dt.datetime | None = None
) -> Path:
    """Read, validate and merge ``results_files``; write the HTML report to ``out``.

    ``out`` is written atomically (a reader never sees half a report) and its parent
    directory is created. Returns ``out``. Raises
    :class:`~rig.results.ResultsFileError` (naming ``file:line``) for a results file
    that does not validate, and :class:`ValueError` when given no file at all.
    """
    if not results_files:
        raise ValueError("write_report needs at least one results file")
    results = merge_results(results_files)
    report = build_report(results, catalogue(), sources=[p.name for p in results_files], now=now)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    partial.write_text(render(report), encoding="utf-8")
    partial.replace(out)
    return out
