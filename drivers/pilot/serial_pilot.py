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

The port is kept by a :class:`~drivers.pilot.keeper.LinkKeeper`: a request
interrupted in any way marks it stale and the next one reopens it (which also
drops whatever half-read reply was left); a request that finds the link dead
reopens it and is sent once more. :meth:`SerialPilot.arm_watchdog` arms the
device's communication watchdog and keeps it fed with ``HB`` lines from a daemon
thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar, TypeVar

from drivers.errors import InstrumentRejected, InstrumentReplyError, UnsupportedFeature
from drivers.kinds import Identity, PilotState, PilotStatus, Watchdog
from drivers.pilot import lines
from drivers.pilot.keeper import LinkKeeper
from drivers.pilot.link import DEFAULT_TIMEOUT_S, SerialLink
from drivers.pilot.protocol import (
    DEFAULT_SERIAL_BAUDRATE,
    LINE_END,
    UNSOLICITED,
    Command,
    ProtocolError,
    Reply,
    ResultCode,
    check_watchdog_ms,
)
from drivers.pilot.readings import confirm_duty, confirm_state, round_duty
from drivers.pilot.registry import DIALECTS, PilotTransport

T = TypeVar("T")


@DIALECTS.register("serial")
class SerialPilot:
    """The rig's pilot protocol over ``serial.serial_for_url(url)``."""

    transport: ClassVar[PilotTransport] = "serial"

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
        self._url, self._baudrate, self._timeout_s = url, baudrate, timeout_s
        self._link = self._open_link()
        self._keeper = LinkKeeper(name, self._reopen_link, self._close_link)

    def _open_link(self) -> SerialLink:
        return SerialLink(self.name, self._url, baudrate=self._baudrate, timeout_s=self._timeout_s)

    def _reopen_link(self) -> None:
        self._link.abandon()
        self._link = self._open_link()

    def _close_link(self) -> None:
        self._link.close()

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
        def transaction() -> None:
            reply = self._ask(command)
            if reply != Reply.OK:
                raise InstrumentReplyError(self.name, "expected OK", sent=command, received=reply)

        self._keeper.retrying(transaction)

    def _heartbeat(self) -> None:
        self._link.write(Command.HEARTBEAT.encode("ascii") + LINE_END, sent=Command.HEARTBEAT)

    def _parsed(self, command: str, parse: Callable[[str], T]) -> T:
        """Ask ``command`` and parse its reply, reopening a dead link once (the keeper's)."""

        def transaction() -> T:
            reply = self._ask(command)
            try:
                return parse(reply)
            except ProtocolError as exc:
                raise InstrumentReplyError(
                    self.name, str(exc), sent=command, received=reply
                ) from exc

        return self._keeper.retrying(transaction)

    def identity(self) -> Identity:
        return self._parsed(Command.IDENTITY, lines.parse_identity)

    def status(self) -> PilotStatus:
        return self._parsed(Command.STATUS, lines.parse_status)

    def set_state(self, state: PilotState) -> None:
        command = lines.format_set_state(PilotState(state))
        self._command(command)
        confirm_state(self.name, self.status(), PilotState(state), command)

    def set_duty(self, duty_pct: float) -> None:
        duty = round_duty(duty_pct)
        command = lines.format_set_duty(duty)
        self._command(command)
        confirm_duty(self.name, self.status(), duty, self.duty_tolerance_pct, command)

    def arm_watchdog(self, timeout_ms: int) -> Watchdog:
        """Arm the device's watchdog (0 disarms), confirm it by status, keep it fed."""
        command = lines.format_watchdog(check_watchdog_ms(timeout_ms))  # ValueError: nothing sent
        self._keeper.stop_beating()
        self._command(command)
        return self._keeper.keep_fed(timeout_ms, self._heartbeat, self.status, command)

    def close(self) -> None:
        """Stop heartbeats and close the port; an armed device trips ``timeout_ms`` later."""
        self._keeper.close()

    def __enter__(self) -> SerialPilot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
