"""What a meter reading may look like before the rig believes it.

A register map decodes numbers; this module decides whether those numbers can be
a real measurement. It is shared by every map so the rule is the same for all:

- every value must be finite (a float32 NaN or infinity is a register the meter
  does not drive, or a garbled read);
- voltage, current, frequency and the energy total are magnitudes and may not be
  negative; power is signed (negative means export, e.g. a reversed current clamp,
  which the checks judge, not the driver), within ±1 GW;
- values beyond any plausible AC meter (a 2 kV line, 100 kHz) are misreads.

A reading that fails raises :class:`~drivers.errors.InstrumentReplyError` naming
the quantity, its register, the value, and the exact frames exchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from drivers.errors import InstrumentReplyError


@dataclass(frozen=True)
class Limits:
    """Inclusive range a quantity must lie in; ``None`` means unbounded."""

    low: float | None
    high: float | None


#: Plausible ranges per snapshot quantity (SI units as in MeterSnapshot).
LIMITS: Final[dict[str, Limits]] = {
    "voltage_v": Limits(0.0, 2000.0),
    "current_a": Limits(0.0, 10000.0),
    "power_w": Limits(-1e9, 1e9),
    "frequency_hz": Limits(0.0, 1000.0),
    "import_energy_wh": Limits(0.0, None),
}


def check_value(
    instrument: str,
    quantity: str,
    value: float,
    *,
    register: str,
    sent: bytes,
    received: bytes,
) -> float:
    """Return ``value`` if it can be a real ``quantity`` reading, else raise."""
    problem = ""
    if not math.isfinite(value):
        problem = "is not a number (register not implemented or garbled)"
    else:
        limits = LIMITS.get(quantity, Limits(None, None))
        if limits.low is not None and value < limits.low:
            problem = "is negative" if limits.low == 0.0 else f"is below {limits.low}"
        elif limits.high is not None and value > limits.high:
            problem = f"is above {limits.high}"
    if problem:
        raise InstrumentReplyError(
            instrument,
            f"{quantity} from {register} reads {value!r}, which {problem}",
            sent=sent,
            received=received,
        )
    return value
