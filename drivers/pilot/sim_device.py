"""The simulated pilot device itself, independent of the wire it is reached over.

:class:`PilotDevice` is what sits behind the CAN adapter, the serial line or the
ev_sim port in simulation: it applies commands to the coupled physical model
(``model.set_pilot_state``, ``model.set_duty``), measures through it
(``model.pilot_status()``), answers with a :class:`~drivers.pilot.protocol.ResultCode`,
and carries the injected :class:`Fault` every wire consults before it answers.

It also keeps the **communication watchdog** (``docs/pilot-protocol.md``): once
armed with a timeout (by the rig's ``WATCHDOG`` command, or from the start with
``watchdog_ms=``), every frame or line the rig sends feeds it
(:meth:`~PilotDevice.hear`), and a thread of the device's own, on wall time and independent of any
connection, trips it when nothing came for the timeout: the model goes to state A
with no PWM (``model.trip_pilot_watchdog``), the status reports it, and the device
refuses anything but A and 100 % (no PWM) with ``NOT_READY`` until it is armed again.

The model's noise is a pure function of (seed, channel, model time step), so
periodic frames sent on wall time do not disturb the readings a test requests.
"""

from __future__ import annotations

import math
import threading
import time
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

    def trip_pilot_watchdog(self) -> None:
        """State A and no PWM at once: what a tripped communication watchdog does."""
        ...


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
        watchdog_ms: int = 0,
    ) -> None:
        self.model = model
        self.identity = identity
        self.states = states
        self.can_set_duty = can_set_duty
        self._lock = threading.Lock()
        self._fault = Fault.NONE
        self._watchdog = threading.Condition(self._lock)
        self._timeout_s = 0.0
        self._last_heard = time.monotonic()
        self._tripped = False
        self._closed = False
        self._watcher: threading.Thread | None = None
        if watchdog_ms:
            self.arm_watchdog(watchdog_ms)

    @property
    def fault(self) -> Fault:
        with self._lock:
            return self._fault

    @fault.setter
    def fault(self, fault: Fault) -> None:
        with self._lock:
            self._fault = Fault(fault)

    # -- watchdog ---------------------------------------------------------------------------

    def hear(self) -> None:
        """A frame or line came from the rig: feed the watchdog."""
        with self._lock:
            self._last_heard = time.monotonic()

    def arm_watchdog(self, timeout_ms: int) -> ResultCode:
        """Arm for ``timeout_ms`` from now (0 disarms); either way the trip latch clears."""
        if not 0 <= timeout_ms <= 0xFFFF:
            return ResultCode.BAD_VALUE
        with self._watchdog:
            self._timeout_s = timeout_ms / 1000.0
            self._last_heard = time.monotonic()
            self._tripped = False
            if timeout_ms and self._watcher is None and not self._closed:
                self._watcher = threading.Thread(
                    target=self._watch, name="pilot-sim-watchdog", daemon=True
                )
                self._watcher.start()
            self._watchdog.notify_all()
        return ResultCode.OK

    @property
    def watchdog_tripped(self) -> bool:
        with self._lock:
            return self._tripped

    def _watch(self) -> None:
        """Sleep until the rig's silence reaches the timeout, then trip (wall time)."""
        with self._watchdog:
            while not self._closed:
                if not self._timeout_s or self._tripped:
                    self._watchdog.wait()
                    continue
                left = self._last_heard + self._timeout_s - time.monotonic()
                if left > 0:
                    self._watchdog.wait(left)
                    continue
                self._tripped = True
                self.model.trip_pilot_watchdog()

    def close(self) -> None:
        """Stop the watchdog thread (the simulator is going away)."""
        with self._watchdog:
            self._closed = True
            self._watchdog.notify_all()
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.join(1.0)

    # -- commands ---------------------------------------------------------------------------

    def set_state(self, state: PilotState) -> ResultCode:
        if state not in self.states:
            return ResultCode.UNSUPPORTED
        if state is not PilotState.A and self.watchdog_tripped:
            return ResultCode.NOT_READY
        self.model.set_pilot_state(state)
        return ResultCode.OK

    def set_duty(self, duty_pct: float) -> ResultCode:
        if not self.can_set_duty:
            return ResultCode.UNSUPPORTED
        if not (math.isfinite(duty_pct) and 0.0 <= duty_pct <= 100.0):
            return ResultCode.BAD_VALUE
        if duty_pct != 100.0 and self.watchdog_tripped:
            return ResultCode.NOT_READY
        self.model.set_duty(duty_pct)
        return ResultCode.OK

    def status(self) -> PilotStatus:
        status = self.model.pilot_status()
        with self._lock:
            armed, tripped = self._timeout_s > 0, self._tripped
        status = replace(status, watchdog_armed=armed, watchdog_tripped=tripped)
        if self.fault is Fault.OUT_OF_RANGE:
            status = replace(status, high_v=IMPOSSIBLE["high_v"], duty_pct=IMPOSSIBLE["duty_pct"])
        return status


def truncate(data: bytes, keep_first: int = 1) -> bytes:
    """About half of ``data``, never less than its first ``keep_first`` bytes."""
    return data[: max(keep_first, len(data) // 2)]
