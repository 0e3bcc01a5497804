"""The driver registries, seen from the bench file: are the names it uses known?

Each driver registers itself by name (:mod:`drivers.registry`): a meter register
map, a load SCPI dialect, a pilot dialect. This module checks a bench file's names
against them, so that a bench file naming an unknown map or dialect is rejected at
load time, with its position, a did-you-mean and the names that do exist, before
any instrument is opened. It knows nothing of the bench file's schema; it is given
the names, and says where (as a key path) each problem is.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from drivers.load import DIALECTS as LOAD_DIALECTS
from drivers.meter import METER_MAPS
from drivers.pilot import DIALECTS as PILOT_DIALECTS
from rig.yamlfile import PathKey

#: One problem in a bench file: where (key path) and what is wrong.
Problem = tuple[PathKey, str]


def _unknown(name: str, registry: Iterable[str], what: str) -> str | None:
    known = list(registry)
    if name in known:
        return None
    message = f"unknown {what} '{name}'"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f" (did you mean '{close[0]}'?)"
    return message + f"; known: {', '.join(known)}"


def driver_problems(
    meter_maps: Mapping[str, str], load_dialect: str, pilot_dialect: str, pilot_transport: str
) -> list[Problem]:
    """Every map or dialect no driver registry knows, and a pilot on the wrong transport.

    ``meter_maps`` is the ``map:`` of each meter by its role (``eumd``, ...);
    ``pilot_transport`` is the pilot's ``transport.kind``.
    """
    problems: list[Problem] = []
    for role, map_name in meter_maps.items():
        message = _unknown(map_name, METER_MAPS, "meter map")
        if message:
            problems.append(((role, "map"), message))
    message = _unknown(load_dialect, LOAD_DIALECTS, "load dialect")
    if message:
        problems.append((("load", "dialect"), message))
    message = _unknown(pilot_dialect, PILOT_DIALECTS, "pilot dialect")
    if message:
        problems.append((("pilot", "dialect"), message))
    else:
        wanted = PILOT_DIALECTS[pilot_dialect].transport
        if pilot_transport != wanted:
            problems.append(
                (
                    ("pilot", "transport", "kind"),
                    f"the {pilot_dialect} pilot dialect runs over {wanted}, "
                    f"not {pilot_transport}: set transport.kind: {wanted}",
                )
            )
    return problems
