"""Fixtures for the pilot tests: simulated devices on real wires, or a real device by option.

Without options, the contract suite runs against the simulated device over each
wire (slcan over TCP, serial lines over TCP, ev_sim over TCP). To run it against
a real pilot simulator as well::

    pytest tests/pilot --pilot-dialect can --pilot-interface pcan \\
        --pilot-channel PCAN_USBBUS1 --pilot-bitrate 500000
    pytest tests/pilot --pilot-dialect serial --pilot-url /dev/ttyUSB0
    pytest tests/pilot --pilot-dialect ev_sim --pilot-url /dev/ttyACM0

The ``device`` cases are skipped when no ``--pilot-dialect`` is given. The
options are registered in the root ``conftest.py``, so they work from any
directory; the simulated benches themselves are in ``simbench.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from drivers.kinds import Pilot, PilotState
from drivers.pilot import open_pilot
from drivers.pilot.sim_wire import SIM_WIRES
from drivers.sim.runtime import SimLoop
from tests.pilot.simbench import SimBench, close_soon, join_closing, start_bench

#: Every simulated wire (one per pilot dialect): a new dialect joins the contract suite.
WIRES = list(SIM_WIRES)


def device_config(config: pytest.Config) -> dict[str, Any] | None:
    """The driver configuration the options describe, or None without --pilot-dialect."""
    dialect = config.getoption("--pilot-dialect")
    if not dialect:
        return None
    if dialect == "can":
        return {
            "dialect": "can",
            "interface": config.getoption("--pilot-interface"),
            "channel": config.getoption("--pilot-channel"),
            "bitrate": config.getoption("--pilot-bitrate"),
            "base_id": config.getoption("--pilot-base-id"),
        }
    settings: dict[str, Any] = {"dialect": dialect, "url": config.getoption("--pilot-url")}
    if config.getoption("--pilot-baudrate"):
        settings["baudrate"] = config.getoption("--pilot-baudrate")
    return settings


@pytest.fixture(scope="session")
def sim_loop() -> Iterator[SimLoop]:
    with SimLoop("pilot-tests") as loop:
        yield loop
        join_closing()


@pytest.fixture(scope="module", params=WIRES)
def bench(request: pytest.FixtureRequest, sim_loop: SimLoop) -> Iterator[SimBench]:
    """A simulated device per wire, shared by a module's tests."""
    started = start_bench(sim_loop, request.param)
    yield started
    started.sim.stop()


@pytest.fixture(scope="module", params=[*WIRES, "device"])
def contract_pilot(request: pytest.FixtureRequest, sim_loop: SimLoop) -> Iterator[Pilot]:
    """A Pilot for the contract suite: the simulator over each wire, or the real device."""
    if request.param == "device":
        settings = device_config(request.config)
        if settings is None:
            pytest.skip("no real pilot simulator given (--pilot-dialect ...)")
        pilot = open_pilot(settings, name="pilot-device")
        yield pilot
        try:
            pilot.set_state(PilotState.A)  # safe state, confirmed by read-back
        finally:
            pilot.close()
        return
    started = start_bench(sim_loop, request.param)
    pilot = started.open()
    yield pilot
    pilot.set_state(PilotState.A)
    close_soon(pilot)
    started.sim.stop()
