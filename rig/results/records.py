"""The results file's records: one pydantic model per line type (``docs/results.md``).

Design principle 6, *records are data*: the HTML report, JUnit and the summary table
are all rendered from the results file, never from the runner's memory, so a run on
a lab bench can be re-rendered, audited or merged with others later. These models
are that file's schema: one JSON object per line, each with a ``type`` (the
discriminator of :data:`Record`, the one list of record types) and the ``run_id`` it
belongs to. Every field is described in ``docs/results.md``.

A measurement is stored as a :class:`~rig.results.measurement_record.MeasurementRecord`
(its own module: its verdict is checked when read, its Decimals travel as strings).

Compatibility: record types and fields added after schema version 1 (``event``,
``interval``, ``service``; a plan's ``title``, ``scenario`` and ``file_sha256``; a
step's ``source``; a measurement's ``source`` and ``unrecorded``; ``interrupted`` and
``unreachable`` on ``plan_end``, ``interrupted`` on ``run_end``, the step outcome
``interrupted``; a run's ``approver`` and ``software_dirty``, an instrument's
``calibration_certificate``, a plan's ``utility_data``) are optional with empty
defaults, so every file written before them still reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Annotated, ClassVar, Final, Literal

from pydantic import Field, TypeAdapter, model_validator
from pydantic import JsonValue as AnyJson

from rig.results.base import FrozenModel, RunScoped
from rig.results.measurement_record import MeasurementRecord
from rig.results.measurements import Verdict
from rig.results.series import SeriesKind

SCHEMA_VERSION: Final = 1


class InstrumentIdentity(FrozenModel):
    """Who one instrument of the bench is, for the audit trail."""

    role: str = Field(description="eumd, premise_meter, load, pilot")
    driver: str = Field(default="", description="register map or dialect")
    idn: str = Field(default="", description="the instrument's own answer (*IDN? or model block)")
    serial: str = ""
    firmware: str = ""
    calibration_due: dt.date | None = None
    accuracy_class: str = ""
    calibration_certificate: str = Field(
        default="", description="the calibration certificate's ID, as the bench file gives it"
    )


class BenchIdentity(FrozenModel):
    """Which bench ran: its name, file and that file's SHA-256, and its instruments."""

    name: str
    file: str = ""
    file_sha256: str = ""
    simulated: bool
    instruments: tuple[InstrumentIdentity, ...] = ()
    defects: tuple[str, ...] = Field(
        default=(),
        description="defects injected on purpose (the bench file's defects: section), "
        "field=value each; empty: a bench without defects",
    )


class RunRecord(RunScoped):
    """Run metadata; the first record of every results file."""

    type: Literal["run"] = "run"
    schema_version: Literal[1] = SCHEMA_VERSION
    started_at: dt.datetime
    software_version: str
    bench: BenchIdentity
    seed: int | None = None
    operator: str = ""
    host: str = ""
    worker: str = Field(default="", description="pytest-xdist worker id, empty when alone")
    allowed_expired_calibration: bool = Field(
        default=False, description="run with --allow-expired-calibration"
    )
    lab_profile: str = Field(
        default="", description="the lab-time profile (--profile) every plan ran shortened by"
    )
    approver: str = Field(
        default="", description="who is to approve the results (--approver); empty: not named"
    )
    software_dirty: bool | None = Field(
        default=None,
        description="the checkout had uncommitted changes; null: not a checkout, or not recorded",
    )


class RunEndRecord(RunScoped):
    type: Literal["run_end"] = "run_end"
    ended_at: dt.datetime
    interrupted: str = Field(default="", description="the stop signal that ended the run")


class PlanStartRecord(RunScoped):
    type: Literal["plan_start"] = "plan_start"
    plan: str
    file: str = ""
    file_sha256: str = Field(default="", description="SHA-256 of the plan file as run")
    title: str = ""
    scenario: str = Field(default="", description="the scenario marker, e.g. sc4")
    requirements: tuple[str, ...] = ()
    started_at: dt.datetime
    utility_protocol: str = Field(
        default="", description="how the ESI talked to its utility: rest or ieee2030.5"
    )
    utility_data: str = Field(default="", description="the utility data set the plan ran on")


class SafeStateModel(FrozenModel):
    """What safe state confirmed by reading the instruments back."""

    bench: str
    load_input_on: bool
    pilot_state: str
    by_watchdog: tuple[str, ...] = Field(
        default=(), description="roles not read back (link lost) but made safe by their watchdog"
    )


class Interruption(FrozenModel):
    """A stop signal ended the plan: which, where, and what safe state read back."""

    signal: str = Field(description="SIGINT, SIGTERM or SIGHUP")
    step: int | None = Field(default=None, ge=0, description="the step it interrupted")
    safe_state: SafeStateModel | None = Field(
        default=None, description="the read-back; null when safe state was not confirmed"
    )
    safe_state_error: str = Field(default="", description="why it could not be confirmed")
    held: tuple[str, ...] = Field(default=(), description="later signals, held, in order")


class UnreachableService(FrozenModel):
    """A service the rig could not reach during a plan (not an outage the plan injected)."""

    service: str = Field(description="its ID: a utility's, or clearinghouse")
    url: str = Field(description="the base URL the rig called")
    error: str = Field(description="the first failure, as the HTTP client saw it")
    failures: int = Field(ge=1, description="how many requests to it failed")


class PlanEndRecord(RunScoped):
    type: Literal["plan_end"] = "plan_end"
    plan: str
    ended_at: dt.datetime
    verdict: Verdict
    message: str = ""
    interrupted: Interruption | None = None
    unreachable: tuple[UnreachableService, ...] = Field(
        default=(), description="services that could not be reached during the plan"
    )


class StepRecord(RunScoped):
    part: ClassVar[str] = "steps"
    type: Literal["step"] = "step"
    plan: str
    index: int = Field(ge=0)
    kind: str
    source_line: int | None = Field(default=None, ge=1, description="line of the step's YAML")
    started_at: dt.datetime
    ended_at: dt.datetime
    outcome: Literal["passed", "failed", "error", "skipped", "interrupted"]
    message: str = ""
    source: str = Field(default="", description="the step's YAML as written in the plan")

    @property
    def span_s(self) -> tuple[float, float]:
        """Its start and end as clock seconds, the series' time axis."""
        return _seconds(self.started_at), _seconds(self.ended_at)


class SeriesRecord(RunScoped):
    """A recorded time series: ``points`` are ``[t, value]`` with ``t`` in clock seconds.

    ``kind`` says which of the runner's series it is; a file written before ``kind``
    existed names them only, and reads with the kind its name spells.
    """

    part: ClassVar[str] = "series"
    type: Literal["series"] = "series"
    plan: str
    name: str
    unit: str = ""
    kind: SeriesKind | None = Field(default=None, description="null: not one of the runner's")
    points: tuple[tuple[float, float], ...]

    @model_validator(mode="before")
    @classmethod
    def _kind_by_name(cls, data: object) -> object:
        if isinstance(data, dict) and "kind" not in data and data.get("name") in _RUNNER_SERIES:
            return {**data, "kind": data["name"]}
        return data


_RUNNER_SERIES = frozenset(SeriesKind)


class EventRecord(RunScoped):
    """A grid signal or fault on the series' time axis (clock seconds), e.g. a DR window."""

    part: ClassVar[str] = "events"
    type: Literal["event"] = "event"
    plan: str
    kind: str = Field(description="dr, price, alm, fault, … — what the report labels it by")
    t: float = Field(description="when it took effect, clock seconds")
    t_end: float | None = Field(default=None, description="when it ended; null: instant or open")
    label: str = Field(default="", description="one line, e.g. 'limit 0 kW' or '0.31 USD/kWh'")


class IntervalRecord(RunScoped):
    """One row of the interval table: what the EUMD metered against what was billed."""

    part: ClassVar[str] = "intervals"
    type: Literal["interval"] = "interval"
    plan: str
    start: dt.datetime
    end: dt.datetime
    metered_kwh: Decimal | None = None
    billed_kwh: Decimal | None = None
    account: str = ""
    tariff: str = ""
    rate_period: str = ""
    rate: Decimal | None = None
    amount: Decimal | None = Field(
        default=None, description="billed_kwh × rate, exact: the interval's own price"
    )
    line_rounding: Decimal | None = Field(
        default=None,
        description="on a bill line's last row: the line's amount less its rows' amounts",
    )
    currency: str = ""


class ServiceRecord(RunScoped):
    """A record a service (utility, clearinghouse, ESI) held for the plan's session.

    ``kind`` names it (``binding``, ``grant``, ``session``, ``bill_line``, ``posting``,
    ``settlement``, …) and ``fields`` carries it as plain JSON, in the service's own
    field names; :meth:`of` builds one from a dataclass such as those of
    :mod:`rig.record`.
    """

    part: ClassVar[str] = "services"
    type: Literal["service"] = "service"
    plan: str
    source: str = Field(description="utility, clearinghouse, esi, …")
    kind: str
    fields: dict[str, AnyJson] = Field(default_factory=dict)

    @classmethod
    def of(cls, run_id: str, plan: str, source: str, kind: str, data: object) -> ServiceRecord:
        """From a dataclass or mapping; Decimals and datetimes become strings."""
        plain: object = data
        if dataclasses.is_dataclass(data) and not isinstance(data, type):
            plain = dataclasses.asdict(data)
        if not isinstance(plain, dict):
            raise TypeError(f"a service record needs a dataclass or a mapping, got {data!r}")
        return cls(
            run_id=run_id,
            plan=plan,
            source=source,
            kind=kind,
            fields={str(k): _jsonable(v) for k, v in plain.items()},
        )


def _jsonable(value: object) -> AnyJson:
    if isinstance(value, Decimal | dt.date | dt.datetime | dt.time):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


#: The records inside one plan, between its ``plan_start`` and ``plan_end``; each names
#: the :class:`~rig.results.reader.PlanResults` list it is kept in (``part``).
PlanPart = (
    StepRecord | MeasurementRecord | SeriesRecord | EventRecord | IntervalRecord | ServiceRecord
)
#: Any record: the one list of the file's record types.
Record = Annotated[
    RunRecord | RunEndRecord | PlanStartRecord | PlanEndRecord | PlanPart,
    Field(discriminator="type"),
]
_RECORD: TypeAdapter[Record] = TypeAdapter(Record)


def _seconds(moment: dt.datetime) -> float:
    """An aware time as clock seconds; a naive one is taken as UTC (as the clock does)."""
    return moment.replace(tzinfo=moment.tzinfo or dt.UTC).timestamp()


def validate_line(line: bytes) -> Record:
    """One line of a results file as its record (raises pydantic's ``ValidationError``)."""
    return _RECORD.validate_json(line)
