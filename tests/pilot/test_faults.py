"""Every device fault reaches the caller as a typed error naming the instrument, request and reply.

Runs against the simulated device over each wire. Faults are injected into the
device (``sim.inject``); the link drop closes the TCP connection under the driver.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from drivers.errors import (
    InstrumentConnectionError,
    InstrumentReplyError,
    InstrumentTimeout,
)
from drivers.kinds import Pilot, PilotState
from drivers.pilot.link import DEFAULT_TIMEOUT_S
from drivers.pilot.sim import Fault
from drivers.pilot.sim_device import LATE_S
from drivers.sim.runtime import SimLoop
from tests.pilot.simbench import EV_SIM_PERIOD_S, SimBench, close_soon, start_bench


@pytest.fixture(scope="module")
def pilot(bench: SimBench) -> Iterator[Pilot]:
    driver = bench.open()
    yield driver
    close_soon(driver)


@pytest.fixture(autouse=True)
def healed(bench: SimBench) -> Iterator[None]:
    yield
    bench.sim.inject(Fault.NONE)
    settle(bench)


def settle(bench: SimBench) -> None:
    """The ev_sim streams: let reports from before a fault change grow stale."""
    if bench.wire == "ev_sim":
        time.sleep(3 * EV_SIM_PERIOD_S)


def inject(bench: SimBench, fault: Fault) -> None:
    bench.sim.inject(fault)
    settle(bench)


def test_silence_is_a_timeout_that_costs_well_under_a_second(bench: SimBench, pilot: Pilot) -> None:
    inject(bench, Fault.SILENCE)
    start = time.perf_counter()
    with pytest.raises(InstrumentTimeout) as caught:
        pilot.status()
    assert time.perf_counter() - start < 0.6
    assert caught.value.instrument == pilot.name
    assert pilot.name in str(caught.value)
    if bench.wire != "ev_sim":
        assert caught.value.sent  # the request is named
    assert caught.value.received is None


def test_silence_on_a_command_is_a_timeout(bench: SimBench, pilot: Pilot) -> None:
    inject(bench, Fault.SILENCE)
    with pytest.raises(InstrumentTimeout):
        pilot.set_state(PilotState.B)


def test_garbage_is_a_reply_error_showing_what_came(bench: SimBench, pilot: Pilot) -> None:
    inject(bench, Fault.GARBAGE)
    with pytest.raises(InstrumentReplyError) as caught:
        pilot.status()
    assert caught.value.received
    assert "received" in str(caught.value)


def test_garbage_identity_is_a_reply_error(bench: SimBench, pilot: Pilot) -> None:
    if bench.wire == "ev_sim":
        pytest.skip("the ev_sim has no identity query")
    inject(bench, Fault.GARBAGE)
    with pytest.raises(InstrumentReplyError):
        pilot.identity()


def test_garbage_acknowledgement_is_a_reply_error(bench: SimBench, pilot: Pilot) -> None:
    inject(bench, Fault.GARBAGE)
    with pytest.raises(InstrumentReplyError):
        pilot.set_state(PilotState.B)


def test_truncated_reply_is_a_reply_error(bench: SimBench, pilot: Pilot) -> None:
    inject(bench, Fault.TRUNCATED)
    with pytest.raises(InstrumentReplyError) as caught:
        pilot.status()
    assert caught.value.received


def test_out_of_range_reading_is_a_reply_error(bench: SimBench, pilot: Pilot) -> None:
    inject(bench, Fault.OUT_OF_RANGE)
    with pytest.raises(InstrumentReplyError, match=r"out|outside"):
        pilot.status()


def test_driver_recovers_when_the_device_does(bench: SimBench, pilot: Pilot) -> None:
    inject(bench, Fault.SILENCE)
    with pytest.raises(InstrumentTimeout):
        pilot.status()
    inject(bench, Fault.NONE)
    pilot.set_state(PilotState.C)
    assert pilot.status().state == PilotState.C


def test_link_drop_is_survived_by_reopening(bench: SimBench, sim_loop: SimLoop) -> None:
    """A pulled and replugged link: the CAN and serial drivers reopen it and answer.

    The ev_sim driver streams from one reader thread and does not reopen: a drop is
    a connection error there.
    """
    own = start_bench(sim_loop, bench.wire)  # dropping links must not cut the shared driver
    driver = own.open()
    try:
        driver.status()
        own.sim.drop_links()
        time.sleep(0.05)
        if bench.wire == "ev_sim":
            with pytest.raises(InstrumentConnectionError) as caught:
                driver.status()
            assert caught.value.instrument == driver.name
        else:
            assert driver.status().state == PilotState.A
            assert driver._keeper.reopens == 1  # type: ignore[attr-defined]
    finally:
        close_soon(driver)
        own.sim.stop()


def test_a_late_answer_is_never_taken_for_the_next_one(bench: SimBench, pilot: Pilot) -> None:
    """The answer that missed its deadline arrives during the next request: it must not count.

    CAN drops it by its stale token, serial by clearing input before each request.
    """
    if bench.wire == "ev_sim":
        pytest.skip("the ev_sim streams reports; there is no request to answer late")
    pilot.set_state(PilotState.C)
    bench.sim.inject(Fault.LATE)
    with pytest.raises(InstrumentTimeout):
        pilot.status()  # its answer (state C) is on its way, 0.5 s late
    bench.sim.inject(Fault.NONE)
    time.sleep(LATE_S - DEFAULT_TIMEOUT_S + 0.2)  # now it has arrived
    bench.model.set_pilot_state(PilotState.B)  # the vehicle moved on meanwhile
    assert pilot.status().state == PilotState.B
