"""A simulated slcan (Lawicel) USB-CAN adapter on TCP, with the pilot device on its bus.

python-can's ``slcan`` interface opens ``serial_for_url(channel)``; with a
``socket://127.0.0.1:PORT`` channel that is this server. It speaks the slcan ASCII
commands python-can sends (each ends in ``\\r``; the adapter answers ``\\r`` for
OK and ``\\a`` (BEL) for an error):

=================  =============================================  ============
command            meaning                                        answer
=================  =============================================  ============
``S0``–``S9``      bit rate 10 k … 1 M, 83.3 k (channel closed)   ``\\r``
``sXXYY``          BTR0/BTR1 bit timing (channel closed)          ``\\r``
``O`` / ``L``      open channel (normal / listen-only)            ``\\r``
``C``              close channel                                  ``\\r``
``V`` / ``N``      hardware+software version / serial number      ``V1013\\r``
``tIIILDD…``       send 11-bit frame (channel open)               ``z\\r``
``TIIIIIIIILDD…``  send 29-bit frame (ignored by the device)      ``Z\\r``
``rIIIL`` ``R…``   remote frames (ignored by the device)          ``z\\r`` ``Z\\r``
(empty line)       python-can sends one for "no FD data rate"     ``\\r``
anything else                                                     ``\\a``
=================  =============================================  ============

Frames from the device reach the client as ``tIIILDD…\\r`` lines while the
channel is open. The device answers the rig's protocol frames
(:mod:`drivers.pilot.canframes`) and sends a status pair (tag 0) every
``periodic_s`` seconds of wall time and after every applied command. Every
frame addressed to the device's command identifiers (``HEARTBEAT`` included, which
it never answers) feeds its watchdog. Faults change only what the *device* sends;
the adapter keeps answering, as a real adapter would with a dead node on its bus.
"""

from __future__ import annotations

from typing import Any

from drivers.pilot import canframes, lines
from drivers.pilot.protocol import (
    CAN_LAYOUTS,
    DEFAULT_BASE_ID,
    DEFAULT_BITRATE,
    PERIODIC_TAG,
    CanFrame,
    ProtocolError,
    ResultCode,
)
from drivers.pilot.sim_device import LATE_S, Fault, PilotDevice, PilotModel, truncate
from drivers.pilot.sim_tcp import Connection
from drivers.pilot.sim_wire import SIM_WIRES, SimWire, WireOptions

OK = b"\r"
ERROR = b"\a"
VERSION = b"V1013\r"
SERIAL_NUMBER = b"NSIM\r"
BITRATE_COMMANDS = frozenset(f"S{n}" for n in range(10))


def format_frame(arbitration_id: int, data: bytes) -> bytes:
    """An 11-bit data frame as the adapter sends it: ``t`` id(3 hex) dlc data(hex) ``\\r``."""
    return f"t{arbitration_id:03X}{len(data)}{data.hex().upper()}\r".encode("ascii")


def parse_frame(line: str) -> tuple[int, bytes]:
    """``tIIILDD…`` → (id, data); ProtocolError when the line is not exactly that."""
    try:
        arbitration_id = int(line[1:4], 16)
        dlc = int(line[4])
        data = bytes.fromhex(line[5:])
    except (ValueError, IndexError):
        raise ProtocolError(f"bad slcan frame {line!r}") from None
    if len(line) < 5 or dlc > 8 or len(data) != dlc:
        raise ProtocolError(f"bad slcan frame {line!r}")
    return arbitration_id, data


class SlcanPilotWire(SimWire):
    """slcan adapter on TCP with a :class:`PilotDevice` on its CAN bus."""

    def __init__(
        self,
        device: PilotDevice,
        *,
        base_id: int = DEFAULT_BASE_ID,
        periodic_s: float | None = 0.5,
    ) -> None:
        super().__init__()
        self.device = device
        self.base_id = base_id
        self.tick_s = periodic_s
        self._buffers: dict[Connection, bytearray] = {}
        self._open: set[Connection] = set()

    def endpoint(self) -> dict[str, Any]:
        return {
            "dialect": "can",
            "interface": "slcan",
            "channel": self.url,
            "bitrate": DEFAULT_BITRATE,
            "base_id": self.base_id,
        }

    # -- adapter ---------------------------------------------------------------------------

    def on_bytes(self, connection: Connection, data: bytes) -> None:
        buffer = self._buffers.setdefault(connection, bytearray())
        buffer.extend(data)
        while (end := buffer.find(b"\r")) >= 0:
            line = buffer[:end].decode("ascii", errors="replace").strip("\n")
            del buffer[: end + 1]
            reply, frame = self._adapter(connection, line)
            connection.send(reply)  # the adapter acknowledges before the bus answers
            if frame is not None:
                self._device_receive(connection, *frame)

    def _adapter(self, connection: Connection, line: str) -> tuple[bytes, tuple[int, bytes] | None]:
        """The adapter's answer to ``line``, and the frame it puts on the bus, if any."""
        return self._adapter_reply(connection, line), self._frame_for_bus(connection, line)

    def _frame_for_bus(self, connection: Connection, line: str) -> tuple[int, bytes] | None:
        if connection not in self._open or not line.startswith("t"):
            return None
        try:
            return parse_frame(line)
        except ProtocolError:
            return None

    def _adapter_reply(self, connection: Connection, line: str) -> bytes:
        is_open = connection in self._open
        if line in ("O", "L"):
            self._open.add(connection)
            return OK
        if line == "C":
            self._open.discard(connection)
            return OK
        if line in BITRATE_COMMANDS or (line.startswith("s") and len(line) == 5):
            return ERROR if is_open else OK
        if line == "":
            return OK
        if line == "V":
            return VERSION
        if line == "N":
            return SERIAL_NUMBER
        if line[:1] in ("t", "r"):
            if not is_open:
                return ERROR
            if line[0] == "t" and self._frame_for_bus(connection, line) is None:
                return ERROR
            return b"z\r"
        if line[:1] in ("T", "R"):
            return ERROR if not is_open else b"Z\r"
        return ERROR

    def _transmit(self, connection: Connection, kind: CanFrame, payload: bytes) -> None:
        """The device puts a frame on the bus (faults applied here)."""
        fault = self.device.fault
        if fault is Fault.SILENCE or connection not in self._open:
            return
        if fault is Fault.GARBAGE:
            payload = payload[:1] + b"\xff" * (len(payload) - 1)
        elif fault is Fault.TRUNCATED:
            payload = truncate(payload)
        frame = format_frame(canframes.frame_id(self.base_id, kind), payload)
        if fault is Fault.LATE:
            connection.send_later(LATE_S, frame)
        else:
            connection.send(frame)

    def on_close(self, connection: Connection) -> None:
        self._buffers.pop(connection, None)
        self._open.discard(connection)

    # -- device ----------------------------------------------------------------------------

    def _send_status(self, connection: Connection, tag: int) -> None:
        levels, pair = canframes.encode_status(tag, self.device.status())
        self._transmit(connection, CanFrame.STATUS_LEVELS, levels)
        self._transmit(connection, CanFrame.STATUS_LINES, pair)

    def on_tick(self, connection: Connection) -> None:
        if connection in self._open and self.device.fault is not Fault.SILENCE:
            self._send_status(connection, PERIODIC_TAG)

    def _device_receive(self, connection: Connection, arbitration_id: int, data: bytes) -> None:
        kind = canframes.frame_kind(self.base_id, arbitration_id)
        if kind is None or kind not in canframes.COMMAND_FRAMES:
            return
        if self.device.fault is Fault.SILENCE:
            return
        self.device.hear()
        if kind is CanFrame.HEARTBEAT:
            return
        token = data[0] if data else 0
        if len(data) != CAN_LAYOUTS[kind].size:
            self._ack(connection, token, kind, ResultCode.MALFORMED)
            return
        try:
            command = canframes.decode_command(kind, data)
        except ProtocolError:
            self._ack(connection, token, kind, ResultCode.BAD_VALUE)
            return
        if command.state is not None:
            self._apply(connection, token, kind, self.device.set_state(command.state))
        elif command.duty_pct is not None:
            self._apply(connection, token, kind, self.device.set_duty(command.duty_pct))
        elif command.timeout_ms is not None:
            self._apply(connection, token, kind, self.device.arm_watchdog(command.timeout_ms))
        elif kind is CanFrame.STATUS_REQUEST:
            self._send_status(connection, token)
        else:
            text = lines.format_identity(self.device.identity)
            for chunk in canframes.encode_identity(token, text):
                self._transmit(connection, CanFrame.IDENTITY, chunk)

    def _ack(self, connection: Connection, token: int, kind: CanFrame, code: ResultCode) -> None:
        self._transmit(connection, CanFrame.ACK, canframes.encode_ack(token, kind, code))

    def _apply(self, connection: Connection, token: int, kind: CanFrame, code: ResultCode) -> None:
        self._ack(connection, token, kind, code)
        if code is ResultCode.OK:
            self._send_status(connection, PERIODIC_TAG)  # on change


@SIM_WIRES.register("can")
def can_wire(model: PilotModel, options: WireOptions) -> SlcanPilotWire:
    """A simulated slcan adapter with the device on its bus (status every 0.5 s)."""
    return SlcanPilotWire(
        options.device(model), base_id=options.base_id, periodic_s=options.period(0.5)
    )
