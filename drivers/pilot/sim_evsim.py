"""A simulated nsayer ev_sim on TCP (for ``socket://`` URLs), measuring the coupled model.

Like the real device: every received byte ``A``–``D`` (either case) switches the
vehicle state, anything else is ignored, nothing is acknowledged; a report line
(:func:`drivers.pilot.evsim.format_report`) goes out every ``report_period_s``
seconds of wall time. Counts in the report always describe a one-second window,
as the device's do, even when tests shorten the period to run fast.
``with_state=True`` adds the ``state=`` field later firmware sends.

Faults: SILENCE stops reports and ignores commands; GARBAGE sends noise lines;
TRUNCATED sends half of each report; OUT_OF_RANGE sends an ADC count above the
10-bit range; LATE delays each report.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from drivers.kinds import PilotState
from drivers.pilot import evsim
from drivers.pilot.sim_device import LATE_S, Fault, PilotDevice, PilotModel, truncate
from drivers.pilot.sim_serial import GARBAGE_LINE
from drivers.pilot.sim_tcp import Connection
from drivers.pilot.sim_wire import SIM_WIRES, SimWire, WireOptions

#: OUT_OF_RANGE: a 12-bit-sized count from a 10-bit ADC.
IMPOSSIBLE_ADC = 4000
#: The vehicle states the ev_sim can set (no E, no F).
EV_SIM_STATES = frozenset({PilotState.A, PilotState.B, PilotState.C, PilotState.D})


class EvSimWire(SimWire):
    """A TCP server that behaves like the ev_sim's USB serial port."""

    def __init__(
        self,
        device: PilotDevice,
        *,
        report_period_s: float = evsim.REPORT_PERIOD_S,
        with_state: bool = False,
    ) -> None:
        super().__init__()
        self.device = device
        self.tick_s = report_period_s
        self.with_state = with_state

    def endpoint(self) -> dict[str, Any]:
        return {"dialect": "ev_sim", "url": self.url, "report_period_s": self.tick_s}

    def on_bytes(self, connection: Connection, data: bytes) -> None:
        if self.device.fault is Fault.SILENCE:
            return
        for byte in data:
            letter = chr(byte & 0x7F).upper()  # the firmware strips the parity bit
            if letter in "ABCD":
                self.device.set_state(PilotState(letter))

    def on_tick(self, connection: Connection) -> None:
        fault = self.device.fault
        if fault is Fault.SILENCE:
            return
        report = evsim.from_status(self.device.model.pilot_status(), with_state=self.with_state)
        if fault is Fault.OUT_OF_RANGE:
            report = replace(report, high_adc=IMPOSSIBLE_ADC)
        raw = evsim.format_report(report).encode("ascii")
        if fault is Fault.GARBAGE:
            raw = GARBAGE_LINE
        elif fault is Fault.TRUNCATED:
            raw = truncate(raw)
        if fault is Fault.LATE:
            connection.send_later(LATE_S, raw + evsim.LINE_END)
        else:
            connection.send(raw + evsim.LINE_END)


@SIM_WIRES.register("ev_sim")
def ev_sim_wire(model: PilotModel, options: WireOptions) -> EvSimWire:
    """The ev_sim: vehicle states only, no duty, no watchdog (reports every second)."""
    device = PilotDevice(model, identity=options.identity, states=EV_SIM_STATES, can_set_duty=False)
    return EvSimWire(
        device, report_period_s=options.period(1.0), with_state=options.ev_sim_with_state
    )
