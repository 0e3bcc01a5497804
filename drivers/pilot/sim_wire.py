"""How a simulated pilot wire is declared: one factory per dialect, registered by name.

Each simulated wire module (:mod:`drivers.pilot.sim_slcan` for ``can``,
:mod:`drivers.pilot.sim_serial` for ``serial``, :mod:`drivers.pilot.sim_evsim` for
``ev_sim``) registers a factory under the dialect name its driver registers in
:data:`drivers.pilot.registry.DIALECTS`. A factory builds the device on the model
and the (not yet listening) server; the server says, in :meth:`SimWire.endpoint`,
the driver configuration that reaches it. :func:`drivers.pilot.sim.start_pilot_sim`
looks the factory up and starts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from drivers.kinds import Identity, PilotState
from drivers.pilot.protocol import DEFAULT_BASE_ID
from drivers.pilot.sim_device import SIM_IDENTITY, PilotDevice, PilotModel
from drivers.pilot.sim_tcp import HOST, TcpWire
from drivers.registry import Registry


@dataclass(frozen=True)
class WireOptions:
    """How to build a simulated device and its wire (see ``start_pilot_sim``).

    ``periodic_s`` None is the wire's own default period of unsolicited output.
    A wire takes the options that apply to it (``base_id`` on CAN,
    ``ev_sim_with_state`` on the ev_sim) and ignores the others.
    """

    identity: Identity = SIM_IDENTITY
    periodic_s: float | None = None
    base_id: int = DEFAULT_BASE_ID
    ev_sim_with_state: bool = False
    states: frozenset[PilotState] = frozenset(PilotState)
    watchdog_ms: int = 0

    def period(self, default: float) -> float:
        """``periodic_s``, or ``default`` where none was given."""
        return default if self.periodic_s is None else self.periodic_s

    def device(self, model: PilotModel) -> PilotDevice:
        """The device a CAN or serial box is: every state allowed by ``states``, a watchdog."""
        return PilotDevice(
            model, identity=self.identity, states=self.states, watchdog_ms=self.watchdog_ms
        )


class SimWire(TcpWire):
    """A simulated pilot wire: a :class:`TcpWire` with its device and its endpoint."""

    device: PilotDevice

    @property
    def url(self) -> str:
        """Where a driver connects: ``socket://127.0.0.1:PORT``."""
        return f"socket://{HOST}:{self.port}"

    def endpoint(self) -> dict[str, Any]:
        """The driver configuration (for :func:`drivers.pilot.open_pilot`) that reaches it."""
        raise NotImplementedError


class WireFactory(Protocol):
    def __call__(self, model: PilotModel, options: WireOptions) -> SimWire: ...


#: Simulated wire factories by pilot dialect name.
SIM_WIRES: Registry[WireFactory] = Registry(
    "simulated pilot wire", "drivers.pilot", simulators=True
)
