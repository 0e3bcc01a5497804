"""YAML test plans: the typed model, its loader, and its JSON Schema.

A plan (``test_plans/*.yaml``) drives one scenario end to end: who plugs in where,
what happens, and what must be true afterwards. This package turns the file into
a frozen, fully typed :class:`~rig.plans.model.Plan`, or into a list of every
problem with ``file:line:col`` — before anything touches a bench.

========================  ==================================================
module                    concept
========================  ==================================================
:mod:`.model`             the plan: IDs, PEV and preferences, bench overrides
:mod:`.steps`             what the runner does, in order (states, not sleeps)
:mod:`.checks`            what the oracle verifies afterwards
:mod:`.onekey`            "one key per item" lists, shorthands, bare names
:mod:`.units`             ``"90 s"``, ``"2 kWh"``, ``"16 A"``, ``"7.2 kW"``
:mod:`.conditions`        ``wait_for`` expressions over declared observables
:mod:`.requirements`      the requirement IDs a plan may cover
:mod:`.includes`          ``include:`` fragments, positions kept per file
:mod:`.coherence`         rules across fields
:mod:`.loader`            read → include → validate → cohere; the plan keeps its source map
:mod:`.schema`            ``test_plans/plan.schema.json`` for editors
========================  ==================================================

How a runner consumes a plan::

    plan = load_plan("test_plans/sc1_home.yaml")   # YamlFileError lists every issue
    for index, step in enumerate(plan.steps):
        match step:
            case PlugIn():                 pilot.set_state(PilotState.B)
            case WaitFor(wait_for=w):      poll w.until.observables until w.until.holds(…)
                                           or fail after w.within.seconds on the bench clock
            case Charge(charge=c):         clock.sleep(c.duration.seconds) or wait for
                                           meter energy ≥ c.until.kwh within c.within
            ...
    for check in plan.checks: oracle.verify(check, session_record)

Steps and checks are pydantic models with exactly one field named like their
YAML key, so ``step.key()`` names a step in messages and ``match`` dispatches on
the class; optional arguments always arrive filled with their defaults.
"""

from rig.plans.loader import load_plan, load_plans, plan_files
from rig.plans.model import Plan

__all__ = ["Plan", "load_plan", "load_plans", "plan_files"]
