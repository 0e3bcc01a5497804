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
``measurement``  one :class:`~rig.results.measurements.Measurement`: value, unit, limits or
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

The package follows the data:

:mod:`~rig.results.measurements`  a judged observation and its verdict (after OpenHTF)
:mod:`~rig.results.records`       the file's schema: one model per record type
:mod:`~rig.results.measurement_record`  a measurement as stored, its verdict checked
:mod:`~rig.results.series`        the kinds of series the runner records
:mod:`~rig.results.writer`        :class:`ResultsWriter`: whole lines, under a lock, flushed
:mod:`~rig.results.provenance`    run ID, software version, file hashes, host
:mod:`~rig.results.reader`        :func:`read_results`, :func:`merge_results`: validated,
                                  grouped into runs and plans
"""

from rig.results.base import JsonValue
from rig.results.measurement_record import LimitsModel, MeasurementRecord
from rig.results.measurements import Limits, Measurement, Number, Value, Verdict, overall_verdict
from rig.results.provenance import (
    Software,
    file_sha256,
    host_name,
    new_run_id,
    software,
    software_version,
)
from rig.results.reader import (
    PlanResults,
    ResultSet,
    ResultsFileError,
    RunResults,
    collector_paused,
    merge_results,
    read_results,
)
from rig.results.records import (
    SCHEMA_VERSION,
    BenchIdentity,
    EventRecord,
    InstrumentIdentity,
    Interruption,
    IntervalRecord,
    PlanEndRecord,
    PlanPart,
    PlanStartRecord,
    Record,
    RunEndRecord,
    RunRecord,
    SafeStateModel,
    SeriesRecord,
    ServiceRecord,
    StepRecord,
    UnreachableService,
)
from rig.results.series import PILOT_STATE_VALUE, SeriesKind
from rig.results.writer import ResultsWriter

__all__ = [
    "PILOT_STATE_VALUE",
    "SCHEMA_VERSION",
    "BenchIdentity",
    "EventRecord",
    "InstrumentIdentity",
    "Interruption",
    "IntervalRecord",
    "JsonValue",
    "Limits",
    "LimitsModel",
    "Measurement",
    "MeasurementRecord",
    "Number",
    "PlanEndRecord",
    "PlanPart",
    "PlanResults",
    "PlanStartRecord",
    "Record",
    "ResultSet",
    "ResultsFileError",
    "ResultsWriter",
    "RunEndRecord",
    "RunRecord",
    "RunResults",
    "SafeStateModel",
    "SeriesKind",
    "SeriesRecord",
    "ServiceRecord",
    "Software",
    "StepRecord",
    "UnreachableService",
    "Value",
    "Verdict",
    "collector_paused",
    "file_sha256",
    "host_name",
    "merge_results",
    "new_run_id",
    "overall_verdict",
    "read_results",
    "software",
    "software_version",
]
