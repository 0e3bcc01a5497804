"""The runner: one YAML plan, run end to end on a bench with its actors and services.

Start with :mod:`rig.runner.api` (``run_plan`` and what it returns); the other
modules are the pieces it is built from, one concept each:

=====================  ============================================================
module                 concept
=====================  ============================================================
:mod:`.api`            ``run_plan``, and what it takes and gives back
:mod:`.outcome`        ``PlanOutcome``, ``StepOutcome``, ``Failure``, ``Progress``,
                       ``ServiceTarget``: plain data
:mod:`.plan_run`       one plan: world, steps, records, verdict, safe end
:mod:`.world`          a fresh bench, the services and the actors, torn down after
:mod:`.facts`          where the plan happens (data set lookups), the oracle's facts
:mod:`.actors`         the PEV agent and the EVSE control (the ESI: :mod:`rig.esi`)
:mod:`.loop`           ticks of the bench clock: dense around changes, sparse between
:mod:`.recorder`       every instrument read, kept as a timeline
:mod:`.steps`          what each plan step does
:mod:`.fetch`          the services' records after the session
:mod:`.judge`          the oracle's measurements and the plan's own pins
:mod:`.source`         each step's ``file:line`` and YAML as written
:mod:`.plan_records`   the plan's records in the results file
:mod:`.session_rows`   the session record as series, events, interval rows, services
=====================  ============================================================

``docs/runner.md`` describes a run from the outside.
"""
