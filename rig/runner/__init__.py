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
:mod:`.teardown`       the rest of a teardown, in the background
:mod:`.utility_links`  the ESI's line to each utility
:mod:`.steps`          what each plan step does; the steps that act
:mod:`.acting`         what every step shares: act, fail, be supervised
:mod:`.waiting`        the steps that wait: ``wait_for``, ``charge``
:mod:`.signals`        the grid-signal steps, and hearing the signals back
:mod:`.faults`         the fault steps
:mod:`.fetch`          the services' records after the session
:mod:`.judging`        the oracle's measurements and the plan's own pins
:mod:`.refusals`       a record the utility refused fails the step and the plan
:mod:`.source`         each step's ``file:line`` and YAML as written
:mod:`.plan_records`   the plan's records in the results file
:mod:`.session_rows`   the session record as series, events, interval rows, services
=====================  ============================================================

``docs/runner.md`` describes a run from the outside.
"""
