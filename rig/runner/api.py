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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rig.bench.stop_signals import Interrupted
from rig.bundled import SIM_BENCH
from rig.esi.link import UtilityProtocol
from rig.measurements import Measurement
from rig.plans import Plan
from rig.results import ResultsWriter

#: The default bench: the simulated one, every instrument behind its real wire.
DEFAULT_BENCH = SIM_BENCH

#: ``pass`` (every measurement passed, MARGINAL included, and at least one was
#: recorded), ``fail`` (a step failed or a check failed), ``error`` (the run itself
#: broke: an exception in a step, a service that never started, a failed teardown),
#: ``interrupted`` (a stop signal ended it; see :class:`PlanInterrupted`).
PlanVerdict = Literal["pass", "fail", "error", "interrupted"]
StepResult = Literal["passed", "failed", "error", "skipped", "interrupted"]


@dataclass(frozen=True)
class ServiceTarget:
    """External services instead of the embedded ones.

    ``urls`` maps each service to its base URL by ID, as ``rig serve --endpoints``
    writes them: every utility of the data set (``HPL``, ``SGE``) and
    ``clearinghouse``. External services keep their own time, so the rig runs on the
    wall clock shifted by ``clock_offset_s`` (the same offset the services were
    started with, which is how a short plan crosses a tariff boundary on a lab bench).
    """

    urls: Mapping[str, str]
    clock_offset_s: float = 0.0


@dataclass(frozen=True)
class SourceSpot:
    """Where something is written: ``file:line`` (the file may be an included fragment)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class StepOutcome:
    """One step as it ran. ``start``/``end`` are bench-clock seconds (UTC epoch)."""

    index: int
    key: str
    """The step's YAML key: ``plug_in``, ``wait_for``, ``charge`` …"""
    source: SourceSpot | None
    """Where the step is written; ``None`` when the plan did not come from a file."""
    yaml: str
    """The step as YAML text (from the file when known, else as the plan writes it)."""
    start: float
    end: float
    outcome: StepResult
    message: str = ""


@dataclass(frozen=True)
class Failure:
    """Why a plan did not pass, for a reader: the step (or check) and the difference.

    For a failing step: its index, key, YAML and place. For a failing check after
    the steps, ``step_index`` is ``None`` and ``yaml`` is the check's YAML;
    ``expected``/``measured`` come from the first failing measurement.
    """

    message: str
    step_index: int | None = None
    key: str = ""
    yaml: str = ""
    source: SourceSpot | None = None
    expected: str = ""
    measured: str = ""


@dataclass(frozen=True)
class PlanOutcome:
    """The result of :func:`run_plan`."""

    plan_id: str
    verdict: PlanVerdict
    measurements: list[Measurement] = field(default_factory=list)
    steps: list[StepOutcome] = field(default_factory=list)
    failure: Failure | None = None
    wall_s: float = 0.0
    """Wall-clock seconds the whole run took, set-up and teardown included."""
    simulated_s: float = 0.0
    """Bench-clock seconds from the first step's start to the last step's end."""

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"


class PlanInterrupted(Interrupted):
    """A stop signal ended a plan; raised by :func:`run_plan` after safe state and records.

    ``outcome`` is the plan's ``interrupted`` outcome: its failure names the step, the
    signal and the safe state read back.
    """

    def __init__(self, signum: int, outcome: PlanOutcome) -> None:
        super().__init__(signum)
        self.outcome = outcome


@dataclass(frozen=True)
class Progress:
    """A long step's progress, on the bench clock."""

    plan_id: str
    step_index: int
    key: str
    energy_kwh: float
    """EUMD energy since plug-in."""
    time_left_s: float | None
    """Until the step's duration or timeout ends, or estimated from the energy rate
    (``rate_kw``); ``None`` when open-ended."""
    rate_kw: float | None = None
    """The power the estimate of an energy target's time left was made at; ``None`` when
    ``time_left_s`` is the step's own end."""


ProgressCallback = Callable[[Progress], None]


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
    from rig.runner.plan_run import execute

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


def finish_teardowns() -> None:
    """Wait until the drivers, simulators and services of every finished plan are closed.

    :func:`run_plan` returns as soon as the bench is confirmed safe; the rest of its
    teardown (~0.3 s) overlaps the next plan. Call this before checking for leftover
    threads or ports; the interpreter also waits for it at exit.
    """
    from rig.runner.world import finish_teardowns as finish

    finish()
