"""The simulated pilot-signal simulator, reachable across processes over a real wire.

Start one on the shared :class:`~drivers.sim.runtime.SimLoop`, fed by the coupled
model, and open it with the ordinary driver::

    with SimLoop() as loop:
        model = BenchModel(ModelConfig(), VirtualClock())
        sim = start_pilot_sim(loop, model, "can")          # or "serial", "ev_sim"
        pilot = open_pilot(sim.endpoint)                   # drivers.pilot.open_pilot
        pilot.set_state(PilotState.C)
        sim.inject(Fault.SILENCE)                          # next request: InstrumentTimeout
        sim.inject(Fault.NONE)
        sim.drop_links()                                   # next request: connection error
        pilot.close(); sim.stop()

``sim.endpoint`` is the driver configuration for the wire (it is also what
``rig sim`` writes to its endpoints file):

- ``can``: ``{"dialect": "can", "interface": "slcan",
  "channel": "socket://127.0.0.1:PORT", "bitrate": 500000, "base_id": 1536}``.
  The server is a simulated slcan USB-CAN adapter (:mod:`drivers.pilot.sim_slcan`)
  with the device on its bus, so python-can's own ``slcan`` interface is the
  client: the ``virtual`` bus does not cross processes and vcan is not available.
- ``serial``: ``{"dialect": "serial", "url": "socket://127.0.0.1:PORT"}``
  (:mod:`drivers.pilot.sim_serial`).
- ``ev_sim``: ``{"dialect": "ev_sim", "url": "socket://127.0.0.1:PORT",
  "report_period_s": ...}`` (:mod:`drivers.pilot.sim_evsim`).

Servers listen on 127.0.0.1 only, on ``port`` (0: any free port). Periodic
output runs on wall time; requests are answered from the model at its clock's
current time, so what a test reads is deterministic.
"""

from __future__ import annotations

from typing import Any, Literal

from drivers.kinds import Identity, PilotState
from drivers.pilot.protocol import DEFAULT_BASE_ID, DEFAULT_BITRATE
from drivers.pilot.sim_device import SIM_IDENTITY, Fault, PilotDevice, PilotModel
from drivers.pilot.sim_evsim import EvSimWire
from drivers.pilot.sim_serial import SerialPilotWire
from drivers.pilot.sim_slcan import SlcanPilotWire
from drivers.pilot.sim_tcp import HOST, TcpWire
from drivers.sim.runtime import SimLoop

Wire = Literal["can", "serial", "ev_sim"]
WIRES: tuple[Wire, ...] = ("can", "serial", "ev_sim")
EV_SIM_STATES = frozenset({PilotState.A, PilotState.B, PilotState.C, PilotState.D})


class PilotSim:
    """A simulated pilot device listening on one wire. Build with :func:`start_pilot_sim`."""

    def __init__(
        self, loop: SimLoop, wire: TcpWire, device: PilotDevice, endpoint: dict[str, Any]
    ) -> None:
        self._loop = loop
        self.wire = wire
        self.device = device
        self.endpoint = endpoint

    @property
    def port(self) -> int:
        return self.wire.port

    def inject(self, fault: Fault | str) -> None:
        """Make the device misbehave from now on (``Fault.NONE`` heals it)."""
        self.device.fault = Fault(fault)

    def drop_links(self) -> None:
        """Close every client connection now, like a pulled cable; the server keeps listening."""

        async def drop() -> None:
            self.wire.drop_links()

        self._loop.run(drop())

    def stop(self) -> None:
        self._loop.run(self.wire.stop())
        self.device.close()

    def __enter__(self) -> PilotSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def make_wire(
    model: PilotModel,
    wire: Wire,
    *,
    identity: Identity = SIM_IDENTITY,
    periodic_s: float | None = None,
    base_id: int = DEFAULT_BASE_ID,
    ev_sim_with_state: bool = False,
    states: frozenset[PilotState] = frozenset(PilotState),
    watchdog_ms: int = 0,
) -> tuple[TcpWire, PilotDevice]:
    """The device and its (not yet listening) server; ``periodic_s`` None = the wire's default.

    ``states`` limits what a CAN or serial device accepts (others: ``UNSUPPORTED``);
    ``watchdog_ms`` arms a CAN or serial device's watchdog from the start (the ev_sim
    has none: ignored there).
    """
    if wire == "can":
        device = PilotDevice(model, identity=identity, states=states, watchdog_ms=watchdog_ms)
        return SlcanPilotWire(device, base_id=base_id, periodic_s=_or(periodic_s, 0.5)), device
    if wire == "serial":
        device = PilotDevice(model, identity=identity, states=states, watchdog_ms=watchdog_ms)
        return SerialPilotWire(device, periodic_s=_or(periodic_s, 1.0)), device
    if wire == "ev_sim":
        device = PilotDevice(model, identity=identity, states=EV_SIM_STATES, can_set_duty=False)
        period = _or(periodic_s, 1.0)
        return EvSimWire(device, report_period_s=period, with_state=ev_sim_with_state), device
    raise ValueError(f"unknown pilot wire {wire!r} (known: {', '.join(WIRES)})")


def endpoint_for(wire: Wire, server: TcpWire, *, base_id: int = DEFAULT_BASE_ID) -> dict[str, Any]:
    """The driver configuration (for :func:`drivers.pilot.open_pilot`) that reaches ``server``."""
    url = f"socket://{HOST}:{server.port}"
    if wire == "can":
        return {
            "dialect": "can",
            "interface": "slcan",
            "channel": url,
            "bitrate": DEFAULT_BITRATE,
            "base_id": base_id,
        }
    if wire == "serial":
        return {"dialect": "serial", "url": url}
    assert isinstance(server, EvSimWire)
    return {"dialect": "ev_sim", "url": url, "report_period_s": server.tick_s}


def start_pilot_sim(
    loop: SimLoop,
    model: PilotModel,
    wire: Wire,
    *,
    port: int = 0,
    identity: Identity = SIM_IDENTITY,
    periodic_s: float | None = None,
    base_id: int = DEFAULT_BASE_ID,
    ev_sim_with_state: bool = False,
    states: frozenset[PilotState] = frozenset(PilotState),
    watchdog_ms: int = 0,
) -> PilotSim:
    """Start the simulated device on ``wire`` on ``loop`` (127.0.0.1:``port``).

    ``periodic_s`` is the wall-time period of unsolicited status output (defaults:
    CAN 0.5 s, serial 1 s, ev_sim 1 s as the real device; 0 turns it off).
    ``states`` makes a CAN or serial device that refuses other states
    (``UNSUPPORTED``), like a vehicle-only box refusing F. ``watchdog_ms`` > 0 arms
    the device's communication watchdog at start (as the bench's ``watchdog_ms``
    would on a real box that keeps it armed across power cycles): with no frame
    from a rig for that long, the model's pilot goes to A with no PWM. The ev_sim
    has no watchdog; ``watchdog_ms`` is ignored for it.
    """
    server, device = make_wire(
        model,
        wire,
        identity=identity,
        periodic_s=periodic_s,
        base_id=base_id,
        ev_sim_with_state=ev_sim_with_state,
        states=states,
        watchdog_ms=watchdog_ms,
    )
    loop.run(server.start(port))
    return PilotSim(loop, server, device, endpoint_for(wire, server, base_id=base_id))


__all__ = ["WIRES", "Fault", "PilotDevice", "PilotSim", "make_wire", "start_pilot_sim"]
