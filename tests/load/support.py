"""Helpers shared by the load tests: a simulated bench and the contract target.

Imported as ``load.support`` (``tests/load`` is a package so that its test modules
cannot collide with another kind's modules of the same name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drivers.load import DIALECTS as LOAD_DIALECTS
from drivers.load import ScpiLoad, open_load
from drivers.load.sim import LoadSimulator
from drivers.sim.model import BenchModel, ModelConfig
from drivers.sim.runtime import SimLoop
from rig.clock import VirtualClock

#: Every registered dialect: a new one joins the contract, fault and watchdog tests.
DIALECTS = tuple(LOAD_DIALECTS)
TEST_TIMEOUT_S = 0.2  # short: fault tests wait for it, and the suite must stay fast


@dataclass
class SimBench:
    """A fresh model on a virtual clock, and the simulated loads started on it."""

    loop: SimLoop
    clock: VirtualClock = field(default_factory=VirtualClock)
    model: BenchModel = field(init=False)
    sims: list[LoadSimulator] = field(default_factory=list)
    loads: list[ScpiLoad] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.model = BenchModel(ModelConfig(seed=7), self.clock)

    def simulator(self, dialect: str, **options: Any) -> LoadSimulator:
        sim = LoadSimulator(self.model, dialect, **options)
        sim.start_on(self.loop)
        self.sims.append(sim)
        return sim

    def driver(self, sim: LoadSimulator, **options: Any) -> ScpiLoad:
        options.setdefault("timeout_s", TEST_TIMEOUT_S)
        load = open_load(sim.dialect, sim.endpoint, **options)
        self.loads.append(load)
        return load

    def pair(self, dialect: str, **options: Any) -> tuple[LoadSimulator, ScpiLoad]:
        sim = self.simulator(dialect, **options)
        return sim, self.driver(sim)

    def close(self) -> None:
        for load in self.loads:
            load.close()
        for sim in self.sims:
            sim.stop_on(self.loop)


@dataclass
class ContractTarget:
    """What a contract test gets: the driver, its dialect, and the simulator if any."""

    load: ScpiLoad
    dialect: str
    sim: LoadSimulator | None
