"""CAN frames of the pilot protocol: encode and decode payloads, no I/O.

Each function works on one frame payload (``bytes``, at most 8) laid out as
declared in :data:`drivers.pilot.protocol.CAN_LAYOUTS`. Identifiers are
``base_id + CanFrame.X``; :func:`frame_id` and :func:`frame_kind` convert.

Example, the rig asking for state C with token 7 (base 0x600)::

    >>> encode_set_state(7, PilotState.C).hex()
    '0743'                       # 600#0743 in candump notation

Decoders raise :class:`~drivers.pilot.protocol.ProtocolError` on a wrong length,
an unknown state letter, an unknown result code or an implausible reading.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from drivers.kinds import PilotState, PilotStatus
from drivers.pilot.protocol import (
    CAN_LAYOUTS,
    IDENTITY_CHUNK_BYTES,
    IDENTITY_HEADER,
    PROXIMITY_OPEN,
    PROXIMITY_UNKNOWN,
    CanFrame,
    ProtocolError,
    ResultCode,
    StatusFlags,
    check_watchdog_ms,
)
from drivers.pilot.readings import check_status


def frame_id(base_id: int, kind: CanFrame) -> int:
    return base_id + int(kind)


def frame_kind(base_id: int, arbitration_id: int) -> CanFrame | None:
    """Which protocol frame ``arbitration_id`` is, or None for other traffic on the bus."""
    try:
        return CanFrame(arbitration_id - base_id)
    except ValueError:
        return None


def candump(arbitration_id: int, data: bytes) -> str:
    """A frame in candump notation (``600#0743``), for error messages and logs."""
    return f"{arbitration_id:03X}#{data.hex().upper()}"


def _pack(kind: CanFrame, *values: object) -> bytes:
    return struct.pack(CAN_LAYOUTS[kind].fmt, *values)


def _unpack(kind: CanFrame, data: bytes) -> tuple[object, ...]:
    layout = CAN_LAYOUTS[kind]
    if len(data) != layout.size:
        raise ProtocolError(
            f"{kind.name} frame must carry {layout.size} bytes, got {len(data)} ({data.hex()})"
        )
    return struct.unpack(layout.fmt, data)


def _state(raw: object) -> PilotState:
    assert isinstance(raw, bytes)
    try:
        return PilotState(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError(f"state byte {raw!r} is not one of A–F") from None


def _int(raw: object) -> int:
    assert isinstance(raw, int)
    return raw


# ----------------------------------------------------------------- rig → device ---


def encode_set_state(token: int, state: PilotState) -> bytes:
    return _pack(CanFrame.SET_STATE, token, state.value.encode("ascii"))


def encode_set_duty(token: int, duty_pct: float) -> bytes:
    return _pack(CanFrame.SET_DUTY, token, round(duty_pct * 10.0))


def encode_status_request(token: int) -> bytes:
    return _pack(CanFrame.STATUS_REQUEST, token)


def encode_identity_request(token: int) -> bytes:
    return _pack(CanFrame.IDENTITY_REQUEST, token)


def encode_watchdog(token: int, timeout_ms: int) -> bytes:
    """Arm the watchdog for ``timeout_ms`` (0 disarms); ValueError beyond 0–65535."""
    return _pack(CanFrame.WATCHDOG, token, check_watchdog_ms(timeout_ms))


def encode_heartbeat(counter: int) -> bytes:
    """A heartbeat; ``counter`` is any byte (the device does not answer or check it)."""
    return _pack(CanFrame.HEARTBEAT, counter & 0xFF)


@dataclass(frozen=True)
class CanCommand:
    """A decoded command frame, as the device sees it."""

    kind: CanFrame
    token: int
    state: PilotState | None = None
    duty_pct: float | None = None
    timeout_ms: int | None = None


#: Frames the rig sends; every one of them feeds the device's watchdog.
COMMAND_FRAMES = frozenset(
    {
        CanFrame.SET_STATE,
        CanFrame.SET_DUTY,
        CanFrame.STATUS_REQUEST,
        CanFrame.IDENTITY_REQUEST,
        CanFrame.WATCHDOG,
        CanFrame.HEARTBEAT,
    }
)


def decode_command(kind: CanFrame, data: bytes) -> CanCommand:
    """Decode a rig → device frame; :class:`ProtocolError` carries what is wrong.

    A duty above 100.0 % decodes (the value is the device's to refuse with
    ``BAD_VALUE``); a malformed frame does not.
    """
    if kind not in COMMAND_FRAMES:
        raise ProtocolError(f"{kind.name} is not a command frame")
    if not data:
        raise ProtocolError(f"{kind.name} frame is empty")
    values = _unpack(kind, data)
    token = _int(values[0])
    if kind is CanFrame.SET_STATE:
        return CanCommand(kind, token, state=_state(values[1]))
    if kind is CanFrame.SET_DUTY:
        return CanCommand(kind, token, duty_pct=_int(values[1]) / 10.0)
    if kind is CanFrame.WATCHDOG:
        return CanCommand(kind, token, timeout_ms=_int(values[1]))
    return CanCommand(kind, token)


# ----------------------------------------------------------------- device → rig ---


@dataclass(frozen=True)
class Ack:
    token: int
    command: CanFrame
    code: ResultCode


def encode_ack(token: int, command: CanFrame, code: ResultCode) -> bytes:
    return _pack(CanFrame.ACK, token, int(command), int(code))


def decode_ack(data: bytes) -> Ack:
    token, command, code = (_int(v) for v in _unpack(CanFrame.ACK, data))
    try:
        return Ack(token, CanFrame(command), ResultCode(code))
    except ValueError:
        raise ProtocolError(f"ACK names unknown command 0x{command:02X} or code {code}") from None


def _mv(volts: float) -> int:
    return max(-32768, min(32767, round(volts * 1000.0)))


def encode_status(tag: int, status: PilotStatus) -> tuple[bytes, bytes]:
    """The STATUS_LEVELS and STATUS_LINES payloads for ``status``."""
    levels = _pack(
        CanFrame.STATUS_LEVELS,
        tag,
        status.state.value.encode("ascii"),
        _mv(status.high_v),
        _mv(status.low_v),
        max(0, min(0xFFFF, round(status.duty_pct * 10.0))),
    )
    flags = StatusFlags(0)
    if status.contactor_closed is not None:
        flags |= StatusFlags.CONTACTOR_SENSED
        if status.contactor_closed:
            flags |= StatusFlags.CONTACTOR_CLOSED
    if status.watchdog_armed:
        flags |= StatusFlags.WATCHDOG_ARMED
    if status.watchdog_tripped:
        flags |= StatusFlags.WATCHDOG_TRIPPED
    if math.isnan(status.proximity_ohm):
        proximity = PROXIMITY_UNKNOWN
    elif math.isinf(status.proximity_ohm):
        proximity = PROXIMITY_OPEN
    else:
        proximity = max(0, min(PROXIMITY_UNKNOWN - 1, round(status.proximity_ohm)))
    lines = _pack(
        CanFrame.STATUS_LINES,
        tag,
        int(flags),
        max(0, min(0xFFFF, round(status.frequency_hz * 10.0))),
        proximity,
    )
    return levels, lines


_DEFINED_FLAGS = sum(int(flag) for flag in StatusFlags)


def decode_status(levels: bytes, lines: bytes) -> PilotStatus:
    """Join a STATUS_LEVELS and a STATUS_LINES payload into one checked reading."""
    tag, state, high_mv, low_mv, duty_x10 = _unpack(CanFrame.STATUS_LEVELS, levels)
    tag2, flags, freq_dhz, proximity = (_int(v) for v in _unpack(CanFrame.STATUS_LINES, lines))
    if tag != tag2:
        raise ProtocolError(f"status frames carry different tags ({tag} and {tag2})")
    if flags & ~_DEFINED_FLAGS:
        raise ProtocolError(f"status flags 0x{flags:02X} has undefined bits set")
    contactor: bool | None = None
    if flags & StatusFlags.CONTACTOR_SENSED:
        contactor = bool(flags & StatusFlags.CONTACTOR_CLOSED)
    if proximity == PROXIMITY_OPEN:
        proximity_ohm = math.inf
    elif proximity == PROXIMITY_UNKNOWN:
        proximity_ohm = math.nan
    else:
        proximity_ohm = float(proximity)
    return check_status(
        PilotStatus(
            state=_state(state),
            high_v=_int(high_mv) / 1000.0,
            low_v=_int(low_mv) / 1000.0,
            duty_pct=_int(duty_x10) / 10.0,
            frequency_hz=freq_dhz / 10.0,
            proximity_ohm=proximity_ohm,
            contactor_closed=contactor,
            watchdog_armed=bool(flags & StatusFlags.WATCHDOG_ARMED),
            watchdog_tripped=bool(flags & StatusFlags.WATCHDOG_TRIPPED),
        )
    )


def encode_identity(token: int, text: str) -> list[bytes]:
    """``text`` (the ``*IDN?`` string) as IDENTITY payloads; the last carries < 6 text bytes."""
    raw = text.encode("ascii", errors="replace")
    chunks = [raw[i : i + IDENTITY_CHUNK_BYTES] for i in range(0, len(raw), IDENTITY_CHUNK_BYTES)]
    if not chunks or len(chunks[-1]) == IDENTITY_CHUNK_BYTES:
        chunks.append(b"")
    if len(chunks) > 256:
        raise ValueError("identity text too long for 256 chunks")
    return [struct.pack(IDENTITY_HEADER.fmt, token, i) + c for i, c in enumerate(chunks)]


@dataclass(frozen=True)
class IdentityChunk:
    token: int
    index: int
    text: bytes

    @property
    def last(self) -> bool:
        return len(self.text) < IDENTITY_CHUNK_BYTES


def decode_identity_chunk(data: bytes) -> IdentityChunk:
    if len(data) < IDENTITY_HEADER.size:
        raise ProtocolError(f"IDENTITY frame too short ({data.hex()})")
    token, index = struct.unpack(IDENTITY_HEADER.fmt, data[: IDENTITY_HEADER.size])
    return IdentityChunk(token, index, data[IDENTITY_HEADER.size :])
