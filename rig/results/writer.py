"""Writing a results file: whole JSON lines, appended under a lock, flushed as they go.

Each process (pytest-xdist worker, bench) writes its own file; a crash leaves every
finished record readable.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rig.domain.closing import Closing
from rig.results.measurement_record import MeasurementRecord
from rig.results.measurements import Measurement
from rig.results.records import Record


class ResultsWriter(Closing):
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
