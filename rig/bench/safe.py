"""Safe state: load input off, pilot back to state A, confirmed by reading back, on every exit.

A charging session drives real current through real contactors. Whatever ends a
run — it finished, a check raised, a wait timed out, an instrument dropped off its
link, someone pressed Ctrl-C or the CI runner sent SIGTERM — the bench must end
with the load's input off and the pilot in state A (vehicle unplugged, so the EVSE
opens its contactor). :class:`Bench` is the context manager that guarantees it::

    with Bench("lab-2", eumd=meter, load=load, pilot=pilot) as bench:
        bench.pilot.set_state(PilotState.B)
        ...                       # any exit from here runs safe_state()

Safe state, in order (load first, so the contactor never breaks current):

1. ``load.set_input(False)``, then read back ``load.input_enabled()`` until it says
   off (retrying the command while it does not).
2. ``pilot.set_state(A)``, stop advertising (``set_duty(100)``, no PWM, where the
   dialect can), then read back ``pilot.status().state`` until it says A.

Each instrument is handled on its own: a load that cannot be reached does not stop
the pilot from going to A. If any read-back cannot confirm the safe value within
``confirm_timeout_s`` of wall time, safe state fails LOUDLY: it logs at CRITICAL
and raises :class:`SafeStateError`, which names each instrument, what was tried and
what came back. A failed teardown is a failed run, even if the run itself passed;
if the run was already failing, the original exception is kept as the
``__context__`` of the :class:`SafeStateError`, so both appear in the traceback.

While safe state runs, SIGINT and SIGTERM are held back (in the main thread), so a
second Ctrl-C cannot interrupt the teardown; they are delivered right after.
:func:`sigterm_raises` makes SIGTERM raise :class:`Terminated` so a CLI run takes
exactly the same path as Ctrl-C.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any

from drivers.errors import UnsupportedFeature
from drivers.kinds import Load, Meter, Pilot, PilotState

log = logging.getLogger("rig.bench.safe")


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


class Terminated(BaseException):
    """SIGTERM arrived (raised by the handler :func:`sigterm_raises` installs).

    A :class:`BaseException` like :class:`KeyboardInterrupt`, so ``except Exception``
    in a run does not swallow it and the bench's ``__exit__`` runs safe state.
    """

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        self.signum = signum
        super().__init__(f"terminated by signal {signal.Signals(signum).name}")


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread.

    Use it around a CLI command so ``kill PID`` unwinds through every ``with Bench``
    and ``finally`` exactly as Ctrl-C does. Outside the main thread it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM while the block runs; yield the list of held signal numbers.

    The caller re-delivers them (:func:`_deliver`) once the teardown is done.
    """
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def hold(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)
        log.warning("signal %s held until safe state is done", signal.Signals(signum).name)

    held = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, hold) for signum in held}
    try:
        yield pending
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _deliver(pending: list[int]) -> None:
    """Re-raise the first held signal through its own (restored) handler."""
    if pending:
        signal.raise_signal(pending[0])


def _confirm(
    act: Callable[[], None],
    read: Callable[[], Any],
    ok: Callable[[Any], bool],
    timeout_s: float,
    poll_s: float,
) -> str | None:
    """Do ``act`` and poll ``read`` until ``ok``; re-issue ``act`` when a read says no.

    Returns ``None`` when confirmed, else why not (the last error or reading).
    """
    deadline = time.monotonic() + timeout_s
    reason = "not tried"
    acted = False
    while True:
        try:
            if not acted:
                act()
                acted = True
            value = read()
            if ok(value):
                return None
            reason = f"read back {value!r}"
            acted = False  # the command did not take: send it again
        except Exception as error:  # an instrument error must not stop the teardown
            reason = f"{type(error).__name__}: {error}"
            acted = False
        if time.monotonic() >= deadline:
            return reason
        time.sleep(poll_s)


class Bench:
    """The bench's instruments, and the promise that every exit leaves them safe.

    ``eumd`` and ``premise_meter`` are only read; ``load`` and ``pilot`` are driven
    and made safe. On ``__enter__`` the bench is first brought to safe state (a run
    starts from a known state); on ``__exit__`` — whatever the reason — safe state
    runs again and then every driver is closed.
    """

    def __init__(
        self,
        name: str,
        *,
        eumd: Meter,
        load: Load,
        pilot: Pilot,
        premise_meter: Meter | None = None,
        confirm_timeout_s: float = 3.0,
        poll_s: float = 0.02,
        safe_on_enter: bool = True,
    ) -> None:
        self.name = name
        self.eumd = eumd
        self.load = load
        self.pilot = pilot
        self.premise_meter = premise_meter
        self.confirm_timeout_s = confirm_timeout_s
        self.poll_s = poll_s
        self.safe_on_enter = safe_on_enter
        self.closed = False

    def instruments(self) -> dict[str, Meter | Load | Pilot]:
        """Every instrument by role name."""
        found: dict[str, Meter | Load | Pilot] = {
            "eumd": self.eumd,
            "load": self.load,
            "pilot": self.pilot,
        }
        if self.premise_meter is not None:
            found["premise_meter"] = self.premise_meter
        return found

    # -- safe state ---------------------------------------------------------------------

    def _load_off(self) -> SafeStateFailure | None:
        reason = _confirm(
            lambda: self.load.set_input(False),
            self.load.input_enabled,
            lambda on: on is False,
            self.confirm_timeout_s,
            self.poll_s,
        )
        if reason is None:
            return None
        return SafeStateFailure("load", self.load.name, "input off", reason)

    def _pilot_to_a(self) -> SafeStateFailure | None:
        def act() -> None:
            self.pilot.set_state(PilotState.A)
            # an EV-side-only device (e.g. ev_sim) has no PWM to stop
            with suppress(UnsupportedFeature):
                self.pilot.set_duty(100.0)

        reason = _confirm(
            act,
            lambda: self.pilot.status().state,
            lambda state: state == PilotState.A,
            self.confirm_timeout_s,
            self.poll_s,
        )
        if reason is None:
            return None
        return SafeStateFailure("pilot", self.pilot.name, "state A", reason)

    def safe_state(self) -> None:
        """Load input off, pilot to A, both read back; raise :class:`SafeStateError` if not.

        Both instruments are always attempted, whatever the first one did.
        """
        with _signals_held() as pending:
            failures = [f for f in (self._load_off(), self._pilot_to_a()) if f is not None]
        if failures:
            error = SafeStateError(self.name, failures)
            log.critical("%s", error)
            raise error  # louder than any held signal: the bench may be live
        log.info("bench '%s' in safe state: load input off, pilot in state A", self.name)
        _deliver(pending)

    # -- lifetime -----------------------------------------------------------------------

    def close(self) -> None:
        """Close every driver; a driver that fails to close is logged, not raised."""
        if self.closed:
            return
        self.closed = True
        for role, instrument in self.instruments().items():
            try:
                instrument.close()
            except Exception as error:
                log.warning("%s (%s) did not close cleanly: %s", role, instrument.name, error)

    def __enter__(self) -> Bench:
        if self.safe_on_enter:
            try:
                self.safe_state()
            except BaseException:
                self.close()
                raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is not None:
                log.warning(
                    "bench '%s': run ended by %s; going to safe state",
                    self.name,
                    type(exc).__name__,
                )
            self.safe_state()
        finally:
            self.close()
