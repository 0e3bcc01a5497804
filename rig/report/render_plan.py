"""One plan's section of the report: why it failed, charts, steps, measurements, records.

Reading order follows what a reviewer needs first:

1. the header — plan ID, title, verdict, scenario, requirements, file, run — and,
   whatever the verdict, the services the plan could not reach: which, the URL,
   the first error and how many requests failed;
2. for a plan that did not pass, **why**: each failing measurement with measured
   against expected (or the limits) and the YAML of the step that measured it,
   each failed step with its message and YAML, or the plan's own message when it
   never ended;
3. the charts (:mod:`rig.report.plan_charts`), and the series a measurement rests
   on that were never recorded (``billed energy`` when nothing was billed);
4. the steps with their time stamps and outcomes;
5. every measurement: value, unit, limits, marginal band, verdict, and under its
   name the series it rests on that were not recorded;
6. the interval table (metered vs billed kWh, rate period, rate, each interval's own
   amount, a bill line's rounding to the cent on a row of its own) and the
   records the utility, clearinghouse and ESI held for the session.

The section's HTML omits the optional ``</td>``/``</tr>`` end tags, as HTML allows,
which keeps a 1,000-plan report within its size budget.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from rig.report.charts import Shared
from rig.report.model import PlanView
from rig.report.plan_charts import charts_for
from rig.report.text import (
    badge,
    clock,
    duration,
    esc,
    limits,
    marginal,
    moment,
    row_class,
    value,
    verdict_cell,
    with_unit,
)
from rig.results import IntervalRecord, MeasurementRecord, ServiceRecord, StepRecord
from rig.results.measurements import Verdict


def _step_yaml(view: PlanView, step: StepRecord) -> str:
    where = view.results.start.file or "plan"
    if step.source_line is not None:
        where += f":{step.source_line}"
    body = f"<pre>{esc(step.source)}</pre>" if step.source else "<p>(step YAML not recorded)"
    return f'<p class="src">step {step.index} <code>{esc(step.kind)}</code> at {esc(where)}{body}'


def _expected(m: MeasurementRecord) -> str:
    if m.mode == "equals":
        return with_unit(m.expected, m.unit)
    return limits(m.limits, m.unit) or "a number"


def _failure(view: PlanView, m: MeasurementRecord) -> str:
    step = view.step(m.step)
    if step is not None:
        where = _step_yaml(view, step)
    elif m.source:
        where = f'<p class="src">plan check after the steps<pre>{esc(m.source)}</pre>'
    else:
        where = "<p>checked after the steps"
    detail = f"<p>{esc(m.detail)}" if m.detail else ""
    return (
        f'<div class="why">{badge(m.verdict)} <b>{esc(m.name)}</b>'
        f"<table><tr><th>measured<td>{esc(with_unit(m.value, m.unit))}"
        f"<tr><th>expected<td>{esc(_expected(m))}</table>{detail}{where}</div>"
    )


def _interruption(view: PlanView) -> str:
    """A plan a stop signal ended: the signal, the step, what safe state read back."""
    stop = view.interrupted
    if stop is None:
        return ""
    step = f" at step {stop.step}" if stop.step is not None else ""
    if stop.safe_state is not None:
        load = "on" if stop.safe_state.load_input_on else "off"
        safe = (
            f"safe state confirmed on bench {esc(stop.safe_state.bench)}: load input read "
            f"back {load}, pilot read back in state {esc(stop.safe_state.pilot_state)}"
        )
    else:
        safe = f"<b>safe state NOT confirmed</b>: {esc(stop.safe_state_error or 'no read-back')}"
    held = f"; held while stopping: {esc(', '.join(stop.held))}" if stop.held else ""
    return (
        f'<div class="why"><b>interrupted by {esc(stop.signal)}{step}</b>'
        f"<p>{safe}{held}; the run stopped here.</div>"
    )


def _unreachable(view: PlanView) -> str:
    """The services the plan could not reach, so no one has to guess from the symptoms."""
    if not view.unreachable:
        return ""
    items = "".join(
        f"<li><b>{esc(u.service)}</b> at <code>{esc(u.url)}</code>: {esc(u.error)} "
        f"({u.failures} failed request{'s' if u.failures != 1 else ''})"
        for u in view.unreachable
    )
    return (
        '<div class="why unreachable"><b>Services unreachable during this plan</b>'
        "<p>The records these services hold for the session could not be sent or read, "
        f"so checks of them fail for that reason.<ul>{items}</ul></div>"
    )


def _unrecorded(names: list[str] | tuple[str, ...]) -> str:
    return f"<br><i>not recorded: {esc(', '.join(names))}</i>" if names else ""


def _why(view: PlanView) -> str:
    if view.verdict is not Verdict.FAIL:
        return ""
    parts = [_interruption(view)] if view.interrupted is not None else []
    parts += [_failure(view, m) for m in view.failing]
    measured_steps = {m.step for m in view.failing}
    for step in view.failed_steps:
        if step.index not in measured_steps:
            parts.append(
                f'<div class="why">{badge(Verdict.FAIL)} <b>step {step.index} {esc(step.kind)} '
                f"{esc(step.outcome)}</b><p>{esc(step.message)}{_step_yaml(view, step)}</div>"
            )
    end = view.results.end
    if end is None:
        parts.append('<div class="why"><b>The plan never ended</b> (crash or kill).</div>')
    elif end.message or not parts:
        reason = end.message or "no measurement recorded"
        parts.append(f'<div class="why"><b>Plan:</b> {esc(reason)}</div>')
    return "<h4>Why it failed</h4>" + "".join(parts)


def _span(step: StepRecord) -> str:
    """``16:00:00–16:00:07``; one time for a step that began and ended within it."""
    start, end = clock(step.started_at), clock(step.ended_at)
    return start if start == end else f"{start}–{end}"


def _steps(view: PlanView) -> str:
    rows = [
        f"<tr{row_class(s.outcome, 'passed')}><td>{s.index}<td>{esc(s.kind)}"
        f"<td>{s.source_line or ''}<td>{_span(s)}"
        f"<td>{duration((s.ended_at - s.started_at).total_seconds())}"
        f"<td>{esc(s.outcome)}<td>{esc(s.message)}"
        for s in view.results.steps
    ]
    if not rows:
        return "<h4>Steps</h4><p>No steps recorded."
    return (
        "<h4>Steps</h4><table><thead><tr><th>#<th>step<th>line<th>start–end (UTC)"
        "<th>took<th>outcome<th>message</thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _measurements(view: PlanView) -> str:
    """Every measurement; the step column only when some measurement names its step.

    The unit is written once, with the value: limits and marginal band are in it.
    """
    measurements = view.results.measurements
    if not measurements:
        return "<h4>Measurements</h4><p>No measurement recorded: the plan fails."
    with_step = any(m.step is not None for m in measurements)
    rows = []
    for m in measurements:
        expected = limits(m.limits, "") if m.mode == "limits" else f"= {value(m.expected)}"
        rows.append(
            f"<tr{row_class(m.verdict.value, 'PASS')}><td>{esc(m.name)}{_unrecorded(m.unrecorded)}"
            f"<td>{esc(with_unit(m.value, m.unit))}<td>{esc(expected)}"
            f"<td>{esc(marginal(m.limits, ''))}<td>{verdict_cell(m.verdict)}"
            f"<td>{esc(' '.join(m.requirements))}"
            + (f"<td>{'' if m.step is None else m.step}" if with_step else "")
        )
    return (
        "<h4>Measurements</h4><table class=num2><thead><tr><th>measurement<th>value"
        "<th>limits / expected<th>marginal band<th>verdict<th>requirements"
        + ("<th>step" if with_step else "")
        + "</thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _total(values: list[Decimal | None]) -> str:
    present = [v for v in values if v is not None]
    return str(sum(present, Decimal(0))) if present else ""


def _intervals(rows: list[IntervalRecord]) -> str:
    """Each interval at its own price; a bill line's rounding to the cent on a row of its own."""
    if not rows:
        return ""
    body = []
    for r in rows:
        body.append(
            f"<tr><td>{clock(r.start)}–{clock(r.end)}<td>{value(_dec(r.metered_kwh))}"
            f"<td>{value(_dec(r.billed_kwh))}<td>{esc(r.account)}<td>{esc(r.tariff)}"
            f"<td>{esc(r.rate_period)}<td>{value(_dec(r.rate))}"
            f"<td>{value(_dec(r.amount))} {esc(r.currency)}"
        )
        if r.line_rounding:
            body.append(
                f"<tr class=rounding><td colspan=7>bill line ending {clock(r.end)}: rounded "
                f"to the cent<td>{r.line_rounding:+} {esc(r.currency)}"
            )
    currency = rows[0].currency
    total = (
        f"<tfoot><tr><th>total<td>{_total([r.metered_kwh for r in rows])}"
        f"<td>{_total([r.billed_kwh for r in rows])}<td><td><td><td>"
        f"<td>{_total([*(r.amount for r in rows), *(r.line_rounding for r in rows)])}"
        f" {esc(currency)}</tfoot>"
    )
    return (
        "<h4>Intervals: metered vs billed</h4><table class=iv><thead><tr><th>interval (UTC)"
        "<th>metered kWh<th>billed kWh<th>account<th>tariff<th>rate period<th>rate"
        "<th>amount</thead><tbody>" + "".join(body) + "</tbody>" + total + "</table>"
    )


def _dec(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


def _services(records: list[ServiceRecord]) -> str:
    if not records:
        return ""
    by_source: dict[str, list[ServiceRecord]] = defaultdict(list)
    for r in records:
        by_source[r.source].append(r)
    rows = [
        f"<tr><td>{esc(source)}<td>{esc(r.kind)}<td>"
        + "; ".join(f"<i>{esc(k)}</i> {esc(value(v))}" for k, v in r.fields.items())
        for source, group in by_source.items()
        for r in group
    ]
    return (
        "<h4>Utility and clearinghouse records</h4><table><thead><tr><th>source<th>record"
        "<th>fields</thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def plan_section(view: PlanView, several_runs: bool, shared: Shared | None = None) -> str:
    """The HTML ``<section>`` of one plan; chart frames go to ``shared`` when given."""
    start = view.results.start
    end = view.results.end
    run = f"<dt>run<dd>{esc(view.run.label)}" if several_runs else ""
    ended = moment(end.ended_at) if end is not None else "never (crash or kill)"
    header = (
        f"<section class=plan id={view.anchor}><h3>{badge(view.verdict)} {esc(start.plan)}"
        f"{' — interrupted' if view.interrupted is not None else ''}</h3>"
        f"<p class=title>{esc(start.title)}<dl><dt>scenario<dd>{esc(view.scenario or '—')}"
        f"<dt>covers<dd>{esc(' '.join(view.requirements) or '—')}"
        f"<dt>file<dd>{esc(start.file or '—')}"
        f"<dt>utility protocol<dd>{esc(start.utility_protocol or '—')}"
        f"<dt>started<dd>{moment(start.started_at)}<dt>ended<dd>{ended}{run}</dl>"
    )
    charts = "".join(
        f"<figure><figcaption>{esc(title)}</figcaption>{svg}</figure>"
        for title, svg in charts_for(view.results, shared)
    )
    missing = view.unrecorded
    not_recorded = (
        f"<p>Not recorded (no point, so no chart): {esc(', '.join(missing))}." if missing else ""
    )
    return (
        header
        + _unreachable(view)
        + _why(view)
        + f"<h4>Charts</h4><div class=charts>{charts}</div>{not_recorded}"
        + _steps(view)
        + _measurements(view)
        + _intervals(view.results.intervals)
        + _services(view.results.services)
        + "</section>"
    )
