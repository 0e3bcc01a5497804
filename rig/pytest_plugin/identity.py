"""Who the bench is, for the results file's ``run`` record.

The audit trail of a run names the bench file and its SHA-256, and for each
instrument what the bench file says (driver, serial number, calibration due date,
accuracy class) *and what the instrument says about itself*: at the first plan of
a run the plugin asks every instrument for its identity, exactly as
``rig bench check`` does (open, identify, one reading, close; nothing is written
to the bench). A simulated bench is started for that moment. An instrument that
does not answer is recorded with the bench file's facts only; the plans that need
it will fail on their own, each with its own message.
"""

from __future__ import annotations

from pathlib import Path

from rig.bench.check import InstrumentCheck, check_bench
from rig.bench.config import BenchConfig, LoadConfig, ModbusMeterConfig, PilotConfig
from rig.bench.simulated import SimulatedBench
from rig.results import BenchIdentity, InstrumentIdentity, file_sha256


def _checks(bench: BenchConfig) -> list[InstrumentCheck]:
    if bench.simulated:
        with SimulatedBench(bench) as sim:
            return check_bench(sim.config)
    return check_bench(bench)


def _instrument(
    check: InstrumentCheck, spec: ModbusMeterConfig | LoadConfig | PilotConfig
) -> InstrumentIdentity:
    said = check.identity
    return InstrumentIdentity(
        role=check.role,
        driver=spec.map if isinstance(spec, ModbusMeterConfig) else spec.dialect,
        idn=f"{said.manufacturer} {said.model}".strip() if said else "",
        calibration_certificate=spec.calibration_certificate,
        serial=(said.serial if said else "") or spec.serial_number,
        firmware=said.firmware if said else "",
        calibration_due=spec.calibration_due,
        accuracy_class=spec.accuracy_class if isinstance(spec, ModbusMeterConfig) else "",
    )


def bench_identity(bench_file: Path, bench: BenchConfig) -> BenchIdentity:
    """The bench's identity: its file, and each instrument as the file and the device say."""
    return BenchIdentity(
        name=bench.bench,
        file=str(bench_file),
        file_sha256=file_sha256(bench_file),
        simulated=bench.simulated,
        defects=bench.defect_names,
        instruments=tuple(
            _instrument(check, getattr(bench, check.role)) for check in _checks(bench)
        ),
    )
