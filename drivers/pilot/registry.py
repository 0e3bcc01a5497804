"""From a bench file's pilot ``dialect`` to a driver class, and an open driver.

Each dialect's class registers itself in its own module with
``@DIALECTS.register("name")`` (:mod:`drivers.registry`) and says which bus it runs
over in its ``transport`` class attribute (``"can"`` or ``"serial"``, the bench
file's ``transport.kind``). :func:`open_pilot` takes a mapping with ``dialect`` plus
that class's keyword arguments, so a bench file section or a simulator endpoint
opens the same way; a keyword the class does not take is refused before anything
is opened.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Literal, Protocol

from drivers.errors import UnknownModel
from drivers.kinds import Pilot
from drivers.registry import Registry

PilotTransport = Literal["can", "serial"]


class PilotClass(Protocol):
    """A pilot driver class: built from a name and its dialect's keywords."""

    transport: PilotTransport

    def __call__(self, *args: Any, **kwargs: Any) -> Pilot: ...


#: Pilot driver classes by dialect name.
DIALECTS: Registry[PilotClass] = Registry("pilot dialect", "drivers.pilot")


def pilot_class(dialect: str, instrument: str = "pilot") -> PilotClass:
    """The driver class for ``dialect``; :class:`UnknownModel` names the known ones."""
    return DIALECTS.get_or_raise(dialect, instrument)


def pilot_keywords(dialect: str) -> set[str]:
    """The keyword arguments the ``dialect``'s class takes (its configuration)."""
    return set(inspect.signature(pilot_class(dialect)).parameters) - {"name"}


def open_pilot(config: Mapping[str, Any], name: str = "pilot") -> Pilot:
    """Open the pilot described by ``config`` (``dialect`` plus that class's keywords)."""
    settings = dict(config)
    dialect = settings.pop("dialect", None)
    if not isinstance(dialect, str):
        raise UnknownModel(name, f"pilot configuration names no dialect: {dict(config)!r}")
    cls = pilot_class(dialect, name)
    accepted = pilot_keywords(dialect)
    unknown = sorted(set(settings) - accepted)
    if unknown:
        raise ValueError(
            f"{name}: {dialect} pilot does not take {', '.join(unknown)} "
            f"(it takes {', '.join(sorted(accepted))})"
        )
    return cls(name, **settings)
