"""Reading results files: every line validated, runs and plans grouped, files merged.

:func:`read_results` validates *every* line with pydantic, including that a
measurement's recorded verdict is the one its value and limits give; any problem is a
:class:`ResultsFileError` naming ``file:line``. :func:`merge_results` reads the files
of several runs or workers into one :class:`ResultSet` (refusing the same run and
worker twice, which would count plans double) and :meth:`ResultSet.write` writes it
back as one file.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

from pydantic import ValidationError

from rig.results.measurement_record import MeasurementRecord
from rig.results.measurements import Verdict
from rig.results.records import (
    EventRecord,
    IntervalRecord,
    PlanEndRecord,
    PlanPart,
    PlanStartRecord,
    Record,
    RunEndRecord,
    RunRecord,
    SeriesRecord,
    ServiceRecord,
    StepRecord,
    validate_line,
)
from rig.results.writer import ResultsWriter


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
                yield number, validate_line(line)
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
    """Everything one plan recorded in one run.

    After ``start`` and ``end``, one container per kind of record inside the plan,
    in the order a writer emits them (each record names its container, ``part``).
    """

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

    def add(self, record: PlanPart) -> None:
        """Keep ``record`` in its container (a series by its name)."""
        if isinstance(record, SeriesRecord):
            self.series[record.name] = record
        else:
            getattr(self, record.part).append(record)

    def parts(self) -> Iterator[PlanPart]:
        """The records inside the plan, container by container."""
        for part in fields(self)[2:]:
            held = getattr(self, part.name)
            yield from held.values() if isinstance(held, dict) else held


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
                yield from plan.parts()
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
        else:
            plan = run.plans[record.plan]
            if isinstance(record, MeasurementRecord):
                measured.append((len(plan.measurements), record, plan))
            plan.add(record)
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
