"""Eastron SDM630: three-phase meter, input registers as big-endian float32.

Eastron meters answer function code 04 (read input registers). Every quantity is an
IEEE-754 float32 in two registers, high word first, at the addresses below. Energy
is in kWh. The EUMD on the bench is wired single-phase on L1, so the snapshot uses
L1 voltage and current, the total system power and the import energy.

One snapshot is **one** FC04 transaction: registers 0x0000-0x0049 (74 registers)
cover V, I, P, total P, frequency and import energy, so all five values come from
the same instant and cost one round trip (about 190 ms at 9600 baud, under a
millisecond on the simulator's TCP wire).

The energy register is float32, so its resolution coarsens as the total grows
(:mod:`drivers.meter.energy`); the snapshot reports that resolution, and the
register never rolls over. Its range is the meter's display range, 0 to
9,999,999.9 kWh (:data:`MAX_ENERGY_KWH`): a larger total (a float32 can hold 3.4e38)
is a corrupted register and is refused. Given a clock and ``max_power_w``, the
driver also refuses a total that grew faster than the bench can draw
(:class:`~drivers.meter.plausibility.EnergyStepGuard`).

Identity: the serial number is read from holding registers 0xFC00-0xFC01 (uint32)
as Eastron documents for the SDM630 v2; meters that do not implement it give an
empty serial, not an error. Defaults on a real meter: 9600 baud 8N1, unit 1.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Final, NoReturn

from drivers.errors import InstrumentRejected, InstrumentReplyError
from drivers.kinds import Identity, MeterSnapshot
from drivers.meter.driver import ModbusMeter
from drivers.meter.energy import float32_resolution_wh
from drivers.meter.plausibility import Limits, check_value
from drivers.meter.registry import METER_MAPS

#: The SDM630's energy display range, and so its register's: 9,999,999.9 kWh.
MAX_ENERGY_KWH: Final = 9_999_999.9
_ENERGY_LIMITS: Final = Limits(0.0, MAX_ENERGY_KWH * 1000.0, "the register's range (9999999.9 kWh)")


@dataclass(frozen=True)
class Float32Input:
    """One float32 input register pair: name, first address, unit, factor to SI."""

    name: str
    address: int
    unit: str
    to_si: float = 1.0


VOLTAGE_L1: Final = Float32Input("phase 1 line-to-neutral voltage", 0x0000, "V")
CURRENT_L1: Final = Float32Input("phase 1 current", 0x0006, "A")
POWER_L1: Final = Float32Input("phase 1 active power", 0x000C, "W")
TOTAL_POWER: Final = Float32Input("total system power", 0x0034, "W")
FREQUENCY: Final = Float32Input("frequency of supply voltages", 0x0046, "Hz")
IMPORT_ENERGY: Final = Float32Input("import active energy", 0x0048, "kWh", 1000.0)
EXPORT_ENERGY: Final = Float32Input("export active energy", 0x004A, "kWh", 1000.0)
TOTAL_ENERGY: Final = Float32Input("total active energy", 0x0156, "kWh", 1000.0)

#: Every register this driver knows, for the docs, the simulator and :meth:`SDM630.read`.
REGISTERS: Final = (
    VOLTAGE_L1,
    CURRENT_L1,
    POWER_L1,
    TOTAL_POWER,
    FREQUENCY,
    IMPORT_ENERGY,
    EXPORT_ENERGY,
    TOTAL_ENERGY,
)

#: The snapshot: which register feeds which MeterSnapshot field.
SNAPSHOT_FIELDS: Final = (
    ("voltage_v", VOLTAGE_L1),
    ("current_a", CURRENT_L1),
    ("power_w", TOTAL_POWER),
    ("frequency_hz", FREQUENCY),
    ("import_energy_wh", IMPORT_ENERGY),
)
SNAPSHOT_START: Final = 0x0000
SNAPSHOT_COUNT: Final = IMPORT_ENERGY.address + 2 - SNAPSHOT_START  # 74 registers

#: Holding registers with the meter's serial number (uint32, high word first).
SERIAL_NUMBER_ADDRESS: Final = 0xFC00

_SNAPSHOT_WORDS: Final = struct.Struct(f">{SNAPSHOT_COUNT}H")
_SNAPSHOT_FLOATS: Final = struct.Struct(f">{SNAPSHOT_COUNT // 2}f")
_FIELD_INDEX: Final = tuple(
    (field, register, (register.address - SNAPSHOT_START) // 2)
    for field, register in SNAPSHOT_FIELDS
)
_INDICES: Final = tuple(index for _, _, index in _FIELD_INDEX)
_PAIR: Final = struct.Struct(">HH")


def words_to_float(high: int, low: int) -> float:
    """Two registers (high word first) as the float32 they hold."""
    value: float = struct.unpack(">f", _PAIR.pack(high, low))[0]
    return value


@METER_MAPS.register("sdm630")
class SDM630(ModbusMeter):
    """Driver for an Eastron SDM630 (or any meter speaking its map) on a :class:`ModbusLink`."""

    map_name: ClassVar[str] = "sdm630"
    manufacturer: ClassVar[str] = "Eastron"
    model: ClassVar[str] = "SDM630"
    #: float32 energy never wraps; see :mod:`drivers.meter.energy`.
    energy_rollover_wh = None

    def snapshot(self) -> MeterSnapshot:
        """V, I, P, f and import energy from one FC04 read of 0x0000-0x0049."""
        words = self.link.read_input(SNAPSHOT_START, SNAPSHOT_COUNT)
        floats = _SNAPSHOT_FLOATS.unpack(_SNAPSHOT_WORDS.pack(*words))
        voltage, current, power, hz, kwh = (floats[i] for i in _INDICES)
        # Fast path: one chained comparison is False for NaN, infinities and negatives.
        if not (
            0.0 <= voltage <= 2000.0
            and 0.0 <= current <= 10000.0
            and -1e9 < power < 1e9
            and 0.0 <= hz <= 1000.0
            and 0.0 <= kwh <= MAX_ENERGY_KWH
        ):
            self._reject(floats)
        energy_wh = kwh * IMPORT_ENERGY.to_si
        resolution_wh = float32_resolution_wh(kwh, IMPORT_ENERGY.to_si)
        if self.steps is not None:
            sent, received = self.link.last_exchange
            self.steps.check(
                energy_wh,
                resolution_wh=resolution_wh,
                rollover_wh=None,
                register=f"{IMPORT_ENERGY.name} (0x{IMPORT_ENERGY.address:04X})",
                sent=sent,
                received=received,
            )
        return MeterSnapshot(
            voltage_v=voltage,
            current_a=current,
            power_w=power,
            frequency_hz=hz,
            import_energy_wh=energy_wh,
            energy_resolution_wh=resolution_wh,
        )

    def _reject(self, floats: tuple[float, ...]) -> NoReturn:
        """Raise the typed error that names the first implausible register."""
        sent, received = self.link.last_exchange
        for field, register, index in _FIELD_INDEX:
            check_value(
                self.name,
                field,
                floats[index] * register.to_si,
                register=f"{register.name} (0x{register.address:04X})",
                sent=sent,
                received=received,
                limits=_ENERGY_LIMITS if field == "import_energy_wh" else None,
            )
        raise InstrumentReplyError(
            self.name, f"implausible snapshot {floats!r}", sent=sent, received=received
        )

    def read(self, register: Float32Input) -> float:
        """One register in SI units (Wh for the energy registers), unchecked for range."""
        high, low = self.link.read_input(register.address, 2)
        return words_to_float(high, low) * register.to_si

    def identity(self) -> Identity:
        """Eastron SDM630 with the serial number where the meter exposes it."""
        try:
            high, low = self.link.read_holding(SERIAL_NUMBER_ADDRESS, 2)
            serial = str((high << 16) | low)
        except InstrumentRejected:
            serial = ""
        return Identity(self.manufacturer, self.model, serial=serial)
