"""Which charts a plan gets, from the series and events its results recorded.

The results file names series freely (``docs/results.md``); the report recognises
the conventional names and falls back on units, so a runner that names a series a
little differently still gets it drawn:

=====================================  ===========================================
series                                 chart
=====================================  ===========================================
``pilot.state`` (unit ``state``,       *Pilot state and advertised ampacity*: state
0…5 for A…F) and ``evse.ampacity``     as a step on a categorical axis (A at the
(a name with *ampacity*/*advertised*)  top), ampacity as a step on the right (A)
``load.current`` (other ``A``          *Load current and power*: currents on the
series) and ``load.power`` (``W`` or   left (A, the advertised ampacity dashed
``kW``)                                beside them as the limit), power on the
                                       right (kW)
``eumd.energy``, ``load.energy``,      *Cumulative energy — meter vs load vs
``billed.energy`` (``kWh``/``Wh``)     billed* (kWh)
anything else                          one chart per unit
=====================================  ===========================================

Every chart marks the plan's events (DR, ALM, price, faults) on its time axis.
Every plan also gets its step timeline (:func:`rig.report.charts.step_timeline`),
so a plan that recorded no series still has a chart.
"""

from __future__ import annotations

from collections.abc import Sequence

from rig.clock import to_seconds
from rig.report.charts import Axis, Bar, Event, Series, step_timeline, time_chart
from rig.results import PlanResults, SeriesRecord

PILOT_STATES = ("A", "B", "C", "D", "E", "F")
_TO_KILO = {"W": 1e-3, "Wh": 1e-3, "kW": 1.0, "kWh": 1.0}


def _is_pilot(s: SeriesRecord) -> bool:
    return s.unit == "state" or s.name.lower().startswith("pilot")


def _is_ampacity(s: SeriesRecord) -> bool:
    name = s.name.lower()
    return s.unit == "A" and ("ampacity" in name or "advertised" in name)


def _kilo(s: SeriesRecord) -> list[tuple[float, float]]:
    factor = _TO_KILO[s.unit]
    return [(t, v * factor) for t, v in s.points] if factor != 1.0 else list(s.points)


def events_of(plan: PlanResults) -> list[Event]:
    return [Event(e.kind, e.t, e.t_end, e.label) for e in plan.events]


def charts_for(plan: PlanResults) -> list[str]:
    """The plan's SVG charts, in reading order, the step timeline last."""
    events = events_of(plan)
    remaining = list(plan.series.values())
    pilot = [s for s in remaining if _is_pilot(s)]
    ampacity = [s for s in remaining if _is_ampacity(s)]
    currents = [s for s in remaining if s.unit == "A" and s not in ampacity]
    power = [s for s in remaining if s.unit in ("W", "kW")]
    energy = [s for s in remaining if s.unit in ("Wh", "kWh")]
    used = {id(s) for group in (pilot, ampacity, currents, power, energy) for s in group}
    charts = []
    if pilot or ampacity:
        charts.append(
            time_chart(
                "Pilot state and advertised ampacity",
                [Series(s.name, s.points, step=True, style=0) for s in pilot]
                + [
                    Series(s.name, s.points, step=True, axis="right", style=1 + i)
                    for i, s in enumerate(ampacity)
                ],
                Axis("pilot state", PILOT_STATES),
                Axis("ampacity (A)"),
                events,
            )
        )
    if currents or power:
        charts.append(
            time_chart(
                "Load current and power",
                [Series(s.name, s.points, style=i) for i, s in enumerate(currents)]
                + [Series(s.name, s.points, step=True, style=4) for s in ampacity]
                + [
                    Series(f"{s.name} (kW)", _kilo(s), axis="right", style=1 + len(currents) + i)
                    for i, s in enumerate(power)
                ],
                Axis("current (A)"),
                Axis("power (kW)") if power else None,
                events,
            )
        )
    if energy:
        charts.append(
            time_chart(
                "Cumulative energy — meter vs load vs billed",
                [
                    Series(s.name, _kilo(s), step="billed" in s.name, style=i)
                    for i, s in enumerate(energy)
                ],
                Axis("energy (kWh)"),
                None,
                events,
            )
        )
    others: dict[str, list[SeriesRecord]] = {}
    for s in remaining:
        if id(s) not in used:
            others.setdefault(s.unit, []).append(s)
    for unit, group in others.items():
        charts.append(
            time_chart(
                f"Other series ({unit or 'no unit'})",
                [Series(s.name, s.points, style=i) for i, s in enumerate(group)],
                Axis(unit or "value"),
                None,
                events,
            )
        )
    charts.append(step_timeline("Steps over time", _bars(plan), events))
    return charts


def _bars(plan: PlanResults) -> Sequence[Bar]:
    return [
        Bar(
            f"{s.index} {s.kind}",
            to_seconds(s.started_at),
            to_seconds(s.ended_at),
            s.outcome,
        )
        for s in plan.steps
    ]
