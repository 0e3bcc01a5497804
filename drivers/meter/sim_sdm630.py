"""The SDM630 map's register image: float32 input registers (FC04), high word first.

The measured points sit at the driver's declared addresses
(:mod:`drivers.meter.sdm630`); the serial number is a holding-register pair at
0xFC00. See :mod:`drivers.meter.sim_image` for what an image is.
"""

from __future__ import annotations

import struct
from typing import Final

from drivers.meter import sdm630
from drivers.meter.sim_faults import MeterFaults
from drivers.meter.sim_image import (
    IMAGES,
    Block,
    ImageSettings,
    MeterReadingLike,
    measured_points,
)

_F32: Final = struct.Struct(">f")
_WORDS: Final = struct.Struct(">HH")

SDM630_BLOCK_SIZE: Final = sdm630.TOTAL_ENERGY.address + 2


def float_words(value: float) -> tuple[int, int]:
    """A float as two registers, high word first."""
    high, low = _WORDS.unpack(_F32.pack(value))
    return high, low


@IMAGES.register("sdm630")
class Sdm630Image:
    """Input registers 0x0000-0x0157, and the serial number in holding registers."""

    def __init__(self, settings: ImageSettings) -> None:
        serial = settings.identity.sdm_serial
        self.inputs: list[Block] = [(0, [0] * SDM630_BLOCK_SIZE)]
        self.holding: list[Block] = [
            (sdm630.SERIAL_NUMBER_ADDRESS, [serial >> 16, serial & 0xFFFF])
        ]

    def covers(self, function_code: int, address: int, count: int) -> bool:
        return function_code == 4

    def fill(
        self, regs: list[int], at: int, reading: MeterReadingLike, faults: MeterFaults
    ) -> None:
        voltage, current, power, hz, kwh = measured_points(reading, faults, 1 / 1000.0)
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
            i = register.address - at
            regs[i], regs[i + 1] = float_words(value)

    def rollover_offset(self, import_wh: float, margin_wh: float) -> int:
        raise ValueError("the SDM630 map's float32 energy total has no counter to roll over")
