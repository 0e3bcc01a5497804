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

from typing import Any

from drivers.kinds import Identity, PilotState
from drivers.pilot.protocol import DEFAULT_BASE_ID
from drivers.pilot.sim_device import SIM_IDENTITY, Fault, PilotDevice, PilotModel
from drivers.pilot.sim_wire import SIM_WIRES, SimWire, WireOptions
from drivers.sim.runtime import SimLoop

#: A simulated wire is named after the pilot dialect it speaks.
Wire = str


class PilotSim:
    """A simulated pilot device listening on one wire. Build with :func:`start_pilot_sim`."""

    def __init__(
        self, loop: SimLoop, wire: SimWire, device: PilotDevice, endpoint: dict[str, Any]
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


def make_wire(model: PilotModel, wire: str, options: WireOptions) -> SimWire:
    """The device and its (not yet listening) server for the dialect ``wire``."""
    return SIM_WIRES.get_or_raise(wire, "pilot simulator")(model, options)


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

    ``wire`` is a pilot dialect name (``can``, ``serial``, ``ev_sim``: the wires in
    :data:`~drivers.pilot.sim_wire.SIM_WIRES`). ``periodic_s`` is the wall-time
    period of unsolicited status output (defaults: CAN 0.5 s, serial 1 s, ev_sim 1 s
    as the real device; 0 turns it off). ``states`` makes a CAN or serial device
    that refuses other states (``UNSUPPORTED``), like a vehicle-only box refusing F.
    ``watchdog_ms`` > 0 arms the device's communication watchdog at start (as the
    bench's ``watchdog_ms`` would on a real box that keeps it armed across power
    cycles): with no frame from a rig for that long, the model's pilot goes to A with
    no PWM. The ev_sim has no watchdog; ``watchdog_ms`` is ignored for it.
    """
    options = WireOptions(identity, periodic_s, base_id, ev_sim_with_state, states, watchdog_ms)
    server = make_wire(model, wire, options)
    loop.run(server.start(port))
    return PilotSim(loop, server, server.device, server.endpoint())


__all__ = ["Fault", "PilotDevice", "PilotSim", "make_wire", "start_pilot_sim"]
