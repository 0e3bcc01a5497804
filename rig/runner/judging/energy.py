"""The pin of the EUMD's energy: charging proceeded, or was limited, this much."""

from __future__ import annotations

from rig.plans import checks as c
from rig.plans.checks import PlanCheck
from rig.results.measurements import Limits, Measurement
from rig.runner.judging.pins import Pin, Seen, pin, within


def _energy(check: c.EnergyBounds, seen: Seen) -> list[Measurement]:
    args = check.energy
    low = args.at_least.kwh if args.at_least else None
    high = args.at_most.kwh if args.at_most else None
    energy = seen.evidence.energy_kwh
    return [within(check, seen, "EUMD since plug-in", energy, "kWh", Limits(low=low, high=high))]


PINS: dict[type[PlanCheck], Pin] = dict([pin(c.EnergyBounds, _energy)])
