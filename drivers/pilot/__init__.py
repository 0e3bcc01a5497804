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

The simulated device behind each wire is in :mod:`drivers.pilot.sim`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from drivers.errors import UnknownModel
from drivers.kinds import Pilot
from drivers.pilot.can_pilot import CanPilot
from drivers.pilot.evsim_pilot import EvSimPilot
from drivers.pilot.serial_pilot import SerialPilot

DIALECTS: dict[str, type[CanPilot] | type[SerialPilot] | type[EvSimPilot]] = {
    "can": CanPilot,
    "serial": SerialPilot,
    "ev_sim": EvSimPilot,
}


def pilot_class(
    dialect: str, instrument: str = "pilot"
) -> type[CanPilot] | type[SerialPilot] | type[EvSimPilot]:
    """The driver class for ``dialect``; :class:`UnknownModel` names the known ones."""
    try:
        return DIALECTS[dialect]
    except KeyError:
        known = ", ".join(sorted(DIALECTS))
        raise UnknownModel(
            instrument, f"unknown pilot dialect {dialect!r} (known: {known})"
        ) from None


def open_pilot(config: Mapping[str, Any], name: str = "pilot") -> Pilot:
    """Open the pilot described by ``config`` (``dialect`` plus that class's keywords)."""
    settings = dict(config)
    dialect = settings.pop("dialect", None)
    if not isinstance(dialect, str):
        raise UnknownModel(name, f"pilot configuration names no dialect: {dict(config)!r}")
    cls = pilot_class(dialect, name)
    accepted = set(inspect.signature(cls).parameters) - {"name"}
    unknown = sorted(set(settings) - accepted)
    if unknown:
        raise ValueError(
            f"{name}: {dialect} pilot does not take {', '.join(unknown)} "
            f"(it takes {', '.join(sorted(accepted))})"
        )
    driver: Pilot = cls(name, **settings)
    return driver


__all__ = ["DIALECTS", "CanPilot", "EvSimPilot", "SerialPilot", "open_pilot", "pilot_class"]
