"""What a driver or the simulated bench needs of a clock: the time, in seconds.

Drivers and simulators never sleep on a clock and never read the wall clock
themselves; they ask :class:`Clock` what time it is. The rig's clocks
(``rig.clock.WallClock`` for real time, ``rig.clock.VirtualClock`` for simulated
time that moves only when someone sleeps on it) satisfy this protocol as they are,
so drivers depend on nothing of ``rig``.
"""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """Anything that tells the time in epoch seconds."""

    def now(self) -> float: ...
