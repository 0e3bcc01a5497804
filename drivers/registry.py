"""One way to add an instrument: a driver registers itself, by name, in its own file.

The bench file picks a driver by name (``map: sdm630``, ``dialect: chroma63800``,
``dialect: can``); labgrid does the same with its ``@target_factory.reg_driver``.
Here every kind of thing a bench file can name has one :class:`Registry`:

=================================================  ===================================
registry                                           holds, by name
=================================================  ===================================
:data:`drivers.meter.registry.METER_MAPS`          meter driver classes (register maps)
:data:`drivers.meter.sim_image.IMAGES`             the simulated meter's register images
:data:`drivers.load.registry.DIALECTS`             load driver classes (SCPI dialects)
:data:`drivers.load.sim_dialects.SIM_DIALECTS`     the simulated loads' command tables
:data:`drivers.pilot.registry.DIALECTS`            pilot driver classes
:data:`drivers.pilot.sim_wire.SIM_WIRES`           the simulated pilots' wires
=================================================  ===================================

A driver module registers what it defines with a decorator, or :meth:`Registry.add`
for a table that is a value rather than a class::

    @METER_MAPS.register("sdm630")
    class SDM630(ModbusMeter): ...

No list anywhere names the modules: on the first lookup a registry imports the
modules of its package (``drivers.meter``, ...), the way pytest collects a folder,
so a new map or dialect is found by being there. By convention a simulator's module
is named ``sim*``: a driver registry imports every other module, a simulator
registry (``simulators=True``) only those, so opening a real instrument never loads
a simulator. Names are matched case-blind and without surrounding blanks; an
unknown name raises :class:`~drivers.errors.UnknownModel` listing the names that
exist. How to add each kind: docs/meters.md, docs/loads.md, docs/pilot-protocol.md.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from drivers.errors import UnknownModel

T = TypeVar("T")


def normalise(name: str) -> str:
    """How names are compared: ``" SunSpec "`` is ``"sunspec"``."""
    return name.strip().lower()


class Registry(Mapping[str, T], Generic[T]):
    """Names to drivers (or simulator tables) of one kind, found in ``package``.

    ``what`` says what a name names (``"meter map"``), for error messages;
    ``simulators`` says whether the entries live in the package's ``sim*`` modules.
    """

    def __init__(self, what: str, package: str, *, simulators: bool = False) -> None:
        self.what = what
        self.package = package
        self.simulators = simulators
        self._entries: dict[str, T] = {}
        self._discovered = False

    def register(self, name: str) -> Callable[[T], T]:
        """A decorator: register the decorated class (or function) under ``name``."""

        def decorate(entry: T) -> T:
            self.add(name, entry)
            return entry

        return decorate

    def add(self, name: str, entry: T) -> T:
        """Register ``entry`` under ``name``; a second, different entry for it is an error."""
        key = normalise(name)
        if self._entries.get(key, entry) is not entry:
            raise ValueError(f"{self.what} {key!r} is registered twice")
        self._entries[key] = entry
        return entry

    def get_or_raise(self, name: str, instrument: str) -> T:
        """The entry for ``name``; :class:`UnknownModel` (about ``instrument``) if none."""
        entry = self.get(normalise(name))
        if entry is None:
            raise UnknownModel(
                instrument, f"unknown {self.what} {name!r}; known: {', '.join(self)}"
            )
        return entry

    def _discover(self) -> dict[str, T]:
        if not self._discovered:
            self._discovered = True
            package = importlib.import_module(self.package)
            for module in pkgutil.iter_modules(package.__path__):
                if module.name.startswith("sim") == self.simulators:
                    importlib.import_module(f"{self.package}.{module.name}")
        return self._entries

    def __getitem__(self, name: str) -> T:
        return self._discover()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._discover()))

    def __len__(self) -> int:
        return len(self._discover())

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {sorted(self._discover())})"
