"""How long a selection of plans takes on the wall clock, worked out before it runs.

On the virtual clock a plan's hours pass in seconds; on a lab bench (a bench file
without ``simulation:``, or ``simulation.clock: wall``) they pass as hours, and an
engineer wants to know before starting whether the selection ends before lunch.
:func:`estimate` reads the plans only — no bench, no service — and gives two sums:

``typical``  what the run should take:

             - ``charge: <duration>``: the duration;
             - ``charge: {until: X kWh, within: T}``: the energy still missing at
               that step (X less what the plan's earlier ``charge`` steps delivered
               since plug-in) at the PEV's charging power, at most ``T``. The power
               is the PEV's ``max_current`` (capped by the portal's rating and the
               plan's ``bench.evse_max``) times the supply voltage, and no more than
               its ``preferences.max_power``;
             - ``wait_for``: :data:`TYPICAL_WAIT_S`, or its timeout when shorter —
               a wait usually holds at once or within seconds;
             - :data:`SETUP_S` per plan: opening the instruments and services,
               safe state read back, the services' records fetched.

``worst``    every ``wait_for`` running to its timeout and every ``charge … until``
             to its ``within``, plus the same set-up.

The estimate ignores what slows charging inside a plan — an ALM limit, a DR event,
a grant's start delay — so ``typical`` is a floor for plans full of them; ``worst``
is a true bound on the steps' own timing. :func:`describe` words it for the
terminal::

    estimated wall time of 12 plans: about 3 h 10 min (at most 7 h 5 min if every
    wait runs to its timeout)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from rig.plans import steps as s
from rig.plans.model import Plan

#: Set-up and tear-down per plan on a lab bench, seconds (see the module docstring).
SETUP_S: Final = 30.0
#: What one ``wait_for`` typically takes, seconds, when its timeout is longer.
TYPICAL_WAIT_S: Final = 5.0
#: The supply voltage of each portal supply the rig knows.
SUPPLY_VOLTS: Final = {"cordset_120": 120.0, "evse_240": 240.0}


@dataclass(frozen=True)
class Site:
    """Where a plan charges, as far as its speed goes: supply voltage and portal rating."""

    volts: float = SUPPLY_VOLTS["evse_240"]
    max_kw: float | None = None


@dataclass(frozen=True)
class PlanEstimate:
    """One plan's wall time, seconds: typical and worst case."""

    plan: str
    typical_s: float
    worst_s: float


@dataclass(frozen=True)
class Estimate:
    """A selection's wall time: the sum of its plans'."""

    plans: tuple[PlanEstimate, ...]

    @property
    def typical_s(self) -> float:
        return sum(p.typical_s for p in self.plans)

    @property
    def worst_s(self) -> float:
        return sum(p.worst_s for p in self.plans)


def charging_kw(plan: Plan, site: Site) -> float:
    """The power the PEV charges at on ``site``, kW (see the module docstring)."""
    amps = plan.pev.max_current.amps
    if plan.bench.evse_max is not None:
        amps = min(amps, plan.bench.evse_max.amps)
    volts = SUPPLY_VOLTS[plan.bench.supply] if plan.bench.supply else site.volts
    kw = amps * volts / 1000.0
    if site.max_kw is not None:
        kw = min(kw, site.max_kw)
    preferences = plan.pev.preferences
    if preferences is not None and preferences.max_power is not None:
        kw = min(kw, preferences.max_power.kw)
    return kw


def estimate_plan(plan: Plan, site: Site = Site()) -> PlanEstimate:
    """One plan's typical and worst wall time (see the module docstring)."""
    kw = charging_kw(plan, site)
    typical = worst = SETUP_S
    delivered_kwh = 0.0
    for step in plan.steps:
        if isinstance(step, s.Charge):
            args = step.charge
            if args.duration is not None:
                took = args.duration.seconds
                typical, worst = typical + took, worst + took
            else:
                assert args.until is not None and args.within is not None  # the schema's rule
                bound = args.within.seconds
                missing = max(args.until.kwh - delivered_kwh, 0.0)
                took = min(missing / kw * 3600.0, bound) if kw > 0 else bound
                typical, worst = typical + took, worst + bound
            delivered_kwh += kw * took / 3600.0
        elif isinstance(step, s.WaitFor):
            timeout = step.wait_for.within.seconds
            typical, worst = typical + min(TYPICAL_WAIT_S, timeout), worst + timeout
    return PlanEstimate(plan.plan, typical, worst)


def estimate(plans: Iterable[Plan], site_of: Callable[[Plan], Site] = lambda _: Site()) -> Estimate:
    """The selection's estimate; ``site_of`` gives each plan's supply and portal rating."""
    return Estimate(tuple(estimate_plan(plan, site_of(plan)) for plan in plans))


def span(seconds: float) -> str:
    """``3 h 10 min``, ``12 min``, ``40 s``: to the minute from a minute up."""
    if seconds < 60:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def describe(found: Estimate) -> str:
    """The line printed before a wall-clock run (see the module docstring)."""
    count = len(found.plans)
    return (
        f"estimated wall time of {count} plan{'' if count == 1 else 's'}: about "
        f"{span(found.typical_s)} (at most {span(found.worst_s)} if every wait runs to its "
        "timeout)"
    )
