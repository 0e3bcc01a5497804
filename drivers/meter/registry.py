"""From a bench file's ``map:`` name to a meter driver.

A bench file says which register map a meter speaks (``map: sdm630`` or
``map: sunspec``) and where it is (``url:``, ``unit:``). :func:`open_meter` builds the
:class:`~drivers.meter.modbus_link.ModbusLink` and the driver; an unknown map name
is a :class:`~drivers.errors.UnknownModel` error that lists the names it knows.
Adding a map is one line in :data:`METER_MAPS`.
"""

from __future__ import annotations

from typing import Final, Protocol

from drivers.errors import UnknownModel
from drivers.kinds import Identity, MeterSnapshot
from drivers.meter.modbus_link import ModbusLink
from drivers.meter.plausibility import STEP_MARGIN_S, Clock
from drivers.meter.sdm630 import SDM630
from drivers.meter.sunspec import SunSpecMeter


class ModbusMeter(Protocol):
    """What every meter driver here offers (a :class:`drivers.kinds.Meter`, plus its link)."""

    name: str
    link: ModbusLink
    energy_rollover_wh: float | None

    def snapshot(self) -> MeterSnapshot: ...

    def identity(self) -> Identity: ...

    def close(self) -> None: ...


MeterFactory = type[SDM630] | type[SunSpecMeter]

METER_MAPS: Final[dict[str, MeterFactory]] = {
    "sdm630": SDM630,
    "sunspec": SunSpecMeter,
}


def meter_class(map_name: str, *, instrument: str = "meter") -> MeterFactory:
    """The driver class for ``map_name`` (case-insensitive)."""
    try:
        return METER_MAPS[map_name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(METER_MAPS))
        raise UnknownModel(
            instrument, f"unknown meter map {map_name!r}; known maps: {known}"
        ) from None


def open_meter(
    map_name: str,
    url: str,
    *,
    unit: int = 1,
    name: str = "meter",
    timeout_s: float | None = None,
    retries: int = 1,
    baudrate: int | None = None,
    parity: str | None = None,
    stopbits: int | None = None,
    clock: Clock | None = None,
    max_power_w: float | None = None,
    step_margin_s: float = STEP_MARGIN_S,
) -> ModbusMeter:
    """A ready meter driver for ``map_name`` at ``url`` (the link connects on first read).

    With both ``clock`` and ``max_power_w`` (the most the bench can draw, W), every
    snapshot's energy total is also held to the energy-step rule of
    :mod:`drivers.meter.plausibility` (``step_margin_s`` added to Δt).
    """
    cls = meter_class(map_name, instrument=name)
    link = ModbusLink(
        url,
        instrument=name,
        unit=unit,
        retries=retries,
        timeout_s=timeout_s,
        baudrate=baudrate,
        parity=parity,
        stopbits=stopbits,
    )
    meter: ModbusMeter = cls(
        link, name=name, clock=clock, max_power_w=max_power_w, step_margin_s=step_margin_s
    )
    return meter
