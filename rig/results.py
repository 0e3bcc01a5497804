"""The machine-readable results file: JSON lines under ``reports/``.

Design principle 6, *records are data*: the HTML report, JUnit and the summary table
are all rendered from this file, never from the runner's memory, so a run on a lab
bench can be re-rendered, audited or merged with others later.

One record per line, each a JSON object with a ``type`` and the ``run_id`` it belongs
to (see ``docs/results.md`` for every field):

``run``          first in every file: run id, start, software version (``git describe``),
                 bench identity (instruments' IDN, serial, calibration due, bench-file
                 hash), seed, operator, host, worker.
``plan_start``   a plan begins: plan id, file, requirement IDs.
``step``         one plan step: index, kind, YAML source line, start/end, outcome.
``measurement``  one :class:`~rig.measurements.Measurement`: value, unit, limits or
                 expected value, verdict, requirement IDs, names of backing series,
                 and of those it rests on that were never recorded (``unrecorded``:
                 e.g. ``billed energy`` when the utility could not be reached).
``series``       a recorded time series: name, unit, ``[[t, value], …]``.
``event``        something that happened to the session on the series' time axis: a
                 DR event, a price signal, an ALM change, a fault (optional).
``interval``     one row of the interval table: metered vs billed kWh, rate period,
                 rate, amount (optional).
``service``      one record a service held for the session — binding, grant, utility
                 session, bill line, posting, settlement — as plain fields (optional).
``plan_end``     the plan's verdict; for a plan a stop signal ended, ``interrupted``:
                 the signal, the step, the safe state read back, signals held; the
                 services that could not be reached (``unreachable``: which, URL,
                 first error, failed requests).
``run_end``      last: when the run ended, and the stop signal that ended it, if any.

Writing: :class:`ResultsWriter` appends whole lines, one ``write`` each, under a lock,
flushed as it goes — safe for the threads of one process, and a crash leaves every
finished record readable. Each process (pytest-xdist worker, bench) writes its own
file.

Reading: :func:`read_results` validates *every* line with pydantic, including that a
measurement's recorded verdict is the one its value and limits give; any problem is a
:class:`ResultsFileError` naming ``file:line``. :func:`merge_results` reads the files
of several runs or workers into one :class:`ResultSet` (refusing the same run and
worker twice, which would count plans double) and :meth:`ResultSet.write` writes it
back as one file.

Decimals (money) travel as JSON strings, marked by ``decimal: true`` on the
measurement, so no amount ever passes through a binary float.

Compatibility: record types and fields added after schema version 1 (``event``,
``interval``, ``service``; a plan's ``title``, ``scenario`` and ``file_sha256``; a
step's ``source``; a measurement's ``source`` and ``unrecorded``; ``interrupted`` and
``unreachable`` on ``plan_end``, ``interrupted`` on ``run_end``, and the step outcome
``interrupted``) are optional with empty defaults, so
every file written before them still reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType
from typing import Annotated, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic import JsonValue as AnyJson

from rig.measurements import Limits, Measurement, Value, Verdict

SCHEMA_VERSION: Final = 1

#: A measurement value as JSON carries it (Decimals as strings, see ``decimal``).
JsonValue = bool | int | float | str | None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InstrumentIdentity(_Model):
    """Who one instrument of the bench is, for the audit trail."""

    role: str = Field(description="eumd, premise_meter, load, pilot")
    driver: str = Field(default="", description="register map or dialect")
    idn: str = Field(default="", description="the instrument's own answer (*IDN? or model block)")
    serial: str = ""
    firmware: str = ""
    calibration_due: dt.date | None = None
    accuracy_class: str = ""


class BenchIdentity(_Model):
    """Which bench ran: its name, file and that file's SHA-256, and its instruments."""

    name: str
    file: str = ""
    file_sha256: str = ""
    simulated: bool
    instruments: tuple[InstrumentIdentity, ...] = ()


class _Record(_Model):
    run_id: str = Field(min_length=1)


class RunRecord(_Record):
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


class RunEndRecord(_Record):
    type: Literal["run_end"] = "run_end"
    ended_at: dt.datetime
    interrupted: str = Field(default="", description="the stop signal that ended the run")


class PlanStartRecord(_Record):
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


class SafeStateModel(_Model):
    """What safe state confirmed by reading the instruments back."""

    bench: str
    load_input_on: bool
    pilot_state: str
    by_watchdog: tuple[str, ...] = Field(
        default=(), description="roles not read back (link lost) but made safe by their watchdog"
    )


class Interruption(_Model):
    """A stop signal ended the plan: which, where, and what safe state read back."""

    signal: str = Field(description="SIGINT, SIGTERM or SIGHUP")
    step: int | None = Field(default=None, ge=0, description="the step it interrupted")
    safe_state: SafeStateModel | None = Field(
        default=None, description="the read-back; null when safe state was not confirmed"
    )
    safe_state_error: str = Field(default="", description="why it could not be confirmed")
    held: tuple[str, ...] = Field(default=(), description="later signals, held, in order")


class UnreachableService(_Model):
    """A service the rig could not reach during a plan (not an outage the plan injected)."""

    service: str = Field(description="its ID: a utility's, or clearinghouse")
    url: str = Field(description="the base URL the rig called")
    error: str = Field(description="the first failure, as the HTTP client saw it")
    failures: int = Field(ge=1, description="how many requests to it failed")


class PlanEndRecord(_Record):
    type: Literal["plan_end"] = "plan_end"
    plan: str
    ended_at: dt.datetime
    verdict: Verdict
    message: str = ""
    interrupted: Interruption | None = None
    unreachable: tuple[UnreachableService, ...] = Field(
        default=(), description="services that could not be reached during the plan"
    )


class StepRecord(_Record):
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


class LimitsModel(_Model):
    low: JsonValue = None
    high: JsonValue = None
    marginal_low: JsonValue = None
    marginal_high: JsonValue = None


class MeasurementRecord(_Record):
    """A :class:`~rig.measurements.Measurement` as stored; :meth:`to_measurement` inverts it."""

    type: Literal["measurement"] = "measurement"
    plan: str
    step: int | None = Field(default=None, ge=0, description="index of the step that measured")
    name: str
    mode: Literal["limits", "equals"]
    value: JsonValue
    unit: str = ""
    limits: LimitsModel | None = None
    expected: JsonValue = None
    decimal: bool = Field(default=False, description="numeric strings here are Decimals")
    verdict: Verdict
    requirements: tuple[str, ...] = ()
    detail: str = Field(default="", description="the check's own explanation, if any")
    message: str = Field(default="", description="one line for a failing reader; empty on PASS")
    series: tuple[str, ...] = Field(default=(), description="names of series in this plan")
    unrecorded: tuple[str, ...] = Field(
        default=(), description="series it rests on that the plan never recorded"
    )
    source: str = Field(
        default="", description="for a check after the steps: the plan check's YAML"
    )

    @model_validator(mode="after")
    def _verdict_follows_from_values(self) -> Self:
        recomputed = self.to_measurement().verdict
        if recomputed is not self.verdict:
            raise ValueError(
                f"measurement {self.name!r} records verdict {self.verdict.value} but its "
                f"value and limits give {recomputed.value}"
            )
        return self

    @classmethod
    def from_measurement(
        cls, run_id: str, plan: str, step: int | None, measurement: Measurement
    ) -> MeasurementRecord:
        m = measurement
        limits = None
        if m.limits is not None:
            limits = LimitsModel(
                low=_encode(m.limits.low),
                high=_encode(m.limits.high),
                marginal_low=_encode(m.limits.marginal_low),
                marginal_high=_encode(m.limits.marginal_high),
            )
        numbers = [m.value, m.expected]
        if m.limits is not None:
            numbers += [m.limits.low, m.limits.high, m.limits.marginal_low, m.limits.marginal_high]
        return cls(
            run_id=run_id,
            plan=plan,
            step=step,
            name=m.name,
            mode=m.mode,
            value=_encode(m.value),
            unit=m.unit,
            limits=limits,
            expected=_encode(m.expected),
            decimal=any(isinstance(n, Decimal) for n in numbers),
            verdict=m.verdict,
            requirements=m.requirements,
            detail=m.detail,
            message=m.message,
            series=m.series,
        )

    def to_measurement(self) -> Measurement:
        decode = _decimal if self.decimal else _plain
        if self.mode == "equals":
            return Measurement.equals(
                self.name,
                decode(self.value),
                decode(self.expected),
                unit=self.unit,
                requirements=self.requirements,
                detail=self.detail,
                series=self.series,
            )
        value = decode(self.value)
        lim = self.limits or LimitsModel()
        return Measurement.within(
            self.name,
            value if isinstance(value, int | float | Decimal) else None,
            self.unit,
            Limits(
                low=_number(decode(lim.low)),
                high=_number(decode(lim.high)),
                marginal_low=_number(decode(lim.marginal_low)),
                marginal_high=_number(decode(lim.marginal_high)),
            ),
            requirements=self.requirements,
            detail=self.detail,
            series=self.series,
        )


class SeriesRecord(_Record):
    """A recorded time series: ``points`` are ``[t, value]`` with ``t`` in clock seconds."""

    type: Literal["series"] = "series"
    plan: str
    name: str
    unit: str = ""
    points: tuple[tuple[float, float], ...]


class EventRecord(_Record):
    """A grid signal or fault on the series' time axis (clock seconds), e.g. a DR window."""

    type: Literal["event"] = "event"
    plan: str
    kind: str = Field(description="dr, price, alm, fault, … — what the report labels it by")
    t: float = Field(description="when it took effect, clock seconds")
    t_end: float | None = Field(default=None, description="when it ended; null: instant or open")
    label: str = Field(default="", description="one line, e.g. 'limit 0 kW' or '0.31 USD/kWh'")


class IntervalRecord(_Record):
    """One row of the interval table: what the EUMD metered against what was billed."""

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


class ServiceRecord(_Record):
    """A record a service (utility, clearinghouse, ESI) held for the plan's session.

    ``kind`` names it (``binding``, ``grant``, ``session``, ``bill_line``, ``posting``,
    ``settlement``, …) and ``fields`` carries it as plain JSON, in the service's own
    field names; :meth:`of` builds one from a dataclass such as those of
    :mod:`rig.record`.
    """

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


Record = Annotated[
    RunRecord
    | RunEndRecord
    | PlanStartRecord
    | PlanEndRecord
    | StepRecord
    | MeasurementRecord
    | SeriesRecord
    | EventRecord
    | IntervalRecord
    | ServiceRecord,
    Field(discriminator="type"),
]
_RECORD: TypeAdapter[Record] = TypeAdapter(Record)


def _encode(value: Value) -> JsonValue:
    return str(value) if isinstance(value, Decimal) else value


def _plain(value: JsonValue) -> Value:
    return value


def _decimal(value: JsonValue) -> Value:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def _number(value: Value) -> int | float | Decimal | None:
    return value if isinstance(value, int | float | Decimal) else None


# ------------------------------------------------------------------------- writing


class ResultsWriter:
    """Append records to one results file; use as a context manager.

    Every record goes out as one ``write`` of one complete line, under a lock, then
    flushed, so concurrent threads of one process never interleave a line.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, record: Record) -> None:
        line = record.model_dump_json() + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def measurement(
        self, run_id: str, plan: str, step: int | None, measurement: Measurement
    ) -> None:
        self.write(MeasurementRecord.from_measurement(run_id, plan, step, measurement))

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def new_run_id() -> str:
    return uuid.uuid4().hex


def software_version(repo: Path | None = None) -> str:
    """``git describe --always --dirty`` of ``repo`` (default: this checkout), or ``unknown``."""
    where = repo or Path(__file__).resolve().parent.parent
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return described.stdout.strip() or "unknown"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def host_name() -> str:
    return socket.gethostname()


# ------------------------------------------------------------------------- reading


class ResultsFileError(ValueError):
    """A results file that does not validate; ``str()`` names ``file:line``."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused, then restored as it was (nests).

    Records hold no reference cycles, so collections while many of them pile up free
    nothing and only rescan a growing heap: at 40,000 records (1.5 M series samples)
    over a third of the reading time. Once the records are dropped, reference
    counting frees them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _validated_lines(path: Path) -> Iterator[tuple[int, Record]]:
    """Each line's record; the bytes go to pydantic's JSON parser as they are."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield number, _RECORD.validate_json(line)
            except ValidationError as error:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
                    for e in error.errors()
                )
                raise ResultsFileError(path, number, problems) from None


def _read_numbered(path: Path) -> list[tuple[int, Record]]:
    records: list[tuple[int, Record]] = []
    runs: set[str] = set()
    for number, record in _validated_lines(path):
        if isinstance(record, RunRecord):
            runs.add(record.run_id)
        elif not records:
            raise ResultsFileError(path, number, "the first record must be the run record")
        elif record.run_id not in runs:
            raise ResultsFileError(path, number, f"run {record.run_id!r} was never announced")
        records.append((number, record))
    if not records:
        raise ResultsFileError(path, 1, "empty results file: no run record")
    return records


def read_results(path: Path) -> list[Record]:
    """Every record of one file, validated, in file order.

    Beyond each record's own schema: the file starts with a ``run`` record, and every
    record belongs to a run announced earlier in the same file.
    """
    with collector_paused():
        return [record for _, record in _read_numbered(path)]


@dataclass
class PlanResults:
    """Everything one plan recorded in one run."""

    start: PlanStartRecord
    end: PlanEndRecord | None = None
    steps: list[StepRecord] = field(default_factory=list)
    measurements: list[MeasurementRecord] = field(default_factory=list)
    series: dict[str, SeriesRecord] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)
    intervals: list[IntervalRecord] = field(default_factory=list)
    services: list[ServiceRecord] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        """The recorded verdict; a plan that never ended (crash, kill) failed."""
        return self.end.verdict if self.end is not None else Verdict.FAIL


@dataclass
class RunResults:
    run: RunRecord
    ended_at: dt.datetime | None = None
    interrupted: str = ""
    plans: dict[str, PlanResults] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.run.run_id, self.run.worker


@dataclass
class ResultSet:
    """The runs of one or more results files, in order of start time."""

    runs: list[RunResults]

    def records(self) -> Iterator[Record]:
        """Every record again, each run's in the order a writer would emit them."""
        for run in self.runs:
            yield run.run
            for plan in run.plans.values():
                yield plan.start
                yield from plan.steps
                yield from plan.measurements
                yield from plan.series.values()
                yield from plan.events
                yield from plan.intervals
                yield from plan.services
                if plan.end is not None:
                    yield plan.end
            if run.ended_at is not None:
                yield RunEndRecord(
                    run_id=run.run.run_id, ended_at=run.ended_at, interrupted=run.interrupted
                )

    def write(self, path: Path) -> None:
        """Write the whole set as one results file (replacing ``path``)."""
        path.unlink(missing_ok=True)
        with ResultsWriter(path) as writer:
            for record in self.records():
                writer.write(record)


def _group(path: Path, records: list[tuple[int, Record]]) -> list[RunResults]:
    """Sort one file's records into runs and plans; check plan references.

    A measurement naming in ``series`` a series its plan never recorded (files written
    before ``unrecorded`` existed did, when a service was down) is read with that name
    moved to ``unrecorded``: the evidence is missing, which the report shows, and the
    file still reads.

    A record belongs to the latest ``run`` record with its run id, so a merged file may
    hold the same run once per worker, each worker's records following its run record.
    """
    runs: list[RunResults] = []
    current: dict[str, RunResults] = {}
    measured: list[tuple[int, MeasurementRecord, PlanResults]] = []  # (index in plan, …)
    for number, record in records:
        if isinstance(record, RunRecord):
            current[record.run_id] = RunResults(record)
            runs.append(current[record.run_id])
            continue
        run = current[record.run_id]
        if isinstance(record, RunEndRecord):
            run.ended_at, run.interrupted = record.ended_at, record.interrupted
        elif isinstance(record, PlanStartRecord):
            run.plans[record.plan] = PlanResults(record)
        elif record.plan not in run.plans:
            raise ResultsFileError(path, number, f"plan {record.plan!r} was never started")
        elif isinstance(record, PlanEndRecord):
            run.plans[record.plan].end = record
        elif isinstance(record, StepRecord):
            run.plans[record.plan].steps.append(record)
        elif isinstance(record, MeasurementRecord):
            plan = run.plans[record.plan]
            measured.append((len(plan.measurements), record, plan))
            plan.measurements.append(record)
        elif isinstance(record, EventRecord):
            run.plans[record.plan].events.append(record)
        elif isinstance(record, IntervalRecord):
            run.plans[record.plan].intervals.append(record)
        elif isinstance(record, ServiceRecord):
            run.plans[record.plan].services.append(record)
        else:
            run.plans[record.plan].series[record.name] = record
    for position, measurement, plan in measured:
        missing = [name for name in measurement.series if name not in plan.series]
        if missing:  # a file written before ``unrecorded``: the same fact, said there
            plan.measurements[position] = measurement.model_copy(
                update={
                    "series": tuple(n for n in measurement.series if n in plan.series),
                    "unrecorded": tuple(dict.fromkeys([*measurement.unrecorded, *missing])),
                }
            )
    return runs


def merge_results(paths: Iterable[Path]) -> ResultSet:
    """Read and validate several results files (runs, or workers of one run) as one set."""
    merged: dict[tuple[str, str], RunResults] = {}
    with collector_paused():
        for path in paths:
            for run in _group(path, _read_numbered(path)):
                if run.key in merged:
                    raise ResultsFileError(
                        path, 1, f"run {run.run.run_id!r} worker {run.run.worker!r} appears twice"
                    )
                merged[run.key] = run
        return ResultSet(sorted(merged.values(), key=lambda r: (r.run.started_at, r.run.worker)))
