"""Energy between two meter readings, honest about what the registers can resolve.

A meter reports a running total, never "energy since the session started". The
rig takes the total at the start and at the end and subtracts. Two register types
make that subtraction less trivial than it looks:

**float32 totals (Eastron SDM630: kWh as IEEE-754 single precision).** A float32
carries 24 significant bits, so the smallest step it can show grows with the total:

=================  ======================
total              smallest step (1 ulp)
=================  ======================
1,000 kWh          0.061 Wh
10,000 kWh         0.98 Wh
100,000 kWh        7.8 Wh
1,000,000 kWh      62.5 Wh
=================  ======================

A meter that has run a few years at a busy site cannot show a 5 Wh session at all.
:func:`float32_resolution_wh` gives that step for a reading, and every delta carries
the quantisation uncertainty of its two ends.

**acc32 counters (SunSpec TotWhImp).** An unsigned 32-bit count of
``10**TotWh_SF`` Wh steps wraps to 0 after ``2**32 × 10**SF`` Wh. When the later
count is smaller, the counter rolled over exactly once (a poll interval longer than
a full wrap cannot be detected by anyone). A decrease of less than half the range is
not a roll-over but a meter that went backwards (replaced, reset, or misread), and
is an error: a silent wrong delta is worse than a loud failure
(:func:`is_rollover` is that rule).

A wrapped counter passes through 0, which SunSpec also uses to say "not
implemented". A 0 is a reading when it follows a count from which a drop to 0 is a
roll-over by the rule above (the previous count in the upper half of the range);
otherwise it is the sentinel (:mod:`drivers.meter.sunspec`). Taking every 0 as the
sentinel would drop the read at the wrap, and with it the intervals on both sides.

Uncertainty: a register reading stands for a true value within one step of it
(± half a step when rounded, up to one step below when truncated). The delta's
quantisation uncertainty is therefore ± (step₁ + step₂) / 2. That is the register's
resolution only; the meter's accuracy class (±0.5 %, ±0.2 %) is added by the checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from drivers.errors import InstrumentReplyError
from drivers.kinds import MeterSnapshot

ACC32_MODULUS: Final = 2**32
#: float32: 24 significant bits (23 stored plus the implicit leading one).
FLOAT32_SIGNIFICAND_BITS: Final = 24
#: The smallest positive float32 (subnormal): the step at zero.
FLOAT32_MIN_STEP: Final = 2.0**-149


def float32_step(value: float) -> float:
    """The distance from ``value`` to the next float32 away from zero (one ulp)."""
    magnitude = abs(value)
    if magnitude == 0.0 or not math.isfinite(magnitude):
        return FLOAT32_MIN_STEP
    _, exponent = math.frexp(magnitude)  # magnitude = m × 2**exponent, 0.5 <= m < 1
    return max(2.0 ** (exponent - FLOAT32_SIGNIFICAND_BITS), FLOAT32_MIN_STEP)


def float32_resolution_wh(total: float, wh_per_unit: float = 1000.0) -> float:
    """Smallest step, in Wh, of a float32 register holding ``total`` in some unit.

    ``wh_per_unit`` is 1000 for a kWh register (the SDM630), 1 for a Wh register.
    """
    return float32_step(total) * wh_per_unit


def acc32_resolution_wh(scale_factor: int) -> float:
    """Step of a SunSpec acc32 Wh counter with ``TotWh_SF = scale_factor``."""
    return float(10.0**scale_factor)


def acc32_rollover_wh(scale_factor: int) -> float:
    """Energy after which a SunSpec acc32 Wh counter wraps to 0."""
    return ACC32_MODULUS * acc32_resolution_wh(scale_factor)


def is_rollover(before_wh: float, after_wh: float, rollover_wh: float | None) -> bool:
    """Whether a register wrapping at ``rollover_wh`` that read ``before_wh``, then
    ``after_wh``, rolled over in between: it dropped by more than half its range."""
    return rollover_wh is not None and before_wh - after_wh > rollover_wh / 2.0


@dataclass(frozen=True)
class EnergyDelta:
    """Energy between two totals.

    ``wh`` is the best estimate, ``uncertainty_wh`` the ± half-width due to register
    resolution alone, ``rolled_over`` whether the counter wrapped in between.
    """

    wh: float
    uncertainty_wh: float
    rolled_over: bool = False

    @property
    def kwh(self) -> float:
        return self.wh / 1000.0

    def agrees_with(self, expected_wh: float, tolerance_wh: float = 0.0) -> bool:
        """True when ``expected_wh`` lies within the uncertainty plus ``tolerance_wh``."""
        return abs(self.wh - expected_wh) <= self.uncertainty_wh + tolerance_wh


def energy_delta(
    before_wh: float,
    after_wh: float,
    *,
    before_resolution_wh: float = 0.0,
    after_resolution_wh: float = 0.0,
    rollover_wh: float | None = None,
    instrument: str = "meter",
) -> EnergyDelta:
    """Energy from ``before_wh`` to ``after_wh`` (two register totals, in Wh).

    ``rollover_wh`` is where the register wraps (``None`` for registers that do not,
    like float32). Raises :class:`~drivers.errors.InstrumentReplyError` when a total
    is not finite or negative, or went backwards without a plausible roll-over.
    """
    for label, value in (("earlier", before_wh), ("later", after_wh)):
        if not math.isfinite(value) or value < 0:
            raise InstrumentReplyError(
                instrument, f"the {label} energy total {value!r} Wh is not a meter total"
            )
    uncertainty = (before_resolution_wh + after_resolution_wh) / 2.0
    delta = after_wh - before_wh
    if delta >= 0:
        return EnergyDelta(delta, uncertainty)
    if rollover_wh is not None and is_rollover(before_wh, after_wh, rollover_wh):
        return EnergyDelta(delta + rollover_wh, uncertainty, rolled_over=True)
    wrap = "" if rollover_wh is None else f" (too small a drop for a roll-over at {rollover_wh} Wh)"
    raise InstrumentReplyError(
        instrument,
        f"energy total went backwards from {before_wh} Wh to {after_wh} Wh{wrap}: "
        "meter reset, replaced or misread",
    )


def snapshot_delta(
    before: MeterSnapshot,
    after: MeterSnapshot,
    *,
    rollover_wh: float | None = None,
    instrument: str = "meter",
) -> EnergyDelta:
    """:func:`energy_delta` between two :class:`~drivers.kinds.MeterSnapshot` readings.

    Pass the driver's ``energy_rollover_wh`` (``None`` for float32 maps).
    """
    return energy_delta(
        before.import_energy_wh,
        after.import_energy_wh,
        before_resolution_wh=before.energy_resolution_wh,
        after_resolution_wh=after.energy_resolution_wh,
        rollover_wh=rollover_wh,
        instrument=instrument,
    )
