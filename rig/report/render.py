"""The report page: one self-contained HTML file, readable on screen and on paper.

Self-contained means the file is the whole report: the CSS is inline, the charts are
inline SVG (:mod:`rig.report.charts`), there is no script, no font, no image and no
link to anything outside the page — it opens offline, from an archive, years later,
and a browser opening it makes no network request. The only ``href`` values are
in-page anchors (``#plan-3``).

Sections, in the order a reviewer reads them, each a template in
``rig/report/templates/``:

``Executive summary``  one printed page to sign: what was tested, the verdict and
                   its counts, requirements covered and not passed, instruments
                   and their calibration certificates, the uncertainty statement,
                   the operator's and approver's blocks (``executive.html.j2``,
                   :mod:`rig.report.executive`).
``Summary``        overall verdict and counts; the services some plan could not
                   reach (which, URL, first error, the plans); the runs; verdict
                   per scenario; every plan, failures first, each linking to its
                   section (``summary.html.j2``).
``Traceability``   every requirement of the catalogue → plans → verdict, uncovered
                   ones marked UNCOVERED (``traceability.html.j2``).
``Bench``          per run: bench file and hash, software version, start and end,
                   operator, host, worker, seed; each instrument's identity and
                   calibration (EXPIRED flagged); the plan files and their hashes
                   (``bench.html.j2``).
``Plans``          one section per plan (``plan.html.j2``, :mod:`rig.report.render_plan`).

Printing (or "Save as PDF"): the navigation is hidden, the executive summary is
the first page and the rest starts on the next, every plan starts on a new
page, charts and table rows do not split across pages, and nothing relies on a dark
background or on colour alone — verdicts are words, series have dash patterns.

The templates are rendered by Jinja2 with autoescape (:mod:`rig.report.templating`);
this module gives them the values that take more than a lookup.
"""

from __future__ import annotations

from collections.abc import Iterable

from jinja2 import PackageLoader
from markupsafe import Markup

from rig.report import render_plan
from rig.report.charts import STYLE_CSS, Shared
from rig.report.executive import Signers, executive
from rig.report.model import PlanView, Report, RunView
from rig.report.templating import environment
from rig.report.text import clock, minute, moment, since, value, with_unit

#: Above this many covering plans a matrix cell names only those that did not pass.
LIST_ALL_UP_TO = 12


def _covering(plans: tuple[PlanView, ...]) -> tuple[Iterable[PlanView], int]:
    """The plans a matrix cell names, and how many passing plans it only counts."""
    if len(plans) <= LIST_ALL_UP_TO:
        return plans, 0
    shown = [p for p in plans if p.verdict.value != "PASS"]
    return shown, len(plans) - len(shown)


def _plan_files(run: RunView) -> list[tuple[str, str]]:
    """The run's plan files and their SHA-256 (empty if not recorded), by file name."""
    files = {p.start.file: p.start.file_sha256 for p in run.results.plans.values() if p.start.file}
    return sorted(files.items())


def _frames(shared: Shared) -> Markup:
    """The chart frames the page's charts share; after the last chart."""
    return Markup(shared.svg())


_LOADER = PackageLoader("rig.report", "templates")
_ENV = environment(_LOADER)
_ENV.filters.update(
    render_plan.FILTERS,
    moment=moment,
    since=since,
    clock=clock,
    minute=minute,
    value=value,
    with_unit=with_unit,
)
_ENV.tests.update(render_plan.TESTS)
_ENV.globals.update(
    covering=_covering,
    plan_files=_plan_files,
    frames=_frames,
    list_all_up_to=LIST_ALL_UP_TO,
    charts=render_plan.charts,
)
_CSS = Markup(_LOADER.get_source(_ENV, "report.css")[0] + STYLE_CSS)


def render(report: Report, signers: Signers | None = None) -> str:
    """The whole report as one HTML document; ``signers`` name who signs it."""
    page = _ENV.get_template("report.html.j2")
    return page.render(
        report=report,
        summary=executive(report, signers),
        several=len(report.runs) > 1,
        shared=Shared(),
        css=_CSS,
    )
