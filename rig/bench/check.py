"""``rig bench check``: can the rig reach every instrument, and who is it?

For each instrument in the bench file the check opens its driver, asks for its
identity and takes one live reading, then closes it again. It changes nothing on
the bench (no setpoint, no input, no pilot state is written) but one thing: it arms
the load's and the pilot's communication watchdog with the bench file's
``watchdog_ms``, as a run does, and reports per instrument whether one is armed. An
instrument with none (the nsayer ev_sim, the Chroma 63800 and ITECH IT8600 loads)
gets a warning saying what must cover the bench instead (docs/bench.md). Every instrument is
tried even when an earlier one fails, so one run lists everything that is wrong.

An instrument that cannot be reached is reported with the transport the bench file
gave, the driver's error (what was sent, what came back) and what to try next. A
calibration due date in the past is reported as a warning; it does not fail the
check (a lab decides its own policy), but it is printed where nobody can miss it.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import dataclass, field

from drivers.errors import InstrumentError
from drivers.kinds import Identity, Load, Meter, Pilot, Watchdog
from rig.bench.build import open_role, roles
from rig.bench.config import BenchConfig, LoadConfig, ModbusMeterConfig, PilotConfig


@dataclass(frozen=True)
class InstrumentCheck:
    """The outcome for one instrument."""

    role: str
    where: str
    identity: Identity | None = None
    reading: str = ""
    problem: str = ""
    hint: str = ""
    watchdog: Watchdog | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problem


def _where(spec: ModbusMeterConfig | LoadConfig | PilotConfig) -> str:
    if isinstance(spec, LoadConfig):
        return f"{spec.dialect} at {spec.describe()}"
    driver = spec.map if isinstance(spec, ModbusMeterConfig) else spec.dialect
    return f"{driver} at {spec.transport.describe()}"


def _hint(role: str, spec: ModbusMeterConfig | LoadConfig | PilotConfig) -> str:
    if isinstance(spec, ModbusMeterConfig):
        return (
            "check the meter is powered and wired (RS-485 A/B, termination) or on the "
            f"network, and that {role}.transport (host/port or serial port, baud rate, "
            "parity, unit id) matches the meter's own settings"
        )
    if isinstance(spec, LoadConfig):
        return (
            "check the load is powered and in remote mode, and that load.resource names it "
            "(try `pyvisa-shell` with the same resource string)"
        )
    return (
        "check the pilot simulator is powered and connected, and that pilot.transport "
        "(CAN interface/channel/bitrate, or serial port and baud rate) matches it"
    )


def _reading(instrument: Meter | Load | Pilot, role: str, spec: object) -> str:
    if isinstance(spec, ModbusMeterConfig):
        meter: Meter = instrument  # type: ignore[assignment]
        s = meter.snapshot()
        return (
            f"{s.voltage_v:.1f} V  {s.current_a:.2f} A  {s.power_w:.0f} W  "
            f"{s.frequency_hz:.2f} Hz  import {s.import_energy_wh / 1000:.3f} kWh"
        )
    if isinstance(spec, LoadConfig):
        load: Load = instrument  # type: ignore[assignment]
        r = load.measure()
        state = "on" if load.input_enabled() else "off"
        return (
            f"input {state}  {r.voltage_v:.1f} V  {r.current_a:.2f} A  {r.power_w:.0f} W  "
            f"PF {r.power_factor:.2f}"
        )
    pilot: Pilot = instrument  # type: ignore[assignment]
    p = pilot.status()
    contactor = {None: "unknown", True: "closed", False: "open"}[p.contactor_closed]
    return (
        f"state {p.state.value}  high {p.high_v:+.2f} V  low {p.low_v:+.2f} V  "
        f"duty {p.duty_pct:.1f} %  {p.frequency_hz:.0f} Hz  contactor {contactor}"
    )


def _warnings(
    spec: ModbusMeterConfig | LoadConfig | PilotConfig, today: dt.date
) -> tuple[str, ...]:
    due = spec.calibration_due
    if due is not None and due < today:
        return (f"calibration was due {due.isoformat()}: recalibrate before a compliance run",)
    return ()


def check_instrument(
    config: BenchConfig, role: str, today: dt.date | None = None
) -> InstrumentCheck:
    """Open, identify and read one instrument; never raises for an instrument failure."""
    spec = getattr(config, role)
    where = _where(spec)
    warnings = _warnings(spec, today or dt.date.today())
    try:
        instrument, watchdog = open_role(config, role)
    except (InstrumentError, OSError, ValueError) as error:
        return InstrumentCheck(role, where, problem=str(error), hint=_hint(role, spec))
    try:
        identity = instrument.identity()
        reading = _reading(instrument, role, spec)
        if watchdog is not None and not watchdog.armed:
            warnings += (f"no communication watchdog armed: {watchdog.how}",)
    except (InstrumentError, OSError, ValueError) as error:
        return InstrumentCheck(
            role, where, problem=str(error), hint=_hint(role, spec), warnings=warnings
        )
    finally:
        with suppress(Exception):  # closing a broken link must not hide what broke it
            instrument.close()
    if spec.serial_number and identity.serial and spec.serial_number != identity.serial:
        warnings += (
            f"serial number {identity.serial!r} differs from the bench file's "
            f"{spec.serial_number!r}: is this the instrument you meant?",
        )
    return InstrumentCheck(role, where, identity, reading, warnings=warnings, watchdog=watchdog)


def check_bench(config: BenchConfig, today: dt.date | None = None) -> list[InstrumentCheck]:
    """Check every instrument of ``config``, in bench-file order."""
    return [check_instrument(config, role, today) for role in roles(config)]


def render(config: BenchConfig, results: list[InstrumentCheck]) -> str:
    """A human report: one block per instrument, then a verdict with what to do next."""
    lines = [f"bench '{config.bench}'" + (" (simulated)" if config.simulated else "")]
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        lines.append(f"  [{mark}] {result.role}: {result.where}")
        if result.identity is not None:
            ident = result.identity
            parts = [ident.manufacturer, ident.model]
            if ident.serial:
                parts.append(f"serial {ident.serial}")
            if ident.firmware:
                parts.append(f"firmware {ident.firmware}")
            lines.append(f"         identity: {', '.join(p for p in parts if p)}")
        if result.reading:
            lines.append(f"         reading:  {result.reading}")
        if result.watchdog is not None and result.watchdog.armed:
            dog = result.watchdog
            lines.append(f"         watchdog: armed, {dog.timeout_ms} ms: {dog.how}")
        if result.problem:
            lines.append(f"         cannot reach: {result.problem}")
            lines.append(f"         next: {result.hint}")
        lines.extend(f"         warning: {warning}" for warning in result.warnings)
    failed = [r.role for r in results if not r.ok]
    if failed:
        lines.append(f"bench check FAILED: cannot reach {', '.join(failed)}")
    else:
        lines.append(f"bench check passed: {len(results)} instruments reachable")
    return "\n".join(lines)
