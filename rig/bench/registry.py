"""The driver registries, seen from the bench: name → driver class, per instrument kind.

Each driver package keeps its own registry (a meter register map, a load SCPI
dialect, a pilot dialect, each by name). This module is the one place the bench
layer looks them up, so that a bench file naming an unknown map or dialect is
rejected at load time, with its position and the names that do exist, before any
instrument is opened.
"""

from __future__ import annotations

import difflib

from drivers.load import DIALECTS as LOAD_DIALECTS
from drivers.meter import METER_MAPS
from drivers.pilot import DIALECTS as PILOT_DIALECTS
from drivers.pilot import CanPilot
from rig.bench.config import BenchConfig, Problem


def meter_maps() -> list[str]:
    """Register map names the meter drivers know (``map:``)."""
    return sorted(METER_MAPS)


def load_dialects() -> list[str]:
    """SCPI dialect names the load drivers know (``load.dialect``)."""
    return sorted(LOAD_DIALECTS)


def pilot_dialects() -> list[str]:
    """Dialect names the pilot drivers know (``pilot.dialect``)."""
    return sorted(PILOT_DIALECTS)


def pilot_transport_kind(dialect: str) -> str:
    """The transport a pilot dialect runs over: ``can`` for the CAN driver, else ``serial``."""
    return "can" if PILOT_DIALECTS.get(dialect) is CanPilot else "serial"


def _unknown(name: str, known: list[str], what: str) -> str | None:
    if name in known:
        return None
    message = f"unknown {what} '{name}'"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f" (did you mean '{close[0]}'?)"
    return message + f"; known: {', '.join(sorted(known))}"


def unknown_driver_problems(config: BenchConfig) -> list[Problem]:
    """Every map or dialect in ``config`` that no driver registry knows."""
    problems: list[Problem] = []
    for role, meter in config.meters().items():
        message = _unknown(meter.map, meter_maps(), "meter map")
        if message:
            problems.append(((role, "map"), message))
    message = _unknown(config.load.dialect, load_dialects(), "load dialect")
    if message:
        problems.append((("load", "dialect"), message))
    message = _unknown(config.pilot.dialect, pilot_dialects(), "pilot dialect")
    if message:
        problems.append((("pilot", "dialect"), message))
    else:
        wanted = pilot_transport_kind(config.pilot.dialect)
        if config.pilot.transport.kind != wanted:
            problems.append(
                (
                    ("pilot", "transport", "kind"),
                    f"the {config.pilot.dialect} pilot dialect runs over {wanted}, "
                    f"not {config.pilot.transport.kind}: set transport.kind: {wanted}",
                )
            )
    return problems
