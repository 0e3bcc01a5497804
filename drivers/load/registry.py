"""From a bench file's dialect name to a driver class.

A bench file says ``dialect: chroma63800`` and a resource string; this module turns
that into an open driver, the python-can way: configuration, not code, picks the
implementation. An unknown name raises :class:`~drivers.errors.UnknownModel` listing
the names that are known.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from drivers.errors import UnknownModel
from drivers.load.chroma63800 import Chroma63800
from drivers.load.dialect import ScpiLoad
from drivers.load.it8600 import It8600
from drivers.load.scpi import GenericScpiLoad

DIALECTS: Mapping[str, type[ScpiLoad]] = MappingProxyType(
    {cls.dialect: cls for cls in (GenericScpiLoad, Chroma63800, It8600)}
)


def load_class(dialect: str, *, name: str = "load") -> type[ScpiLoad]:
    """The driver class for ``dialect`` (``"scpi"``, ``"chroma63800"``, ``"it8600"``)."""
    try:
        return DIALECTS[dialect.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(DIALECTS))
        raise UnknownModel(
            name, f"unknown load dialect {dialect!r}; known dialects: {known}"
        ) from None


def open_load(dialect: str, resource: str, *, name: str = "load", **options: Any) -> ScpiLoad:
    """Open ``resource`` with the driver for ``dialect``; ``options`` go to its constructor."""
    return load_class(dialect, name=name)(resource, name=name, **options)
