"""Safe state on every exit path, against the real simulators over their wires.

Every test drives a charge to "load drawing, contactor closed", leaves the
``with Bench`` block a different way, and then asks the physical model (the truth
behind the simulators, not the drivers) whether the load input is off and the
pilot is in state A. Where safe state cannot be confirmed, the bench must raise
:class:`SafeStateError` naming the instrument, never pass quietly.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from drivers.errors import InstrumentError
from drivers.j1772 import duty_from_ampacity
from drivers.kinds import Load, PilotState
from drivers.load.sim import Fault as LoadFault
from drivers.meter.sim_faults import WireFault
from drivers.pilot.sim import Fault as PilotFault
from rig.bench.build import open_bench
from rig.bench.safe import Bench
from rig.bench.safe_outcome import SafeStateError
from rig.bench.simulated import SimulatedBench
from rig.bench.stop_signals import Interrupted, current_stop, stop_signals
from rig.bench.wait import WaitTimeout, wait_for

CONFIRM_S = 0.5


@pytest.fixture
def bench(sim: SimulatedBench) -> Iterator[Bench]:
    bench = open_bench(sim.config, confirm_timeout_s=CONFIRM_S)
    yield bench
    bench.close()


def charging(bench: Bench, sim: SimulatedBench) -> None:
    """Drive the bench to a live charge: state C, contactor closed, load drawing 10 A."""
    bench.pilot.set_state(PilotState.B)
    bench.pilot.set_duty(duty_from_ampacity(16.0))
    bench.pilot.set_state(PilotState.C)
    wait_for(
        lambda: bench.pilot.status().contactor_closed,
        within_s=3.0,
        clock=sim.clock,
        what="contactor closed",
    )
    bench.load.set_current(10.0)
    bench.load.set_input(True)
    sim.clock.sleep(5.0)
    truth = sim.model.truth()
    assert truth.contactor_closed and truth.current_a == pytest.approx(10.0)


def assert_safe(sim: SimulatedBench) -> None:
    truth = sim.model.truth()
    assert sim.model.load_settings().input_on is False
    assert truth.pilot_state == PilotState.A
    assert truth.current_a == 0.0


class InterruptingLoad:
    """The real driver, but Ctrl-C (SIGINT) arrives just as safe state switches the input off."""

    def __init__(self, real: Load) -> None:
        self.real = real
        self.name = real.name

    def __getattr__(self, attribute: str) -> object:
        return getattr(self.real, attribute)

    def set_input(self, on: bool) -> None:
        if not on:
            signal.raise_signal(signal.SIGINT)
        self.real.set_input(on)


def test_normal_exit(bench: Bench, sim: SimulatedBench) -> None:
    with bench:
        charging(bench, sim)
    assert_safe(sim)
    assert bench.closed


def test_exception(bench: Bench, sim: SimulatedBench) -> None:
    with pytest.raises(RuntimeError, match="a check failed"), bench:
        charging(bench, sim)
        raise RuntimeError("a check failed")
    assert_safe(sim)


def test_keyboard_interrupt(bench: Bench, sim: SimulatedBench) -> None:
    with pytest.raises(KeyboardInterrupt), bench:
        charging(bench, sim)
        signal.raise_signal(signal.SIGINT)  # a real Ctrl-C, through Python's handler
    assert_safe(sim)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_stop_signals_take_the_same_path(
    bench: Bench, sim: SimulatedBench, signum: signal.Signals
) -> None:
    with pytest.raises(Interrupted) as caught, stop_signals() as stop, bench:
        charging(bench, sim)
        signal.raise_signal(signum)
    assert_safe(sim)
    assert caught.value.signum == signum and caught.value.exit_code == 128 + signum
    assert stop.signal == signum.name and stop.raised
    assert stop.safe_state is not None and stop.safe_state.pilot_state == "A"
    assert stop.safe_state.load_input_on is False
    assert current_stop() is None  # the block is over
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL


def test_signal_at_the_first_instruction_of_exit_still_reaches_safe_state(
    bench: Bench, sim: SimulatedBench
) -> None:
    """SIGTERM lands on ``Bench.__exit__``'s first instruction, before anything holds it."""

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code is Bench.__exit__.__code__:
            sys.settrace(None)
            signal.raise_signal(signal.SIGTERM)  # handled right here, inside the call

    with pytest.raises(Interrupted), stop_signals() as stop:
        with bench:
            charging(bench, sim)
            sys.settrace(tracer)
        pytest.fail("the held SIGTERM must be raised once safe state is done")
    assert_safe(sim)
    assert stop.safe_state is not None and bench.closed


def test_second_signal_while_stopping_is_held_and_reported(
    bench: Bench, sim: SimulatedBench
) -> None:
    with pytest.raises(Interrupted) as caught, stop_signals() as stop, bench:
        charging(bench, sim)
        bench.load = InterruptingLoad(bench.load)  # type: ignore[assignment]
        signal.raise_signal(signal.SIGTERM)
    assert caught.value.signum == signal.SIGTERM
    assert_safe(sim)
    assert stop.held == ["SIGINT"] and stop.safe_state is not None
    assert "held while stopping (not acted on): SIGINT" in stop.describe()


def test_timeout(bench: Bench, sim: SimulatedBench) -> None:
    with pytest.raises(WaitTimeout, match="waiting for state D"), bench:
        charging(bench, sim)
        wait_for(
            lambda: bench.pilot.status().state,
            until=lambda state: state == PilotState.D,
            within_s=3.0,
            clock=sim.clock,
            what="state D",
        )
    assert_safe(sim)


def test_instrument_error_mid_session(bench: Bench, sim: SimulatedBench) -> None:
    with pytest.raises(InstrumentError) as caught, bench:
        charging(bench, sim)
        sim.meters["eumd"].faults.inject(WireFault.NO_REPLY)  # until cleared
        bench.eumd.snapshot()
    assert "eumd" in str(caught.value)
    assert_safe(sim)


def test_load_link_dropped_mid_session_still_reaches_safe_state(
    bench: Bench, sim: SimulatedBench
) -> None:
    assert sim.load is not None
    with pytest.raises(InstrumentError), bench:
        charging(bench, sim)
        sim.load.inject(LoadFault.DROP, match="MEAS")
        bench.load.measure()
    assert_safe(sim)  # the load driver reopened its link for the teardown


def test_load_that_cannot_be_turned_off_is_loud(
    bench: Bench, sim: SimulatedBench, caplog: pytest.LogCaptureFixture
) -> None:
    assert sim.load is not None
    with pytest.raises(SafeStateError) as caught, bench:
        charging(bench, sim)
        sim.load.inject(LoadFault.ERROR, match="LOAD 0", times=1000)
    error = caught.value
    assert [failure.role for failure in error.failures] == ["load"]
    assert "input off" in str(error) and "SAFE STATE NOT CONFIRMED" in str(error)
    assert "InstrumentRejected" in error.failures[0].reason
    assert any(record.levelname == "CRITICAL" for record in caplog.records)
    assert sim.model.load_settings().input_on is True  # really still on: the error is true
    assert sim.model.truth().pilot_state == PilotState.A  # the pilot was still made safe


def test_failed_teardown_keeps_the_original_error(bench: Bench, sim: SimulatedBench) -> None:
    assert sim.load is not None
    with pytest.raises(SafeStateError) as caught, bench:
        charging(bench, sim)
        sim.load.inject(LoadFault.ERROR, match="LOAD 0", times=1000)
        raise RuntimeError("the run itself failed")
    assert isinstance(caught.value.__context__, RuntimeError)


def test_silent_pilot_without_a_watchdog_is_loud(bench: Bench, sim: SimulatedBench) -> None:
    assert sim.pilot is not None
    bench.pilot.arm_watchdog(0)  # as a bench file with watchdog_ms: 0
    bench.watchdogs.clear()
    with pytest.raises(SafeStateError) as caught, bench:
        charging(bench, sim)
        sim.pilot.inject(PilotFault.SILENCE)
    assert [failure.role for failure in caught.value.failures] == ["pilot"]
    assert "state A" in str(caught.value)
    assert sim.model.load_settings().input_on is False  # the load was still made safe


def test_silent_pilot_with_its_watchdog_armed_is_starved_safe_and_said_so(
    bench: Bench, sim: SimulatedBench, caplog: pytest.LogCaptureFixture
) -> None:
    assert sim.pilot is not None and bench.watchdogs["pilot"].armed
    caplog.set_level(logging.INFO, logger="rig.bench.safe")
    with bench:
        charging(bench, sim)
        sim.pilot.inject(PilotFault.SILENCE)
    assert_safe(sim)  # the pilot box tripped on its own once the rig fell silent
    assert "pilot in state A by its own watchdog (link lost, not read back)" in caplog.text


def test_second_ctrl_c_during_teardown_is_held(bench: Bench, sim: SimulatedBench) -> None:
    with pytest.raises(KeyboardInterrupt), bench:
        charging(bench, sim)
        bench.load = InterruptingLoad(bench.load)  # type: ignore[assignment]
    assert_safe(sim)  # the held Ctrl-C was delivered only after safe state
