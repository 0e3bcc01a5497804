"""Programmable AC loads over SCPI: the PEV's on-board charger on the bench.

Layers, each in its own small module:

- :mod:`~drivers.load.session` — one VISA resource (pyvisa, pyvisa-py backend by
  default), query / write / setting-with-error-check, every failure typed;
- :mod:`~drivers.load.replies` — turning reply text into trusted values;
- :mod:`~drivers.load.dialect` — how a dialect is declared (command strings as data)
  and :class:`ScpiLoad`, the one class implementing :class:`drivers.kinds.Load`;
- one file per dialect: :mod:`~drivers.load.scpi` (generic SCPI),
  :mod:`~drivers.load.chroma63800`, :mod:`~drivers.load.it8600`;
- :mod:`~drivers.load.registry` — dialect name → class (each dialect's class
  registers itself), :func:`open_load`;
- :mod:`~drivers.load.sim` — the simulated load, a SCPI socket server per dialect.

Typical use::

    from drivers.load import open_load

    with open_load("chroma63800", "TCPIP0::192.168.1.50::5025::SOCKET") as load:
        print(load.identity())
        load.set_current(16.0)
        load.set_input(True)
        print(load.measure())
        load.set_input(False)

How to add a dialect: docs/loads.md, "How to add a load dialect".
"""

from drivers.load.chroma63800 import Chroma63800
from drivers.load.dialect import CsvQuery, LoadCommands, ReadingLimits, ScpiLoad, SeparateQueries
from drivers.load.it8600 import It8600
from drivers.load.registry import DIALECTS, load_class, open_load
from drivers.load.scpi import GenericScpiLoad
from drivers.load.session import ScpiSession

__all__ = [
    "DIALECTS",
    "Chroma63800",
    "CsvQuery",
    "GenericScpiLoad",
    "It8600",
    "LoadCommands",
    "ReadingLimits",
    "ScpiLoad",
    "ScpiSession",
    "SeparateQueries",
    "load_class",
    "open_load",
]
