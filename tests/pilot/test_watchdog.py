"""The pilot box's communication watchdog, over the real wires (slcan over TCP, serial over TCP).

A controller that goes silent — killed with SIGKILL in another process, or its
heartbeat thread stopped — must leave the simulated box in state A with no PWM
within ``watchdog_ms`` + 100 ms of wall time, judged from the coupled model's
truth, not from the driver. A live driver that says nothing for many timeouts
must not trip it, and 0 disarms.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from drivers.errors import InstrumentRejected
from drivers.kinds import Pilot, PilotState
from drivers.pilot.keeper import HEARTBEATS_PER_TIMEOUT
from drivers.pilot.sim import Wire
from drivers.sim.runtime import SimLoop
from tests.pilot.simbench import SimBench, close_soon, start_bench

WATCHDOG_MS = 300
#: What the issue allows on top of the timeout, wall clock.
SLACK_S = 0.1


@pytest.fixture(params=["can", "serial"])
def wire(request: pytest.FixtureRequest) -> Wire:
    value: Wire = request.param
    return value


@pytest.fixture
def own(sim_loop: SimLoop, wire: Wire) -> Iterator[SimBench]:
    started = start_bench(sim_loop, wire)
    yield started
    started.sim.stop()


@pytest.fixture
def pilot(own: SimBench) -> Iterator[Pilot]:
    driver = own.open()
    yield driver
    close_soon(driver)


def seconds_until_pilot_a(bench: SimBench, limit_s: float, since: float | None = None) -> float:
    """Wall seconds from ``since`` (default: now) until the model's truth shows state A
    with no PWM; inf if not within ``limit_s``."""
    start = time.monotonic() if since is None else since
    while (elapsed := time.monotonic() - start) <= limit_s:
        truth = bench.model.truth()
        if truth.pilot_state is PilotState.A and truth.duty_pct == 100.0:
            return elapsed
        time.sleep(0.002)
    return float("inf")


CONTROLLER = """
import json, sys, time
from drivers.kinds import PilotState
from drivers.pilot import open_pilot
pilot = open_pilot(json.loads(sys.argv[1]), name="doomed-controller")
pilot.set_duty(50.0)
pilot.set_state(PilotState.C)
pilot.arm_watchdog(int(sys.argv[2]))
print("charging", flush=True)
time.sleep(60)
"""


def test_sigkilled_controller_leaves_pilot_a_without_pwm_in_time(own: SimBench) -> None:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    controller = subprocess.Popen(
        [sys.executable, "-c", CONTROLLER, json.dumps(own.sim.endpoint), str(WATCHDOG_MS)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert controller.stdout is not None
        assert controller.stdout.readline().strip() == "charging"
        time.sleep(3 * WATCHDOG_MS / 1000)  # alive and quiet: the heartbeats hold it
        assert own.model.truth().pilot_state is PilotState.C
        controller.send_signal(signal.SIGKILL)
        elapsed = seconds_until_pilot_a(own, 2.0, since=time.monotonic())
    finally:
        controller.kill()
        controller.wait(5)
    period_s = WATCHDOG_MS / 1000 / HEARTBEATS_PER_TIMEOUT
    assert WATCHDOG_MS / 1000 - period_s - 0.02 <= elapsed <= WATCHDOG_MS / 1000 + SLACK_S
    truth = own.model.truth()
    assert truth.pilot_state is PilotState.A
    assert truth.duty_pct == 100.0
    assert any(event.name == "pilot_watchdog" for event in own.model.events)


def test_stopped_heartbeat_trips_and_the_status_says_so(own: SimBench, pilot: Pilot) -> None:
    pilot.set_duty(50.0)
    pilot.set_state(PilotState.C)
    armed = pilot.arm_watchdog(WATCHDOG_MS)
    assert armed.armed and armed.timeout_ms == WATCHDOG_MS
    assert "state A" in armed.how
    status = pilot.status()
    assert status.watchdog_armed and not status.watchdog_tripped
    pilot._keeper.stop_beating()  # type: ignore[attr-defined]  # the controller hangs
    elapsed = seconds_until_pilot_a(own, 2.0)
    assert elapsed <= WATCHDOG_MS / 1000 + SLACK_S
    status = pilot.status()
    assert status.state is PilotState.A
    assert status.frequency_hz == 0.0 and status.duty_pct == 100.0
    assert status.watchdog_tripped and status.watchdog_armed


def test_tripped_box_refuses_to_reenergise_until_armed_again(own: SimBench, pilot: Pilot) -> None:
    pilot.arm_watchdog(WATCHDOG_MS)
    pilot._keeper.stop_beating()  # type: ignore[attr-defined]
    assert seconds_until_pilot_a(own, 2.0) < 2.0
    time.sleep(WATCHDOG_MS / 1000 + SLACK_S)
    with pytest.raises(InstrumentRejected, match="NOT_READY"):
        pilot.set_state(PilotState.C)
    with pytest.raises(InstrumentRejected, match="NOT_READY"):
        pilot.set_duty(50.0)
    pilot.set_state(PilotState.A)  # safe state still works on a tripped box
    pilot.set_duty(100.0)
    pilot.arm_watchdog(WATCHDOG_MS)  # a new run arms: the trip clears
    assert not pilot.status().watchdog_tripped
    pilot.set_state(PilotState.B)
    assert own.model.truth().pilot_state is PilotState.B


def test_live_driver_through_a_long_quiet_period_does_not_trip(own: SimBench, pilot: Pilot) -> None:
    pilot.set_duty(50.0)
    pilot.set_state(PilotState.C)
    pilot.arm_watchdog(WATCHDOG_MS)
    time.sleep(8 * WATCHDOG_MS / 1000)  # no request at all: only heartbeats
    assert own.model.truth().pilot_state is PilotState.C
    status = pilot.status()
    assert status.state is PilotState.C and not status.watchdog_tripped


def test_zero_disarms(own: SimBench, pilot: Pilot) -> None:
    pilot.arm_watchdog(WATCHDOG_MS)
    disarmed = pilot.arm_watchdog(0)
    assert not disarmed.armed and disarmed.timeout_ms == 0
    assert not pilot._keeper.beating  # type: ignore[attr-defined]
    pilot.set_state(PilotState.C)
    time.sleep(3 * WATCHDOG_MS / 1000)
    status = pilot.status()
    assert status.state is PilotState.C
    assert not status.watchdog_armed and not status.watchdog_tripped


def test_close_leaves_the_watchdog_armed(own: SimBench) -> None:
    driver = own.open()
    driver.set_state(PilotState.B)
    driver.arm_watchdog(WATCHDOG_MS)
    driver.close()  # a clean exit: the box still goes safe once the rig is silent
    assert seconds_until_pilot_a(own, 2.0) <= WATCHDOG_MS / 1000 + SLACK_S


def test_out_of_range_timeout_is_refused_before_sending(pilot: Pilot) -> None:
    for bad in (-1, 65536):
        with pytest.raises(ValueError, match="0–65535"):
            pilot.arm_watchdog(bad)
    assert not pilot.status().watchdog_armed


def test_simulator_armed_at_start_trips_without_any_controller(
    sim_loop: SimLoop, wire: Wire
) -> None:
    started = start_bench(sim_loop, wire, watchdog_ms=WATCHDOG_MS)
    try:
        started.model.set_duty(50.0)
        started.model.set_pilot_state(PilotState.C)
        assert seconds_until_pilot_a(started, 2.0) <= WATCHDOG_MS / 1000 + SLACK_S
        driver = started.open()
        try:
            assert driver.status().watchdog_tripped
        finally:
            close_soon(driver)
    finally:
        started.sim.stop()


def test_ev_sim_has_no_watchdog_and_says_what_covers_it(sim_loop: SimLoop) -> None:
    started = start_bench(sim_loop, "ev_sim")
    driver = started.open()
    try:
        report = driver.arm_watchdog(1000)
        assert not report.armed
        assert "no communication watchdog" in report.how
        assert "E-stop" in report.how
    finally:
        close_soon(driver)
        started.sim.stop()
