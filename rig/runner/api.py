"""The runner's public interface: run one plan, get its outcome.

Everything that drives a plan — the pytest plugin, ``rig demo``, a benchmark —
calls one function::

    from rig.plans import load_plan
    from rig.runner.api import run_plan

    path = Path("test_plans/sc1_home.yaml")
    outcome = run_plan(load_plan(path), plan_file=path, progress=print)
    if outcome.verdict != "pass":
        print(outcome.failure)  # the failing step's YAML and file:line, expected vs measured

:func:`run_plan` runs exactly one plan on a fresh bench: by default the simulated
bench of ``fixtures/benches/sim.yaml`` on a virtual clock starting at the plan's
``start``, with the utility and clearinghouse services embedded on that same clock
and loaded with the plan's data set; or a lab bench file (wall clock), and/or
external services by URL (:class:`ServiceTarget`). It walks the steps, fetches
the services' records, has the oracle (:mod:`rig.oracle`) judge the plan's checks,
writes everything to ``results`` when given, and always leaves the bench in its
confirmed safe state — a teardown that cannot confirm it fails the plan. The rest
of the teardown (closing drivers, stopping simulators and services) finishes in the
background; :func:`finish_teardowns` waits for it.

What comes back (:class:`PlanOutcome`) is plain data: the verdict, every
measurement, one :class:`StepOutcome` per step (where it is in the YAML, when it
ran on the bench clock, how it ended) and, for a plan that did not pass, one
:class:`Failure` that a person can read without a traceback. ``run_plan`` never raises for
what goes wrong *in* the run — a missing bench file or data set included — is the outcome's
``error`` verdict. A stop signal (SIGINT, SIGTERM, SIGHUP, under
:func:`rig.bench.safe.stop_signals`) is the one exception: once the bench is confirmed
safe and the plan's records are written — the step it interrupted, the signal, the
safe state read back — :class:`PlanInterrupted` carries the ``interrupted`` outcome
out, so the caller stops the whole run.

Long steps (``charge``) report :class:`Progress` through ``progress``, at most
about once per simulated minute, so a plugin can show energy so far and time left.
"""

from __future__ import annotations

from pathlib import Path

from rig.bundled import SIM_BENCH
from rig.esi.link import UtilityProtocol
from rig.plans import Plan
from rig.results import ResultsWriter
from rig.runner.outcome import (
    Failure,
    PlanInterrupted,
    PlanOutcome,
    PlanVerdict,
    Progress,
    ProgressCallback,
    ServiceTarget,
    SourceSpot,
    StepOutcome,
    StepResult,
)
from rig.runner.plan_run import execute
from rig.runner.teardown import finish_teardowns

#: The default bench: the simulated one, every instrument behind its real wire.
DEFAULT_BENCH = SIM_BENCH

__all__ = [
    "DEFAULT_BENCH",
    "Failure",
    "PlanInterrupted",
    "PlanOutcome",
    "PlanVerdict",
    "Progress",
    "ProgressCallback",
    "ServiceTarget",
    "SourceSpot",
    "StepOutcome",
    "StepResult",
    "finish_teardowns",
    "run_plan",
]


def run_plan(
    plan: Plan,
    *,
    plan_file: Path | None = None,
    bench_file: Path | None = None,
    services: ServiceTarget | None = None,
    results: ResultsWriter | None = None,
    run_id: str | None = None,
    progress: ProgressCallback | None = None,
    utility_protocol: UtilityProtocol | None = None,
) -> PlanOutcome:
    """Run ``plan`` once on a fresh bench and return its outcome (see the module doc).

    ``utility_protocol`` is how the ESI talks to its utility (``rest``, the rig's JSON
    API, or ``ieee2030.5``); ``None`` takes the utility's ``protocol`` in the data set
    (default ``rest``). The results say which was used (``plan_start``).

    ``plan_file`` is the file the plan was loaded from, named in the results; a plan
    from :func:`~rig.plans.load_plan` carries where each step is written
    (``plan.source``), so step outcomes and failures carry ``file:line`` and the YAML
    as written. ``bench_file`` ``None`` means :data:`DEFAULT_BENCH`. ``results``
    receives ``plan_start``, a ``step`` record per step, every measurement, the
    recorded series and ``plan_end`` under ``run_id`` (the caller writes the ``run``
    record once per run; without ``run_id`` a fresh one is made).
    """
    return execute(
        plan,
        plan_file=plan_file,
        bench_file=bench_file or DEFAULT_BENCH,
        services=services,
        results=results,
        run_id=run_id,
        progress=progress,
        utility_protocol=utility_protocol,
    )
