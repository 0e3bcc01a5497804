"""What every step shares: acting, failing, being supervised, reporting progress.

A step either *acts* and returns at once (:func:`act`: sample densely from now and
take one look), or *waits for a state*, supervised (:func:`supervised`). A step
that cannot reach its state raises :class:`StepFailed`; one that cannot be carried
out here raises :class:`Unsupported`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rig.runner.supervision import BenchChanged
from rig.runner.world import World

#: Called during long steps with the EUMD energy since plug-in, the seconds left (until
#: the step's end, or estimated from the present power when it charges to an energy
#: target) and that power in kW (``None`` unless the time left is such an estimate).
ProgressSink = Callable[[float, float, float | None], None]


class StepFailed(AssertionError):
    """The step's state was not reached; the message says what was seen instead."""

    def __init__(self, message: str, *, expected: str = "", measured: str = "") -> None:
        super().__init__(message)
        self.expected = expected
        self.measured = measured


class Unsupported(RuntimeError):
    """The step cannot be carried out on this bench or with these services."""


@contextmanager
def supervised(world: World) -> Iterator[None]:
    """Judge every look of the block; a bench that changed under the plan fails the step."""
    try:
        with world.loop.supervised():
            yield
    except BenchChanged as changed:
        change = changed.change
        raise StepFailed(str(change), expected=change.expected, measured=change.measured) from None


def act(world: World, note: str) -> str:
    """After an action: sample densely from now, and take one look."""
    world.loop.changed()
    world.loop.tick()
    return note
