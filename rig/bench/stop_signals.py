"""Stop signals: SIGINT, SIGTERM and SIGHUP stop a run, and never cut a teardown short.

Stop signals — SIGINT, SIGTERM, SIGHUP — take one path in every entry point (the
``rig`` commands, the pytest plugin, ``rig demo``, pytest-xdist workers, a script on
this API): each installs :func:`stop_signals`, and then

1. the first stop signal raises :class:`Interrupted` (a :class:`KeyboardInterrupt`,
   so ``except Exception`` never swallows it) where the run is, and from that moment
   every further signal is *held*: logged, recorded in :class:`Stop` and reported,
   never raised — nothing can cut the teardown short;
2. the exception unwinds through every ``with Bench`` and the runner's teardown, which
   goes to safe state and records the read-back
   (:class:`~rig.bench.safe_outcome.SafeStateReadback`);
3. the entry point stops the whole run (no next plan), reports the stop — signal,
   what safe state read back, signals held — and exits ``128 + signal``
   (:data:`EXIT_UNSAFE` when safe state was not confirmed).

There is no window at the start of a teardown: a signal that arrives while safe
state runs (:func:`holding`), *or anywhere inside a teardown function* —
:meth:`~rig.bench.safe.Bench.__exit__`, :meth:`~rig.bench.safe.Bench.safe_state`,
or the exit of a context manager marked with :func:`teardown_exit`, down to its
first instruction — is held, and raised as :class:`Interrupted` only once safe state
is done. The handler knows from the interrupted frame's call chain, so nothing
needs to run before the teardown does. Without :func:`stop_signals` (a script that
never installed it), safe state still holds SIGINT, SIGTERM and SIGHUP while it
runs and re-delivers the first through the script's own handler afterwards.

Safe state itself (:class:`rig.bench.safe.Bench`) is the teardown this protects;
:func:`mark_teardown` tells the handler which functions are teardowns.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import _GeneratorContextManager, contextmanager
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any, TypeVar

from rig.bench.safe_outcome import SafeStateError, SafeStateReadback

log = logging.getLogger("rig.bench.safe")  # one log for safe state and its stop signals

#: The signals that stop a run: Ctrl-C, a CI cancel or ``kill``, a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: Exit status when safe state could not be confirmed (the bench may be live).
EXIT_UNSAFE = 3


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


def mark_teardown(*functions: Callable[..., Any]) -> None:
    """A stop signal landing anywhere in these functions, first instruction included, is held."""
    _TEARDOWN_CODES.update(function.__code__ for function in functions)


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


def note_safe_state(
    readback: SafeStateReadback | None, unsafe: SafeStateError | None = None
) -> None:
    """Record a safe state done after a stop signal, for the entry point's report."""
    stop = current_stop() if _main_thread() else None
    if stop is not None:
        stop.safe_state, stop.unsafe = readback, unsafe
