"""Pilot-signal simulator on a CAN bus, via python-can, speaking the rig's CAN frames.

The bus is chosen by configuration, never by code: whatever python-can calls an
``interface`` works unchanged (``pcan``, ``kvaser``, ``socketcan``, ``slcan``,
``vector``, ...). Bench file::

    pilot:
      dialect: can
      interface: pcan            # python-can interface name
      channel: PCAN_USBBUS1
      bitrate: 500000
      base_id: 0x600             # the device's identifier block
      options: {}                # passed to can.Bus as keyword arguments

CI reaches the simulated device through python-can's ``slcan`` interface over a
``socket://127.0.0.1:PORT`` channel: the simulator is a TCP server speaking the
slcan (Lawicel) ASCII adapter protocol. For such a channel this driver skips
slcan's two-second wait after opening (an Arduino-reset allowance; give
``options: {sleep_after_open: 2}`` to keep it) and sets ``TCP_NODELAY``.

Every request carries a fresh token (1–255) and only frames echoing it count as
the answer; the device's periodic frames and other bus traffic are skipped.

The bus is kept by a :class:`~drivers.pilot.keeper.LinkKeeper`: a request that
is interrupted in any way marks it stale and the next one reopens it (shut the
bus down, open it again); a request that finds the link dead reopens it and is
sent once more. :meth:`CanPilot.arm_watchdog` arms the device's communication
watchdog and keeps it fed with ``HEARTBEAT`` frames from a daemon thread.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import can

from drivers.errors import (
    InstrumentConnectionError,
    InstrumentRejected,
    InstrumentReplyError,
    InstrumentTimeout,
    UnsupportedFeature,
)
from drivers.kinds import Identity, PilotState, PilotStatus, Watchdog
from drivers.pilot import canframes, lines
from drivers.pilot.keeper import LinkKeeper
from drivers.pilot.link import DEFAULT_TIMEOUT_S, close_soon, is_socket_url, set_tcp_nodelay
from drivers.pilot.protocol import (
    DEFAULT_BASE_ID,
    DEFAULT_BITRATE,
    IDENTITY_CHUNK_BYTES,
    CanFrame,
    ProtocolError,
    ResultCode,
    check_watchdog_ms,
)
from drivers.pilot.readings import confirm_duty, confirm_state, round_duty
from drivers.pilot.registry import DIALECTS, PilotTransport


@DIALECTS.register("can")
class CanPilot:
    """The rig's pilot protocol over ``can.Bus(interface=..., channel=..., bitrate=...)``."""

    transport: ClassVar[PilotTransport] = "can"

    def __init__(
        self,
        name: str = "pilot",
        *,
        interface: str,
        channel: str,
        bitrate: int = DEFAULT_BITRATE,
        base_id: int = DEFAULT_BASE_ID,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        duty_tolerance_pct: float = 1.0,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.base_id = base_id
        self.timeout_s = timeout_s
        self.duty_tolerance_pct = duty_tolerance_pct
        self._tokens = itertools.cycle(range(1, 256))
        self._interface, self._channel, self._bitrate = interface, channel, bitrate
        self._options = dict(options or {})
        self._tcp_slcan = interface == "slcan" and is_socket_url(channel)
        if self._tcp_slcan:
            self._options.setdefault("sleep_after_open", 0)
        self._bus = self._open_bus()
        self._keeper = LinkKeeper(name, self._reopen_bus, self._close_bus)

    # -- link -----------------------------------------------------------------------------

    def _open_bus(self) -> can.BusABC:
        try:
            bus = can.Bus(
                interface=self._interface,
                channel=self._channel,
                bitrate=self._bitrate,
                **self._options,
            )
        except (can.CanError, ValueError, OSError, ImportError) as exc:
            raise InstrumentConnectionError(
                self.name, f"cannot open CAN {self._interface} channel {self._channel!r}: {exc}"
            ) from exc
        if self._tcp_slcan:
            set_tcp_nodelay(bus.fileno())
        return bus

    def _reopen_bus(self) -> None:
        old = self._bus
        fileno = None
        if self._tcp_slcan:
            with contextlib.suppress(can.CanError, OSError, NotImplementedError):
                fileno = old.fileno()  # fails once the old port is closed already
        if fileno is None:
            _shut_down(old)  # a real adapter's channel must be free before it is opened again
        else:
            close_soon(fileno, lambda: _shut_down(old))
        self._bus = self._open_bus()

    def _close_bus(self) -> None:
        _shut_down(self._bus)

    # -- wire -----------------------------------------------------------------------------

    def _send(self, kind: CanFrame, encode: Callable[[int], bytes]) -> tuple[int, str]:
        token = next(self._tokens)
        arbitration_id = canframes.frame_id(self.base_id, kind)
        data = encode(token)
        sent = canframes.candump(arbitration_id, data)
        message = can.Message(arbitration_id=arbitration_id, data=data, is_extended_id=False)
        try:
            self._bus.send(message, timeout=self.timeout_s)
        except can.CanError as exc:
            raise InstrumentConnectionError(self.name, f"cannot send: {exc}", sent=sent) from exc
        return token, sent

    def _replies(self, sent: str, seen: list[str]) -> Iterator[tuple[CanFrame, bytes]]:
        """Yield (kind, payload) of protocol frames until the request's deadline."""
        deadline = time.monotonic() + self.timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self._bus.recv(timeout=left)
            except can.CanError as exc:
                raise InstrumentConnectionError(
                    self.name, f"CAN link lost: {exc}", sent=sent, received=" ".join(seen) or None
                ) from exc
            except (ValueError, IndexError) as exc:  # an adapter line python-can cannot parse
                raise InstrumentReplyError(
                    self.name, f"CAN adapter sent an unreadable frame: {exc}", sent=sent
                ) from exc
            if message is None or message.is_extended_id or message.is_remote_frame:
                continue
            kind = canframes.frame_kind(self.base_id, message.arbitration_id)
            if kind is None:
                continue
            data = bytes(message.data)
            seen.append(canframes.candump(message.arbitration_id, data))
            yield kind, data

    def _reply_error(self, problem: str, sent: str, seen: list[str]) -> InstrumentReplyError:
        return InstrumentReplyError(self.name, problem, sent=sent, received=" ".join(seen))

    def _timeout(self, sent: str, seen: list[str]) -> InstrumentTimeout:
        return InstrumentTimeout(
            self.name,
            f"no reply within {self.timeout_s} s",
            sent=sent,
            received=" ".join(seen) or None,
        )

    def _command(self, kind: CanFrame, encode: Callable[[int], bytes]) -> str:
        """Send a command frame and wait for its OK acknowledgement; return what was sent."""
        token, sent = self._send(kind, encode)
        seen: list[str] = []
        for reply_kind, data in self._replies(sent, seen):
            if reply_kind is not CanFrame.ACK or data[:1] != bytes([token]):
                continue
            try:
                ack = canframes.decode_ack(data)
            except ProtocolError as exc:
                raise self._reply_error(str(exc), sent, seen) from exc
            if ack.command is not kind:
                raise self._reply_error(f"ACK is for {ack.command.name}", sent, seen)
            if ack.code is ResultCode.OK:
                return sent
            error = UnsupportedFeature if ack.code is ResultCode.UNSUPPORTED else InstrumentRejected
            raise error(
                self.name, f"device refused: {ack.code.name}", sent=sent, received=" ".join(seen)
            )
        raise self._timeout(sent, seen)

    # -- Pilot ----------------------------------------------------------------------------

    def _status(self) -> PilotStatus:
        token, sent = self._send(CanFrame.STATUS_REQUEST, canframes.encode_status_request)
        seen: list[str] = []
        parts: dict[CanFrame, bytes] = {}
        for kind, data in self._replies(sent, seen):
            if kind not in (CanFrame.STATUS_LEVELS, CanFrame.STATUS_LINES):
                continue
            if data[:1] != bytes([token]):
                continue
            parts[kind] = data
            if len(parts) == 2:
                try:
                    return canframes.decode_status(
                        parts[CanFrame.STATUS_LEVELS], parts[CanFrame.STATUS_LINES]
                    )
                except ProtocolError as exc:
                    raise self._reply_error(str(exc), sent, seen) from exc
        if parts:
            missing = {CanFrame.STATUS_LEVELS, CanFrame.STATUS_LINES} - parts.keys()
            names = ", ".join(sorted(k.name for k in missing))
            raise self._reply_error(f"truncated status: {names} never came", sent, seen)
        raise self._timeout(sent, seen)

    def _identity(self) -> Identity:
        token, sent = self._send(CanFrame.IDENTITY_REQUEST, canframes.encode_identity_request)
        seen: list[str] = []
        text = b""
        for kind, data in self._replies(sent, seen):
            if kind is not CanFrame.IDENTITY or data[:1] != bytes([token]):
                continue
            try:
                chunk = canframes.decode_identity_chunk(data)
            except ProtocolError as exc:
                raise self._reply_error(str(exc), sent, seen) from exc
            if chunk.index != len(text) // IDENTITY_CHUNK_BYTES:
                raise self._reply_error(f"identity chunk {chunk.index} out of order", sent, seen)
            text += chunk.text
            if chunk.last:
                try:
                    return lines.parse_identity(text.decode("ascii"))
                except (ProtocolError, UnicodeDecodeError) as exc:
                    raise self._reply_error(str(exc), sent, seen) from exc
        if text:
            raise self._reply_error("truncated identity: last chunk never came", sent, seen)
        raise self._timeout(sent, seen)

    def _heartbeat(self) -> None:
        self._send(CanFrame.HEARTBEAT, canframes.encode_heartbeat)

    # -- Pilot ----------------------------------------------------------------------------

    def status(self) -> PilotStatus:
        return self._keeper.retrying(self._status)

    def identity(self) -> Identity:
        return self._keeper.retrying(self._identity)

    def set_state(self, state: PilotState) -> None:
        wanted = PilotState(state)
        sent = self._keeper.retrying(
            lambda: self._command(
                CanFrame.SET_STATE, lambda token: canframes.encode_set_state(token, wanted)
            )
        )
        confirm_state(self.name, self.status(), wanted, sent)

    def set_duty(self, duty_pct: float) -> None:
        duty = round_duty(duty_pct)
        sent = self._keeper.retrying(
            lambda: self._command(
                CanFrame.SET_DUTY, lambda token: canframes.encode_set_duty(token, duty)
            )
        )
        confirm_duty(self.name, self.status(), duty, self.duty_tolerance_pct, sent)

    def arm_watchdog(self, timeout_ms: int) -> Watchdog:
        """Arm the device's watchdog (0 disarms), confirm it by status, keep it fed."""
        check_watchdog_ms(timeout_ms)  # ValueError: nothing sent
        self._keeper.stop_beating()
        sent = self._keeper.retrying(
            lambda: self._command(
                CanFrame.WATCHDOG, lambda token: canframes.encode_watchdog(token, timeout_ms)
            )
        )
        return self._keeper.keep_fed(timeout_ms, self._heartbeat, self.status, sent)

    def close(self) -> None:
        """Stop heartbeats and shut the bus down; an armed device trips ``timeout_ms`` later."""
        self._keeper.close()

    def __enter__(self) -> CanPilot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shut_down(bus: can.BusABC) -> None:
    try:
        bus.shutdown()
    except (can.CanError, OSError):
        # slcan's shutdown stops at the dead link before closing its serial port
        port = getattr(bus, "serialPortOrig", None)
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
