"""Link recovery of the CAN and serial pilot drivers, with the link broken on the wire.

A :class:`~rig.bench.wirefault.WireFault` TCP proxy sits between the driver and
the simulated box (the slcan adapter or the serial line): ``drop()`` pulls the
cable (connections closed, new ones refused), ``restore()`` plugs it back. The
driver must reopen by itself, so the next ``set_state`` — what safe state sends —
succeeds, and a query interrupted by a ``BaseException`` must leave the link
stale so the next one resynchronises.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from types import FrameType

import pytest

from drivers.errors import InstrumentConnectionError
from drivers.kinds import Pilot, PilotState
from drivers.pilot import open_pilot
from drivers.pilot.sim import Fault, Wire
from drivers.pilot.sim_device import LATE_S
from drivers.sim.runtime import SimLoop
from rig.bench.wirefault import WireFault
from tests.pilot.simbench import SimBench, close_soon, start_bench


@pytest.fixture(params=["can", "serial"])
def own(request: pytest.FixtureRequest, sim_loop: SimLoop) -> Iterator[SimBench]:
    wire: Wire = request.param
    started = start_bench(sim_loop, wire)
    yield started
    started.sim.stop()


@pytest.fixture
def proxy(own: SimBench) -> Iterator[WireFault]:
    with WireFault("127.0.0.1", own.sim.port) as fault:
        yield fault


@pytest.fixture
def pilot(own: SimBench, proxy: WireFault) -> Iterator[Pilot]:
    endpoint = dict(own.sim.endpoint)
    url = f"socket://127.0.0.1:{proxy.port}"
    endpoint["channel" if own.wire == "can" else "url"] = url
    driver = open_pilot(endpoint, name=f"pilot-{own.wire}")
    yield driver
    close_soon(driver)


def reopens(pilot: Pilot) -> int:
    count: int = pilot._keeper.reopens  # type: ignore[attr-defined]
    return count


def test_set_state_succeeds_after_the_link_comes_back(
    own: SimBench, proxy: WireFault, pilot: Pilot
) -> None:
    pilot.set_state(PilotState.C)
    proxy.drop()
    with pytest.raises(InstrumentConnectionError):
        pilot.set_state(PilotState.A)  # the cable is out: loud, not silent
    with pytest.raises(InstrumentConnectionError):
        pilot.set_state(PilotState.A)  # still out: the reopen is refused
    proxy.restore()
    pilot.set_state(PilotState.A)  # reopened, sent, confirmed by read-back
    assert own.model.truth().pilot_state is PilotState.A
    # a dropped proxy accepts and then closes, so a reopen may "succeed" into a dead link
    assert reopens(pilot) >= 1


def test_a_blip_between_commands_costs_nothing(
    own: SimBench, proxy: WireFault, pilot: Pilot
) -> None:
    """Dropped and back before the next command: the driver finds the link dead,
    reopens it and sends once more, without raising."""
    pilot.set_state(PilotState.C)
    proxy.drop()
    time.sleep(0.05)
    proxy.restore()
    pilot.set_state(PilotState.A)
    assert own.model.truth().pilot_state is PilotState.A
    assert pilot.status().state is PilotState.A
    assert reopens(pilot) == 1


def test_heartbeats_reopen_the_link_and_keep_the_box_fed(
    own: SimBench, proxy: WireFault, pilot: Pilot
) -> None:
    """A blip shorter than the watchdog does not trip it: the heartbeat thread reopens."""
    pilot.set_state(PilotState.C)
    pilot.arm_watchdog(1000)
    proxy.drop()
    time.sleep(0.2)
    proxy.restore()
    time.sleep(1.5)  # longer than the timeout: only the heartbeats' reopened link feeds it
    assert own.model.truth().pilot_state is PilotState.C
    assert not pilot.status().watchdog_tripped
    assert reopens(pilot) >= 1


def test_a_cable_out_longer_than_the_watchdog_trips_it(
    own: SimBench, proxy: WireFault, pilot: Pilot
) -> None:
    pilot.set_state(PilotState.C)
    pilot.arm_watchdog(300)
    proxy.drop()
    time.sleep(0.6)
    assert own.model.truth().pilot_state is PilotState.A
    proxy.restore()
    status = pilot.status()  # through a reopened link
    assert status.state is PilotState.A and status.watchdog_tripped


def test_an_interrupted_query_leaves_the_link_stale_and_the_next_one_resyncs(
    own: SimBench, pilot: Pilot
) -> None:
    """Ctrl-C while a reply is on its way: the late reply must not answer the next query."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    pilot.set_state(PilotState.C)
    own.sim.inject(Fault.LATE)
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(KeyboardInterrupt):
            pilot.status()  # its answer (C) comes LATE_S later
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert pilot._keeper.stale  # type: ignore[attr-defined]
    own.sim.inject(Fault.NONE)
    time.sleep(LATE_S)  # the late answer has come, on the old link
    own.model.set_pilot_state(PilotState.B)
    assert pilot.status().state is PilotState.B
    assert reopens(pilot) == 1
