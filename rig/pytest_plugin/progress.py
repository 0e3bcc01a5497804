"""Progress of long bench steps in the terminal: energy so far and time left.

The runner reports a long step (``charge``) through a callback, about once per
minute of the *bench* clock. On the simulated bench a whole plan takes well under
a second of wall time, so printing every report would only scroll; on a lab bench
a two-hour charge would otherwise sit silent. :class:`ProgressPrinter` therefore
prints a step's progress only once the step has run for ``every_s`` seconds of wall
time (the ini setting ``rig_progress_every``), and then at most every ``every_s``
seconds::

    sc4-home-rate step 8 charge: 3.21 kWh so far, 41 min left

It writes through pytest's terminal reporter with output capture suspended (as
pytest's own live logging does), so the line appears while the test runs, and the
plugin does not create it under ``-q``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rig.runner.api import Progress

#: Wall seconds a step runs before its progress is shown, and between two lines.
EVERY_S = 10.0


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def describe(progress: Progress) -> str:
    """One terminal line for a progress report."""
    left = ""
    if progress.time_left_s is not None and progress.rate_kw is not None:
        left = f", about {_duration(progress.time_left_s)} left at {progress.rate_kw:.1f} kW"
    elif progress.time_left_s is not None:
        left = f", {_duration(progress.time_left_s)} left"
    return (
        f"{progress.plan_id} step {progress.step_index + 1} {progress.key}: "
        f"{progress.energy_kwh:.2f} kWh so far{left}"
    )


class ProgressPrinter:
    """A progress callback that writes a line now and then (see the module doc)."""

    def __init__(
        self,
        write_line: Callable[[str], None],
        *,
        every_s: float = EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write_line = write_line
        self._every_s = every_s
        self._clock = clock
        self._step: tuple[str, int] | None = None
        self._due = 0.0

    def __call__(self, progress: Progress) -> None:
        now = self._clock()
        step = (progress.plan_id, progress.step_index)
        if step != self._step:
            self._step, self._due = step, now + self._every_s
        if now >= self._due:
            self._write_line(describe(progress))
            self._due = now + self._every_s
