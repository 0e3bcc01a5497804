"""Seeded noise for the simulated bench: a pure function of (seed, channel, step).

The model draws its noise per quantity ("channel") and per time step, never from a
running generator, so a reading depends only on the seed and the instant it is
taken: the same seed gives the same readings however often, in whatever order and
from whichever thread the instruments are polled.
"""

from __future__ import annotations

import math


def _mix64(value: int) -> int:
    """splitmix64 finaliser: a fast, well-mixed 64-bit hash."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


_CHANNELS = {
    name: index
    for index, name in enumerate(
        ["line", "freq", "eumd", "premise", "load", "pilot_hi", "pilot_lo", "duty", "reference"]
    )
}


def gaussian(seed: int, channel: str, step: int) -> float:
    """A standard normal deviate that depends only on (seed, channel, step)."""
    base = _mix64((seed << 20) ^ (_CHANNELS[channel] << 56) ^ (step & 0xFFFFFFFFFFFF))
    u1 = ((base >> 11) + 1) / float(1 << 53)
    u2 = (_mix64(base) >> 11) / float(1 << 53)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
