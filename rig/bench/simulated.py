"""A simulated bench: one physical model, one clock, a simulator behind every wire.

Given a bench file with a ``simulation:`` section, :class:`SimulatedBench`

1. makes the clock (virtual: simulated time moves only when someone sleeps on it;
   wall: real time, for ``rig sim`` and third-party tools),
2. makes one :class:`~drivers.sim.model.BenchModel` from the ``simulation`` section,
   the meters' accuracy classes (a ``reference`` standard, when the bench has one,
   counts what the EUMD counts with ``simulation.reference``'s own small error) and the
   simulator-side defects of a ``defects:`` section (:mod:`rig.bench.defects`),
3. starts every simulator on one :class:`~drivers.sim.runtime.SimLoop`, on 127.0.0.1,
   each on the wire its bench-file section names: the meters as Modbus TCP, or RTU
   framing over a socket (an RS-485 line, with the baud rate's timing when
   ``rtu_line_timing`` is on); the load as a raw SCPI socket in its dialect; the
   pilot as a simulated slcan CAN adapter, a serial line or an ev_sim board,
4. and returns :attr:`endpoints` (what ``rig sim`` writes as JSON) and
   :attr:`config`, the same bench with every transport pointing at its simulator,
   ready for :func:`rig.bench.build.open_bench`.

A TCP port of 0, a serial port or CAN channel of ``auto`` and a load resource of
``auto`` mean "any free port"; a fixed port in the file is honoured. The
simulators are kept as attributes (``meters``, ``load``, ``pilot``) so tests can
inject faults. :meth:`stop` closes every server and the loop; use the object as a
context manager so that happens on every exit. Keep the :class:`SimulatedBench`
outside any :class:`~rig.bench.safe.Bench` over it: safe state needs the simulators
still running.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from typing import Any, Literal

from drivers.load.sim import LoadSimulator
from drivers.meter.sim import MeterSim, MeterWhich
from drivers.meter.sim_image import SimIdentity, SunSpecScales
from drivers.pilot.sim import PilotSim, start_pilot_sim
from drivers.pilot.sim_device import SIM_IDENTITY
from drivers.sim import model as sim_model
from drivers.sim.model import BenchModel, ModelConfig
from drivers.sim.runtime import SimLoop
from rig.bench.config import (
    AUTO,
    BenchConfig,
    ModbusMeterConfig,
    SimMeter,
    SimPremise,
    Simulation,
)
from rig.bench.transports import CanLink, ModbusRtu, ModbusTcp, SerialLine
from rig.clock import Clock, VirtualClock, WallClock

HOST = "127.0.0.1"
#: Endpoint names in ``rig sim``'s JSON: the EUMD is "the meter" to a third-party tool.
ENDPOINT_KEYS = {"eumd": "meter"}
ClockKind = Literal["virtual", "wall"]
#: Which of the model's meters each bench-file meter role reads.
_MODEL_METER: dict[str, MeterWhich] = {
    "eumd": "eumd",
    "premise_meter": "premise",
    "reference": "reference",
}


class NotSimulated(ValueError):
    """The bench file has no ``simulation:`` section, so there is nothing to start."""


def model_config(config: BenchConfig) -> ModelConfig:
    """The physical model's settings for a simulated bench."""
    sim = config.simulation
    if sim is None:
        raise NotSimulated(f"bench '{config.bench}' is not simulated (no `simulation:` section)")

    def meter(spec: SimMeter, meter: ModbusMeterConfig) -> sim_model.MeterConfig:
        return sim_model.MeterConfig(
            accuracy_pct=meter.accuracy_pct,
            bias_pct=spec.bias_pct,
            noise_pct=spec.noise_pct,
            start_wh=spec.start_total_wh,
        )

    premise_sim = sim.premise or SimPremise()
    premise = None
    if config.premise_meter is not None:
        premise = meter(premise_sim, config.premise_meter)
    reference = None
    if config.reference is not None:
        reference = meter(sim.reference, config.reference)
    model = ModelConfig(
        seed=sim.seed,
        supply=sim.supply,
        evse_max_a=sim.evse_max_a,
        eumd=meter(sim.eumd, config.eumd),
        premise_meter=premise,
        premise_base_load_w=premise_sim.base_load_w,
        reference=reference,
    )
    return config.defects.model(model) if config.defects is not None else model


def _port(value: int | str) -> int:
    """A bench-file port or URL as a listening port: 0 / ``auto`` → any free port."""
    if isinstance(value, int):
        return value
    if value == AUTO:
        return 0
    return int(value.rsplit(":", 1)[-1]) if value.startswith("socket://") else 0


def _digits(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) < 2**32 else None


class SimulatedBench:
    """Start (``with`` / :meth:`start`) and stop the simulators of a simulated bench.

    ``clock`` overrides the bench file's ``simulation.clock``: a kind (``"virtual"``
    or ``"wall"``) or a ready :class:`~rig.clock.Clock`.
    """

    def __init__(self, config: BenchConfig, *, clock: ClockKind | Clock | None = None) -> None:
        if config.simulation is None:
            raise NotSimulated(
                f"bench '{config.bench}' is not simulated: it has no `simulation:` section"
            )
        self.source = config
        self.simulation: Simulation = config.simulation
        self.clock = self._make_clock(clock)
        self.model = BenchModel(model_config(config), self.clock)
        self.loop = SimLoop(f"sim-{config.bench}")
        self.meters: dict[str, MeterSim] = {}
        self.load: LoadSimulator | None = None
        self.pilot: PilotSim | None = None
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.config = config
        self.running = False

    def _make_clock(self, clock: ClockKind | Clock | None) -> Clock:
        if clock is not None and not isinstance(clock, str):
            return clock
        kind = clock or self.simulation.clock
        if kind == "wall":
            return WallClock()
        start = self.simulation.start
        return VirtualClock(start if start is not None else 0.0)

    # -- starting each simulator ----------------------------------------------------------

    def _start_meter(self, role: str, spec: ModbusMeterConfig) -> ModbusMeterConfig:
        t = spec.transport
        which = _MODEL_METER[role]
        sim_spec = {
            "eumd": self.simulation.eumd,
            "premise": self.simulation.premise,
            "reference": self.simulation.reference,
        }[which] or SimMeter()
        identity = SimIdentity(
            serial=spec.serial_number or SimIdentity.serial,
            sdm_serial=_digits(spec.serial_number) or SimIdentity.sdm_serial,
        )
        rtu = isinstance(t, ModbusRtu)
        line_baud = None
        if isinstance(t, ModbusRtu) and self.simulation.rtu_line_timing:
            line_baud = t.baudrate
        meter = MeterSim(
            self.model,
            which=which,
            map_name=spec.map,
            unit=max(t.unit, 1),
            framing="rtu" if rtu else "tcp",
            line_baud=line_baud,
            sunspec_model=sim_spec.sunspec_model,
            scales=SunSpecScales(energy=sim_spec.energy_scale),
            identity=identity,
            host=HOST,
            port=_port(t.port),
        )
        endpoint = meter.start_on(self.loop)
        self.meters[role] = meter
        self.endpoints[ENDPOINT_KEYS.get(role, role)] = endpoint.describe(spec.map)
        if isinstance(t, ModbusTcp):
            moved: ModbusTcp | ModbusRtu = t.model_copy(
                update={"host": endpoint.host, "port": endpoint.port}
            )
        else:
            moved = t.model_copy(update={"port": endpoint.url, "parity": "N", "stopbits": 1})
        return spec.model_copy(update={"transport": moved})

    def _start_load(self) -> None:
        spec = self.config.load
        resource = spec.resource
        port = 0
        if resource.upper().startswith("TCPIP") and resource.upper().endswith("::SOCKET"):
            with suppress(ValueError, IndexError):
                port = int(resource.split("::")[2])
        self.load = LoadSimulator(
            self.model, spec.dialect, host=HOST, port=port, watchdog_ms=self.config.watchdog_ms
        )
        endpoint = self.load.start_on(self.loop)
        self.endpoints["load"] = {"visa": endpoint, "dialect": spec.dialect}
        self.config = self.config.model_copy(
            update={"load": spec.model_copy(update={"resource": endpoint})}
        )

    def _start_pilot(self) -> None:
        spec = self.config.pilot
        t = spec.transport
        port = _port(t.channel if isinstance(t, CanLink) else t.port)
        base_id = t.base_id if isinstance(t, CanLink) else 0x600
        identity = replace(SIM_IDENTITY, serial=spec.serial_number or SIM_IDENTITY.serial)
        self.pilot = start_pilot_sim(
            self.loop,
            self.model,
            spec.dialect,
            port=port,
            base_id=base_id,
            identity=identity,
            watchdog_ms=self.config.watchdog_ms,
        )
        endpoint = dict(self.pilot.endpoint)
        self.endpoints["pilot"] = endpoint
        moved: CanLink | SerialLine
        if isinstance(t, CanLink):
            moved = t.model_copy(update={"interface": "slcan", "channel": endpoint["channel"]})
        else:
            moved = t.model_copy(update={"port": endpoint["url"]})
        self.config = self.config.model_copy(
            update={"pilot": spec.model_copy(update={"transport": moved})}
        )

    # -- lifetime ---------------------------------------------------------------------------

    def start(self) -> SimulatedBench:
        """Start the loop and every simulator; on any failure stop what started, then raise."""
        if self.running:
            return self
        self.loop.start()
        self.running = True
        try:
            updates: dict[str, Any] = {}
            for role, spec in self.source.meters().items():
                updates[role] = self._start_meter(role, spec)
            self.config = self.source.model_copy(update=updates)
            self._start_load()
            self._start_pilot()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every simulator and the loop (idempotent)."""
        if not self.running:
            return
        self.running = False
        try:
            if self.pilot is not None:
                with suppress(Exception):
                    self.pilot.stop()
            if self.load is not None:
                with suppress(Exception):
                    self.load.stop_on(self.loop)
            for meter in self.meters.values():
                with suppress(Exception):
                    meter.stop_on(self.loop)
        finally:
            self.loop.stop()

    def __enter__(self) -> SimulatedBench:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
