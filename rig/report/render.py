"""The report page: one self-contained HTML file, readable on screen and on paper.

Self-contained means the file is the whole report: the CSS is inline, the charts are
inline SVG (:mod:`rig.report.charts`), there is no script, no font, no image and no
link to anything outside the page — it opens offline, from an archive, years later,
and a browser opening it makes no network request. The only ``href`` values are
in-page anchors (``#plan-3``).

Sections, in the order a reviewer reads them, each a template in
``rig/report/templates/``:

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

Printing (or "Save as PDF"): the navigation is hidden, every plan starts on a new
page, charts and table rows do not split across pages, and nothing relies on a dark
background or on colour alone — verdicts are words, series have dash patterns.

**How the page is made.** Jinja2 renders the templates with autoescape, as
pytest-html renders its report: every value a template writes is escaped, and markup
made by code — the SVG charts — comes in as :class:`~markupsafe.Markup`. The page
stays as small as hand-written HTML (a 1,000-plan report is measured against a size
budget, ``docs/benchmarks.md``) by two rules:

* **The templates' layout is dropped when they load** (:class:`_PageSource`): a line
  break and the indentation around it become nothing beside a tag (``<…>``,
  ``{% … %}``, ``{# … #}``) and one space within text. So templates are written one
  element a line, indented, and the page carries none of it; where a space must
  stand beside a tag, the template writes ``{{ " " }}``. The page's HTML also omits
  the optional ``</td>``/``</tr>`` end tags, as HTML allows.
* **A value is escaped as text** (:func:`_text`): ``&``, ``<`` and ``>``. Quotes
  mean nothing in text and are left as they are (JSON fields are full of them). A
  value inside a quoted attribute goes through the ``quoted`` filter, which escapes
  quotes too, and a template that puts one there without it does not load. Unquoted
  attribute values are only names the report makes itself: anchors, verdicts and
  step outcomes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateSyntaxError
from jinja2.ext import Extension
from markupsafe import Markup

from rig.report import render_plan
from rig.report.charts import STYLE_CSS, Shared
from rig.report.model import PlanView, Report, RunView
from rig.report.text import clock, moment, value, with_unit

_BREAK = re.compile(r"[ \t]*\n\s*")
_QUOTED_ATTRIBUTE = re.compile(r'="([^"]*)"')
_VALUE = re.compile(r"\{\{(.*?)\}\}")


class _PageSource(Extension):
    """Drops a template's layout and checks its quoted attributes (see the module doc).

    Applies to the HTML templates (``*.html.j2``); the CSS is taken as it is written.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None or not name.endswith(".html.j2"):
            return source
        for attribute in _QUOTED_ATTRIBUTE.finditer(source):
            for found in _VALUE.finditer(attribute.group(1)):
                if not found.group(1).strip().endswith("|quoted"):
                    line = source.count("\n", 0, attribute.start()) + 1
                    raise TemplateSyntaxError(
                        f"a value in a quoted attribute needs |quoted: {found.group(0)}",
                        line,
                        name,
                        filename,
                    )
        return _BREAK.sub(_join, source)


def _join(found: re.Match[str]) -> str:
    """What a line break becomes: nothing beside a tag, one space within text."""
    before = found.string[max(found.start() - 2, 0) : found.start()]
    after = found.string[found.end() : found.end() + 2]
    beside_tag = before.endswith((">", "%}", "#}")) or after.startswith(("<", "{%", "{#"))
    return "" if beside_tag or not after else " "


class _Text(str):
    """Text :func:`_text` escaped itself, which autoescape takes as markup.

    Not a :class:`~markupsafe.Markup`: a plain ``str`` subclass is made in C, and
    autoescape makes its ``Markup`` from it in any case.
    """

    __slots__ = ()
    __html__ = str.__str__


def _text(written: object) -> str:
    """A value as HTML text: ``& < >`` escaped, quotes left as they are; markup as it is.

    Text without quotes is left to autoescape, which escapes it alike (and fastest).
    """
    if isinstance(written, Markup):
        return written
    text = str(written)
    if '"' in text or "'" in text:
        return _Text(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return text


def _quoted(written: object) -> Markup:
    """A value safe in a quoted attribute: quotes escaped too."""
    return Markup(escape(str(written), quote=True))


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
_ENV = Environment(
    loader=_LOADER,
    autoescape=True,
    finalize=_text,
    undefined=StrictUndefined,
    auto_reload=False,
    extensions=[_PageSource],
)
_ENV.filters.update(quoted=_quoted, moment=moment, clock=clock, value=value, with_unit=with_unit)
_ENV.filters.update(render_plan.FILTERS, words=" ".join, listing=", ".join)
_ENV.globals.update(
    covering=_covering,
    plan_files=_plan_files,
    frames=_frames,
    list_all_up_to=LIST_ALL_UP_TO,
    charts=render_plan.charts,
)
_CSS = Markup(_LOADER.get_source(_ENV, "report.css")[0] + STYLE_CSS)


def render(report: Report) -> str:
    """The whole report as one HTML document."""
    page = _ENV.get_template("report.html.j2")
    return page.render(report=report, several=len(report.runs) > 1, shared=Shared(), css=_CSS)
