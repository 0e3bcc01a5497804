"""Serial line codec of the pilot protocol: exact text, round trips, and every rejection. No I/O."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from drivers.kinds import Identity, PilotState, PilotStatus
from drivers.pilot import lines
from drivers.pilot.protocol import ProtocolError, ResultCode

STATUS_LINE = "STATUS state=C high_mv=5987 low_mv=-11994 duty=53.3 freq=1000.0 prox=150 contactor=1"
STATUS = PilotStatus(PilotState.C, 5.987, -11.994, 53.3, 1000.0, 150.0, True)


def test_commands_are_the_documented_text() -> None:
    assert lines.format_set_state(PilotState.C) == "STATE C"
    assert lines.format_set_duty(53.3) == "DUTY 53.3"
    assert lines.format_set_duty(100.0) == "DUTY 100.0"


def test_status_line_is_the_documented_text() -> None:
    assert lines.format_status(STATUS) == STATUS_LINE
    assert lines.parse_status(STATUS_LINE) == STATUS


def test_status_sentinels() -> None:
    status = PilotStatus(PilotState.A, 12.0, 12.0, 100.0, 0.0, math.inf, None)
    line = lines.format_status(status)
    assert "prox=open" in line and "contactor=na" in line
    assert lines.parse_status(line) == status
    unmeasured = lines.parse_status(line.replace("prox=open", "prox=na"))
    assert math.isnan(unmeasured.proximity_ohm)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "not a STATUS"),
        ("OK", "not a STATUS"),
        (STATUS_LINE.rsplit(" ", 1)[0], "must carry"),  # field missing
        (STATUS_LINE.replace("state=C high_mv=5987", "high_mv=5987 state=C"), "must carry"),
        (STATUS_LINE + " extra=1", "must carry"),
        (STATUS_LINE.replace("duty=53.3", "duty="), "must carry"),
        (STATUS_LINE.replace("duty=53.3", "duty=fifty"), "not a number"),
        (STATUS_LINE.replace("duty=53.3", "duty=nan"), "finite"),
        (STATUS_LINE.replace("state=C", "state=Z"), "A-F"),
        (STATUS_LINE.replace("contactor=1", "contactor=2"), "contactor"),
        (STATUS_LINE.replace("high_mv=5987", "high_mv=30000"), "high_v"),
        (STATUS_LINE.replace("duty=53.3", "duty=150.0"), "duty_pct"),
        (STATUS_LINE.replace("prox=150", "prox=-5"), "proximity_ohm"),
    ],
)
def test_bad_status_lines_are_refused(line: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        lines.parse_status(line)


@pytest.mark.parametrize(
    ("line", "keyword", "state", "duty"),
    [
        ("STATE C", "STATE", PilotState.C, None),
        ("state f", "STATE", PilotState.F, None),
        ("DUTY 53.3", "DUTY", None, 53.3),
        ("  DUTY 0  ", "DUTY", None, 0.0),
        ("STATUS?", "STATUS?", None, None),
        ("*idn?", "*IDN?", None, None),
    ],
)
def test_device_parses_commands(
    line: str, keyword: str, state: PilotState | None, duty: float | None
) -> None:
    command = lines.parse_command(line)
    assert (command.keyword, command.state, command.duty_pct) == (keyword, state, duty)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("", ResultCode.MALFORMED),
        ("STATE", ResultCode.MALFORMED),
        ("STATE C D", ResultCode.MALFORMED),
        ("STATUS? now", ResultCode.MALFORMED),
        ("DUTY abc", ResultCode.MALFORMED),
        ("STATE Q", ResultCode.BAD_VALUE),
        ("DUTY 100.1", ResultCode.BAD_VALUE),
        ("DUTY -1", ResultCode.BAD_VALUE),
        ("DUTY inf", ResultCode.BAD_VALUE),
        ("RESET", ResultCode.UNKNOWN_COMMAND),
    ],
)
def test_device_refuses_bad_commands_with_a_code(line: str, code: ResultCode) -> None:
    with pytest.raises(lines.LineCommandError) as caught:
        lines.parse_command(line)
    assert caught.value.code is code


def test_error_lines() -> None:
    assert lines.format_error(ResultCode.BAD_VALUE, "duty 120") == "ERR 2 duty 120"
    error = lines.parse_error("ERR 3 state F not available")
    assert error == lines.ErrorReply(ResultCode.UNSUPPORTED, "state F not available")
    assert lines.parse_error("OK") is None
    with pytest.raises(ProtocolError, match="result code"):
        lines.parse_error("ERR")
    with pytest.raises(ProtocolError, match="result code"):
        lines.parse_error("ERR 99 what")


def test_identity_text() -> None:
    identity = Identity("Acme", "PS-1", "123", "2.1")
    assert lines.format_identity(identity) == "Acme,PS-1,123,2.1"
    assert lines.parse_identity("Acme, PS-1 ,123,2.1") == identity
    assert lines.parse_identity("Acme,PS-1,,") == Identity("Acme", "PS-1")
    for bad in ("Acme,PS-1,123", "Acme,PS-1,1,2,3", ",PS-1,1,2", "Acme,PS\x00,1,2"):
        with pytest.raises(ProtocolError):
            lines.parse_identity(bad)


def test_watchdog_lines() -> None:
    assert lines.format_watchdog(1000) == "WATCHDOG 1000"
    assert lines.parse_command("watchdog 0").timeout_ms == 0
    assert lines.parse_command("HB").keyword == "HB"
    for bad, code in (
        ("WATCHDOG 70000", ResultCode.BAD_VALUE),
        ("WATCHDOG 1.5", ResultCode.MALFORMED),
    ):
        with pytest.raises(lines.LineCommandError) as caught:
            lines.parse_command(bad)
        assert caught.value.code is code
    tripped = replace(STATUS, watchdog_armed=True, watchdog_tripped=True)
    text = lines.format_status(tripped)
    assert text.endswith(" wd=tripped")
    assert lines.parse_status(text) == tripped
    assert "wd=" not in lines.format_status(STATUS)  # unarmed: the seven fields as before
    assert lines.parse_status(lines.format_status(STATUS) + " wd=off") == STATUS
    with pytest.raises(ProtocolError):
        lines.parse_status(lines.format_status(STATUS) + " wd=maybe")
