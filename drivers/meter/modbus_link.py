"""One Modbus wire to one meter: read registers, fail fast and clearly.

A meter driver never talks to pymodbus directly; it asks a :class:`ModbusLink` for
``count`` registers at ``address`` and gets a list of 16-bit integers back, or a
typed error from :mod:`drivers.errors` that names the instrument, the exact frame
that was sent and the exact bytes that came back.

Which wire is chosen by :class:`~drivers.meter.link_settings.LinkSettings` (Modbus
TCP, RTU framing over a TCP socket, or RTU on a serial port), built from a bench
file's typed transport or from a URL (:mod:`drivers.meter.link_settings`).

Why ``socket://`` is not handed to pyserial: pymodbus's synchronous serial client
polls ``in_waiting`` byte by byte, which over a ``socket://`` URL manages about five
80-register reads a second. A TCP client with the RTU framer reads the same frames
thousands of times a second, and it is what a serial-to-Ethernet converter is.

Reads are idempotent, so a read that timed out, came back garbled or lost its
connection is retried ``retries`` times (default 1) on a fresh connection, so a late
reply to the first try can never be taken for the answer to the second. A Modbus
exception response is the device's considered answer and is never retried. A reply
whose function code is not the request's (an FC03 answer to an FC04 read: a
confused gateway, or another master's reply on a shared RS-485 line) is refused as
a reply error; pymodbus alone would decode it and hand back registers from the
wrong table.
"""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import Final, cast

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from drivers.errors import (
    InstrumentConnectionError,
    InstrumentError,
    InstrumentRejected,
    InstrumentReplyError,
    InstrumentTimeout,
)
from drivers.meter.link_settings import LinkSettings, parse_link

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


def _what(function_code: int, address: int, count: int) -> str:
    """How errors name a read."""
    return f"FC{function_code:02d} read of {count} registers at 0x{address:04X}"


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
