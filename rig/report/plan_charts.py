"""Which charts a plan gets, from the series and events its results recorded.

The results file names series freely (``docs/results.md``); the report sorts them
by their kind (:class:`~rig.results.SeriesKind`, for the runner's own series) and
otherwise by unit, so any other series (``eumd.energy``) lands by what it measures:

=========================================  =======================================
series                                     chart
=========================================  =======================================
pilot state (unit ``state``: 0…5 for A…F)  *Pilot and advertised ampacity*: the
or else pilot duty (kind ``pilot duty``);  state as a step on a categorical axis
advertised ampacity (kind ``advertised     (A at the top) or the duty in %; the
ampacity``)                                ampacity as a step on the right (A)
other currents (``A``) and powers (``W``,  *Load current and power*: currents on
``kW``)                                    the left with the advertised ampacity
                                           dashed beside them, power on the right
energies (``Wh``, ``kWh``)                 *Cumulative energy — meter vs load vs
                                           billed*, in kWh since the first sample
                                           (a register total starts at zero; the
                                           billed energy steps)
anything else                              one chart per unit
=========================================  =======================================

Every chart marks the plan's events (DR, ALM, price, faults) on its time axis. A
plan that recorded no series gets its step timeline instead
(:func:`rig.report.charts.step_timeline`), so every plan has a chart; otherwise the
steps table says the same in fewer bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from rig.report.charts import Axis, Bar, Event, Series, Shared, step_timeline, time_chart
from rig.results import PlanResults, SeriesKind, SeriesRecord

PILOT_STATES = ("A", "B", "C", "D", "E", "F")
_TO_KILO = {"W": 1e-3, "Wh": 1e-3, "kW": 1.0, "kWh": 1.0}


def _energy(s: SeriesRecord, style: int) -> Series:
    """An energy in kWh counted from the first sample: a meter register becomes energy
    delivered."""
    factor = _TO_KILO[s.unit]
    first = s.points[0][1] if s.points else 0.0
    return Series(
        s.name,
        s.points,
        step=s.kind is SeriesKind.BILLED_ENERGY,
        style=style,
        scale=factor,
        shift=-first * factor,
    )


def events_of(plan: PlanResults) -> list[Event]:
    return [Event(e.kind, e.t, e.t_end, e.label) for e in plan.events]


ENERGY_TITLE = "Cumulative energy — meter vs load vs billed"
PILOT_TITLE = "Pilot and advertised ampacity"
LOAD_TITLE = "Load current and power"
STEPS_TITLE = "Steps over time"
Chart = tuple[str, str]
"""A chart's title and its SVG."""


def _pilot_chart(
    states: list[SeriesRecord],
    duty: list[SeriesRecord],
    ampacity: list[SeriesRecord],
    events: list[Event],
    shared: Shared | None,
) -> str:
    ampacity_series = [
        Series(s.name, s.points, step=True, axis="right", style=1 + i)
        for i, s in enumerate(ampacity)
    ]
    if states:
        left = [Series(s.name, s.points, step=True) for s in states]
        axis = Axis("pilot state", PILOT_STATES)
    else:
        left = [Series(s.name, s.points, step=True) for s in duty]
        axis = Axis("duty (%)")
    return time_chart(left + ampacity_series, axis, Axis("ampacity (A)"), events, shared=shared)


def charts_for(plan: PlanResults, shared: Shared | None = None) -> list[Chart]:
    """The plan's charts (title, SVG) in reading order; the step timeline if no series.

    ``shared`` keeps the frames the page's charts have in common (see
    :class:`~rig.report.charts.Shared`).
    """
    events = events_of(plan)
    series = list(plan.series.values())
    states = [s for s in series if s.unit == "state"]
    duty = [s for s in series if s.kind is SeriesKind.PILOT_DUTY and not states]
    ampacity = [s for s in series if s.kind is SeriesKind.ADVERTISED_AMPACITY]
    currents = [s for s in series if s.unit == "A" and s not in ampacity]
    power = [s for s in series if s.unit in ("W", "kW")]
    energy = [s for s in series if s.unit in ("Wh", "kWh")]
    used = {id(s) for group in (states, duty, ampacity, currents, power, energy) for s in group}
    charts: list[Chart] = []
    if states or duty or ampacity:
        charts.append((PILOT_TITLE, _pilot_chart(states, duty, ampacity, events, shared)))
    if currents or power:
        charts.append(
            (
                LOAD_TITLE,
                time_chart(
                    [Series(s.name, s.points, style=i) for i, s in enumerate(currents)]
                    + [Series(s.name, s.points, step=True, style=4) for s in ampacity]
                    + [
                        Series(
                            f"{s.name} (kW)",
                            s.points,
                            axis="right",
                            style=1 + len(currents) + i,
                            scale=_TO_KILO[s.unit],
                        )
                        for i, s in enumerate(power)
                    ],
                    Axis("current (A)"),
                    Axis("power (kW)") if power else None,
                    events,
                    shared=shared,
                ),
            )
        )
    if energy:
        charts.append(
            (
                ENERGY_TITLE,
                time_chart(
                    [_energy(s, i) for i, s in enumerate(energy)],
                    Axis("energy since the first sample (kWh)"),
                    None,
                    events,
                    shared=shared,
                ),
            )
        )
    others: dict[str, list[SeriesRecord]] = {}
    for s in series:
        if id(s) not in used:
            others.setdefault(s.unit, []).append(s)
    for unit, group in others.items():
        title = f"Other series ({unit or 'no unit'})"
        charts.append(
            (
                title,
                time_chart(
                    [Series(s.name, s.points, style=i) for i, s in enumerate(group)],
                    Axis(unit or "value"),
                    None,
                    events,
                    shared=shared,
                ),
            )
        )
    if not charts:
        charts.append((STEPS_TITLE, step_timeline(_bars(plan), events, shared)))
    return charts


def _bars(plan: PlanResults) -> Sequence[Bar]:
    return [Bar(f"{s.index} {s.kind}", *s.span_s, s.outcome) for s in plan.steps]
