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

Stop signals — SIGINT, SIGTERM, SIGHUP — take one path in every entry point (the
``rig`` commands, the pytest plugin, ``rig demo``, pytest-xdist workers, a script on
this API): each installs :func:`stop_signals`, and then

1. the first stop signal raises :class:`Interrupted` (a :class:`KeyboardInterrupt`,
   so ``except Exception`` never swallows it) where the run is, and from that moment
   every further signal is *held*: logged, recorded in :class:`Stop` and reported,
   never raised — nothing can cut the teardown short;
2. the exception unwinds through every ``with Bench`` and the runner's teardown, which
   goes to safe state and records the read-back (:class:`SafeStateReadback`);
3. the entry point stops the whole run (no next plan), reports the stop — signal,
   what safe state read back, signals held — and exits ``128 + signal``
   (:data:`EXIT_UNSAFE` when safe state was not confirmed).

There is no window at the start of a teardown: a signal that arrives while
safe state runs (:func:`holding`), *or anywhere inside a teardown function* —
:meth:`Bench.__exit__`, :meth:`Bench.safe_state`, or the exit of a context manager
marked with :func:`teardown_exit`, down to its first instruction — is held, and
raised as :class:`Interrupted` only once safe state is done. The handler knows from
the interrupted frame's call chain, so nothing needs to run before the teardown
does. Without :func:`stop_signals` (a script that never installed it), safe state
still holds SIGINT, SIGTERM and SIGHUP while it runs and re-delivers the first
through the script's own handler afterwards.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import _GeneratorContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from types import CodeType, FrameType, TracebackType
from typing import Any, TypeVar

from drivers.errors import UnsupportedFeature
from drivers.kinds import Load, Meter, Pilot, PilotState, Watchdog

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


#: The signals that stop a run: Ctrl-C, a CI cancel or ``kill``, a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: Exit status when safe state could not be confirmed (the bench may be live).
EXIT_UNSAFE = 3
#: Beyond a starved watchdog's timeout, how long safe state waits before counting on it.
STARVE_MARGIN_S = 0.2


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class Interrupted(KeyboardInterrupt):
    """A stop signal ended the run; raised by the handler :func:`stop_signals` installs.

    A :class:`KeyboardInterrupt` (hence a :class:`BaseException`): ``except Exception``
    does not swallow it, every ``with Bench`` on the way out goes to safe state, and
    pytest treats it as the interruption it is.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal_name(signum)}")

    @property
    def exit_code(self) -> int:
        """``128 + signal``, as a shell reports a process a signal ended (130, 143, 129)."""
        return 128 + self.signum


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


@dataclass
class Stop:
    """What the stop signals did to this process's run (see the module doc)."""

    signum: int | None = None
    """The first stop signal; ``None`` while none arrived."""
    raised: bool = False
    """:class:`Interrupted` was raised for it, or an entry point acted on it (else held)."""
    held: list[str] = field(default_factory=list)
    """Signals that arrived after the first, held: names, in order."""
    safe_state: SafeStateReadback | None = None
    """Safe state confirmed after the signal, as read back."""
    unsafe: SafeStateError | None = None
    """Safe state that could not be confirmed after the signal."""
    reported: bool = False
    """An entry point has shown :meth:`describe` to the operator (once is enough)."""

    @property
    def signal(self) -> str:
        return signal_name(self.signum) if self.signum is not None else ""

    @property
    def exit_code(self) -> int:
        """``128 + signal``; :data:`EXIT_UNSAFE` when safe state was not confirmed."""
        if self.unsafe is not None:
            return EXIT_UNSAFE
        return 128 + (self.signum or 0)

    def describe(self) -> list[str]:
        """Lines for the operator: the signal, the safe state read back, what was held."""
        lines = [f"{self.signal} received: run stopped, no further plan or step runs"]
        if self.unsafe is not None:
            lines.append(str(self.unsafe))
        elif self.safe_state is not None:
            lines.append(
                f"safe state confirmed on bench '{self.safe_state.bench}': {self.safe_state}"
            )
        else:
            lines.append("no bench was live: nothing to make safe")
        if self.held:
            lines.append(f"held while stopping (not acted on): {', '.join(self.held)}")
        return lines


_TEARDOWN_CODES: set[CodeType] = set()
_TEARDOWN_GENERATORS: set[CodeType] = set()
_CONTEXTMANAGER_EXIT = _GeneratorContextManager.__exit__.__code__


F = TypeVar("F", bound=Callable[..., Any])


def teardown_exit(generator_function: F) -> F:
    """Mark a ``@contextmanager`` generator function: its exit is a teardown.

    Put it under ``@contextmanager``. A stop signal that arrives while the manager
    exits — from the first instruction of its ``__exit__`` on — is held, never raised
    into the code that goes to safe state.
    """
    _TEARDOWN_GENERATORS.add(generator_function.__code__)
    return generator_function


def _in_teardown(frame: FrameType | None) -> bool:
    """Whether ``frame`` or a caller of it is a teardown (see :func:`teardown_exit`)."""
    while frame is not None:
        code = frame.f_code
        if code in _TEARDOWN_CODES:
            return True
        if code is _CONTEXTMANAGER_EXIT:
            generator = getattr(frame.f_locals.get("self"), "gen", None)
            if getattr(generator, "gi_code", None) in _TEARDOWN_GENERATORS:
                return True
        frame = frame.f_back
    return False


class _StopSignals:
    """The handler of the stop signals, and the run's :class:`Stop`."""

    def __init__(self) -> None:
        self.stop = Stop()
        self.holding = 0
        self.previous: dict[int, Any] = {}

    def install(self) -> None:
        self.previous = {signum: signal.signal(signum, self.handle) for signum in STOP_SIGNALS}

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        stop, name = self.stop, signal_name(signum)
        if stop.signum is not None:
            stop.held.append(name)
            log.warning("%s held: the run is already stopping (%s)", name, stop.signal)
            return
        stop.signum = signum
        if self.holding or _in_teardown(frame):
            log.warning("%s held until safe state is done", name)
            return
        stop.raised = True
        raise Interrupted(signum)

    def deliver(self) -> None:
        """Raise :class:`Interrupted` for a held stop signal not raised yet."""
        stop = self.stop
        if stop.signum is not None and not stop.raised:
            stop.raised = True
            raise Interrupted(stop.signum)


_active: _StopSignals | None = None


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def stop_signals() -> Iterator[Stop]:
    """Within the block, SIGINT, SIGTERM and SIGHUP stop the run (see the module doc).

    Yields the run's :class:`Stop`. Nested use shares the outer one. On leaving the
    outermost block the previous handlers come back, and a stop signal that was held
    and never raised is re-delivered through them (unless the block is raising
    already). Outside the main thread it does nothing.
    """
    global _active
    if not _main_thread() or _active is not None:
        yield _active.stop if _active is not None else Stop()
        return
    _active = controller = _StopSignals()
    controller.install()
    try:
        yield controller.stop
    finally:
        controller.restore()
        _active = None
    # only when the block ended without an exception: a SafeStateError is louder
    if controller.stop.signum is not None and not controller.stop.raised:
        signal.raise_signal(controller.stop.signum)


def current_stop() -> Stop | None:
    """The run's :class:`Stop` once a stop signal arrived under :func:`stop_signals`."""
    if _active is None or _active.stop.signum is None:
        return None
    return _active.stop


def deliver_stop() -> None:
    """Raise :class:`Interrupted` now for a stop signal that was held and not raised.

    Entry points call it between plans and after a command: a signal that landed in
    the tail of a teardown then still stops the run.
    """
    if _active is not None:
        _active.deliver()


@contextmanager
def holding() -> Iterator[None]:
    """Hold every stop signal while the block runs (a teardown); deliver after it.

    Under :func:`stop_signals`, a held signal is raised as :class:`Interrupted` when
    the outermost holding block ends without an exception of its own. Without it,
    the block installs the handlers for its own duration (main thread only).
    """
    if not _main_thread():
        yield
        return
    temporary = _active is None  # then stop_signals re-delivers through the old handler
    with stop_signals():
        controller = _active
        assert controller is not None
        controller.holding += 1
        try:
            yield
        finally:
            controller.holding -= 1
        if not controller.holding and not temporary:
            controller.deliver()


def _note_safe_state(
    readback: SafeStateReadback | None, unsafe: SafeStateError | None = None
) -> None:
    """Record a safe state done after a stop signal, for the entry point's report."""
    stop = current_stop() if _main_thread() else None
    if stop is not None:
        stop.safe_state, stop.unsafe = readback, unsafe


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
        watchdogs: Mapping[str, Watchdog] | None = None,
    ) -> None:
        self.name = name
        self.eumd = eumd
        self.load = load
        self.pilot = pilot
        self.premise_meter = premise_meter
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
                _note_safe_state(None, error)
                raise error  # louder than any held signal: the bench may be live
            starved = self._starve(failures)
            readback = SafeStateReadback(
                self.name,
                load_input_on=load if isinstance(load, bool) else False,
                pilot_state=pilot if isinstance(pilot, str) else PilotState.A.value,
                by_watchdog=starved,
            )
            log.info("bench '%s' in safe state: %s", self.name, readback)
            _note_safe_state(readback)
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


# a stop signal landing anywhere in these, first instruction included, is held
_TEARDOWN_CODES.update({Bench.__exit__.__code__, Bench.safe_state.__code__})
