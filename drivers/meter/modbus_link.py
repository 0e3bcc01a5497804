"""One Modbus wire to one meter: open it by URL, read registers, fail fast and clearly.

A meter driver never talks to pymodbus directly; it asks a :class:`ModbusLink` for
``count`` registers at ``address`` and gets a list of 16-bit integers back, or a
typed error from :mod:`drivers.errors` that names the instrument, the exact frame
that was sent and the exact bytes that came back.

Which wire is chosen by the URL (python-can style: configuration, not code):

======================================  =============================================
URL                                      wire
======================================  =============================================
``tcp://10.0.0.7:502`` or ``10.0.0.7``   Modbus TCP (MBAP header, transaction IDs)
``socket://127.0.0.1:5020``              RTU framing (CRC, no header) over a TCP
  (also ``rtu+tcp://``)                  socket: serial-to-Ethernet converters, and
                                         the simulator's RS-485 line
``/dev/ttyUSB0``, ``COM3``,              RTU on a serial port (pyserial); settings in
``serial:///dev/ttyUSB0?baud=9600``      the query or as keyword arguments
``rfc2217://host:port``                  RTU on a remote serial port (pyserial URL)
======================================  =============================================

Why ``socket://`` is not handed to pyserial: pymodbus's synchronous serial client
polls ``in_waiting`` byte by byte, which over a ``socket://`` URL manages about five
80-register reads a second. A TCP client with the RTU framer reads the same frames
thousands of times a second, and it is what a serial-to-Ethernet converter is.

Timeouts are short on purpose. pymodbus defaults to 3 s and 3 retries, so a hung
device costs 12 s. Here each try waits ``timeout_s``: 0.5 s on TCP, and on RTU
0.25 s plus the time the longest possible frame pair takes on the wire at the
configured baud rate (about 0.56 s at 9600 baud). Reads are idempotent, so a read
that timed out, came back garbled or lost its connection is retried ``retries``
times (default 1) on a fresh connection, so a late reply to the first try can never
be taken for the answer to the second. A Modbus exception response is the device's
considered answer and is never retried. A reply whose function code is not the
request's (an FC03 answer to an FC04 read: a confused gateway, or another master's
reply on a shared RS-485 line) is refused as a reply error; pymodbus alone would
decode it and hand back registers from the wrong table.

The link registers two reply classes with pymodbus (its ``client.register`` hook)
that decode FC03/FC04 replies with one ``struct.unpack`` instead of one call per
register; on the simulator's wire that makes a 74-register snapshot through the
driver at least as fast as the same read through a plain pymodbus client.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, replace
from typing import Final, Literal, cast
from urllib.parse import parse_qs, urlsplit

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersResponse,
    ReadInputRegistersResponse,
)

from drivers.errors import (
    InstrumentConnectionError,
    InstrumentError,
    InstrumentRejected,
    InstrumentReplyError,
    InstrumentTimeout,
)

LinkKind = Literal["tcp", "rtu-tcp", "rtu-serial"]

#: Bits on the wire per RTU character: start, 8 data, parity or second stop, stop.
BITS_PER_CHAR: Final = 11
#: The longest RTU transaction: an 8-byte read request, a 5 + 2 × 125-byte reply,
#: and two 3.5-character silences.
MAX_TRANSACTION_CHARS: Final = 8 + 5 + 250 + 7
TCP_TIMEOUT_S: Final = 0.5
RTU_TIMEOUT_MARGIN_S: Final = 0.25

#: Modbus exception codes, as the spec names them (for error messages).
EXCEPTION_NAMES: Final[dict[int, str]] = {
    0x01: "illegal function",
    0x02: "illegal data address",
    0x03: "illegal data value",
    0x04: "server device failure",
    0x05: "acknowledge",
    0x06: "server device busy",
    0x08: "memory parity error",
    0x0A: "gateway path unavailable",
    0x0B: "gateway target device failed to respond",
}

_TCP_SCHEMES: Final = {"tcp", "modbus+tcp", "modbus-tcp"}
_RTU_TCP_SCHEMES: Final = {"socket", "rtu+tcp", "rtu-tcp", "rtu-over-tcp"}
_SERIAL_SCHEMES: Final = {"serial", "rtu", ""}
_PYSERIAL_URL_SCHEMES: Final = {"rfc2217", "loop", "spy", "hwgrep", "alt"}


def _unpack_registers(pdu: ModbusPDU, data: bytes) -> None:
    """Decode a register reply's byte count and words in one struct call."""
    byte_count = data[0]
    if byte_count >= len(data) or byte_count % 2:
        raise ModbusIOException(
            f"byte_count {byte_count} does not fit a packet of {len(data)} bytes",
            function_code=pdu.function_code,
        )
    pdu.registers = list(struct.unpack(f">{byte_count // 2}H", data[1 : 1 + byte_count]))


class _HoldingRegistersReply(ReadHoldingRegistersResponse):
    """pymodbus's FC03 reply, decoded with one ``struct.unpack`` instead of one per word."""

    def decode(self, data: bytes) -> None:
        _unpack_registers(self, data)


class _InputRegistersReply(ReadInputRegistersResponse):
    """pymodbus's FC04 reply, decoded with one ``struct.unpack`` instead of one per word."""

    def decode(self, data: bytes) -> None:
        _unpack_registers(self, data)


def _what(function_code: int, address: int, count: int) -> str:
    """How errors name a read."""
    return f"FC{function_code:02d} read of {count} registers at 0x{address:04X}"


def char_time_s(baudrate: int) -> float:
    """Seconds one RTU character occupies the line at ``baudrate``."""
    return BITS_PER_CHAR / baudrate


def frame_gap_s(baudrate: int) -> float:
    """The 3.5-character silence that ends an RTU frame (fixed at 1.75 ms above 19200 baud)."""
    return 0.00175 if baudrate > 19200 else 3.5 * char_time_s(baudrate)


@dataclass(frozen=True)
class LinkSettings:
    """Where and how to reach a meter. Build one with :func:`parse_link`."""

    kind: LinkKind
    #: Host name for the TCP kinds; port name or pyserial URL for ``rtu-serial``.
    target: str
    port: int = 502
    baudrate: int = 9600
    parity: str = "N"
    stopbits: int = 1
    bytesize: int = 8
    timeout_s: float = TCP_TIMEOUT_S

    @property
    def url(self) -> str:
        """The canonical URL of this link (used in error messages)."""
        if self.kind == "tcp":
            return f"tcp://{self.target}:{self.port}"
        if self.kind == "rtu-tcp":
            return f"socket://{self.target}:{self.port}"
        return f"serial://{self.target}?baud={self.baudrate}&parity={self.parity}"


def _default_timeout(kind: LinkKind, baudrate: int) -> float:
    if kind == "tcp":
        return TCP_TIMEOUT_S
    return RTU_TIMEOUT_MARGIN_S + MAX_TRANSACTION_CHARS * char_time_s(baudrate)


def parse_link(
    url: str,
    *,
    baudrate: int | None = None,
    parity: str | None = None,
    stopbits: int | None = None,
    bytesize: int | None = None,
    timeout_s: float | None = None,
) -> LinkSettings:
    """Turn a bench file's meter URL (see the module doc) into :class:`LinkSettings`.

    Keyword arguments override the URL's query (``?baud=9600&parity=N&stopbits=1
    &timeout=0.3``). Raises ``ValueError`` with the offending URL on nonsense.
    """
    parts = urlsplit(url if "://" in url else _schemeless(url))
    scheme = parts.scheme.lower()
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        baud = baudrate or int(query.get("baud", query.get("baudrate", 9600)))
        par = (parity or query.get("parity", "N")).upper()
        stop = stopbits or int(query.get("stopbits", 1))
        size = bytesize or int(query.get("bytesize", 8))
        timeout = timeout_s if timeout_s is not None else _opt_float(query.get("timeout"))
    except ValueError as exc:
        raise ValueError(f"meter URL {url!r}: {exc}") from None
    if par not in {"N", "E", "O"}:
        raise ValueError(f"meter URL {url!r}: parity must be N, E or O, not {par!r}")
    kind: LinkKind
    if scheme in _TCP_SCHEMES or scheme in _RTU_TCP_SCHEMES:
        kind = "tcp" if scheme in _TCP_SCHEMES else "rtu-tcp"
        if not parts.hostname:
            raise ValueError(f"meter URL {url!r} names no host")
        try:
            port = parts.port or 502
        except ValueError as exc:
            raise ValueError(f"meter URL {url!r}: {exc}") from None
        target = parts.hostname
    elif scheme in _SERIAL_SCHEMES:
        kind, port = "rtu-serial", 0
        target = parts.path or parts.netloc
    elif scheme in _PYSERIAL_URL_SCHEMES:
        kind, port = "rtu-serial", 0
        target = url.split("?", 1)[0]
    else:
        raise ValueError(
            f"meter URL {url!r}: unknown scheme {scheme!r} "
            "(use tcp://host:port, socket://host:port, serial:///dev/... or a port name)"
        )
    if not target:
        raise ValueError(f"meter URL {url!r} names no serial port")
    settings = LinkSettings(kind, target, port, baud, par, stop, size)
    return replace(settings, timeout_s=timeout or _default_timeout(kind, baud))


def _schemeless(url: str) -> str:
    """``host:port`` and ``host`` mean TCP; a path or ``COMn`` means a serial port."""
    if url.startswith("/") or url.upper().startswith("COM"):
        return "serial://" + url if url.startswith("/") else "serial:" + url
    return "tcp://" + url


def _opt_float(text: str | None) -> float | None:
    return None if text is None else float(text)


class ModbusLink:
    """A synchronous Modbus client for one device (``unit``) on one wire.

    ``instrument`` is the name used in every error (the bench file's instrument name,
    e.g. ``"eumd"``). The link connects on first use; :meth:`close` is idempotent.
    Use a link from one thread at a time (the runner's), like the instrument itself.
    """

    def __init__(
        self,
        url: str | LinkSettings,
        *,
        instrument: str = "meter",
        unit: int = 1,
        retries: int = 1,
        timeout_s: float | None = None,
        baudrate: int | None = None,
        parity: str | None = None,
        stopbits: int | None = None,
        bytesize: int | None = None,
    ) -> None:
        settings = (
            url
            if isinstance(url, LinkSettings)
            else parse_link(
                url,
                baudrate=baudrate,
                parity=parity,
                stopbits=stopbits,
                bytesize=bytesize,
                timeout_s=timeout_s,
            )
        )
        if isinstance(url, LinkSettings) and timeout_s is not None:
            settings = replace(settings, timeout_s=timeout_s)
        if not 0 <= unit <= 247:
            raise ValueError(f"{instrument}: Modbus unit must be 0-247, not {unit}")
        self.settings = settings
        self.instrument = instrument
        self.unit = unit
        self.retries = max(0, retries)
        self._sent = b""
        self._received = b""
        self._client = self._make_client(settings)
        # pymodbus's documented hook for custom replies: same frames, faster decoding.
        self._client.register(_HoldingRegistersReply)
        self._client.register(_InputRegistersReply)

    # -- the wire -------------------------------------------------------------

    def _make_client(self, s: LinkSettings) -> ModbusTcpClient | ModbusSerialClient:
        if s.kind == "rtu-serial":
            return ModbusSerialClient(
                s.target,
                framer=FramerType.RTU,
                baudrate=s.baudrate,
                parity=s.parity,
                stopbits=s.stopbits,
                bytesize=s.bytesize,
                timeout=s.timeout_s,
                retries=0,
                trace_packet=self._trace,
            )
        return ModbusTcpClient(
            s.target,
            port=s.port,
            framer=FramerType.SOCKET if s.kind == "tcp" else FramerType.RTU,
            timeout=s.timeout_s,
            retries=0,
            trace_packet=self._trace,
        )

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if sending:
            self._sent, self._received = data, b""
        elif data:
            self._received = data
        return data

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def connected(self) -> bool:
        return bool(self._client.connected)

    def connect(self) -> None:
        """Open the wire now (reads do this on demand). Raises InstrumentConnectionError."""
        if self._client.connected:
            return
        if not self._client.connect():
            raise InstrumentConnectionError(
                self.instrument, f"cannot open Modbus link {self.url} (unit {self.unit})"
            )
        sock = getattr(self._client, "socket", None)
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    # -- reads ----------------------------------------------------------------

    def read_input(self, address: int, count: int) -> list[int]:
        """FC04: ``count`` input registers from ``address``."""
        return self._read(4, address, count)

    def read_holding(self, address: int, count: int) -> list[int]:
        """FC03: ``count`` holding registers from ``address``."""
        return self._read(3, address, count)

    def _read(self, function_code: int, address: int, count: int) -> list[int]:
        if not 1 <= count <= 125:
            raise ValueError(f"a Modbus read is 1-125 registers, not {count}")
        failure: InstrumentError | None = None
        for _ in range(self.retries + 1):
            try:
                return self._try_read(function_code, address, count)
            except InstrumentRejected:
                raise
            except InstrumentError as exc:
                failure = exc
                if self.settings.kind != "rtu-serial":
                    self.close()
        assert failure is not None
        raise failure

    def _try_read(self, function_code: int, address: int, count: int) -> list[int]:
        self._sent = self._received = b""
        if not self._client.connected:
            self.connect()
        client = self._client
        try:
            if function_code == 4:
                reply: ModbusPDU = client.read_input_registers(
                    address, count=count, device_id=self.unit
                )
            else:
                reply = client.read_holding_registers(address, count=count, device_id=self.unit)
        except ConnectionException as exc:
            what = _what(function_code, address, count)
            raise InstrumentConnectionError(
                self.instrument,
                f"link {self.url} lost during {what} ({exc})",
                sent=self._sent or None,
                received=self._received,
            ) from None
        except ModbusException as exc:
            what = _what(function_code, address, count)
            if self._received:
                raise InstrumentReplyError(
                    self.instrument,
                    f"garbled or truncated reply to {what} on {self.url} (unit {self.unit})",
                    sent=self._sent,
                    received=self._received,
                ) from None
            raise InstrumentTimeout(
                self.instrument,
                f"no reply within {self.settings.timeout_s:.2f} s to {what} "
                f"on {self.url} (unit {self.unit}; {type(exc).__name__})",
                sent=self._sent,
                received=b"",
            ) from None
        except OSError as exc:
            what = _what(function_code, address, count)
            raise InstrumentConnectionError(
                self.instrument, f"link {self.url} failed during {what}: {exc}", sent=self._sent
            ) from None
        answered = int(reply.function_code)
        if answered & 0x7F != function_code:  # pymodbus decodes any register reply it gets
            what = _what(function_code, address, count)
            raise InstrumentReplyError(
                self.instrument,
                f"reply to {what} on {self.url} (unit {self.unit}) carries function code "
                f"{answered} (0x{answered:02X}), not {function_code}",
                sent=self._sent,
                received=self._received,
            )
        if reply.isError():
            code = int(getattr(reply, "exception_code", 0))
            name = EXCEPTION_NAMES.get(code, "unknown exception")
            what = _what(function_code, address, count)
            raise InstrumentRejected(
                self.instrument,
                f"Modbus exception {code} ({name}) to {what} (unit {self.unit})",
                sent=self._sent,
                received=self._received,
            )
        registers = cast(list[int], reply.registers)
        if len(registers) != count:
            raise InstrumentReplyError(
                self.instrument,
                f"{_what(function_code, address, count)} returned {len(registers)} registers",
                sent=self._sent,
                received=self._received,
            )
        return registers

    @property
    def last_exchange(self) -> tuple[bytes, bytes]:
        """The last request frame sent and the reply bytes received (for error messages)."""
        return self._sent, self._received
