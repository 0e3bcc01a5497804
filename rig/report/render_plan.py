"""One plan's section of the report: what ``templates/plan.html.j2`` shows, worked out.

Reading order follows what a reviewer needs first:

1. the header — plan ID, title, verdict, scenario, requirements, file, run — and,
   whatever the verdict, the services the plan could not reach: which, the URL,
   the first error and how many requests failed;
2. for a plan that did not pass, **why** (``why.html.j2``): each failing
   measurement with measured against expected (or the limits) and the YAML of the
   step that measured it, each failed step with its message and YAML, or the plan's
   own message when it never ended;
3. the charts (:mod:`rig.report.plan_charts`), and the series a measurement rests
   on that were never recorded (``billed energy`` when nothing was billed);
4. the steps with their start and duration, and, when some step did not pass or
   said something, their outcomes and messages;
5. every measurement: value, unit, limits with the marginal band, verdict (when
   some measurement did not pass: otherwise the heading says all passed), and
   under its name the series it rests on that were not recorded;
   a guard-banded one (J-04's EUMD class) with a row of its own under it: decision
   rule, U, TUR and budget;
6. the interval table (metered vs billed kWh, rate period, rate, each interval's own
   amount, a bill line's rounding to the cent on a row of its own) and the
   records the utility, clearinghouse and ESI held for the session.

The templates write the markup; this module gives them, as filters (:data:`FILTERS`)
and :func:`charts`, the values that take more than a lookup.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from markupsafe import Markup

from rig.report.charts import Shared
from rig.report.model import PlanView
from rig.report.plan_charts import charts_for
from rig.report.text import duration, limits, marginal, value, with_unit
from rig.results import MeasurementRecord, ServiceRecord, StepRecord
from rig.results.measurements import Verdict


def charts(view: PlanView, shared: Shared) -> list[tuple[str, Markup]]:
    """The plan's charts, title and SVG; their frames go to ``shared``."""
    return [(title, Markup(svg)) for title, svg in charts_for(view.results, shared)]


def took(step: StepRecord) -> str:
    return duration((step.ended_at - step.started_at).total_seconds())


def expected(m: MeasurementRecord) -> str:
    """What a failing measurement should have been: the value, or the limits, with unit."""
    if m.mode == "equals":
        return with_unit(m.expected, m.unit)
    return limits(m.limits, m.unit) or "a number"


def limits_or_expected(m: MeasurementRecord) -> str:
    """The measurements table's cell, in the value's unit: the limits with the marginal
    band in brackets (``[0, 3] (≤ 2.7)``); ``= expected``; or ``=`` alone for an equality
    that passed, whose value is the expected one by definition of its verdict."""
    if m.mode == "equals":
        return "=" if m.verdict is Verdict.PASS else f"= {value(m.expected)}"
    band = marginal(m.limits, "")
    return f"{limits(m.limits, '')} ({band})" if band else limits(m.limits, "")


def all_passed(records: Iterable[MeasurementRecord | StepRecord]) -> bool:
    """Every measurement PASS, or every step passed: the table needs no verdict column."""
    return all(
        r.verdict is Verdict.PASS if isinstance(r, MeasurementRecord) else r.outcome == "passed"
        for r in records
    )


def budget(m: MeasurementRecord) -> str:
    """A guard-banded measurement's uncertainty line: rule, U, TUR and each term (J-04)."""
    u = m.uncertainty
    if u is None:
        return ""
    unit = f" {m.unit}" if m.unit else ""
    ratio = f", TUR {u.tur:.1f}:1" if u.tur is not None else ""
    terms = "; ".join(
        f"{t.name} {t.standard:.4f}{unit}" + (f" ({t.note})" if t.note else "") for t in u.terms
    )
    return (
        f"decision rule: {u.rule}; U = {u.expanded:.4f}{unit} (k={u.coverage_k:g}){ratio}; "
        f"standard uncertainties: {terms}"
    )


def total(values: Iterable[Decimal | None]) -> str:
    """The sum of the values recorded; empty when none was."""
    present = [v for v in values if v is not None]
    return str(sum(present, Decimal(0))) if present else ""


def uniform(records: Iterable[object], attribute: str) -> str | None:
    """The ``attribute`` every record shares, or ``None`` when they differ."""
    found = {str(getattr(r, attribute)) for r in records}
    return found.pop() if len(found) == 1 else None


def by_source(records: Iterable[ServiceRecord]) -> list[ServiceRecord]:
    """The records grouped by the service that held them, in order of first appearance."""
    groups: dict[str, list[ServiceRecord]] = defaultdict(list)
    for r in records:
        groups[r.source].append(r)
    return [r for group in groups.values() for r in group]


FILTERS: dict[str, Callable[..., str | list[ServiceRecord] | None]] = {
    "took": took,
    "expected": expected,
    "limits_or_expected": limits_or_expected,
    "budget": budget,
    "total": total,
    "by_source": by_source,
    "uniform": uniform,
}
TESTS: dict[str, Callable[..., bool]] = {"all_passed": all_passed}
