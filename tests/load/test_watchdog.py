"""The load's communication watchdog: a silent controller leaves the input off.

On the wall clock, over the simulator's real socket: the simulated load switches its
input off within ``timeout_ms`` + 100 ms of the last command; the driver's keep-alive
holds it on while the controller lives, even when the controller itself says nothing
for many timeouts; a controller killed with SIGKILL (another process, so the kill is
real) trips it; ``arm_watchdog(0)`` disables it. Real dialects without a watchdog say
so instead of pretending.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from drivers.kinds import PilotState
from drivers.load import ScpiLoad
from drivers.load.sim import Fault
from load.support import DIALECTS, SimBench

WATCHDOG_MS = 400
SLACK_S = 0.1  # the bound the issue sets: off within timeout_ms + 100 ms


def _drawing(bench: SimBench, load: ScpiLoad) -> None:
    bench.model.set_duty(50.0)
    bench.model.set_pilot_state(PilotState.C)
    load.set_current(10.0)
    load.set_input(True)
    bench.clock.advance(5.0)
    assert bench.model.load_reading().current_a > 5.0


def _input_on(bench: SimBench) -> bool:
    return bench.model.load_settings().input_on


def _seconds_until(condition: Callable[[], bool], limit_s: float) -> float:
    started = time.perf_counter()
    while not condition():
        elapsed = time.perf_counter() - started
        if elapsed > limit_s:
            pytest.fail(f"still not so after {elapsed:.3f} s")
        time.sleep(0.002)
    return time.perf_counter() - started


@pytest.mark.parametrize("dialect", DIALECTS)
def test_input_goes_off_within_the_timeout_after_the_controller_stops(
    bench: SimBench, dialect: str
) -> None:
    sim = bench.simulator(dialect, watchdog_ms=WATCHDOG_MS)
    load = bench.driver(sim)
    _drawing(bench, load)
    # the controller goes silent here (no keep-alive: arm_watchdog was never called)
    silent_for = _seconds_until(lambda: not _input_on(bench), WATCHDOG_MS / 1000 + 1.0)
    assert WATCHDOG_MS / 1000 - 0.05 <= silent_for <= WATCHDOG_MS / 1000 + SLACK_S
    assert bench.model.load_reading().current_a == 0.0
    assert sim.watchdog_trips == 1
    assert load.input_enabled() is False  # the instrument reports it too


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_keep_alive_holds_the_input_on_while_the_controller_lives(
    bench: SimBench, dialect: str
) -> None:
    sim = bench.simulator(dialect, watchdog_ms=WATCHDOG_MS)
    load = bench.driver(sim)
    load.arm_watchdog(WATCHDOG_MS)
    _drawing(bench, load)
    time.sleep(4 * WATCHDOG_MS / 1000)  # the controller has nothing to say
    assert _input_on(bench)
    assert sim.watchdog_trips == 0
    pings = [line for line, _ in sim.transcript if line == "*OPC?"]
    assert 6 <= len(pings) <= 16  # one per third of the timeout of silence
    load.session.keep_alive(0)  # a hung controller: the keep-alive is gone too
    silent_for = _seconds_until(lambda: not _input_on(bench), WATCHDOG_MS / 1000 + 1.0)
    assert silent_for <= WATCHDOG_MS / 1000 + SLACK_S


def test_busy_controller_needs_no_keep_alive(bench: SimBench) -> None:
    sim = bench.simulator("chroma63800", watchdog_ms=WATCHDOG_MS)
    load = bench.driver(sim)
    load.arm_watchdog(WATCHDOG_MS)
    ended = time.perf_counter() + 3 * WATCHDOG_MS / 1000
    while time.perf_counter() < ended:
        load.measure()
        time.sleep(0.02)
    assert [line for line, _ in sim.transcript if line == "*OPC?"] == []


CONTROLLER = """
import sys, time
from drivers.load import open_load
load = open_load(sys.argv[1], sys.argv[2], timeout_s=0.5)
load.arm_watchdog(int(sys.argv[3]))
load.set_current(10.0)
load.set_input(True)
print("drawing", flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("dialect", ["scpi", "chroma63800"])
def test_a_killed_controller_trips_the_watchdog(bench: SimBench, dialect: str) -> None:
    sim = bench.simulator(dialect, watchdog_ms=WATCHDOG_MS if dialect != "scpi" else 0)
    bench.model.set_duty(50.0)
    bench.model.set_pilot_state(PilotState.C)
    args = [sys.executable, "-c", CONTROLLER, dialect, sim.endpoint, str(WATCHDOG_MS)]
    controller = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert controller.stdout is not None
        assert controller.stdout.readline().strip() == "drawing"
        time.sleep(3 * WATCHDOG_MS / 1000)  # alive and silent: the keep-alive works
        assert _input_on(bench)
        controller.kill()  # SIGKILL: no teardown, no safe state from the controller
        off_after = _seconds_until(lambda: not _input_on(bench), WATCHDOG_MS / 1000 + 1.0)
    finally:
        controller.kill()
        controller.wait(timeout=5)
    assert off_after <= WATCHDOG_MS / 1000 + SLACK_S
    assert sim.watchdog_trips == 1


def test_the_generic_dialect_arms_and_disarms_over_the_wire(bench: SimBench) -> None:
    sim = bench.simulator("scpi")
    load = bench.driver(sim)
    armed = load.arm_watchdog(WATCHDOG_MS)
    assert armed.armed and armed.timeout_ms == WATCHDOG_MS
    assert "SYST:COMM:WATC 0.400" in armed.how
    assert sim.instrument.watchdog_ms == WATCHDOG_MS
    disarmed = load.arm_watchdog(0)
    assert not disarmed.armed and "disabled" in disarmed.how
    assert sim.instrument.watchdog_ms == 0
    _drawing(bench, load)
    sent = len(sim.transcript)
    time.sleep(3 * WATCHDOG_MS / 1000)
    assert _input_on(bench)
    assert sim.watchdog_trips == 0
    assert len(sim.transcript) == sent  # no keep-alive either


def test_a_load_refusing_the_command_is_reported_unarmed(bench: SimBench) -> None:
    sim = bench.simulator("scpi")
    load = bench.driver(sim)
    sim.inject(Fault.ERROR, match="SYST:COMM", error=(-113, "Undefined header"))
    result = load.arm_watchdog(WATCHDOG_MS)
    assert not result.armed
    assert "Undefined header" in result.how
    assert sim.error_queue() == []  # drained by the setting's check


@pytest.mark.parametrize("dialect", ["chroma63800", "it8600"])
def test_real_dialects_without_a_watchdog_say_what_covers_the_bench(
    bench: SimBench, dialect: str
) -> None:
    sim = bench.simulator(dialect)
    load = bench.driver(sim)
    load.identity()  # the opening *CLS has surely arrived
    sent = len(sim.transcript)
    result = load.arm_watchdog(1000)
    assert not result.armed and result.timeout_ms == 1000
    assert "no communication watchdog" in result.how and "E-stop" in result.how
    assert len(sim.transcript) == sent  # nothing invented was sent
    load.arm_watchdog(0)


def test_close_stops_the_keep_alive(bench: SimBench) -> None:
    sim = bench.simulator("it8600")
    load = bench.driver(sim)
    load.arm_watchdog(150)
    load.identity()
    load.close()
    sent = len(sim.transcript)
    time.sleep(0.3)
    assert len(sim.transcript) == sent


def test_negative_timeouts_are_refused(bench: SimBench) -> None:
    sim = bench.simulator("scpi")
    load = bench.driver(sim)
    with pytest.raises(ValueError, match=">= 0 ms"):
        load.arm_watchdog(-1)
