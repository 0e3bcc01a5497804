"""From a bench file's ``map:`` name to a meter driver.

A bench file says which register map a meter speaks (``map: sdm630`` or
``map: sunspec``) and where it is. A map's driver class registers itself in its own
module with ``@METER_MAPS.register("name")`` (:mod:`drivers.registry`);
:func:`open_meter` builds the :class:`~drivers.meter.modbus_link.ModbusLink` and the
driver. An unknown map name is a :class:`~drivers.errors.UnknownModel` error that
lists the names it knows.
"""

from __future__ import annotations

from drivers.clock import Clock
from drivers.meter.driver import ModbusMeter
from drivers.meter.link_settings import LinkSettings
from drivers.meter.modbus_link import ModbusLink
from drivers.meter.plausibility import STEP_MARGIN_S
from drivers.registry import Registry

#: Meter driver classes by register map name.
METER_MAPS: Registry[type[ModbusMeter]] = Registry("meter map", "drivers.meter")


def meter_class(map_name: str, *, instrument: str = "meter") -> type[ModbusMeter]:
    """The driver class for ``map_name`` (case-insensitive)."""
    return METER_MAPS.get_or_raise(map_name, instrument)


def open_meter(
    map_name: str,
    link: str | LinkSettings,
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
    """A ready meter driver for ``map_name`` on ``link`` (it connects on first read).

    ``link`` is :class:`LinkSettings` or a URL (:func:`~drivers.meter.link_settings.parse_link`;
    the line settings given here override the URL's). With both ``clock`` and
    ``max_power_w`` (the most the bench can draw, W), every snapshot's energy total is
    also held to the energy-step rule of :mod:`drivers.meter.plausibility`
    (``step_margin_s`` added to Δt).
    """
    cls = meter_class(map_name, instrument=name)
    wire = ModbusLink(
        link,
        instrument=name,
        unit=unit,
        retries=retries,
        timeout_s=timeout_s,
        baudrate=baudrate,
        parity=parity,
        stopbits=stopbits,
    )
    return cls(wire, name=name, clock=clock, max_power_w=max_power_w, step_margin_s=step_margin_s)
