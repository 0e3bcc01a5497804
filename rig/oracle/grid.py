"""PG-DLC and PG-ALM: the load kept within the grid's limits while they were in force.

A demand-response event (PG-DLC) limits or stops charging for its window; an
active-load-management change (PG-ALM) lowers the allowed charging power during the
session. Either way the events judged here carry their effective times and their
``limit_kw`` (a DR event without a limit stops charging: 0 kW), and the load's own
power readings say what was drawn. The runner hands over the events *as the plan
published them* (:mod:`rig.runner.judging.published`), not as the utility announced
them, so a utility that announces a shifted window fails here; only ``received_at``
comes from the ESI's hearing.

From ``effective_from`` — or, when the ESI only received the event later (the
utility was unreachable at plug-in, so a standing limit could not be known), from
``received_at`` — plus the J-03 follow time (the vehicle needs that long to react to
the lower ampacity the EVSE advertises) until ``effective_until`` (or the end of
the record), every load reading must be at or below the limit, give or take
the load's current tolerance at the reading's voltage. The measurement is the worst
excess in W, with that tolerance as its limit. An ALM limit holds until the next
one takes over (the latest limit is the allowed rate); a limit already standing
when the session began is checked all the same, but evidences PG-ALM ("the utility
changes the allowed charging rate *during* the session") only when one took effect
during the session. Price signals have no electrical
consequence to check here: their effect is on the bill (:mod:`rig.oracle.tariff`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rig.clock import to_seconds
from rig.domain.checks import StepKind
from rig.oracle.electrical import ElectricalLimits
from rig.record import GridEvent, LoadSample
from rig.results.measurements import Limits, Measurement

_CHECKED = {"dr": ("PG-DLC", "BR-08"), "alm": ("PG-ALM",)}
#: The step that publishes each kind of limit: its measurement answers that step.
_SET_BY = {"dr": StepKind.DR_EVENT, "alm": StepKind.ALM_CHANGE}


def check_grid_limits(
    events: Sequence[GridEvent],
    load: Sequence[LoadSample],
    limits: ElectricalLimits | None = None,
) -> list[Measurement]:
    """One measurement per kind of limiting event (DR, ALM) that had load readings to judge."""
    limits = limits or ElectricalLimits()
    measurements = []
    first = load[0].t if load else float("inf")
    for kind, checked in _CHECKED.items():
        judged = []  # (excess W, tolerance W, reading, limit W)
        ordered = sorted(
            dict.fromkeys(e for e in events if e.kind == kind), key=lambda e: e.binding_from
        )
        requirements = checked
        if kind == "alm" and all(to_seconds(e.binding_from) <= first for e in ordered):
            requirements = ()  # a standing limit, not a change during the session
        for index, event in enumerate(ordered):
            start = to_seconds(event.binding_from) + limits.follow_s
            end = to_seconds(event.effective_until) if event.effective_until else float("inf")
            if kind == "alm" and index + 1 < len(ordered):  # the latest ALM limit holds
                end = min(end, to_seconds(ordered[index + 1].binding_from))
            limit_w = float(event.limit_kw or 0) * 1000
            judged += [
                (s.power_w - limit_w, limits.current_tolerance_a * s.voltage_v, s, limit_w)
                for s in load
                if start <= s.t < end
            ]
        if not judged:
            continue
        excess, tolerance, reading, limit_w = max(judged, key=lambda j: j[0] - j[1])
        measurements.append(
            Measurement.within(
                f"{kind.upper()} load power above limit",
                excess,
                "W",
                Limits(high=tolerance),
                requirements=requirements,
                answers=_SET_BY[kind],
                detail=f"load drew {reading.power_w:.0f} W at t={reading.t:.3f} s, "
                f"{kind.upper()} limit {limit_w:.0f} W",
            )
        )
    return measurements
