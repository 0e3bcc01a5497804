"""Objects that are closed when a ``with`` block ends.

A writer, a database, an outbox: each has a ``close()`` and is used as
``with Thing(...) as thing:``. :class:`Closing` gives such a class the two dunder
methods once — ``__enter__`` returns the object itself, ``__exit__`` calls
:meth:`~Closing.close` however the block ends — so each class writes only its own
``close``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class Closing(ABC):
    """A resource used in a ``with`` block: leaving the block closes it."""

    @abstractmethod
    def close(self) -> None:
        """Release what the object holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
