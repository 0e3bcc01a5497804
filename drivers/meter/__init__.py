"""Energy meters (the EUMD and the premise revenue meter) over Modbus, and their simulator.

A meter driver is one small class per register map, all speaking through one
:class:`~drivers.meter.modbus_link.ModbusLink`:

- :mod:`drivers.meter.modbus_link` opens the wire (Modbus TCP, RTU on a serial port,
  or RTU framing over a TCP socket) with short timeouts, and turns every failure into
  a typed error from :mod:`drivers.errors`.
- :mod:`drivers.meter.sdm630` is the Eastron SDM630 map (FC04, float32).
- :mod:`drivers.meter.sunspec` discovers and reads a SunSpec meter (model 1 and
  201/203, int16 values with scale factors, acc32 energy).
- :mod:`drivers.meter.energy` turns two register totals into an energy delta,
  handling acc32 roll-over and float32 resolution.
- :mod:`drivers.meter.registry` maps a bench file's ``map:`` name to a class.
- :mod:`drivers.meter.sim` is the simulated meter: a pymodbus server that computes
  both maps from the coupled model at read time, with fault injection.
"""

from drivers.meter.energy import EnergyDelta, energy_delta, snapshot_delta
from drivers.meter.modbus_link import LinkSettings, ModbusLink, parse_link
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
    "snapshot_delta",
]
