"""What a meter reading may look like before the rig believes it.

A register map decodes numbers; this module decides whether those numbers can be
a real measurement. It is shared by every map so the rule is the same for all:

- every value must be finite (a float32 NaN or infinity is a register the meter
  does not drive, or a garbled read);
- voltage, current, frequency and the energy total are magnitudes and may not be
  negative; power is signed (negative means export, e.g. a reversed current clamp,
  which the checks judge, not the driver), within ±1 GW;
- values beyond any plausible AC meter (a 2 kV line, 100 kHz) are misreads.

- an energy total may not exceed what its register can hold: a map passes its own
  range (the SDM630's float32 kWh register, like its display, ends at 9,999,999.9
  kWh; a SunSpec acc32 counter cannot leave 0 … (2^32 − 1)·10^TotWh_SF by
  construction);
- an energy total may not grow faster than the bench can draw
  (:class:`EnergyStepGuard`, where the driver is given a clock and ``max_power_w``).

A reading that fails raises :class:`~drivers.errors.InstrumentReplyError` naming
the quantity, its register, the value, and the exact frames exchanged.

**The energy-step rule.** Between two accepted totals taken ``Δt`` seconds apart
on the driver's clock, the total may grow by at most
``max_power_w · (Δt + margin_s) / 3600 + resolution_wh`` Wh. ``margin_s`` (2 s by
default) covers the meter's own update cadence (an SDM630 or a SunSpec meter
publishes its energy register about once a second, so one read can carry up to a
second of energy the previous read had not yet seen) and the time between the
meter's sampling and the controller's reading of the clock; ``resolution_wh``
covers one register step (float32 rounding, or 10^TotWh_SF). A decrease is not
judged here: an acc32 roll-over is normal and :mod:`drivers.meter.energy` deals with
it (the guard measures growth modulo the roll-over). A refused total does not become
the new reference, so one bad read cannot excuse the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from drivers.clock import Clock
from drivers.errors import InstrumentReplyError

#: The default allowance added to Δt in the energy-step rule (see the module doc).
STEP_MARGIN_S: Final = 2.0


@dataclass(frozen=True)
class Limits:
    """Inclusive range a quantity must lie in; ``None`` means unbounded."""

    low: float | None
    high: float | None
    what: str = ""
    """How the upper bound is named in errors (e.g. "the register's range")."""


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
    limits: Limits | None = None,
) -> float:
    """Return ``value`` if it can be a real ``quantity`` reading, else raise.

    ``limits`` overrides :data:`LIMITS` for this quantity (a map's register range).
    """
    problem = ""
    if not math.isfinite(value):
        problem = "is not a number (register not implemented or garbled)"
    else:
        limits = limits or LIMITS.get(quantity, Limits(None, None))
        if limits.low is not None and value < limits.low:
            problem = "is negative" if limits.low == 0.0 else f"is below {limits.low}"
        elif limits.high is not None and value > limits.high:
            problem = f"is above {limits.high:g}" + (f", {limits.what}" if limits.what else "")
    if problem:
        raise InstrumentReplyError(
            instrument,
            f"{quantity} from {register} reads {value!r}, which {problem}",
            sent=sent,
            received=received,
        )
    return value


class EnergyStepGuard:
    """Refuses an energy total that grew more than ``max_power_w`` could draw since the last.

    One per meter driver, given the driver's clock; see the module doc for the rule.
    ``rollover_wh`` (where the register wraps, or ``None``) is passed per check since
    a SunSpec driver learns it at discovery.
    """

    def __init__(
        self, instrument: str, clock: Clock, max_power_w: float, margin_s: float = STEP_MARGIN_S
    ) -> None:
        if not (math.isfinite(max_power_w) and max_power_w > 0):
            raise ValueError(f"{instrument}: max_power_w must be a positive number of W")
        if not (math.isfinite(margin_s) and margin_s >= 0):
            raise ValueError(f"{instrument}: the energy-step margin must be >= 0 s")
        self.instrument = instrument
        self.clock = clock
        self.max_power_w = max_power_w
        self.margin_s = margin_s
        self._last: tuple[float, float] | None = None  # (clock time, total Wh) accepted

    def check(
        self,
        total_wh: float,
        *,
        resolution_wh: float,
        rollover_wh: float | None,
        register: str,
        sent: bytes,
        received: bytes,
    ) -> float:
        """Return ``total_wh`` if the step from the last accepted total is possible."""
        now = self.clock.now()
        last = self._last
        if last is not None:
            then, before = last
            grown = total_wh - before
            if rollover_wh is not None and grown < 0:
                grown += rollover_wh
            elapsed = max(0.0, now - then)
            allowed = self.max_power_w * (elapsed + self.margin_s) / 3600.0 + resolution_wh
            if grown > allowed:
                raise InstrumentReplyError(
                    self.instrument,
                    f"import_energy_wh from {register} jumped {grown:g} Wh in {elapsed:g} s "
                    f"(from {before:g} to {total_wh:g} Wh); at most {allowed:g} Wh is possible "
                    f"at {self.max_power_w:g} W with a {self.margin_s:g} s margin",
                    sent=sent,
                    received=received,
                )
        self._last = (now, total_wh)
        return total_wh
