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
the pilot from going to A. If a read-back cannot confirm the safe value within
``confirm_timeout_s`` of wall time:

- where the instrument's own communication watchdog was armed when the bench opened
  (``watchdogs``, from :func:`rig.bench.build.open_bench`), the rig *starves* it: it
  closes that driver, so no keep-alive or heartbeat reaches the instrument any more,
  and waits the watchdog's timeout plus :data:`STARVE_MARGIN_S`. A live instrument has
  then gone safe on its own (load input off, pilot A), and a dead one drives nothing.
  This is reported at ERROR and in the read-back (``by_watchdog``), not read back;
- otherwise safe state fails LOUDLY: it logs at CRITICAL and raises
  :class:`SafeStateError`, which names each instrument, what was tried and what came
  back. A failed teardown is a failed run, even if the run itself passed;
if the run was already failing, the original exception is kept as the
``__context__`` of the :class:`SafeStateError`, so both appear in the traceback.

Stop signals (Ctrl-C, a CI cancel) are held while safe state runs; how, and what
every entry point does with them, is in :mod:`rig.bench.stop_signals`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from types import TracebackType
from typing import Any

from drivers.errors import UnsupportedFeature
from drivers.kinds import Load, Meter, Pilot, PilotState, Watchdog
from rig.bench.safe_outcome import SafeStateError, SafeStateFailure, SafeStateReadback
from rig.bench.stop_signals import holding, mark_teardown, note_safe_state

log = logging.getLogger("rig.bench.safe")

#: Beyond a starved watchdog's timeout, how long safe state waits before counting on it.
STARVE_MARGIN_S = 0.2


def _confirm(
    act: Callable[[], None],
    read: Callable[[], Any],
    ok: Callable[[Any], bool],
    timeout_s: float,
    poll_s: float,
) -> tuple[str | None, Any]:
    """Do ``act`` and poll ``read`` until ``ok``; re-issue ``act`` when a read says no.

    Returns ``(None, reading)`` when confirmed, else ``(why not, None)`` (the last
    error or reading).
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
                return None, value
            reason = f"read back {value!r}"
            acted = False  # the command did not take: send it again
        except Exception as error:  # an instrument error must not stop the teardown
            reason = f"{type(error).__name__}: {error}"
            acted = False
        if time.monotonic() >= deadline:
            return reason, None
        time.sleep(poll_s)


class Bench:
    """The bench's instruments, and the promise that every exit leaves them safe.

    ``eumd``, ``premise_meter`` and ``reference`` are only read; ``load`` and ``pilot`` are driven
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
        reference: Meter | None = None,
        confirm_timeout_s: float = 3.0,
        poll_s: float = 0.02,
        safe_on_enter: bool = True,
        watchdogs: Mapping[str, Watchdog] | None = None,
    ) -> None:
        self.name = name
        self.eumd = eumd
        self.load = load
        self.pilot = pilot
        self.premise_meter = premise_meter
        self.reference = reference
        self.confirm_timeout_s = confirm_timeout_s
        self.poll_s = poll_s
        self.safe_on_enter = safe_on_enter
        self.watchdogs = dict(watchdogs or {})
        """What the load's and the pilot's own watchdogs reported when the bench opened."""
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
        if self.reference is not None:
            found["reference"] = self.reference
        return found

    # -- safe state ---------------------------------------------------------------------

    def _load_off(self) -> SafeStateFailure | bool:
        reason, value = _confirm(
            lambda: self.load.set_input(False),
            self.load.input_enabled,
            lambda on: on is False,
            self.confirm_timeout_s,
            self.poll_s,
        )
        if reason is None:
            return bool(value)
        return SafeStateFailure("load", self.load.name, "input off", reason)

    def _pilot_to_a(self) -> SafeStateFailure | str:
        def act() -> None:
            self.pilot.set_state(PilotState.A)
            # an EV-side-only device (e.g. ev_sim) has no PWM to stop
            with suppress(UnsupportedFeature):
                self.pilot.set_duty(100.0)

        reason, value = _confirm(
            act,
            lambda: self.pilot.status().state,
            lambda state: state == PilotState.A,
            self.confirm_timeout_s,
            self.poll_s,
        )
        if reason is None:
            return str(value.value)
        return SafeStateFailure("pilot", self.pilot.name, "state A", reason)

    def safe_state(self) -> SafeStateReadback:
        """Load input off, pilot to A, both read back; raise :class:`SafeStateError` if not.

        Both instruments are always attempted, whatever the first one did. Stop signals
        are held meanwhile (:func:`holding`). Returns what was read back.
        """
        with holding():
            load, pilot = self._load_off(), self._pilot_to_a()
            failures = [f for f in (load, pilot) if isinstance(f, SafeStateFailure)]
            if any(not self._covered(failure.role) for failure in failures):
                error = SafeStateError(self.name, failures)
                log.critical("%s", error)
                note_safe_state(None, error)
                raise error  # louder than any held signal: the bench may be live
            starved = self._starve(failures)
            readback = SafeStateReadback(
                self.name,
                load_input_on=load if isinstance(load, bool) else False,
                pilot_state=pilot if isinstance(pilot, str) else PilotState.A.value,
                by_watchdog=starved,
            )
            log.info("bench '%s' in safe state: %s", self.name, readback)
            note_safe_state(readback)
        return readback

    def _covered(self, role: str) -> bool:
        watchdog = self.watchdogs.get(role)
        return watchdog is not None and watchdog.armed and watchdog.timeout_ms > 0

    def _starve(self, failures: list[SafeStateFailure]) -> tuple[str, ...]:
        """Close each unconfirmed instrument's driver and wait out its watchdog."""
        if not failures:
            return ()
        wait_s = 0.0
        for failure in failures:
            instrument: Load | Pilot = self.load if failure.role == "load" else self.pilot
            with suppress(Exception):  # the link is already broken; nothing more to say
                instrument.close()
            wait_s = max(wait_s, self.watchdogs[failure.role].timeout_ms / 1000.0)
            log.error(
                "bench '%s': %s; starving its communication watchdog (%d ms), which makes it "
                "safe on its own — check its link before the next run",
                self.name,
                failure,
                self.watchdogs[failure.role].timeout_ms,
            )
        time.sleep(wait_s + STARVE_MARGIN_S)
        return tuple(failure.role for failure in failures)

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
                readback = self.safe_state()
                if readback.by_watchdog:  # safe, but a run cannot drive what it cannot reach
                    raise RuntimeError(
                        f"bench '{self.name}' cannot start: {', '.join(readback.by_watchdog)} "
                        f"did not answer ({readback}); check the link, then `rig bench check`"
                    )
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
        with holding():
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


mark_teardown(Bench.__exit__, Bench.safe_state)
