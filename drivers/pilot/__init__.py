"""J1772 pilot-signal simulator drivers: one :class:`~drivers.kinds.Pilot` per dialect.

=========  ==========================  =====================================================
dialect    class                       configuration (keyword arguments)
=========  ==========================  =====================================================
``can``    :class:`CanPilot`           ``interface``, ``channel``, ``bitrate``, ``base_id``,
                                       ``timeout_s``, ``duty_tolerance_pct``, ``options``
``serial`` :class:`SerialPilot`        ``url``, ``baudrate``, ``timeout_s``,
                                       ``duty_tolerance_pct``
``ev_sim`` :class:`EvSimPilot`         ``url``, ``baudrate``, ``report_period_s``,
                                       ``window_s``
=========  ==========================  =====================================================

``can`` and ``serial`` speak the rig's own protocol (``docs/pilot-protocol.md``,
declared in :mod:`drivers.pilot.protocol`); ``ev_sim`` is the public nsayer
open-hardware EV simulator (:mod:`drivers.pilot.evsim`).

A bench file or a simulator endpoint is a mapping with ``dialect`` plus that
dialect's keywords, so :func:`open_pilot` opens either::

    pilot = open_pilot({"dialect": "can", "interface": "pcan", "channel": "PCAN_USBBUS1",
                        "bitrate": 500000}, name="pilot")

Each class registers itself under its dialect name (:mod:`drivers.pilot.registry`).
The simulated device behind each wire is in :mod:`drivers.pilot.sim`, one wire
module per dialect. How to add a dialect: docs/pilot-protocol.md, "How to add a
pilot dialect".
"""

from drivers.pilot.can_pilot import CanPilot
from drivers.pilot.evsim_pilot import EvSimPilot
from drivers.pilot.registry import DIALECTS, open_pilot, pilot_class, pilot_keywords
from drivers.pilot.serial_pilot import SerialPilot

__all__ = [
    "DIALECTS",
    "CanPilot",
    "EvSimPilot",
    "SerialPilot",
    "open_pilot",
    "pilot_class",
    "pilot_keywords",
]
