"""The bench file: which instruments make up a bench, how to reach them, and who they are.

A bench file is YAML, written by hand, one per physical bench (or one for the
simulated bench CI uses). It names, per instrument, the driver (a meter register
map, a load dialect, a pilot dialect), the transport settings that reach it, and
the facts a lab audit asks for: serial number and calibration due date, and for
meters and the reference standard the accuracy class; for the load its power
accuracy. Every instrument's accuracy is the bench file's to state, never a constant
in the checks: J-04 builds its uncertainty budget from them (:mod:`rig.oracle.energy`).
A short example::

    bench: lab-2                       # a name for reports
    eumd:                              # the End Use Measurement Device
      map: sdm630                      # register map (drivers.meter registry)
      transport: {kind: modbus_rtu, port: /dev/ttyUSB0, baudrate: 9600, unit: 1}
      accuracy_class: "C12.20 0.5"
      serial_number: "SDM-220417"
      calibration_due: 2027-03-31
      calibration_certificate: "DKD-K-12345 2026-0117"   # any instrument may name one
    reference:                         # optional: a reference standard in series with the EUMD
      map: refstd
      transport: {kind: modbus_tcp, host: 10.0.0.22, port: 502, unit: 1}
      accuracy_class: "0.05"           # ± % of reading: what J-04 judges the EUMD against
    load:
      dialect: chroma63800             # SCPI dialect (drivers.load registry)
      resource: "TCPIP0::10.0.0.21::5025::SOCKET"
      power_accuracy_pct: 0.5          # the load's datasheet power accuracy, ± % of reading
    pilot:
      dialect: can                     # pilot dialect (drivers.pilot registry)
      transport: {kind: can, interface: pcan, channel: PCAN_USBBUS1, bitrate: 500000}

A bench that has a ``simulation:`` section is simulated: :mod:`rig.bench.simulated`
starts a simulator for each instrument on 127.0.0.1, all fed by one physical model,
and rewrites the transports to point at them. In a simulated bench a TCP port of 0
(or a serial/CAN channel of ``auto``) means "wherever the simulator listens".

A simulated bench may also have a ``defects:`` section (:mod:`rig.bench.defects`):
defects injected on purpose, for the mutation self-test; such a bench is recorded
as defect-injected. Only there may a meter's gain error lie outside its class.

The schema is strict (``extra="forbid"``) so a mistyped key is an error, not a
silently ignored setting. The transports (``transport:``) are in
:mod:`rig.bench.transports`; the driver names are checked against the drivers'
registries by :mod:`rig.bench.registry`. Use :func:`load_bench` to read a file: every problem is
reported as ``file:line:col: where: what`` before any instrument is opened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import Field

from rig.bench.defects import Defects
from rig.bench.registry import Problem, driver_problems
from rig.bench.transports import (
    CanLink,
    ModbusRtu,
    ModbusTcp,
    ModbusTransport,
    PilotTransport,
    SerialLine,
    Strict,
)
from rig.yamlfile import (
    YamlFileError,
    YamlIssue,
    issues_at,
    parse_located,
    read_text,
    validate_located,
)

#: Placeholder for a serial port or CAN channel the simulator assigns when it starts.
AUTO = "auto"


# --------------------------------------------------------------------------- instruments

#: Accuracy classes a meter may declare: ANSI C12.20 (US revenue) or MID (EU).
AccuracyClass = Literal["C12.20 0.2", "C12.20 0.5", "MID A", "MID B", "MID C"]

#: Maximum permissible error (%) per class, at rated conditions (requirements.md).
ACCURACY_PCT: dict[str, float] = {
    "C12.20 0.2": 0.2,
    "C12.20 0.5": 0.5,
    "MID A": 3.5,
    "MID B": 2.0,
    "MID C": 1.0,
}


#: Accuracy classes a reference standard may declare (IEC 60736 / IEC 62057-1 style):
#: the class is its maximum permissible error, ± % of reading.
ReferenceClass = Literal["0.01", "0.02", "0.05", "0.1", "0.2"]


class _Traceable(Strict):
    """What a calibration audit asks of every instrument."""

    calibration_certificate: str = Field(default="", description="the certificate's ID")
    serial_number: str = ""
    calibration_due: dt.date | None = None


class ModbusMeterConfig(_Traceable):
    """A meter on Modbus: its register map and how to reach it."""

    map: str = Field(description="register map name in the drivers.meter registry")
    transport: ModbusTransport
    accuracy_class: str

    @property
    def accuracy_pct(self) -> float:
        """The accuracy class as ± % of reading."""
        raise NotImplementedError

    def describe(self) -> str:
        """The meter as a J-04 message names it: ``sdm630 @ modbus_tcp 10.0.0.5:502 unit 1``."""
        serial = f", SN {self.serial_number}" if self.serial_number else ""
        return f"{self.map} @ {self.transport.describe()}{serial}"


class MeterConfig(ModbusMeterConfig):
    """An energy meter on Modbus: the EUMD or the premise revenue meter."""

    accuracy_class: AccuracyClass = "C12.20 0.5"

    @property
    def accuracy_pct(self) -> float:
        return ACCURACY_PCT[self.accuracy_class]


class ReferenceConfig(ModbusMeterConfig):
    """A reference standard wired in series with the EUMD: it counts the same energy,
    some ten times more accurately, so J-04 can tell whether the EUMD is in its class."""

    map: str = Field(default="refstd", description="register map in the drivers.meter registry")
    accuracy_class: ReferenceClass = "0.05"

    @property
    def accuracy_pct(self) -> float:
        return float(self.accuracy_class)


class LoadConfig(_Traceable):
    """A programmable AC load behind any VISA resource string."""

    dialect: str = Field(description="SCPI dialect name in the drivers.load registry")
    resource: str = Field(description="VISA resource, e.g. TCPIP0::10.0.0.21::5025::SOCKET")
    visa_library: str = Field(default="@py", description="pyvisa backend; '@py' is pyvisa-py")
    timeout_s: float | None = Field(default=None, gt=0, le=30, description="None: driver's")
    power_accuracy_pct: float = Field(
        default=0.5,
        gt=0,
        le=10,
        description="± % of reading of the load's power measurement (its datasheet): J-04's "
        "load term",
    )

    def describe(self) -> str:
        return f"visa {self.resource}"


class PilotConfig(_Traceable):
    """A J1772 pilot-signal simulator over CAN or serial."""

    dialect: str = Field(description="pilot dialect name in the drivers.pilot registry")
    transport: PilotTransport


# --------------------------------------------------------------------------- simulation


class SimMeter(Strict):
    """How a simulated meter errs and what its registers hold.

    ``bias_pct`` is a fixed gain error and must lie within the meter's declared
    accuracy class; ``noise_pct`` is the 1-sigma noise on instantaneous readings.
    The simulator serves both maps from one device: the SDM630 map's registers are
    float32 (resolution shrinks as the total grows), the SunSpec map's are int16
    with scale factors and an acc32 energy counter (``sunspec_model``,
    ``energy_scale``).
    """

    bias_pct: float = Field(
        default=0.1, ge=-10, le=10, description="fixed gain error, % of reading"
    )
    noise_pct: float = Field(default=0.02, ge=0, le=10, description="1-sigma noise, % of reading")
    sunspec_model: Literal[201, 203] = Field(
        default=203, description="SunSpec meter model served (201 single phase, 203 wye)"
    )
    energy_scale: int = Field(
        default=0, ge=-3, le=3, description="SunSpec TotWh_SF: acc32 energy step 10^SF Wh"
    )
    start_total_wh: float = Field(
        default=0.0, ge=0, le=1e9, description="import total at start (at most 1 GWh)"
    )


class SimPremise(SimMeter):
    """The simulated premise revenue meter: a base load plus the PEV."""

    base_load_w: float = Field(default=1200.0, ge=0, le=100_000)


class Simulation(Strict):
    """Present only in simulated benches: the coupled model behind the simulators."""

    seed: int = 1
    supply: Literal["cordset_120", "evse_240"] = "evse_240"
    evse_max_a: float = Field(default=32.0, ge=6, le=80, description="EVSE ampacity limit")
    eumd: SimMeter = SimMeter()
    premise: SimPremise | None = None
    reference: SimMeter = SimMeter(bias_pct=0.01, noise_pct=0.005)
    rtu_line_timing: bool = Field(default=True, description="emulate the baud rate's byte timing")
    clock: Literal["virtual", "wall"] = "virtual"
    start: dt.datetime | None = Field(default=None, description="virtual clock start (UTC)")


# --------------------------------------------------------------------------- the bench


class BenchConfig(Strict):
    """A whole bench: the EUMD, an optional premise meter, the load and the pilot."""

    bench: str = Field(min_length=1, description="bench name, shown in reports")
    description: str = ""
    eumd: MeterConfig
    premise_meter: MeterConfig | None = None
    reference: ReferenceConfig | None = None
    load: LoadConfig
    pilot: PilotConfig
    watchdog_ms: int = Field(
        default=1000,
        ge=0,
        le=60_000,
        description="communication watchdog armed in the load and the pilot; 0 disarms",
    )
    simulation: Simulation | None = None
    defects: Defects | None = Field(
        default=None, description="defects injected on purpose (simulated benches only)"
    )

    @property
    def defect_names(self) -> tuple[str, ...]:
        """The defects this bench injects, ``field=value`` each (empty: none)."""
        return self.defects.names() if self.defects is not None else ()

    @property
    def simulated(self) -> bool:
        return self.simulation is not None

    def meters(self) -> dict[str, ModbusMeterConfig]:
        """The meters by role name (``eumd``, then ``premise_meter`` and ``reference``
        when present)."""
        out: dict[str, ModbusMeterConfig] = {"eumd": self.eumd}
        if self.premise_meter is not None:
            out["premise_meter"] = self.premise_meter
        if self.reference is not None:
            out["reference"] = self.reference
        return out


def placeholder_problems(config: BenchConfig) -> list[Problem]:
    """Port 0 and ``auto`` mean "wherever the simulator listens": only a simulated bench may
    use them; a real bench must say where its instruments are."""
    if config.simulated:
        return []
    problems: list[Problem] = []
    for role, meter in config.meters().items():
        transport = meter.transport
        if isinstance(transport, ModbusTcp) and transport.port == 0:
            problems.append(
                (
                    (role, "transport", "port"),
                    "port 0 is only for simulated benches: give the meter's Modbus TCP port "
                    "(502 by convention)",
                )
            )
        if isinstance(transport, ModbusRtu) and transport.port == AUTO:
            problems.append(
                (
                    (role, "transport", "port"),
                    f"'{AUTO}' is only for simulated benches: give the serial port "
                    "(e.g. /dev/ttyUSB0)",
                )
            )
    pilot = config.pilot.transport
    if isinstance(pilot, CanLink) and pilot.channel == AUTO:
        problems.append(
            (
                ("pilot", "transport", "channel"),
                f"'{AUTO}' is only for simulated benches: give the CAN channel (e.g. PCAN_USBBUS1)",
            )
        )
    if isinstance(pilot, SerialLine) and pilot.port == AUTO:
        problems.append(
            (
                ("pilot", "transport", "port"),
                f"'{AUTO}' is only for simulated benches: give the serial port",
            )
        )
    if AUTO in config.load.resource.lower().split("::"):
        problems.append(
            (
                ("load", "resource"),
                f"'{AUTO}' is only for simulated benches: give the VISA resource string",
            )
        )
    return problems


def simulation_problems(config: BenchConfig) -> list[Problem]:
    """A simulated bench's model settings must agree with its instruments."""
    sim = config.simulation
    if sim is None:
        if config.defects is None:
            return []
        return [(("defects",), "only a simulated bench (with a `simulation:` section) has defects")]
    problems: list[Problem] = []
    if sim.premise is not None and config.premise_meter is None:
        problems.append(
            (
                ("simulation", "premise"),
                "a simulated premise load needs a premise_meter section to read it: "
                "add one or remove simulation.premise",
            )
        )
    pairs: list[tuple[str, SimMeter | None, ModbusMeterConfig | None]] = [
        ("eumd", sim.eumd, config.eumd),
        ("premise", sim.premise, config.premise_meter),
        ("reference", sim.reference, config.reference),
    ]
    for key, spec, meter in pairs:
        if spec is None or meter is None:
            continue
        if meter.map == "sunspec" and spec.start_total_wh < 10.0**spec.energy_scale:
            problems.append(
                (
                    ("simulation", key, "start_total_wh"),
                    "a SunSpec acc32 energy total of 0 means 'not implemented', so the "
                    "driver refuses it: give a starting total of at least one energy step "
                    f"({10.0**spec.energy_scale:g} Wh)",
                )
            )
        if abs(spec.bias_pct) > meter.accuracy_pct:
            problems.append(
                (
                    ("simulation", key, "bias_pct"),
                    f"bias {spec.bias_pct} % is outside the meter's accuracy class "
                    f"{meter.accuracy_class} (±{meter.accuracy_pct} %): lower the bias or "
                    "change the class",
                )
            )
    return problems


#: Discriminator values pydantic puts in an error's path (``eumd.transport.modbus_tcp.port``).
_UNION_TAGS = frozenset({"modbus_tcp", "modbus_rtu", "can", "serial"})


def _without_union_tags(issue: YamlIssue) -> YamlIssue:
    """``eumd.transport.modbus_tcp.port`` → ``eumd.transport.port``: say it as the file does."""
    parts = issue.where.split(".")
    kept = [
        part
        for index, part in enumerate(parts)
        if not (part in _UNION_TAGS and index > 0 and parts[index - 1] == "transport")
    ]
    return replace(issue, where=".".join(kept))


def parse_bench(text: str, file: str = "<bench>") -> BenchConfig:
    """Validate bench-file text; see :func:`load_bench`."""
    try:
        data, sources = parse_located(text, file)
        config = validate_located(data, sources, BenchConfig, file)
    except YamlFileError as error:
        raise YamlFileError([_without_union_tags(issue) for issue in error.issues]) from None
    names = driver_problems(
        {role: meter.map for role, meter in config.meters().items()},
        config.load.dialect,
        config.pilot.dialect,
        config.pilot.transport.kind,
    )
    problems = placeholder_problems(config) + simulation_problems(config) + names
    if problems:
        raise YamlFileError(issues_at(file, sources, problems))
    return config


def load_bench(path: str | Path) -> BenchConfig:
    """Read and validate a bench file.

    Raises :class:`rig.yamlfile.YamlFileError` listing every problem as
    ``file:line:col`` (unknown keys with a did-you-mean, wrong types, missing keys,
    YAML syntax, driver names no registry knows, simulator-only placeholders in a
    real bench). Nothing is opened or started here.
    """
    file = str(path)
    text = read_text(path)
    return parse_bench(text, file)
