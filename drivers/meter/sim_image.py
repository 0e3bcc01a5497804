"""Register images: how the simulated meter writes one model reading into each map.

The simulator serves both maps from one device, as pymodbus register blocks:

- **input registers** (FC04) hold the Eastron SDM630 map: float32 values, high word
  first, at the driver's declared addresses (:mod:`drivers.meter.sdm630`);
- **holding registers** (FC03) hold a SunSpec map at ``base`` (40000 by default):
  "SunS", common model 1, meter model 201 or 203 with int16 values and scale
  factors, acc32 energy, and the end model 0xFFFF; plus the SDM630 serial number at
  0xFC00.

Static words (marker, identity strings, scale factors, unused points as
"not implemented") are laid down once; :func:`fill_sdm630` and
:meth:`SunSpecImage.fill` write only the measured points, at read time, from a
:class:`MeterReadingLike` and the active value faults. Nothing is cached between
reads, so a register always shows the model's "now".
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from drivers.meter import sdm630, sunspec
from drivers.meter.sim_faults import Quantity, ValueFault

_F32: Final = struct.Struct(">f")
_WORDS: Final = struct.Struct(">HH")
NOT_IMPLEMENTED_INT16: Final = 0x8000


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


def _faulted(value: float, fault: ValueFault | None) -> float:
    if fault is None:
        return value
    if fault is ValueFault.NEGATIVE:
        return -abs(value) if value else -1.0
    return math.nan


# -- SDM630 (FC04, float32) ------------------------------------------------------------

SDM630_BLOCK_SIZE: Final = sdm630.TOTAL_ENERGY.address + 2


def float_words(value: float) -> tuple[int, int]:
    """A float as two registers, high word first."""
    high, low = _WORDS.unpack(_F32.pack(value))
    return high, low


def fill_sdm630(
    regs: list[int],
    offset: int,
    reading: MeterReadingLike,
    faults: Mapping[Quantity, ValueFault],
    energy_offset_wh: float = 0.0,
) -> None:
    """Write ``reading`` into the SDM630 input registers starting at ``regs[offset]``."""
    voltage, current, power = reading.voltage_v, reading.current_a, reading.power_w
    hz, kwh = reading.frequency_hz, (reading.import_wh + energy_offset_wh) / 1000.0
    if faults:
        voltage = _faulted(voltage, faults.get("voltage"))
        current = _faulted(current, faults.get("current"))
        power = _faulted(power, faults.get("power"))
        hz = _faulted(hz, faults.get("frequency"))
        kwh = _faulted(kwh, faults.get("energy"))
    for register, value in (
        (sdm630.VOLTAGE_L1, voltage),
        (sdm630.CURRENT_L1, current),
        (sdm630.POWER_L1, power),
        (sdm630.TOTAL_POWER, power),
        (sdm630.FREQUENCY, hz),
        (sdm630.IMPORT_ENERGY, kwh),
        (sdm630.EXPORT_ENERGY, 0.0),
        (sdm630.TOTAL_ENERGY, kwh),
    ):
        at = offset + register.address
        regs[at], regs[at + 1] = float_words(value)


# -- SunSpec (FC03, int16 with scale factors, acc32) -----------------------------------


@dataclass(frozen=True)
class SunSpecScales:
    """Scale factors the simulated SunSpec meter publishes (value = int16 × 10^SF)."""

    current: int = -2
    voltage: int = -1
    frequency: int = -2
    power: int = 0
    energy: int = 0


def _string_words(text: str, size: int) -> list[int]:
    raw = text.encode("ascii")[: size * 2].ljust(size * 2, b"\x00")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, size * 2, 2)]


def _int16(value: float, sf: int) -> int:
    scaled = round(value / 10.0**sf)
    return max(-32767, min(32767, scaled)) & 0xFFFF


class SunSpecImage:
    """A SunSpec map at ``base``: marker, common model 1, one meter model, end marker."""

    COMMON_LENGTH: Final = 66

    def __init__(
        self,
        base: int = 40000,
        model_id: int = 203,
        scales: SunSpecScales | None = None,
        identity: SimIdentity | None = None,
        unit: int = 1,
    ) -> None:
        if model_id not in (201, 203):
            raise ValueError(f"the simulator serves SunSpec meter model 201 or 203, not {model_id}")
        self.base = base
        self.model_id = model_id
        self.scales = scales or SunSpecScales()
        ident = identity or SimIdentity()
        common = [sunspec.COMMON_MODEL_ID, self.COMMON_LENGTH]
        common += _string_words(ident.manufacturer, 16)
        common += _string_words(ident.model, 16)
        common += _string_words("", 8)
        common += _string_words(ident.firmware, 8)
        common += _string_words(ident.serial, 16)
        common += [unit, NOT_IMPLEMENTED_INT16]
        meter = [NOT_IMPLEMENTED_INT16] * (2 + sunspec.METER_MODEL_LENGTH)
        meter[0], meter[1] = model_id, sunspec.METER_MODEL_LENGTH
        for point in sunspec.METER_POINTS:
            if point.type == "acc32":
                meter[point.offset] = meter[point.offset + 1] = 0
        s = self.scales
        for point, sf in (
            (sunspec.A_SF, s.current),
            (sunspec.V_SF, s.voltage),
            (sunspec.HZ_SF, s.frequency),
            (sunspec.W_SF, s.power),
            (sunspec.TOT_WH_SF, s.energy),
        ):
            meter[point.offset] = sf & 0xFFFF
        self.words: Final = [*sunspec.SUNS_MARKER, *common, *meter, sunspec.END_MODEL_ID, 0]
        #: Address of the meter model's ID register.
        self.meter_address: Final = base + 2 + len(common)
        self._meter_index = 2 + len(common)
        self._energy_step = 10.0**s.energy

    def energy_count(self, import_wh: float, acc32_offset: int = 0) -> int:
        """The acc32 TotWhImp count for ``import_wh`` (truncated, as meters count)."""
        return (math.floor(import_wh / self._energy_step + 1e-9) + acc32_offset) % 2**32

    def fill(
        self,
        regs: list[int],
        offset: int,
        reading: MeterReadingLike,
        faults: Mapping[Quantity, ValueFault],
        acc32_offset: int = 0,
        energy_offset_wh: float = 0.0,
    ) -> None:
        """Write ``reading`` into the map, whose first word is ``regs[offset]``."""
        s = self.scales
        m = offset + self._meter_index
        for quantity, value, sf, points in (
            ("current", reading.current_a, s.current, (sunspec.A, sunspec.APH_A)),
            ("voltage", reading.voltage_v, s.voltage, (sunspec.PH_V, sunspec.PH_V_PH_A)),
            ("frequency", reading.frequency_hz, s.frequency, (sunspec.HZ,)),
            ("power", reading.power_w, s.power, (sunspec.W, sunspec.W_PH_A)),
        ):
            fault = faults.get(quantity) if faults else None  # type: ignore[call-overload]
            if fault is None:
                word = _int16(value, sf)
            elif fault is ValueFault.NEGATIVE:
                word = _int16(-abs(value) if value else -1.0, sf)
            else:
                word = NOT_IMPLEMENTED_INT16
            for point in points:
                regs[m + point.offset] = word
        count = (
            0
            if faults and "energy" in faults
            else self.energy_count(reading.import_wh + energy_offset_wh, acc32_offset)
        )
        for point in (sunspec.TOT_WH_IMP,):
            at = m + point.offset
            regs[at], regs[at + 1] = count >> 16, count & 0xFFFF
