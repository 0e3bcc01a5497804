"""Fixtures for the meter tests: simulated meters on one SimLoop, or a real meter.

Without options every contract test runs against the simulated meter, over its
real wire, for each map (``sdm630``, ``sunspec``) and framing (Modbus TCP, RTU over
a ``socket://`` link). Given a real meter, the same contract tests run against it::

    .venv/bin/pytest tests/meter --meter-url tcp://192.168.1.60:502 --meter-map sunspec
    .venv/bin/pytest tests/meter --meter-url /dev/ttyUSB0 --meter-baud 9600 \\
        --meter-map sdm630 --meter-unit 1

The contract tests only read: they never write a register of a real meter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from drivers.kinds import PilotState
from drivers.meter import METER_MAPS, open_meter
from drivers.meter.registry import ModbusMeter
from drivers.meter.sim import Framing, MeterSim
from drivers.sim.model import BenchModel, MeterConfig, ModelConfig
from drivers.sim.runtime import SimLoop
from rig.clock import VirtualClock

TEST_TIMEOUT_S = 0.15  # short: the fault tests wait for it, and the suite must stay fast
START_WH = 12_345.0  # a SunSpec acc32 total of 0 means "not implemented", so never start there
CHARGE_A = 16.0


@pytest.fixture(scope="session")
def sim_loop() -> Iterator[SimLoop]:
    with SimLoop("meter-tests") as loop:
        yield loop


@dataclass
class MeterBench:
    """A fresh model on a virtual clock, charging at 16 A, and the meters started on it."""

    loop: SimLoop
    clock: VirtualClock = field(default_factory=lambda: VirtualClock(1_750_000_000.0))
    model: BenchModel = field(init=False)
    sims: list[MeterSim] = field(default_factory=list)
    meters: list[ModbusMeter] = field(default_factory=list)

    def __post_init__(self) -> None:
        config = ModelConfig(seed=11, eumd=MeterConfig(start_wh=START_WH))
        self.model = BenchModel(config, self.clock)

    def charge(self, amps: float = CHARGE_A) -> None:
        """Plug in, advertise 30 A, draw ``amps``; wait for the contactor."""
        self.model.set_duty(50.0)
        self.model.set_load_current(amps)
        self.model.set_load_input(True)
        self.model.set_pilot_state(PilotState.C)
        self.clock.advance(5.0)

    def simulator(
        self, framing: Framing = "tcp", map_name: str = "sdm630", **options: Any
    ) -> MeterSim:
        sim = MeterSim(self.model, framing=framing, map_name=map_name, **options)
        sim.start_on(self.loop)
        self.sims.append(sim)
        return sim

    def driver(self, sim: MeterSim, map_name: str = "sdm630", **options: Any) -> ModbusMeter:
        options.setdefault("timeout_s", TEST_TIMEOUT_S)
        options.setdefault("name", "eumd")
        meter = open_meter(map_name, sim.endpoint.url, unit=sim.unit, **options)
        self.meters.append(meter)
        return meter

    def close(self) -> None:
        for meter in self.meters:
            meter.close()
        for sim in self.sims:
            sim.stop_on(self.loop)


@pytest.fixture
def bench(sim_loop: SimLoop) -> Iterator[MeterBench]:
    b = MeterBench(sim_loop)
    b.charge()
    yield b
    b.close()


#: Every registered map over both framings (a new map joins the contract suite), and a
#: real meter when one is given.
CONTRACT_TARGETS = [
    *((framing, map_name) for framing in ("tcp", "rtu") for map_name in METER_MAPS),
    ("bench", "given"),
]


@dataclass
class MeterUnderTest:
    """A meter for the contract suite, and the model behind it when simulated."""

    meter: ModbusMeter
    bench: MeterBench | None


@pytest.fixture(params=CONTRACT_TARGETS, ids=lambda p: f"{p[0]}-{p[1]}")
def meter_under_test(request: pytest.FixtureRequest, sim_loop: SimLoop) -> Iterator[MeterUnderTest]:
    framing, map_name = request.param
    config = request.config
    if framing == "bench":
        url = config.getoption("--meter-url", default=None)
        if not url:
            pytest.skip("no real meter given (--meter-url)")
        meter = open_meter(
            config.getoption("--meter-map"),
            url,
            unit=config.getoption("--meter-unit"),
            baudrate=config.getoption("--meter-baud"),
            timeout_s=config.getoption("--meter-timeout"),
            name="meter-under-test",
        )
        yield MeterUnderTest(meter, None)
        meter.close()
        return
    b = MeterBench(sim_loop)
    b.charge()
    sim = b.simulator(framing, map_name)
    yield MeterUnderTest(b.driver(sim, map_name), b)
    b.close()
