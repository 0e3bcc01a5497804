"""The SunSpec map's register image: holding registers (FC03) at ``base``.

"SunS", common model 1, meter model 201 or 203 with int16 values and scale factors,
an acc32 energy counter, and the end model 0xFFFF. ``base`` is 40000 by default
(0 and 50000 are the other places SunSpec allows). See :mod:`drivers.meter.sim_image`
for what an image is.
"""

from __future__ import annotations

import math
from typing import Final

from drivers.meter import sunspec
from drivers.meter.sim_faults import MeterFaults, ValueFault
from drivers.meter.sim_image import (
    IMAGES,
    NOT_IMPLEMENTED_INT16,
    Block,
    ImageSettings,
    MeterReadingLike,
)


def _string_words(text: str, size: int) -> list[int]:
    raw = text.encode("ascii")[: size * 2].ljust(size * 2, b"\x00")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, size * 2, 2)]


def _int16(value: float, sf: int) -> int:
    scaled = round(value / 10.0**sf)
    return max(-32767, min(32767, scaled)) & 0xFFFF


@IMAGES.register("sunspec")
class SunSpecImage:
    """A SunSpec map at ``base``: marker, common model 1, one meter model, end marker."""

    COMMON_LENGTH: Final = 66

    def __init__(self, settings: ImageSettings) -> None:
        model_id = settings.sunspec_model
        if model_id not in (201, 203):
            raise ValueError(f"the simulator serves SunSpec meter model 201 or 203, not {model_id}")
        self.base = settings.sunspec_base
        self.model_id = model_id
        self.scales = s = settings.scales
        ident = settings.identity
        common = [sunspec.COMMON_MODEL_ID, self.COMMON_LENGTH]
        common += _string_words(ident.manufacturer, 16)
        common += _string_words(ident.model, 16)
        common += _string_words("", 8)
        common += _string_words(ident.firmware, 8)
        common += _string_words(ident.serial, 16)
        common += [settings.unit, NOT_IMPLEMENTED_INT16]
        meter = [NOT_IMPLEMENTED_INT16] * (2 + sunspec.METER_MODEL_LENGTH)
        meter[0], meter[1] = model_id, sunspec.METER_MODEL_LENGTH
        for point in sunspec.METER_POINTS:
            if point.type == "acc32":
                meter[point.offset] = meter[point.offset + 1] = 0
        for point, sf in (
            (sunspec.A_SF, s.current),
            (sunspec.V_SF, s.voltage),
            (sunspec.HZ_SF, s.frequency),
            (sunspec.W_SF, s.power),
            (sunspec.TOT_WH_SF, s.energy),
        ):
            meter[point.offset] = sf & 0xFFFF
        self.words: Final = [*sunspec.SUNS_MARKER, *common, *meter, sunspec.END_MODEL_ID, 0]
        self.holding: list[Block] = [(self.base, list(self.words))]
        self.inputs: list[Block] = []
        #: Address of the meter model's ID register.
        self.meter_address: Final = self.base + 2 + len(common)
        self._meter_index = 2 + len(common)
        self._energy_step = 10.0**s.energy

    def energy_count(self, import_wh: float, acc32_offset: int = 0) -> int:
        """The acc32 TotWhImp count for ``import_wh`` (truncated, as meters count)."""
        return (math.floor(import_wh / self._energy_step + 1e-9) + acc32_offset) % 2**32

    def rollover_offset(self, import_wh: float, margin_wh: float) -> int:
        count = self.energy_count(import_wh)
        steps = max(1, round(margin_wh / self._energy_step))
        return (2**32 - steps - count) % 2**32

    def covers(self, function_code: int, address: int, count: int) -> bool:
        return function_code == 3 and self.base - count < address < self.base + len(self.words)

    def fill(
        self, regs: list[int], at: int, reading: MeterReadingLike, faults: MeterFaults
    ) -> None:
        values = faults.values
        s = self.scales
        m = self.base - at + self._meter_index
        for quantity, value, sf, points in (
            ("current", reading.current_a, s.current, (sunspec.A, sunspec.APH_A)),
            ("voltage", reading.voltage_v, s.voltage, (sunspec.PH_V, sunspec.PH_V_PH_A)),
            ("frequency", reading.frequency_hz, s.frequency, (sunspec.HZ,)),
            ("power", reading.power_w, s.power, (sunspec.W, sunspec.W_PH_A)),
        ):
            fault = values.get(quantity) if values else None  # type: ignore[call-overload]
            if fault is None:
                word = _int16(value, sf)
            elif fault is ValueFault.NEGATIVE:
                word = _int16(-abs(value) if value else -1.0, sf)
            else:
                word = NOT_IMPLEMENTED_INT16
            for point in points:
                regs[m + point.offset] = word
        total = (
            0
            if values and "energy" in values
            else self.energy_count(reading.import_wh + faults.energy_offset_wh, faults.acc32_offset)
        )
        i = m + sunspec.TOT_WH_IMP.offset
        regs[i], regs[i + 1] = total >> 16, total & 0xFFFF
