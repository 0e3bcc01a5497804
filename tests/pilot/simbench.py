"""The simulated pilot benches the tests run on, shared by the conftest and the test modules.

(Kept out of ``conftest.py`` so that every module imports the same objects:
pytest loads a conftest under its own module name.)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from drivers.kinds import Pilot
from drivers.pilot import open_pilot
from drivers.pilot.sim import PilotSim, Wire, start_pilot_sim
from drivers.sim.model import BenchModel, ModelConfig
from drivers.sim.runtime import SimLoop
from rig.clock import VirtualClock

#: ev_sim report period for tests (the real device: 1 s).
EV_SIM_PERIOD_S = 0.025
#: The EVSE's duty while the ev_sim (vehicle side only) is tested.
EV_SIM_EVSE_DUTY = 50.0

_closing: list[threading.Thread] = []


def close_soon(pilot: Pilot) -> None:
    """Close a simulator-side driver in the background.

    pyserial's ``socket://`` ports sleep 0.3 s in ``close()`` ("in case of quick
    reconnects"); closing off the test's path keeps the suite fast. The session
    fixture joins them all (:func:`join_closing`) before the loop stops.
    """
    thread = threading.Thread(target=pilot.close, name="pilot-close", daemon=True)
    thread.start()
    _closing.append(thread)


@dataclass
class SimBench:
    """One simulated pilot device on one wire, with the model and clock behind it."""

    wire: Wire
    clock: VirtualClock
    model: BenchModel
    sim: PilotSim

    def open(self, **overrides: Any) -> Pilot:
        return open_pilot({**self.sim.endpoint, **overrides}, name=f"pilot-{self.wire}")


def start_bench(loop: SimLoop, wire: Wire, *, seed: int = 7, **options: Any) -> SimBench:
    """A fresh model on a virtual clock, its pilot device served on ``wire``.

    ``options`` go to :func:`drivers.pilot.sim.start_pilot_sim`.
    """
    clock = VirtualClock(1_700_000_000.0)
    model = BenchModel(ModelConfig(seed=seed), clock)
    if wire == "ev_sim":
        model.set_duty(EV_SIM_EVSE_DUTY)  # the EVSE's PWM: the ev_sim cannot set it
        options.setdefault("periodic_s", EV_SIM_PERIOD_S)
    return SimBench(wire, clock, model, start_pilot_sim(loop, model, wire, **options))


def join_closing() -> None:
    """Wait for every :func:`close_soon` to finish."""
    while _closing:
        _closing.pop().join(5.0)
