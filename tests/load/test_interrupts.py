"""An interrupted query never leaves the session off by one.

A Ctrl-C, or an exception a signal handler raises, can land while a query's reply is
on its way. The reply still arrives, and a session that went on using the stream
would hand it to the *next* query: every later reply off by one. The session must
mark itself stale on any interruption, ``BaseException`` included, and reopen before
the next command.

Each test sends a real signal to the main thread while the simulated load, over its
real socket, holds the reply back (``Fault.DELAY``), waits until the late reply has
surely arrived, then checks that the next queries get their own replies.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

import pytest

from drivers.load.sim import Fault
from load.support import DIALECTS, SimBench

REPLY_DELAY_S = 0.3
SIGNAL_AFTER_S = 0.1


class StopRequested(BaseException):
    """What a rig's SIGTERM handler might raise: not an Exception, on purpose."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signum)


@pytest.fixture
def handler() -> Iterator[Callable[[int, Callable[[int, FrameType | None], None]], None]]:
    """Install signal handlers for one test and put the old ones back."""
    saved: dict[int, object] = {}

    def install(signum: int, function: Callable[[int, FrameType | None], None]) -> None:
        saved.setdefault(signum, signal.getsignal(signum))
        signal.signal(signum, function)

    yield install
    for signum, old in saved.items():
        signal.signal(signum, old)  # type: ignore[arg-type]


def _signal_main_thread_in(seconds: float, signum: int) -> threading.Timer:
    timer = threading.Timer(seconds, signal.pthread_kill, (threading.main_thread().ident, signum))
    timer.start()
    return timer


INTERRUPTIONS = {
    "ctrl-c": (signal.SIGINT, signal.default_int_handler, KeyboardInterrupt),
    "handler-exception": (signal.SIGUSR1, _raise_stop, StopRequested),
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("how", sorted(INTERRUPTIONS))
def test_a_query_interrupted_mid_reply_does_not_shift_later_replies(
    bench: SimBench, handler: Callable[..., None], dialect: str, how: str
) -> None:
    signum, function, raised = INTERRUPTIONS[how]
    handler(signum, function)
    sim = bench.simulator(dialect)
    load = bench.driver(sim, timeout_s=1.0)  # the delayed reply is no timeout
    identity = load.identity()
    load.set_current(6.0)
    sim.inject(Fault.DELAY, match="CURR?", delay_s=REPLY_DELAY_S)

    timer = _signal_main_thread_in(SIGNAL_AFTER_S, signum)
    started = time.perf_counter()
    with pytest.raises(raised):
        load.current_setpoint()
    timer.join()
    assert time.perf_counter() - started < REPLY_DELAY_S  # interrupted while pending
    assert load.session.stale
    time.sleep(REPLY_DELAY_S)  # the late "6.0000" has reached the old connection by now

    assert load.identity() == identity
    assert load.input_enabled() is False
    assert load.current_setpoint() == pytest.approx(6.0)
    late = [line for line, reply in sim.transcript if reply is not None and "CURR?" in line]
    assert len(late) == 2  # the interrupted query was really sent and answered


def test_an_interrupted_setting_is_confirmed_after_the_reopen(
    bench: SimBench, handler: Callable[..., None]
) -> None:
    """Ctrl-C while a setting waits for its error-queue check: the next setting works."""
    handler(signal.SIGINT, signal.default_int_handler)
    sim = bench.simulator("chroma63800")
    load = bench.driver(sim, timeout_s=1.0)
    sim.inject(Fault.DELAY, match="SYST:ERR?", delay_s=REPLY_DELAY_S)
    timer = _signal_main_thread_in(SIGNAL_AFTER_S, signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        load.set_input(True)
    timer.join()
    time.sleep(REPLY_DELAY_S)
    load.set_input(False)  # a safe-state teardown after Ctrl-C
    assert load.input_enabled() is False
    assert bench.model.load_settings().input_on is False
