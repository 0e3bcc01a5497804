"""What a plan run is given and gives back: plain data, below everything that runs a plan.

:func:`rig.runner.api.run_plan` returns a :class:`PlanOutcome`: the verdict, every
measurement, one :class:`StepOutcome` per step and, for a plan that did not pass,
one :class:`Failure` a person can read. Long steps report :class:`Progress`;
external services are a :class:`ServiceTarget`. These types live here, apart from
:mod:`~rig.runner.api`, so that the modules that run a plan (world, steps, the
records writer) can name them without importing the function that calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from rig.bench.stop_signals import Interrupted
from rig.results.measurements import Measurement
from rig.services.sep2_tls import Sep2Tls

#: ``pass`` (every measurement passed, MARGINAL included, and at least one was
#: recorded), ``fail`` (a step failed or a check failed), ``error`` (the run itself
#: broke: an exception in a step, a service that never started, a failed teardown),
#: ``interrupted`` (a stop signal ended it; see :class:`PlanInterrupted`),
#: ``inconclusive`` (every step passed and no measurement failed, but at least one was
#: INCONCLUSIVE: the bench could not tell, e.g. J-04's EUMD class within the
#: uncertainty of the reference. Not a pass: :attr:`PlanOutcome.passed` is false).
PlanVerdict = Literal["pass", "fail", "error", "interrupted", "inconclusive"]
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
    sep2_tls: Sep2Tls | None = None
    """The ESI's client certificate, key and the servers' CA for ``https://`` 2030.5
    servers (``{esi}`` in the file names: each ESI its own)."""


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
