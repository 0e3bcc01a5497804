"""The ``refstd`` map's register image: float32 V, I, P, f and a float64 Wh total (FC04).

The addresses are the driver's (:mod:`drivers.meter.refstd`); identity strings sit
in holding registers. See :mod:`drivers.meter.sim_image` for what an image is.
"""

from __future__ import annotations

import struct
from typing import Final

from drivers.meter import refstd
from drivers.meter.sim_faults import MeterFaults
from drivers.meter.sim_image import (
    IMAGES,
    Block,
    ImageSettings,
    MeterReadingLike,
    measured_points,
)

MODEL: Final = "SimReference 0.05"
_WORDS: Final = struct.Struct(f">{refstd.SNAPSHOT_COUNT}H")


@IMAGES.register("refstd")
class ReferenceImage:
    """Input registers 0x0000-0x000B, identity text in holding registers 0x1000-0x102F."""

    def __init__(self, settings: ImageSettings) -> None:
        identity = settings.identity
        self.inputs: list[Block] = [(0, [0] * refstd.SNAPSHOT_COUNT)]
        self.holding: list[Block] = [
            (
                refstd.MANUFACTURER,
                [
                    *refstd.text_words(identity.manufacturer),
                    *refstd.text_words(MODEL),
                    *refstd.text_words(identity.serial),
                ],
            )
        ]

    def covers(self, function_code: int, address: int, count: int) -> bool:
        return function_code == 4

    def fill(
        self, regs: list[int], at: int, reading: MeterReadingLike, faults: MeterFaults
    ) -> None:
        points = measured_points(reading, faults)
        words = _WORDS.unpack(refstd.SNAPSHOT.pack(*points))
        start = refstd.VOLTAGE - at
        regs[start : start + refstd.SNAPSHOT_COUNT] = words

    def rollover_offset(self, import_wh: float, margin_wh: float) -> int:
        raise ValueError("the refstd map's float64 energy total has no counter to roll over")
