"""Fixtures for the bench tests: the default simulated bench, started per test.

``sim`` is a running :class:`~rig.bench.simulated.SimulatedBench` built from
``fixtures/benches/sim.yaml`` (virtual clock, every simulator on 127.0.0.1); its
``meters``, ``load`` and ``pilot`` attributes are the simulators, for fault
injection, and ``model`` is the physical truth the tests check against.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rig.bench.config import BenchConfig, load_bench
from rig.bench.simulated import SimulatedBench

ROOT = Path(__file__).resolve().parents[2]
SIM_BENCH = ROOT / "fixtures" / "benches" / "sim.yaml"


@pytest.fixture
def sim_config() -> BenchConfig:
    return load_bench(SIM_BENCH)


@pytest.fixture
def sim(sim_config: BenchConfig) -> Iterator[SimulatedBench]:
    with SimulatedBench(sim_config, clock="virtual") as running:
        yield running
