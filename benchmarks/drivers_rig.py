"""The rig ``bench_drivers.py`` measures: one model on a virtual clock, its simulators.

Every simulated instrument runs on one :class:`~drivers.sim.runtime.SimLoop`, each
behind its real wire on 127.0.0.1: an SDM630 over Modbus TCP and over RTU framing
(with the line timing of :data:`RTU_BAUD`), and two SCPI loads (Chroma 63800, ITECH
IT8600).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from drivers.j1772 import duty_from_ampacity
from drivers.kinds import PilotState
from drivers.load.dialect import ScpiLoad
from drivers.load.sim import LoadSimulator
from drivers.meter.sim import MeterSim
from drivers.sim.model import BenchModel, MeterConfig, ModelConfig
from drivers.sim.runtime import SimLoop
from rig.clock import VirtualClock

HOST = "127.0.0.1"
RTU_BAUD = 9600
CHARGE_A = 16.0


@dataclass
class Rig:
    """One model on a virtual clock and its simulators, all on one SimLoop."""

    loop: SimLoop
    clock: VirtualClock
    model: BenchModel
    meter_tcp: MeterSim
    meter_sunspec: MeterSim
    meter_rtu: MeterSim
    chroma: LoadSimulator
    it8600: LoadSimulator


@contextmanager
def simulated_rig() -> Iterator[Rig]:
    clock = VirtualClock(1_780_000_000.0)
    model = BenchModel(ModelConfig(seed=42, eumd=MeterConfig(start_wh=1_523_400.0)), clock)
    with ExitStack() as stack:
        loop = stack.enter_context(SimLoop("bench-drivers"))
        meter_tcp = MeterSim(model, framing="tcp", host=HOST)
        meter_sunspec = MeterSim(model, map_name="sunspec", framing="tcp", host=HOST)
        meter_rtu = MeterSim(model, framing="rtu", line_baud=RTU_BAUD, host=HOST)
        chroma = LoadSimulator(model, "chroma63800", host=HOST)
        it8600 = LoadSimulator(model, "it8600", host=HOST)
        for meter in (meter_tcp, meter_sunspec, meter_rtu):
            meter.start_on(loop)
            stack.callback(meter.stop_on, loop)
        for load in (chroma, it8600):
            load.start_on(loop)
            stack.callback(load.stop_on, loop)
        yield Rig(loop, clock, model, meter_tcp, meter_sunspec, meter_rtu, chroma, it8600)


def start_charge(rig: Rig, load: ScpiLoad) -> None:
    """Plug in at 32 A advertised, load draws 16 A (set over SCPI), contactor closed."""
    rig.model.set_pilot_state(PilotState.B)
    rig.model.set_duty(duty_from_ampacity(32.0))
    load.set_current(CHARGE_A)
    load.set_input(True)
    rig.model.set_pilot_state(PilotState.C)
    rig.clock.advance(5.0)
