"""The simulated pilot device on a serial line (TCP, for ``socket://`` URLs): the line protocol.

One reply line per command line (:mod:`drivers.pilot.lines`), plus an
unsolicited ``!STATUS ...`` line every ``periodic_s`` seconds of wall time and
after every applied ``STATE`` / ``DUTY`` / ``WATCHDOG``. Every complete line feeds
the device's watchdog; the heartbeat ``HB`` is never answered. Faults change the replies: SILENCE
sends nothing, GARBAGE sends a line of noise, TRUNCATED sends the first half of
the line, OUT_OF_RANGE reports an impossible reading, LATE answers after the
driver has given up.
"""

from __future__ import annotations

from typing import Any

from drivers.pilot import lines
from drivers.pilot.protocol import LINE_END, UNSOLICITED, Command, Reply, ResultCode
from drivers.pilot.sim_device import LATE_S, Fault, PilotDevice, PilotModel, truncate
from drivers.pilot.sim_tcp import Connection
from drivers.pilot.sim_wire import SIM_WIRES, SimWire, WireOptions

#: What a GARBAGE reply looks like: line noise, a stray NUL, high bytes.
GARBAGE_LINE = b"\xfe\x00ST\xffA#\x13~x9=\xe2\x80"


class SerialPilotWire(SimWire):
    """A TCP server speaking the rig's pilot line protocol."""

    def __init__(self, device: PilotDevice, *, periodic_s: float | None = 1.0) -> None:
        super().__init__()
        self.device = device
        self.tick_s = periodic_s
        self._buffers: dict[Connection, bytearray] = {}

    def endpoint(self) -> dict[str, Any]:
        return {"dialect": "serial", "url": self.url}

    def on_bytes(self, connection: Connection, data: bytes) -> None:
        buffer = self._buffers.setdefault(connection, bytearray())
        buffer.extend(data)
        while (end := buffer.find(LINE_END)) >= 0:
            line = buffer[:end].decode("ascii", errors="replace").strip()
            del buffer[: end + 1]
            if self.device.fault is Fault.SILENCE:
                continue
            self.device.hear()
            if line.upper() == Command.HEARTBEAT:
                continue
            reply, changed = self._answer(line)
            self._send(connection, reply)
            if changed:
                self._send(connection, UNSOLICITED + lines.format_status(self.device.status()))

    def _answer(self, line: str) -> tuple[str, bool]:
        """The reply to ``line``, and whether the device changed state."""
        try:
            command = lines.parse_command(line)
        except lines.LineCommandError as exc:
            return lines.format_error(exc.code, str(exc)), False
        if command.keyword == Command.STATUS:
            return lines.format_status(self.device.status()), False
        if command.keyword == Command.IDENTITY:
            return lines.format_identity(self.device.identity), False
        if command.state is not None:
            code = self.device.set_state(command.state)
        elif command.timeout_ms is not None:
            code = self.device.arm_watchdog(command.timeout_ms)
        else:
            assert command.duty_pct is not None
            code = self.device.set_duty(command.duty_pct)
        if code is ResultCode.OK:
            return Reply.OK, True
        return lines.format_error(code, f"{line} refused"), False

    def _send(self, connection: Connection, line: str) -> None:
        fault = self.device.fault
        raw = line.encode("ascii")
        if fault is Fault.SILENCE:
            return
        if fault is Fault.GARBAGE:
            raw = GARBAGE_LINE
        elif fault is Fault.TRUNCATED:
            raw = truncate(raw)
        if fault is Fault.LATE:
            connection.send_later(LATE_S, raw + LINE_END)
        else:
            connection.send(raw + LINE_END)

    def on_tick(self, connection: Connection) -> None:
        if self.device.fault is not Fault.SILENCE:
            self._send(connection, UNSOLICITED + lines.format_status(self.device.status()))

    def on_close(self, connection: Connection) -> None:
        self._buffers.pop(connection, None)


@SIM_WIRES.register("serial")
def serial_wire(model: PilotModel, options: WireOptions) -> SerialPilotWire:
    """The device on a serial line (status every second)."""
    return SerialPilotWire(options.device(model), periodic_s=options.period(1.0))
