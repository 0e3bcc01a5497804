"""From a bench file's dialect name to a driver class.

A bench file says ``dialect: chroma63800`` and a resource string; this module turns
that into an open driver, the python-can way: configuration, not code, picks the
implementation. Each dialect's class registers itself in its own module with
``@DIALECTS.register("name")`` (:mod:`drivers.registry`). An unknown name raises
:class:`~drivers.errors.UnknownModel` listing the names that are known.
"""

from __future__ import annotations

from typing import Any

from drivers.load.dialect import ScpiLoad
from drivers.registry import Registry

#: Load driver classes by SCPI dialect name.
DIALECTS: Registry[type[ScpiLoad]] = Registry("load dialect", "drivers.load")


def load_class(dialect: str, *, name: str = "load") -> type[ScpiLoad]:
    """The driver class for ``dialect`` (``"scpi"``, ``"chroma63800"``, ``"it8600"``)."""
    return DIALECTS.get_or_raise(dialect, name)


def open_load(dialect: str, resource: str, *, name: str = "load", **options: Any) -> ScpiLoad:
    """Open ``resource`` with the driver for ``dialect``; ``options`` go to its constructor."""
    return load_class(dialect, name=name)(resource, name=name, **options)
