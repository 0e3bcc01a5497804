"""A reference standard meter (class 0.05 or better) on Modbus: the meter that judges the EUMD.

A calibration lab checks a revenue meter against a *reference standard*: a
meter some ten times more accurate, wired in series, counting the same energy.
This map (``map: refstd``) is the rig's own register layout for such a standard,
chosen so nothing about it limits the comparison:

* **energy as float64 Wh**: four input registers, high word first. A float64 has
  53 significant bits, so at 1 GWh its step is 1.2e-7 Wh — the register's
  resolution never enters the uncertainty budget the way a float32 kWh register's
  62.5 Wh at 1,000,000 kWh does (:mod:`drivers.meter.energy`); it never rolls over.
* V, I, P and f as float32 (high word first), read in the **same FC04 transaction**
  as the energy (one instant).
* identity in holding registers (FC03): manufacturer, model and serial as ASCII,
  16 registers (32 characters) each, padded with NULs.

=================  =======  ========  ======
quantity           address  type      unit
=================  =======  ========  ======
voltage            0x0000   float32   V
current            0x0002   float32   A
active power       0x0004   float32   W (signed)
frequency          0x0006   float32   Hz
import energy      0x0008   float64   Wh
manufacturer       0x1000   ASCII×32  —
model              0x1010   ASCII×32  —
serial number      0x1020   ASCII×32  —
=================  =======  ========  ======

Real reference standards (Radian RD-2x/3x, MTE PRS, ZERA COM) speak their own
protocols; a lab adds its model as a new map beside this one (docs/meters.md, "How
to add a meter map"). The simulated one (:mod:`drivers.meter.sim_refstd`) serves
this layout from the same coupled model as the EUMD, with its own, much smaller,
error. Its accuracy class is the bench file's (``reference.accuracy_class``).
"""

from __future__ import annotations

import struct
from typing import ClassVar, Final

from drivers.errors import InstrumentRejected
from drivers.kinds import Identity, MeterSnapshot
from drivers.meter.driver import ModbusMeter
from drivers.meter.plausibility import Limits, check_value
from drivers.meter.registry import METER_MAPS

VOLTAGE: Final = 0x0000
CURRENT: Final = 0x0002
POWER: Final = 0x0004
FREQUENCY: Final = 0x0006
IMPORT_ENERGY: Final = 0x0008
SNAPSHOT_COUNT: Final = IMPORT_ENERGY + 4  # 12 registers
MANUFACTURER: Final = 0x1000
MODEL: Final = 0x1010
SERIAL: Final = 0x1020
TEXT_WORDS: Final = 16

#: A 53-bit mantissa: the step of a float64 total, relative to it.
FLOAT64_RELATIVE_STEP: Final = 2.0**-52
#: The energy register's range: a 1 TWh total is a corrupted register, not a reading.
_ENERGY_LIMITS: Final = Limits(0.0, 1e12, "the register's range (1 TWh)")

SNAPSHOT: Final = struct.Struct(">ffffd")
_WORDS: Final = struct.Struct(f">{SNAPSHOT_COUNT}H")


def text_words(text: str) -> list[int]:
    """``text`` as :data:`TEXT_WORDS` registers of ASCII, two characters each, NUL-padded."""
    raw = text.encode("ascii")[: TEXT_WORDS * 2].ljust(TEXT_WORDS * 2, b"\0")
    return list(struct.unpack(f">{TEXT_WORDS}H", raw))


def words_text(words: list[int]) -> str:
    """The inverse of :func:`text_words`."""
    return struct.pack(f">{len(words)}H", *words).rstrip(b"\0").decode("ascii", "replace")


def float64_resolution_wh(total_wh: float) -> float:
    """The smallest step a float64 Wh register shows at ``total_wh`` (at least 1e-9 Wh)."""
    return max(abs(total_wh) * FLOAT64_RELATIVE_STEP, 1e-9)


@METER_MAPS.register("refstd")
class ReferenceStandard(ModbusMeter):
    """Driver for the ``refstd`` map: one FC04 read gives V, I, P, f and float64 energy."""

    map_name: ClassVar[str] = "refstd"
    energy_rollover_wh = None

    def snapshot(self) -> MeterSnapshot:
        words = self.link.read_input(VOLTAGE, SNAPSHOT_COUNT)
        voltage, current, power, hz, wh = SNAPSHOT.unpack(_WORDS.pack(*words))
        sent, received = self.link.last_exchange
        for field, value, address in (
            ("voltage_v", voltage, VOLTAGE),
            ("current_a", current, CURRENT),
            ("power_w", power, POWER),
            ("frequency_hz", hz, FREQUENCY),
            ("import_energy_wh", wh, IMPORT_ENERGY),
        ):
            check_value(
                self.name,
                field,
                value,
                register=f"{field} (0x{address:04X})",
                sent=sent,
                received=received,
                limits=_ENERGY_LIMITS if field == "import_energy_wh" else None,
            )
        resolution = float64_resolution_wh(wh)
        if self.steps is not None:
            self.steps.check(
                wh,
                resolution_wh=resolution,
                rollover_wh=None,
                register=f"import energy (0x{IMPORT_ENERGY:04X})",
                sent=sent,
                received=received,
            )
        return MeterSnapshot(voltage, current, power, hz, wh, resolution)

    def identity(self) -> Identity:
        """Manufacturer, model and serial from the ASCII holding registers."""
        texts: list[str] = []
        for address in (MANUFACTURER, MODEL, SERIAL):
            try:
                texts.append(words_text(self.link.read_holding(address, TEXT_WORDS)))
            except InstrumentRejected:
                texts.append("")
        manufacturer, model, serial = texts
        return Identity(manufacturer, model or "reference standard", serial=serial)
