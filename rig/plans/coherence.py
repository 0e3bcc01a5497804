"""Rules across fields: a plan can be well-typed and still not make sense.

The model checks each value on its own; these rules check that the parts of a
plan agree, so that a plan the runner could only fail on is rejected at
collection time, with the step it concerns:

- a PEV that does not communicate (``pev.communicating: false``) cannot ``bind``,
  ``energy_request`` or stop communicating;
- the vehicle must be plugged in before it binds, requests, charges, faults or
  unplugs;
- an ``energy_request`` needs an energy, from the step or from ``pev.preferences``;
- ``utility_back`` / ``clearinghouse_back`` need an earlier matching outage;
- a requirement ID is listed once in ``covers``.

Each rule returns problems as ``(key path, message)``; the loader places them.
"""

from __future__ import annotations

from collections.abc import Callable

from rig.plans.model import Plan
from rig.plans.steps import (
    Bind,
    Charge,
    ClearinghouseBack,
    ClearinghouseUnreachable,
    EnergyRequest,
    PevStopsCommunicating,
    PilotFault,
    PlugIn,
    Step,
    Unplug,
    UtilityBack,
    UtilityUnreachable,
)
from rig.yamlfile import PathKey

Problem = tuple[PathKey, str]

_TALKING = (Bind, EnergyRequest, PevStopsCommunicating)
_NEEDS_VEHICLE = (Bind, EnergyRequest, Charge, PilotFault, PevStopsCommunicating, Unplug)


def silent_pev(plan: Plan) -> list[Problem]:
    if plan.pev.communicating:
        return []
    return [
        (("steps", i), f"'{step.key()}' needs a PEV that communicates (pev.communicating is false)")
        for i, step in enumerate(plan.steps)
        if isinstance(step, _TALKING)
    ]


def plugged_in_first(plan: Plan) -> list[Problem]:
    problems: list[Problem] = []
    plugged = False
    for i, step in enumerate(plan.steps):
        if isinstance(step, PlugIn):
            plugged = True
        elif isinstance(step, Unplug) and plugged:
            plugged = False
        elif isinstance(step, _NEEDS_VEHICLE) and not plugged:
            problems.append((("steps", i), f"'{step.key()}' while the vehicle is not plugged in"))
    return problems


def energy_requested(plan: Plan) -> list[Problem]:
    if plan.pev.preferences is not None:
        return []
    return [
        (("steps", i), "energy_request: give 'energy', or set pev.preferences.energy")
        for i, step in enumerate(plan.steps)
        if isinstance(step, EnergyRequest) and step.energy_request.energy is None
    ]


def outages_before_recovery(plan: Plan) -> list[Problem]:
    problems: list[Problem] = []
    down: set[str] = set()
    for i, step in enumerate(plan.steps):
        outage = _outage(step)
        if outage is None:
            continue
        what, going_down = outage
        if not going_down and what not in down:
            problems.append((("steps", i), f"'{step.key()}': the {what} was not unreachable"))
        (down.add if going_down else down.discard)(what)
    return problems


def _outage(step: Step) -> tuple[str, bool] | None:
    """What an outage or recovery step concerns, and whether it goes down."""
    match step:
        case UtilityUnreachable(utility_unreachable=args):
            return f"{args.utility} utility", True
        case UtilityBack(utility_back=args):
            return f"{args.utility} utility", False
        case ClearinghouseUnreachable():
            return "clearinghouse", True
        case ClearinghouseBack():
            return "clearinghouse", False
    return None


def covers_once(plan: Plan) -> list[Problem]:
    seen: set[str] = set()
    problems: list[Problem] = []
    for i, requirement in enumerate(plan.covers):
        if requirement in seen:
            problems.append((("covers", i), f"{requirement} is listed twice"))
        seen.add(requirement)
    return problems


RULES: tuple[Callable[[Plan], list[Problem]], ...] = (
    silent_pev,
    plugged_in_first,
    energy_requested,
    outages_before_recovery,
    covers_once,
)


def problems(plan: Plan) -> list[Problem]:
    """Every cross-field problem of ``plan``."""
    return [problem for rule in RULES for problem in rule(plan)]
