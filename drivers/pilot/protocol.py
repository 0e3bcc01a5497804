"""The rig's own pilot-simulator wire protocol, declared as data (see ``docs/pilot-protocol.md``).

One device, two transports, one meaning:

- **CAN** (11-bit identifiers, classic frames, big-endian fields). The rig sends
  command frames carrying a one-byte *token*; the device answers with frames that
  echo it, so a late answer to an earlier request can never be taken for the
  current one. Status comes as a pair of frames (levels, then lines) with the same
  tag; tag 0 marks the device's own periodic or on-change frames.
- **Serial** (ASCII lines ending in ``\\n``; ``\\r\\n`` accepted). One command line,
  one reply line (the heartbeat ``HB`` alone has none). Lines the device sends on
  its own start with ``!``.

Both carry the **communication watchdog**: the rig arms it with a timeout in
milliseconds (CAN ``WATCHDOG``, serial ``WATCHDOG <ms>``; 0 disarms) and then
sends a heartbeat (CAN ``HEARTBEAT``, serial ``HB``, never answered) well within
it. When nothing has come from the rig for the timeout, the device goes to state
A with no PWM, latches *tripped* (reported in every status) and refuses anything
but A and "no PWM" until it is armed again.

Both transports share :class:`ResultCode` (CAN acknowledgement byte, serial
``ERR <code>``) and the units: millivolts, duty in tenths of a percent on CAN,
frequency in tenths of a hertz on CAN, proximity resistance in ohms.

Nothing here does I/O. :mod:`drivers.pilot.canframes` and
:mod:`drivers.pilot.lines` turn these declarations into bytes and back, and
both the drivers and the simulator use them, so the two cannot drift apart.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag


class ProtocolError(ValueError):
    """Bytes or text that do not decode to a valid message of this protocol.

    Pure codec error; drivers wrap it in :class:`drivers.errors.InstrumentReplyError`
    together with the instrument name and what was sent and received.
    """


class ResultCode(IntEnum):
    """Why the device did or did not carry out a command (CAN ACK byte, serial ``ERR``)."""

    OK = 0
    MALFORMED = 1  # wrong frame length / missing or extra argument
    BAD_VALUE = 2  # argument out of range (state not A–F, duty not 0–100 %)
    UNSUPPORTED = 3  # this device cannot do that (e.g. state F on a vehicle-only box)
    UNKNOWN_COMMAND = 4
    NOT_READY = 5  # the device is busy or in a fault of its own


#: Resolution of the duty cycle on both transports (CAN sends tenths of a percent).
DUTY_STEP_PCT = 0.1

# --------------------------------------------------------------------------- CAN ---

DEFAULT_BASE_ID = 0x600
DEFAULT_BITRATE = 500_000


class CanFrame(IntEnum):
    """Frame identifiers, as offsets from the base identifier (default 0x600)."""

    # rig → device
    SET_STATE = 0x00
    SET_DUTY = 0x01
    STATUS_REQUEST = 0x02
    IDENTITY_REQUEST = 0x03
    WATCHDOG = 0x04
    HEARTBEAT = 0x05
    # device → rig
    ACK = 0x10
    STATUS_LEVELS = 0x20
    STATUS_LINES = 0x21
    IDENTITY = 0x30


@dataclass(frozen=True)
class Layout:
    """A fixed frame layout: a :mod:`struct` format (big-endian) and its field names."""

    fmt: str
    fields: tuple[str, ...]

    @property
    def size(self) -> int:
        return struct.calcsize(self.fmt)


CAN_LAYOUTS: dict[CanFrame, Layout] = {
    CanFrame.SET_STATE: Layout(">Bc", ("token", "state")),
    CanFrame.SET_DUTY: Layout(">BH", ("token", "duty_x10")),
    CanFrame.STATUS_REQUEST: Layout(">B", ("token",)),
    CanFrame.IDENTITY_REQUEST: Layout(">B", ("token",)),
    CanFrame.WATCHDOG: Layout(">BH", ("token", "timeout_ms")),
    CanFrame.HEARTBEAT: Layout(">B", ("counter",)),
    CanFrame.ACK: Layout(">BBB", ("token", "command", "code")),
    CanFrame.STATUS_LEVELS: Layout(">BchhH", ("tag", "state", "high_mv", "low_mv", "duty_x10")),
    CanFrame.STATUS_LINES: Layout(">BBHI", ("tag", "flags", "freq_dhz", "proximity_ohm")),
    # IDENTITY is variable: token, chunk index, then 0–6 ASCII bytes (see canframes).
}

#: IDENTITY frames: token and chunk index, then up to this many text bytes.
IDENTITY_HEADER = Layout(">BB", ("token", "index"))
IDENTITY_CHUNK_BYTES = 6

#: Status tag for frames the device sends on its own (periodic or on change).
PERIODIC_TAG = 0
#: Tokens the rig uses in requests: 1–255 (0 is reserved for periodic frames).
TOKENS = range(1, 256)


class StatusFlags(IntFlag):
    """Bits of the STATUS_LINES ``flags`` byte."""

    CONTACTOR_CLOSED = 0x01
    CONTACTOR_SENSED = 0x02  # clear: the device cannot see the contactor (reads as None)
    WATCHDOG_ARMED = 0x04  # the communication watchdog is armed (timeout > 0)
    WATCHDOG_TRIPPED = 0x08  # it fired: state A, no PWM, until armed again


#: Longest watchdog timeout (CAN carries it as u16 milliseconds); 0 disarms.
MAX_WATCHDOG_MS = 0xFFFF


def check_watchdog_ms(timeout_ms: int) -> int:
    """``timeout_ms`` if it is a whole number of milliseconds 0–65535, else ValueError."""
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int):
        raise ValueError(f"watchdog timeout must be whole milliseconds, got {timeout_ms!r}")
    if not 0 <= timeout_ms <= MAX_WATCHDOG_MS:
        raise ValueError(f"watchdog timeout must be 0–{MAX_WATCHDOG_MS} ms, got {timeout_ms}")
    return timeout_ms


#: STATUS_LINES ``proximity_ohm`` sentinels.
PROXIMITY_OPEN = 0xFFFF_FFFF  # no plug / open circuit: infinite resistance
PROXIMITY_UNKNOWN = 0xFFFF_FFFE  # not measured by this device (reads as NaN)

# ------------------------------------------------------------------------ serial ---

LINE_END = b"\n"
DEFAULT_SERIAL_BAUDRATE = 115_200
#: First character of a line the device sends on its own.
UNSOLICITED = "!"


class Command:
    """Command lines (rig → device) as format strings."""

    SET_STATE = "STATE {state}"
    SET_DUTY = "DUTY {duty:.1f}"
    STATUS = "STATUS?"
    IDENTITY = "*IDN?"
    WATCHDOG = "WATCHDOG {timeout_ms:d}"
    HEARTBEAT = "HB"


class Reply:
    """Reply lines (device → rig): keywords and format strings."""

    OK = "OK"
    ERROR = "ERR {code} {message}"
    ERROR_KEYWORD = "ERR"
    STATUS_KEYWORD = "STATUS"
    #: ``*IDN?`` reply: four comma-separated fields, like SCPI.
    IDENTITY = "{manufacturer},{model},{serial},{firmware}"


#: Fields of a ``STATUS`` line, in order, as ``key=value``.
STATUS_FIELDS: tuple[str, ...] = ("state", "high_mv", "low_mv", "duty", "freq", "prox", "contactor")
#: The optional eighth ``STATUS`` field: the watchdog, sent only once it is armed or
#: tripped, so a status line from a device nobody armed is the seven fields above.
WATCHDOG_FIELD = "wd"
WATCHDOG_OFF = "off"
WATCHDOG_ARMED = "armed"
WATCHDOG_TRIPPED = "tripped"
#: Text values of ``prox=`` and ``contactor=`` that are not numbers.
PROX_OPEN = "open"
NOT_AVAILABLE = "na"

# -------------------------------------------------------------- reading limits ---

#: A reading outside these bounds cannot come from a real pilot circuit; the codecs
#: reject it rather than pass it on (``proximity_ohm`` may also be inf or NaN).
LIMITS: dict[str, tuple[float, float]] = {
    "high_v": (-15.0, 15.0),
    "low_v": (-15.0, 15.0),
    "duty_pct": (0.0, 100.0),
    "frequency_hz": (0.0, 5000.0),
    "proximity_ohm": (0.0, 1.0e6),
}
