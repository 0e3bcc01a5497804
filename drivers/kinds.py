"""The three instrument kinds of the bench, as protocols, and the readings they return.

- :class:`Meter`: the End Use Measurement Device (EUMD) or the premise revenue
  meter, read over Modbus.
- :class:`Load`: the programmable AC load standing in for the PEV's on-board charger,
  driven over SCPI.
- :class:`Pilot`: the J1772 pilot-signal simulator, over CAN or serial.

The rig's runner and checks only see these protocols; which class stands behind one
is chosen by the bench file. All readings are plain frozen dataclasses in SI-ish
units named in the field (``_v``, ``_a``, ``_w``, ``_wh``, ``_hz``, ``_ohm``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class Identity:
    """Who an instrument says it is. Fields the instrument does not expose are ``""``."""

    manufacturer: str
    model: str
    serial: str = ""
    firmware: str = ""


@dataclass(frozen=True)
class MeterSnapshot:
    """One consistent set of meter readings, taken in as few transactions as the map allows.

    ``import_energy_wh`` is the meter's register total as read; use
    :mod:`drivers.meter.energy` to turn two totals into a delta (roll-over and float32
    resolution are handled there). ``energy_resolution_wh`` is the smallest step
    the register can show at this total.
    """

    voltage_v: float
    current_a: float
    power_w: float
    frequency_hz: float
    import_energy_wh: float
    energy_resolution_wh: float


@dataclass(frozen=True)
class LoadReading:
    """What the programmable load measures at its input."""

    voltage_v: float
    current_a: float
    power_w: float
    power_factor: float


class PilotState(StrEnum):
    """J1772 / IEC 61851-1 control pilot states.

    A–E are set on the vehicle side (A open, B 2.74 kΩ, C 882 Ω, D 246 Ω, E short);
    F is the EVSE driving a steady −12 V (fault, not available).
    """

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


@dataclass(frozen=True)
class PilotStatus:
    """What the pilot simulator measures on the pilot and proximity lines.

    ``contactor_closed`` is ``None`` where the device cannot see the contactor.
    ``watchdog_armed`` / ``watchdog_tripped`` report the device's communication
    watchdog (:meth:`Pilot.arm_watchdog`); both stay false on a device without one.
    A tripped watchdog put the pilot in state A with no PWM on its own.
    """

    state: PilotState
    high_v: float
    low_v: float
    duty_pct: float
    frequency_hz: float
    proximity_ohm: float
    contactor_closed: bool | None = None
    watchdog_armed: bool = False
    watchdog_tripped: bool = False


@dataclass(frozen=True)
class Watchdog:
    """Whether an instrument protects the bench on its own when the controller goes silent.

    A driven instrument (load, pilot) is asked to arm its own communication watchdog
    (:meth:`Load.arm_watchdog`, :meth:`Pilot.arm_watchdog`): with no command from the
    controller for ``timeout_ms``, the instrument itself goes safe (load input off,
    pilot to state A with no PWM). ``armed`` is false where the instrument has no such
    watchdog (``how`` then says so and what covers the bench instead) or where it was
    disabled with a timeout of 0.
    """

    armed: bool
    timeout_ms: int
    how: str
    """What the instrument does, or why nothing is armed (shown by ``rig bench check``)."""


class Instrument(Protocol):
    """What every instrument driver offers."""

    name: str

    def identity(self) -> Identity: ...

    def close(self) -> None: ...


class Meter(Instrument, Protocol):
    """An energy meter (EUMD or premise revenue meter)."""

    def snapshot(self) -> MeterSnapshot: ...


class Load(Instrument, Protocol):
    """A programmable AC load in constant-current mode."""

    def set_current(self, amps: float) -> None: ...

    def set_power_factor(self, power_factor: float) -> None:
        """Raise :class:`drivers.errors.UnsupportedFeature` where the model has none."""
        ...

    def set_input(self, on: bool) -> None: ...

    def input_enabled(self) -> bool: ...

    def measure(self) -> LoadReading: ...

    def arm_watchdog(self, timeout_ms: int) -> Watchdog:
        """Arm the load's own communication watchdog (input off after ``timeout_ms``
        without a command); 0 disables it. Says what was armed, or why nothing was."""
        ...


class Pilot(Instrument, Protocol):
    """A J1772 pilot-signal simulator."""

    def set_state(self, state: PilotState) -> None: ...

    def set_duty(self, duty_pct: float) -> None:
        """EVSE-side PWM duty (advertised ampacity, see :mod:`drivers.j1772`)."""
        ...

    def status(self) -> PilotStatus: ...

    def arm_watchdog(self, timeout_ms: int) -> Watchdog:
        """Arm the device's communication watchdog (0 disarms) and keep it fed.

        While armed the driver sends heartbeats; with nothing from the controller for
        ``timeout_ms`` the device goes to state A with no PWM by itself. A device
        without one returns ``Watchdog(armed=False, ...)`` saying what covers the bench.
        """
        ...
