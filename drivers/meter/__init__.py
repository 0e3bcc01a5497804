"""Energy meters (the EUMD and the premise revenue meter) over Modbus, and their simulator.

A meter driver is one small class per register map, all speaking through one
:class:`~drivers.meter.modbus_link.ModbusLink`:

- :mod:`drivers.meter.link_settings` says which wire (Modbus TCP, RTU on a serial
  port, or RTU framing over a TCP socket), from a bench file's values or a URL;
- :mod:`drivers.meter.modbus_link` opens that wire with short timeouts, and turns
  every failure into a typed error from :mod:`drivers.errors`.
- :mod:`drivers.meter.sdm630` is the Eastron SDM630 map (FC04, float32).
- :mod:`drivers.meter.sunspec` discovers and reads a SunSpec meter (model 1 and
  201/203, int16 values with scale factors, acc32 energy).
- :mod:`drivers.meter.energy` turns two register totals into an energy delta,
  handling acc32 roll-over and float32 resolution.
- :mod:`drivers.meter.registry` maps a bench file's ``map:`` name to a class; each
  map's class registers itself there.
- :mod:`drivers.meter.sim` is the simulated meter: a pymodbus server that serves one
  map's register image (:mod:`drivers.meter.sim_image`, one per map), computed from
  the coupled model at read time, with fault injection.

How to add a map: docs/meters.md, "How to add a meter map".
"""

from drivers.meter.energy import EnergyDelta, energy_delta, snapshot_delta
from drivers.meter.link_settings import LinkSettings, parse_link, rtu_link, tcp_link
from drivers.meter.modbus_link import ModbusLink
from drivers.meter.registry import METER_MAPS, meter_class, open_meter
from drivers.meter.sdm630 import SDM630
from drivers.meter.sunspec import SunSpecMeter

__all__ = [
    "METER_MAPS",
    "SDM630",
    "EnergyDelta",
    "LinkSettings",
    "ModbusLink",
    "SunSpecMeter",
    "energy_delta",
    "meter_class",
    "open_meter",
    "parse_link",
    "rtu_link",
    "snapshot_delta",
    "tcp_link",
]
