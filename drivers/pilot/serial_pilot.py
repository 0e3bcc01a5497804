"""Pilot-signal simulator over a serial line, speaking the rig's ASCII line protocol.

Bench file::

    pilot:
      dialect: serial
      url: /dev/ttyUSB0          # or COM3, or socket://10.0.0.7:4001, or rfc2217://...
      baudrate: 115200

Each request clears stale input (periodic ``!`` lines, a late reply to an
earlier request that timed out), sends one line and reads lines until the first
one that is not unsolicited. ``set_state`` and ``set_duty`` expect ``OK`` and then
read the status back to confirm the device really changed.
"""

from __future__ import annotations

import time

from drivers.errors import InstrumentRejected, InstrumentReplyError, UnsupportedFeature
from drivers.kinds import Identity, PilotState, PilotStatus
from drivers.pilot import lines
from drivers.pilot.link import DEFAULT_TIMEOUT_S, SerialLink
from drivers.pilot.protocol import (
    DEFAULT_SERIAL_BAUDRATE,
    LINE_END,
    UNSOLICITED,
    Command,
    ProtocolError,
    Reply,
    ResultCode,
)
from drivers.pilot.readings import confirm_duty, confirm_state, round_duty


class SerialPilot:
    """The rig's pilot protocol over ``serial.serial_for_url(url)``."""

    def __init__(
        self,
        name: str = "pilot",
        *,
        url: str,
        baudrate: int = DEFAULT_SERIAL_BAUDRATE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        duty_tolerance_pct: float = 1.0,
    ) -> None:
        self.name = name
        self.duty_tolerance_pct = duty_tolerance_pct
        self._link = SerialLink(name, url, baudrate=baudrate, timeout_s=timeout_s)

    def _ask(self, command: str) -> str:
        """Send ``command``, return the first solicited reply line; ERR lines raise."""
        self._link.discard_input(sent=command)
        self._link.write(command.encode("ascii") + LINE_END, sent=command)
        deadline = time.monotonic() + self._link.timeout_s
        while True:
            line = self._link.read_line(deadline, sent=command)
            if not line.startswith(UNSOLICITED):
                break
        try:
            error = lines.parse_error(line)
        except ProtocolError as exc:
            raise InstrumentReplyError(self.name, str(exc), sent=command, received=line) from exc
        if error is not None:
            kind = (
                UnsupportedFeature if error.code is ResultCode.UNSUPPORTED else InstrumentRejected
            )
            raise kind(
                self.name,
                f"device refused: {error.code.name} {error.message}",
                sent=command,
                received=line,
            )
        return line

    def _command(self, command: str) -> None:
        reply = self._ask(command)
        if reply != Reply.OK:
            raise InstrumentReplyError(self.name, "expected OK", sent=command, received=reply)

    def identity(self) -> Identity:
        reply = self._ask(Command.IDENTITY)
        try:
            return lines.parse_identity(reply)
        except ProtocolError as exc:
            raise InstrumentReplyError(
                self.name, str(exc), sent=Command.IDENTITY, received=reply
            ) from exc

    def status(self) -> PilotStatus:
        reply = self._ask(Command.STATUS)
        try:
            return lines.parse_status(reply)
        except ProtocolError as exc:
            raise InstrumentReplyError(
                self.name, str(exc), sent=Command.STATUS, received=reply
            ) from exc

    def set_state(self, state: PilotState) -> None:
        command = lines.format_set_state(PilotState(state))
        self._command(command)
        confirm_state(self.name, self.status(), PilotState(state), command)

    def set_duty(self, duty_pct: float) -> None:
        duty = round_duty(duty_pct)
        command = lines.format_set_duty(duty)
        self._command(command)
        confirm_duty(self.name, self.status(), duty, self.duty_tolerance_pct, command)

    def close(self) -> None:
        self._link.close()

    def __enter__(self) -> SerialPilot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
