"""Fixtures for the load tests: simulated loads on one SimLoop, or a real load.

Without options every contract test runs against the simulator of each dialect
(``scpi``, ``chroma63800``, ``it8600``) over its real socket, through pyvisa. Given a
real load, the same contract tests run against it instead::

    .venv/bin/pytest tests/load --load-resource TCPIP0::192.168.1.50::5025::SOCKET \\
        --load-dialect chroma63800

The contract tests keep the input off except where they switch it on and off again,
use setpoints of a few amperes, and leave the load with its input off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drivers.load import open_load
from drivers.sim.runtime import SimLoop
from load.support import DIALECTS, ContractTarget, SimBench


@pytest.fixture(scope="session")
def sim_loop() -> Iterator[SimLoop]:
    with SimLoop("load-tests") as loop:
        yield loop


@pytest.fixture
def bench(sim_loop: SimLoop) -> Iterator[SimBench]:
    made = SimBench(sim_loop)
    yield made
    made.close()


def _contract_params(config: pytest.Config) -> list[Any]:
    resource = config.getoption("load_resource")
    if resource:
        return [f"real-{config.getoption('load_dialect')}"]
    skip = pytest.mark.skip(reason="no real load: give --load-resource and --load-dialect")
    return [f"sim-{dialect}" for dialect in DIALECTS] + [pytest.param("real-", marks=skip)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "contract" in metafunc.fixturenames:
        metafunc.parametrize("contract", _contract_params(metafunc.config), indirect=True)


@pytest.fixture
def contract(request: pytest.FixtureRequest, sim_loop: SimLoop) -> Iterator[ContractTarget]:
    kind, _, dialect = str(request.param).partition("-")
    if kind == "real":
        resource = request.config.getoption("load_resource")
        timeout_s = request.config.getoption("load_timeout")
        load = open_load(dialect, resource, timeout_s=timeout_s)
        target = ContractTarget(load, dialect, None)
        cleanup: Callable[[], None] = lambda: None  # noqa: E731
    else:
        made = SimBench(sim_loop)
        sim, load = made.pair(dialect)
        target = ContractTarget(load, dialect, sim)
        cleanup = made.close
    try:
        yield target
    finally:
        try:  # safe state, confirmed by reading back
            load.set_input(False)
            assert not load.input_enabled(), "load input still on after the test"
        finally:
            load.close()
            cleanup()
