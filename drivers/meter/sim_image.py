"""Register images: what a simulated meter serves, one image per register map.

A meter map's driver reads registers (:mod:`drivers.meter.sdm630`,
:mod:`drivers.meter.sunspec`); its *image* is the simulator's side of the same map:
which register blocks exist, in which table, and how one model reading is written
into them. Each map's image lives in its own module and registers itself by map
name in :data:`IMAGES` (:mod:`drivers.registry`):

- :mod:`drivers.meter.sim_sdm630`: input registers (FC04), float32 values;
- :mod:`drivers.meter.sim_sunspec`: holding registers (FC03), SunSpec models with
  int16 values, scale factors and an acc32 energy counter.

A :class:`~drivers.meter.sim.MeterSim` is started for one map and serves that map's
image only, so two maps that use the same addresses cannot collide.

Static words (markers, identity strings, scale factors) are laid down once, in
:attr:`RegisterImage.holding` / :attr:`RegisterImage.inputs`; :meth:`RegisterImage.fill`
writes only the measured points, at read time (when a read :meth:`~RegisterImage.covers`
them), from a :class:`MeterReadingLike`
and the active faults. Nothing is cached between reads, so a register always shows
the model's "now".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

from drivers.meter.sim_faults import MeterFaults, Quantity, ValueFault
from drivers.registry import Registry

NOT_IMPLEMENTED_INT16: Final = 0x8000

#: A register block: its first address and its words at start.
Block = tuple[int, list[int]]


class MeterReadingLike(Protocol):
    """What the simulator needs from the model per read (``drivers.sim.model.MeterReading``)."""

    @property
    def voltage_v(self) -> float: ...
    @property
    def current_a(self) -> float: ...
    @property
    def power_w(self) -> float: ...
    @property
    def frequency_hz(self) -> float: ...
    @property
    def import_wh(self) -> float: ...


@dataclass(frozen=True)
class SimIdentity:
    """Who the simulated meter says it is (SunSpec common model; SDM630 serial)."""

    manufacturer: str = "EV Rig"
    model: str = "SimMeter"
    serial: str = "SIM00000001"
    firmware: str = "1.0.0"
    sdm_serial: int = 20240001


@dataclass(frozen=True)
class SunSpecScales:
    """Scale factors the simulated SunSpec meter publishes (value = int16 × 10^SF)."""

    current: int = -2
    voltage: int = -1
    frequency: int = -2
    power: int = 0
    energy: int = 0


@dataclass(frozen=True)
class ImageSettings:
    """What shapes an image: the device's unit and identity, and per-map layout choices.

    A map reads the settings that concern it and ignores the others (``sunspec_*``
    and ``scales`` shape the SunSpec map only).
    """

    unit: int = 1
    identity: SimIdentity = field(default_factory=SimIdentity)
    sunspec_base: int = 40000
    sunspec_model: int = 203
    scales: SunSpecScales = field(default_factory=SunSpecScales)


class RegisterImage(Protocol):
    """One map's registers in the simulated device."""

    #: Holding-register (FC03) blocks, and input-register (FC04) blocks.
    holding: list[Block]
    inputs: list[Block]

    def covers(self, function_code: int, address: int, count: int) -> bool:
        """Whether a read of ``count`` registers at ``address`` touches a measured point."""
        ...

    def fill(
        self, regs: list[int], at: int, reading: MeterReadingLike, faults: MeterFaults
    ) -> None:
        """Write ``reading`` into the measured points before a read :meth:`covers`.

        ``regs`` is the read's whole register table; ``regs[0]`` is register ``at``.
        """
        ...

    def rollover_offset(self, import_wh: float, margin_wh: float) -> int:
        """The energy counter offset that makes it wrap after ``margin_wh`` more Wh."""
        ...


ImageFactory = Callable[[ImageSettings], RegisterImage]

#: Register images by map name, one module per map.
IMAGES: Registry[ImageFactory] = Registry("meter image", "drivers.meter", simulators=True)


def measured_points(
    reading: MeterReadingLike, faults: MeterFaults, energy_per_wh: float = 1.0
) -> tuple[float, float, float, float, float]:
    """V, I, P, f and the energy total (Wh × ``energy_per_wh``) as the faults show them."""
    energy = (reading.import_wh + faults.energy_offset_wh) * energy_per_wh
    points = (reading.voltage_v, reading.current_a, reading.power_w, reading.frequency_hz, energy)
    values = faults.values
    if not values:
        return points
    names: tuple[Quantity, ...] = ("voltage", "current", "power", "frequency", "energy")
    v, i, p, f, e = (faulted(x, values.get(n)) for x, n in zip(points, names, strict=True))
    return v, i, p, f, e


def faulted(value: float, fault: ValueFault | None) -> float:
    """A reading as a value fault shows it (``None``: unchanged)."""
    if fault is None:
        return value
    if fault is ValueFault.NEGATIVE:
        return -abs(value) if value else -1.0
    return math.nan
