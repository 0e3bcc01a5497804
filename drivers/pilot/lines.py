"""Serial lines of the pilot protocol: format and parse, no I/O.

A dialogue, rig lines marked ``>``, device lines ``<``::

    > STATE C
    < OK
    > DUTY 53.3
    < OK
    > STATUS?
    < STATUS state=C high_mv=5987 low_mv=-11994 duty=53.3 freq=1000.0 prox=150 contactor=1
    > DUTY 120
    < ERR 2 duty 120.0 is outside 0-100 %
    < !STATUS state=C high_mv=6012 ...        (unsolicited: periodic or on change)
    > WATCHDOG 1000
    < OK
    > HB                                      (heartbeat: no reply)
    > STATUS?
    < STATUS state=C ... contactor=1 wd=armed

Parsers take one line without its terminator and raise
:class:`~drivers.pilot.protocol.ProtocolError` on anything that is not exactly
the declared form. The identity text (``*IDN?`` reply, also carried by the CAN
IDENTITY frames) is parsed here too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from drivers.kinds import Identity, PilotState, PilotStatus
from drivers.pilot.protocol import (
    MAX_WATCHDOG_MS,
    NOT_AVAILABLE,
    PROX_OPEN,
    STATUS_FIELDS,
    WATCHDOG_ARMED,
    WATCHDOG_FIELD,
    WATCHDOG_OFF,
    WATCHDOG_TRIPPED,
    Command,
    ProtocolError,
    Reply,
    ResultCode,
    check_watchdog_ms,
)
from drivers.pilot.readings import check_status

# ----------------------------------------------------------------- rig → device ---


def format_set_state(state: PilotState) -> str:
    return Command.SET_STATE.format(state=state.value)


def format_set_duty(duty_pct: float) -> str:
    return Command.SET_DUTY.format(duty=duty_pct)


def format_watchdog(timeout_ms: int) -> str:
    """``WATCHDOG <ms>`` (0 disarms); ValueError beyond 0–65535."""
    return Command.WATCHDOG.format(timeout_ms=check_watchdog_ms(timeout_ms))


@dataclass(frozen=True)
class LineCommand:
    """A command line as the device understands it."""

    keyword: str  # "STATE", "DUTY", "STATUS?", "*IDN?", "WATCHDOG", "HB"
    state: PilotState | None = None
    duty_pct: float | None = None
    timeout_ms: int | None = None


class LineCommandError(ProtocolError):
    """A command line the device refuses, with the result code to answer."""

    def __init__(self, code: ResultCode, message: str) -> None:
        self.code = code
        super().__init__(message)


def parse_command(line: str) -> LineCommand:
    """Parse a rig → device line (case-insensitive keyword); raise LineCommandError."""
    words = line.strip().split()
    if not words:
        raise LineCommandError(ResultCode.MALFORMED, "empty line")
    keyword, args = words[0].upper(), words[1:]
    if keyword in (Command.STATUS, Command.IDENTITY, Command.HEARTBEAT):
        if args:
            raise LineCommandError(ResultCode.MALFORMED, f"{keyword} takes no argument")
        return LineCommand(keyword)
    if keyword not in ("STATE", "DUTY", "WATCHDOG"):
        raise LineCommandError(ResultCode.UNKNOWN_COMMAND, f"unknown command {words[0]!r}")
    if len(args) != 1:
        raise LineCommandError(ResultCode.MALFORMED, f"{keyword} takes one argument")
    if keyword == "STATE":
        try:
            return LineCommand(keyword, state=PilotState(args[0].upper()))
        except ValueError:
            raise LineCommandError(
                ResultCode.BAD_VALUE, f"state {args[0]!r} is not one of A-F"
            ) from None
    if keyword == "WATCHDOG":
        if not args[0].isdigit():
            raise LineCommandError(
                ResultCode.MALFORMED, f"watchdog {args[0]!r} is not a whole number of ms"
            )
        timeout_ms = int(args[0])
        if timeout_ms > MAX_WATCHDOG_MS:
            raise LineCommandError(
                ResultCode.BAD_VALUE, f"watchdog {timeout_ms} ms is outside 0-{MAX_WATCHDOG_MS}"
            )
        return LineCommand(keyword, timeout_ms=timeout_ms)
    try:
        duty = float(args[0])
    except ValueError:
        raise LineCommandError(ResultCode.MALFORMED, f"duty {args[0]!r} is not a number") from None
    if not (math.isfinite(duty) and 0.0 <= duty <= 100.0):
        raise LineCommandError(ResultCode.BAD_VALUE, f"duty {duty} is outside 0-100 %")
    return LineCommand(keyword, duty_pct=duty)


# ----------------------------------------------------------------- device → rig ---


def format_error(code: ResultCode, message: str) -> str:
    return Reply.ERROR.format(code=int(code), message=message)


@dataclass(frozen=True)
class ErrorReply:
    code: ResultCode
    message: str


def parse_error(line: str) -> ErrorReply | None:
    """An ``ERR <code> <message>`` line as :class:`ErrorReply`; None if not an ERR line."""
    words = line.split(maxsplit=2)
    if not words or words[0] != Reply.ERROR_KEYWORD:
        return None
    try:
        code = ResultCode(int(words[1]))
    except (IndexError, ValueError):
        raise ProtocolError(f"ERR line without a known result code: {line!r}") from None
    return ErrorReply(code, words[2] if len(words) > 2 else "")


def _number(value: float) -> str:
    return f"{value:.0f}"


def format_status(status: PilotStatus) -> str:
    """The ``STATUS ...`` reply line for ``status`` (``wd=`` only once armed or tripped)."""
    if math.isnan(status.proximity_ohm):
        prox = NOT_AVAILABLE
    elif math.isinf(status.proximity_ohm):
        prox = PROX_OPEN
    else:
        prox = _number(status.proximity_ohm)
    contactor = {None: NOT_AVAILABLE, True: "1", False: "0"}[status.contactor_closed]
    values = {
        "state": status.state.value,
        "high_mv": _number(status.high_v * 1000.0),
        "low_mv": _number(status.low_v * 1000.0),
        "duty": f"{status.duty_pct:.1f}",
        "freq": f"{status.frequency_hz:.1f}",
        "prox": prox,
        "contactor": contactor,
    }
    fields = " ".join(f"{key}={values[key]}" for key in STATUS_FIELDS)
    if status.watchdog_tripped:
        fields += f" {WATCHDOG_FIELD}={WATCHDOG_TRIPPED}"
    elif status.watchdog_armed:
        fields += f" {WATCHDOG_FIELD}={WATCHDOG_ARMED}"
    return f"{Reply.STATUS_KEYWORD} {fields}"


def _float(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ProtocolError(f"{key}={text!r} is not a number") from None
    if not math.isfinite(value):
        raise ProtocolError(f"{key}={text!r} is not a finite number")
    return value


_WATCHDOG_VALUES = {
    WATCHDOG_OFF: (False, False),
    WATCHDOG_ARMED: (True, False),
    WATCHDOG_TRIPPED: (True, True),
}


def parse_status(line: str) -> PilotStatus:
    """Parse a ``STATUS`` line (all fields, in order, ``wd=`` optional) into a checked reading."""
    words = line.split()
    if not words or words[0] != Reply.STATUS_KEYWORD:
        raise ProtocolError(f"not a STATUS line: {line!r}")
    pairs = [word.partition("=") for word in words[1:]]
    keys = tuple(key for key, _, _ in pairs)
    if keys not in (STATUS_FIELDS, (*STATUS_FIELDS, WATCHDOG_FIELD)) or any(
        not sep or not value for _, sep, value in pairs
    ):
        raise ProtocolError(
            f"STATUS line must carry {' '.join(STATUS_FIELDS)} [{WATCHDOG_FIELD}] as key=value"
        )
    values = {key: value for key, _, value in pairs}
    watchdog = values.get(WATCHDOG_FIELD, WATCHDOG_OFF)
    if watchdog not in _WATCHDOG_VALUES:
        known = ", ".join(_WATCHDOG_VALUES)
        raise ProtocolError(f"{WATCHDOG_FIELD}={watchdog!r} is not one of {known}")
    armed, tripped = _WATCHDOG_VALUES[watchdog]
    try:
        state = PilotState(values["state"])
    except ValueError:
        raise ProtocolError(f"state={values['state']!r} is not one of A-F") from None
    prox = values["prox"]
    if prox == PROX_OPEN:
        proximity_ohm = math.inf
    elif prox == NOT_AVAILABLE:
        proximity_ohm = math.nan
    else:
        proximity_ohm = _float("prox", prox)
    contactor_text = values["contactor"]
    contactor = {"1": True, "0": False, NOT_AVAILABLE: None}
    if contactor_text not in contactor:
        raise ProtocolError(f"contactor={contactor_text!r} is not 1, 0 or {NOT_AVAILABLE}")
    return check_status(
        PilotStatus(
            state=state,
            high_v=_float("high_mv", values["high_mv"]) / 1000.0,
            low_v=_float("low_mv", values["low_mv"]) / 1000.0,
            duty_pct=_float("duty", values["duty"]),
            frequency_hz=_float("freq", values["freq"]),
            proximity_ohm=proximity_ohm,
            contactor_closed=contactor[contactor_text],
            watchdog_armed=armed,
            watchdog_tripped=tripped,
        )
    )


def format_identity(identity: Identity) -> str:
    return Reply.IDENTITY.format(
        manufacturer=identity.manufacturer,
        model=identity.model,
        serial=identity.serial,
        firmware=identity.firmware,
    )


def parse_identity(text: str) -> Identity:
    """``manufacturer,model,serial,firmware`` → :class:`Identity` (exactly four fields)."""
    fields = [field.strip() for field in text.split(",")]
    if len(fields) != 4 or not fields[0] or not fields[1]:
        raise ProtocolError(f"identity must be 'manufacturer,model,serial,firmware', got {text!r}")
    if not text.isprintable():
        raise ProtocolError(f"identity contains unprintable characters: {text!r}")
    return Identity(*fields)
