"""The kinds of time series the runner records, each with its name and unit.

A results file may carry any series (``docs/results.md``); those the runner records
say which they are with a :class:`SeriesKind` on the ``series`` record, so the
report charts them by kind and a measurement names the series it rests on by kind,
never by spelling the name again. The value is the series' name in the file.
"""

from __future__ import annotations

from enum import StrEnum


class SeriesKind(StrEnum):
    """One of the runner's series; the value is its name, :attr:`unit` its unit."""

    PILOT_STATE = "pilot state"
    """0…5 for A…F (:data:`PILOT_STATE_VALUE`)."""
    PILOT_DUTY = "pilot duty"
    ADVERTISED_AMPACITY = "advertised ampacity"
    LOAD_CURRENT = "load current"
    LOAD_POWER = "load power"
    EUMD_REGISTER = "EUMD register"
    """The EUMD's register total."""
    LOAD_ENERGY = "load energy"
    """The trapezoid of the load's own power readings."""
    BILLED_ENERGY = "billed energy"
    """The payer's billed energy, cumulated per interval row: it steps."""

    @property
    def unit(self) -> str:
        return _UNITS[self]


_UNITS = {
    SeriesKind.PILOT_STATE: "state",
    SeriesKind.PILOT_DUTY: "%",
    SeriesKind.ADVERTISED_AMPACITY: "A",
    SeriesKind.LOAD_CURRENT: "A",
    SeriesKind.LOAD_POWER: "W",
    SeriesKind.EUMD_REGISTER: "Wh",
    SeriesKind.LOAD_ENERGY: "Wh",
    SeriesKind.BILLED_ENERGY: "kWh",
}
#: The value of each pilot state on the ``pilot state`` series (unit ``state``).
PILOT_STATE_VALUE = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4, "F": 5}
