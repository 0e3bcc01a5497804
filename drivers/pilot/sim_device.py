"""The simulated pilot device itself, independent of the wire it is reached over.

:class:`PilotDevice` is what sits behind the CAN adapter, the serial line or the
ev_sim port in simulation: it applies commands to the coupled physical model
(``model.set_pilot_state``, ``model.set_duty``), measures through it
(``model.pilot_status()``), answers with a :class:`~drivers.pilot.protocol.ResultCode`,
and carries the injected :class:`Fault` every wire consults before it answers.

The model's noise is a pure function of (seed, channel, model time step), so
periodic frames sent on wall time do not disturb the readings a test requests.
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from enum import StrEnum
from typing import Protocol

from drivers.kinds import Identity, PilotState, PilotStatus
from drivers.pilot.protocol import ResultCode


class PilotModel(Protocol):
    """What the device needs from :class:`drivers.sim.model.BenchModel`."""

    def set_pilot_state(self, state: PilotState) -> None: ...

    def set_duty(self, duty_pct: float) -> None: ...

    def pilot_status(self) -> PilotStatus: ...


class Fault(StrEnum):
    """What is wrong with the simulated device (link drops are separate: ``drop_links``)."""

    NONE = "none"
    SILENCE = "silence"  # answers nothing, sends nothing, applies nothing
    GARBAGE = "garbage"  # answers with bytes that decode to nothing valid
    TRUNCATED = "truncated"  # answers cut short
    OUT_OF_RANGE = "out_of_range"  # well-formed readings no pilot circuit can produce
    LATE = "late"  # answers arrive LATE_S after the request: after the driver gave up


#: How late a LATE answer comes (drivers wait 0.3 s by default).
LATE_S = 0.5


SIM_IDENTITY = Identity(
    manufacturer="EV Roaming Rig", model="PilotSim", serial="SIM-0001", firmware="1.0"
)

#: What OUT_OF_RANGE makes the device report.
IMPOSSIBLE = {"high_v": 30.0, "duty_pct": 150.0}


class PilotDevice:
    """A pilot-signal simulator in front of ``model``. Thread-safe ``fault`` attribute."""

    def __init__(
        self,
        model: PilotModel,
        *,
        identity: Identity = SIM_IDENTITY,
        states: frozenset[PilotState] = frozenset(PilotState),
        can_set_duty: bool = True,
    ) -> None:
        self.model = model
        self.identity = identity
        self.states = states
        self.can_set_duty = can_set_duty
        self._lock = threading.Lock()
        self._fault = Fault.NONE

    @property
    def fault(self) -> Fault:
        with self._lock:
            return self._fault

    @fault.setter
    def fault(self, fault: Fault) -> None:
        with self._lock:
            self._fault = Fault(fault)

    def set_state(self, state: PilotState) -> ResultCode:
        if state not in self.states:
            return ResultCode.UNSUPPORTED
        self.model.set_pilot_state(state)
        return ResultCode.OK

    def set_duty(self, duty_pct: float) -> ResultCode:
        if not self.can_set_duty:
            return ResultCode.UNSUPPORTED
        if not (math.isfinite(duty_pct) and 0.0 <= duty_pct <= 100.0):
            return ResultCode.BAD_VALUE
        self.model.set_duty(duty_pct)
        return ResultCode.OK

    def status(self) -> PilotStatus:
        status = self.model.pilot_status()
        if self.fault is Fault.OUT_OF_RANGE:
            status = replace(status, high_v=IMPOSSIBLE["high_v"], duty_pct=IMPOSSIBLE["duty_pct"])
        return status


def truncate(data: bytes, keep_first: int = 1) -> bytes:
    """About half of ``data``, never less than its first ``keep_first`` bytes."""
    return data[: max(keep_first, len(data) // 2)]
