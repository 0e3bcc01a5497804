"""``rig demo``: one short simulated charge, and what each instrument saw at each step.

The demo starts the simulated bench on a virtual clock (so 15 simulated minutes of
charging take well under a second), opens the same drivers a lab bench would use,
over the same wires, and walks one J1772 session:

====  ==============================================================
A     idle, nothing plugged in
B     plugged in; the EVSE advertises 16 A (26.7 % duty)
C     the vehicle asks to charge; wait for the EVSE contactor (≤ 3 s)
load  the load draws 15 A (under the advertised 16 A)
...   charge 15 simulated minutes, a row every 5 minutes
B     load off, back to B; wait for the contactor to open
A     unplugged
====  ==============================================================

Each row shows the pilot (state, duty, contactor), the load's own measurement and
the EUMD's (voltage, current, power, energy counted since the start). At the end
the bench is put in safe state by :class:`~rig.bench.safe.Bench` and the EUMD's
energy is compared with the model's exact integral, within the meter's accuracy
class. The next issues turn this into the compliance run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drivers.j1772 import ampacity_from_duty, duty_from_ampacity
from drivers.kinds import MeterSnapshot, PilotState
from drivers.meter.energy import snapshot_delta
from rig.bench.build import open_bench
from rig.bench.config import load_bench
from rig.bench.safe import Bench
from rig.bench.simulated import SimulatedBench
from rig.bench.wait import wait_for
from rig.clock import Clock

ADVERTISED_A = 16.0  # or the EVSE's own limit, if lower
SETPOINT_A = ADVERTISED_A - 1.0  # the vehicle draws a little under what it may
CHARGE_MINUTES = 15
ROW_EVERY_MINUTES = 5


@dataclass(frozen=True)
class Row:
    """What the pilot, load and EUMD saw after one step."""

    t_s: float
    step: str
    pilot_state: str
    duty_pct: float
    contactor: str
    load_input: str
    load_a: float
    load_w: float
    meter_v: float
    meter_a: float
    meter_w: float
    meter_wh: float


HEADER = (
    f"{'t':>6}  {'step':<28} {'pilot':>5} {'duty %':>6} {'adv A':>5} {'contactor':>9}"
    f"  {'load':>4} {'load A':>6} {'load W':>6}  {'meter V':>7} {'meter A':>7} {'meter W':>7}"
    f" {'meter Wh':>8}"
)


def format_row(row: Row) -> str:
    minutes, seconds = divmod(round(row.t_s), 60)
    return (
        f"{minutes:3d}:{seconds:02d}  {row.step:<28} {row.pilot_state:>5} {row.duty_pct:6.1f}"
        f" {ampacity_from_duty(row.duty_pct):5.1f} {row.contactor:>9}  {row.load_input:>4}"
        f" {row.load_a:6.2f} {row.load_w:6.0f}  {row.meter_v:7.1f} {row.meter_a:7.2f}"
        f" {row.meter_w:7.0f} {row.meter_wh:8.1f}"
    )


class Session:
    """Drives one simulated charge on ``bench`` and records a :class:`Row` per step."""

    def __init__(
        self,
        bench: Bench,
        clock: Clock,
        emit: Callable[[str], None],
        advertise_a: float = ADVERTISED_A,
    ) -> None:
        self.bench = bench
        self.advertise_a = advertise_a
        self.setpoint_a = advertise_a - (ADVERTISED_A - SETPOINT_A)
        self.clock = clock
        self.emit = emit
        self.start_t = clock.now()
        self.first: MeterSnapshot = bench.eumd.snapshot()
        self.last: MeterSnapshot = self.first
        self.rows: list[Row] = []

    def observe(self, step: str) -> Row:
        pilot = self.bench.pilot.status()
        load = self.bench.load.measure()
        on = self.bench.load.input_enabled()
        self.last = self.bench.eumd.snapshot()
        counted = snapshot_delta(self.first, self.last, instrument="eumd").wh
        contactor = {None: "?", True: "closed", False: "open"}[pilot.contactor_closed]
        row = Row(
            t_s=self.clock.now() - self.start_t,
            step=step,
            pilot_state=pilot.state.value,
            duty_pct=pilot.duty_pct,
            contactor=contactor,
            load_input="on" if on else "off",
            load_a=load.current_a,
            load_w=load.power_w,
            meter_v=self.last.voltage_v,
            meter_a=self.last.current_a,
            meter_w=self.last.power_w,
            meter_wh=counted,
        )
        self.rows.append(row)
        self.emit(format_row(row))
        return row

    def contactor(self, closed: bool, within_s: float) -> None:
        wait_for(
            lambda: self.bench.pilot.status().contactor_closed,
            until=lambda value: value is closed,
            within_s=within_s,
            clock=self.clock,
            what=f"EVSE contactor {'closed' if closed else 'open'}",
            poll_s=0.05,
        )

    def run(self) -> None:
        pilot, load = self.bench.pilot, self.bench.load
        self.emit(HEADER)
        self.observe("A  idle, unplugged")
        pilot.set_state(PilotState.B)
        self.observe("B  plugged in")
        pilot.set_duty(duty_from_ampacity(self.advertise_a))
        self.observe(f"B  EVSE advertises {self.advertise_a:g} A")
        pilot.set_state(PilotState.C)
        self.observe("C  vehicle asks to charge")
        self.contactor(True, within_s=3.0)
        self.observe("C  contactor closed")
        load.set_current(self.setpoint_a)
        load.set_input(True)
        self.clock.sleep(2.0)
        self.observe(f"C  load on at {self.setpoint_a:g} A")
        for minute in range(ROW_EVERY_MINUTES, CHARGE_MINUTES + 1, ROW_EVERY_MINUTES):
            self.clock.sleep(ROW_EVERY_MINUTES * 60.0)
            self.observe(f"C  charging, {minute} min")
        load.set_input(False)
        self.observe("C  load off")
        pilot.set_state(PilotState.B)
        self.contactor(False, within_s=0.5)
        self.observe("B  contactor open")
        pilot.set_state(PilotState.A)
        self.observe("A  unplugged")


def run_demo(bench_file: str | Path, emit: Callable[[str], None] = print) -> int:
    """Run the demo on the simulated bench ``bench_file``; return the exit status."""
    config = load_bench(bench_file)
    if config.simulation is None:
        emit(f"{bench_file}: the demo needs a simulated bench (a `simulation:` section)")
        return 2
    with SimulatedBench(config, clock="virtual") as sim:
        emit(f"simulated bench '{config.bench}' on a virtual clock:")
        for role, endpoint in sim.endpoints.items():
            emit(f"  {role:<14} " + "  ".join(f"{k}={v}" for k, v in endpoint.items()))
        emit("")
        with open_bench(sim.config, sim.clock) as bench:
            advertise = min(ADVERTISED_A, config.simulation.evse_max_a)
            session = Session(bench, sim.clock, emit, advertise_a=advertise)
            session.run()
        emit("")
        emit("safe state confirmed: load input off, pilot in state A")
        counted = snapshot_delta(session.first, session.last, instrument="eumd").wh
        exact = sim.model.truth().energy_wh
        accuracy = config.eumd.accuracy_pct
        error_pct = (counted - exact) / exact * 100.0 if exact else 0.0
        verdict = "within" if abs(error_pct) <= accuracy else "OUTSIDE"
        emit(
            f"EUMD counted {counted:.1f} Wh; the model's exact integral is {exact:.1f} Wh "
            f"({error_pct:+.2f} %, {verdict} class {config.eumd.accuracy_class} ±{accuracy:g} %)"
        )
        return 0 if verdict == "within" else 1
