"""The HTML compliance report: what a lab hands to a customer or an auditor.

One self-contained HTML file rendered from results files (:mod:`rig.results`) and
nothing else — *records are data*, never a runner's memory — so it can be made again
from an archive, and the files of several runs, benches or pytest-xdist workers
merge into one report::

    from rig.report import write_report

    write_report([Path("reports/results-gw0.jsonl"), Path("reports/results-gw1.jsonl")],
                 Path("reports/report.html"))

or from the shell, ``rig report reports/*.jsonl -o reports/report.html``. The
pytest plugin calls :func:`write_run_report` when a run of plans ends, which finds
that run's results files (every worker's) in the report directory.

The package, one concept per module:

:mod:`~rig.report.model`          results → view model (verdicts, failures first,
                                  scenarios, calibration status)
:mod:`~rig.report.executive`      the one-page executive summary and signature blocks
:mod:`~rig.report.uncertainty`    the uncertainty statement, from J-04's budgets
:mod:`~rig.report.traceability`   requirement → covering plans → verdict
:mod:`~rig.report.charts`         dependency-free SVG time charts and step timelines
:mod:`~rig.report.axes`           a chart's frame: scales, axes, legend, event marks
:mod:`~rig.report.svgpath`        a series as compact path data, reduced to what shows
:mod:`~rig.report.plan_charts`    which charts a plan's series and events make
:mod:`~rig.report.text`           how values, limits and times read
:mod:`~rig.report.templating`     Jinja2 with autoescape, HTML as small as by hand
:mod:`~rig.report.render`         the page (``templates/``) and the values it shows
:mod:`~rig.report.render_plan`    one plan's section: the values its template shows
:mod:`~rig.report.sample`         a synthetic run, for tests, the benchmark and a look

``docs/report.md`` describes what the report shows and how to read it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from rig.domain.requirements import catalogue
from rig.report.executive import Signers
from rig.report.model import Report, build_report
from rig.report.render import render
from rig.results import ResultSet, collector_paused, merge_results

__all__ = ["Report", "Signers", "build_report", "render", "write_report", "write_run_report"]


def write_report(
    results_files: Sequence[Path],
    out: Path,
    *,
    now: dt.datetime | None = None,
    signers: Signers | None = None,
) -> Path:
    """Read, validate and merge ``results_files``; write the HTML report to ``out``.

    ``signers`` name the operator and the approver of the signature blocks instead of
    the names the ``run`` records carry.

    ``out`` is written atomically (a reader never sees half a report) and its parent
    directory is created. Returns ``out``. Raises
    :class:`~rig.results.ResultsFileError` (naming ``file:line``) for a results file
    that does not validate, and :class:`ValueError` when given no file at all.
    """
    if not results_files:
        raise ValueError("write_report needs at least one results file")
    with collector_paused():
        return _write(merge_results(results_files), results_files, out, now, signers)


def _write(
    results: ResultSet,
    files: Sequence[Path],
    out: Path,
    now: dt.datetime | None,
    signers: Signers | None = None,
) -> Path:
    """Render ``results`` to ``out``; called with the garbage collector paused.

    Neither the records nor the report's view of them hold reference cycles, so a
    collection while rendering would only rescan them (see
    :func:`~rig.results.collector_paused`); when the caller drops them, reference
    counting frees them.
    """
    report = build_report(results, catalogue(), sources=[p.name for p in files], now=now)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    partial.write_text(render(report, signers), encoding="utf-8")
    partial.replace(out)
    return out


def write_run_report(report_dir: Path, run_id: str, *, worker: str = "") -> Path | None:
    """The report of one run, beside its results files; ``None`` if there is nothing to do.

    Finds ``results-*-<run id[:8]>*.jsonl`` in ``report_dir`` — the file of each
    process of the run, pytest-xdist workers included — and writes them as
    ``report-<UTC start>-<run id[:8]>.html`` there. A worker (``worker`` not empty)
    writes nothing: the run's report is the controller's job, once every worker's
    file is complete. Raises :class:`~rig.results.ResultsFileError` for a results
    file that does not validate.
    """
    if worker:
        return None
    files = sorted(report_dir.glob(f"results-*-{run_id[:8]}*.jsonl"))
    if not files:
        return None
    with collector_paused():
        results = merge_results(files)
        started = min(run.run.started_at for run in results.runs)
        name = f"report-{started.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{run_id[:8]}.html"
        return _write(results, files, report_dir / name, None)
