"""What safe state found: the read-back it confirmed, or the instruments it could not.

:meth:`rig.bench.safe.Bench.safe_state` returns a :class:`SafeStateReadback` or
raises :class:`SafeStateError` listing each :class:`SafeStateFailure`; the stop
signals' report (:class:`rig.bench.stop_signals.Stop`) and the runner's records
carry them on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SafeStateFailure:
    """One instrument whose safe state could not be confirmed."""

    role: str
    instrument: str
    wanted: str
    reason: str

    def __str__(self) -> str:
        return f"{self.role} ({self.instrument}): could not confirm {self.wanted}: {self.reason}"


class SafeStateError(RuntimeError):
    """Safe state could not be confirmed on at least one instrument: the bench may be live.

    ``failures`` lists each instrument, what safe value was wanted and why it could
    not be confirmed.
    """

    def __init__(self, bench: str, failures: list[SafeStateFailure]) -> None:
        self.bench = bench
        self.failures = failures
        lines = "\n".join(f"  - {failure}" for failure in failures)
        super().__init__(
            f"SAFE STATE NOT CONFIRMED on bench '{bench}':\n{lines}\n"
            "The bench may still be energised. Switch the load input off and unplug the "
            "pilot (state A) by hand, check the instrument links, then re-run "
            "`rig bench check` before the next run."
        )


@dataclass(frozen=True)
class SafeStateReadback:
    """What safe state confirmed by reading the instruments back."""

    bench: str
    load_input_on: bool
    pilot_state: str
    by_watchdog: tuple[str, ...] = ()
    """Roles not read back (link lost) but made safe by their own starved watchdog."""

    def __str__(self) -> str:
        load = "on" if self.load_input_on else "off"
        load = (
            "load input off by its own watchdog (link lost, not read back)"
            if "load" in self.by_watchdog
            else f"load input read back {load}"
        )
        pilot = (
            "pilot in state A by its own watchdog (link lost, not read back)"
            if "pilot" in self.by_watchdog
            else f"pilot read back in state {self.pilot_state}"
        )
        return f"{load}, {pilot}"
