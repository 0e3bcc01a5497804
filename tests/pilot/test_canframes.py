"""CAN frame codec of the pilot protocol: exact bytes, round trips, and every rejection. No I/O."""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path

import pytest

from drivers.kinds import PilotState, PilotStatus
from drivers.pilot import canframes
from drivers.pilot.protocol import CAN_LAYOUTS, DEFAULT_BASE_ID, CanFrame, ProtocolError, ResultCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "pilot-protocol.md"

CHARGING = PilotStatus(
    state=PilotState.C,
    high_v=5.987,
    low_v=-11.994,
    duty_pct=53.3,
    frequency_hz=1000.0,
    proximity_ohm=150.0,
    contactor_closed=True,
)


def test_command_payloads_are_the_documented_bytes() -> None:
    assert canframes.encode_set_state(7, PilotState.C) == bytes.fromhex("0743")
    assert canframes.encode_set_duty(8, 53.3) == bytes.fromhex("080215")
    assert canframes.encode_status_request(9) == bytes.fromhex("09")
    assert canframes.encode_identity_request(10) == bytes.fromhex("0A")
    assert canframes.encode_ack(7, CanFrame.SET_STATE, ResultCode.OK) == bytes.fromhex("070000")


def test_status_payloads_are_the_documented_bytes() -> None:
    levels, lines = canframes.encode_status(9, CHARGING)
    assert levels.hex().upper() == "0943" + "1763" + "D126" + "0215"
    assert lines.hex().upper() == "09" + "03" + "2710" + "00000096"


def test_ids_are_offsets_from_the_base() -> None:
    assert canframes.frame_id(DEFAULT_BASE_ID, CanFrame.STATUS_LINES) == 0x621
    assert canframes.frame_kind(0x500, 0x510) is CanFrame.ACK
    assert canframes.frame_kind(0x600, 0x6FF) is None
    assert canframes.candump(0x600, bytes.fromhex("0743")) == "600#0743"


@pytest.mark.parametrize(
    ("proximity", "contactor"),
    [(150.0, True), (math.inf, False), (1500.0, None)],
)
def test_status_round_trip(proximity: float, contactor: bool | None) -> None:
    status = PilotStatus(PilotState.B, 9.012, -12.0, 25.0, 1000.0, proximity, contactor)
    assert canframes.decode_status(*canframes.encode_status(3, status)) == status


def test_unmeasured_proximity_round_trips_as_nan() -> None:
    status = PilotStatus(PilotState.A, 12.0, 12.0, 100.0, 0.0, math.nan, None)
    decoded = canframes.decode_status(*canframes.encode_status(0, status))
    assert math.isnan(decoded.proximity_ohm)
    assert decoded.contactor_closed is None


def _levels(**changes: int | bytes) -> bytes:
    fields: dict[str, int | bytes] = {"tag": 5, "state": b"C", "high": 5987, "low": -11994}
    fields["duty"] = 533
    fields.update(changes)
    return struct.pack(CAN_LAYOUTS[CanFrame.STATUS_LEVELS].fmt, *fields.values())


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        (_levels()[:7], "8 bytes"),
        (_levels(state=b"Z"), "not one of"),
        (_levels(tag=6), "different tags"),
        (_levels(high=30000), "high_v"),
        (_levels(duty=1500), "duty_pct"),
        (_levels(low=-20000), "low_v"),
    ],
)
def test_bad_status_levels_are_refused(levels: bytes, message: str) -> None:
    _, lines = canframes.encode_status(5, CHARGING)
    with pytest.raises(ProtocolError, match=message):
        canframes.decode_status(levels, lines)


def test_bad_status_lines_are_refused() -> None:
    levels, lines = canframes.encode_status(5, CHARGING)
    with pytest.raises(ProtocolError, match="flags"):
        canframes.decode_status(levels, lines[:1] + b"\x80" + lines[2:])
    with pytest.raises(ProtocolError, match="8 bytes"):
        canframes.decode_status(levels, lines[:4])
    with pytest.raises(ProtocolError, match="frequency_hz"):
        canframes.decode_status(levels, lines[:2] + b"\xff\xff" + lines[4:])


def test_ack_decoding() -> None:
    ack = canframes.decode_ack(bytes.fromhex("0C0102"))
    assert (ack.token, ack.command, ack.code) == (12, CanFrame.SET_DUTY, ResultCode.BAD_VALUE)
    with pytest.raises(ProtocolError, match="unknown"):
        canframes.decode_ack(bytes.fromhex("0C01FF"))
    with pytest.raises(ProtocolError, match="3 bytes"):
        canframes.decode_ack(bytes.fromhex("0C01"))


def test_command_decoding_as_the_device_sees_it() -> None:
    command = canframes.decode_command(CanFrame.SET_DUTY, bytes.fromhex("0407D0"))
    assert (command.token, command.duty_pct) == (4, 200.0)  # the device refuses the value
    assert canframes.decode_command(CanFrame.SET_STATE, b"\x01F").state is PilotState.F
    with pytest.raises(ProtocolError, match="not one of"):
        canframes.decode_command(CanFrame.SET_STATE, b"\x01G")
    with pytest.raises(ProtocolError, match="2 bytes"):
        canframes.decode_command(CanFrame.SET_STATE, b"\x01GG")
    with pytest.raises(ProtocolError, match="not a command"):
        canframes.decode_command(CanFrame.ACK, b"\x01\x00\x00")


@pytest.mark.parametrize("text", ["", "abcde", "abcdef", "a,b,c,d-long-enough-to-span"])
def test_identity_chunks_round_trip(text: str) -> None:
    frames = canframes.encode_identity(3, text)
    chunks = [canframes.decode_identity_chunk(f) for f in frames]
    assert [c.index for c in chunks] == list(range(len(frames)))
    assert [c.last for c in chunks] == [False] * (len(frames) - 1) + [True]
    assert b"".join(c.text for c in chunks).decode() == text
    assert all(len(f) <= 8 for f in frames)


def test_the_document_declares_every_frame() -> None:
    doc = DOC.read_text()
    for kind in CanFrame:
        assert kind.name in doc
        assert f"0x{DEFAULT_BASE_ID + kind:03X}" in doc
    for code in ResultCode:
        assert code.name in doc


def test_the_documented_dialogue_decodes() -> None:
    """Every candump line in the document is a valid frame of the protocol."""
    frames = re.findall(r"^([0-9A-F]{3})#([0-9A-F]*)\s", DOC.read_text(), re.MULTILINE)
    assert len(frames) >= 8
    levels = None
    for ident, data in frames:
        kind = canframes.frame_kind(DEFAULT_BASE_ID, int(ident, 16))
        payload = bytes.fromhex(data)
        assert kind is not None, ident
        if kind is CanFrame.ACK:
            canframes.decode_ack(payload)
        elif kind is CanFrame.STATUS_LEVELS:
            levels = payload
        elif kind is CanFrame.STATUS_LINES:
            assert levels is not None
            canframes.decode_status(levels, payload)
        else:
            canframes.decode_command(kind, payload)


def test_watchdog_frames_and_status_flags() -> None:
    assert canframes.encode_watchdog(10, 1000) == bytes.fromhex("0A03E8")
    assert canframes.encode_heartbeat(0x10B) == bytes.fromhex("0B")
    command = canframes.decode_command(CanFrame.WATCHDOG, bytes.fromhex("0A03E8"))
    assert command.timeout_ms == 1000
    with pytest.raises(ValueError, match="0–65535"):
        canframes.encode_watchdog(1, 65536)
    tripped = PilotStatus(
        PilotState.A,
        12.0,
        12.0,
        100.0,
        0.0,
        math.inf,
        None,
        watchdog_armed=True,
        watchdog_tripped=True,
    )
    levels, lines = canframes.encode_status(4, tripped)
    assert lines[1] == 0x0C
    assert canframes.decode_status(levels, lines) == tripped
    unarmed = canframes.encode_status(4, CHARGING)[1]
    assert unarmed[1] == 0x03  # a box nobody armed: the bytes from before the watchdog
