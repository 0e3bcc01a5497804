"""A byte link opened with ``serial.serial_for_url``: real ports and ``socket://`` alike.

:class:`SerialLink` wraps a pyserial port with what the pilot drivers need:

- short timeouts, counted against a deadline, so a hung device costs one
  ``timeout_s`` per request (default 0.3 s), never pyserial's open-ended waits;
- line reading that pulls whatever is waiting in one call instead of a system
  call per byte;
- pyserial's exceptions turned into the rig's typed errors, each naming the
  instrument and the request: a lost link is
  :class:`~drivers.errors.InstrumentConnectionError`, silence is
  :class:`~drivers.errors.InstrumentTimeout`;
- ``TCP_NODELAY`` on ``socket://`` links: pyserial does not set it, and without it
  a small write queued behind an unacknowledged one waits for the peer's
  delayed ACK (up to ~40 ms per round trip).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

import serial

from drivers.errors import InstrumentConnectionError, InstrumentTimeout

DEFAULT_TIMEOUT_S = 0.3


def set_tcp_nodelay(fileno: int) -> None:
    """Turn off Nagle's algorithm on the socket behind ``fileno`` (a no-op for non-sockets).

    The socket object made here is a duplicate descriptor of the same socket, so
    the option sticks after it is closed.
    """
    try:
        with socket.fromfd(fileno, socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass


def shutdown_socket(fileno: int) -> None:
    """Shut the socket behind ``fileno`` down both ways now (a no-op for non-sockets).

    The peer sees the connection end at once; closing the descriptor can follow later.
    """
    try:
        with socket.fromfd(fileno, socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def close_soon(fileno: int, close: Callable[[], None]) -> None:
    """End a ``socket://`` link at once and ``close`` it in a daemon thread.

    pyserial's ``socket://`` ports sleep 0.3 s in ``close()``; a reopen must not wait
    for that, while the peer (a serial server that takes one client) must see the
    old connection gone before the new one arrives.
    """
    shutdown_socket(fileno)
    threading.Thread(target=close, name="pilot-link-close", daemon=True).start()


def is_socket_url(url: str) -> bool:
    return url.lower().startswith("socket://")


class SerialLink:
    """One open serial port (or ``socket://`` URL) belonging to instrument ``name``."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        baudrate: int,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        terminator: bytes = b"\n",
    ) -> None:
        self.name = name
        self.url = url
        self.timeout_s = timeout_s
        self.terminator = terminator
        self._buffer = bytearray()
        try:
            self.port = serial.serial_for_url(
                url, baudrate=baudrate, timeout=timeout_s, write_timeout=timeout_s
            )
        except (serial.SerialException, ValueError, OSError) as exc:
            raise InstrumentConnectionError(name, f"cannot open {url}: {exc}") from exc
        if is_socket_url(url):
            set_tcp_nodelay(self.port.fileno())

    def write(self, data: bytes, *, sent: str | bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except serial.SerialTimeoutException as exc:
            raise InstrumentTimeout(self.name, f"write timed out: {exc}", sent=sent) from exc
        except (serial.SerialException, OSError) as exc:
            raise InstrumentConnectionError(
                self.name, f"link to {self.url} lost: {exc}", sent=sent
            ) from exc

    def discard_input(self, *, sent: str | bytes | None = None) -> None:
        """Drop everything received so far (stale replies, periodic lines)."""
        self._buffer.clear()
        try:
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError) as exc:
            raise InstrumentConnectionError(
                self.name, f"link to {self.url} lost: {exc}", sent=sent
            ) from exc

    def read_line(self, deadline: float, *, sent: str | bytes | None) -> str:
        """The next line (terminator and trailing ``\\r`` removed), by ``deadline`` (monotonic).

        Undecodable bytes become U+FFFD so the caller can show and reject them.
        """
        while True:
            end = self._buffer.find(self.terminator)
            if end >= 0:
                raw = bytes(self._buffer[:end])
                del self._buffer[: end + len(self.terminator)]
                return raw.decode("ascii", errors="replace").rstrip("\r")
            left = deadline - time.monotonic()
            if left <= 0:
                got = bytes(self._buffer) if self._buffer else None
                raise InstrumentTimeout(
                    self.name,
                    f"no complete reply within {self.timeout_s} s",
                    sent=sent,
                    received=got,
                )
            self._buffer.extend(self._read_some(left, sent))

    def _read_some(self, wait_s: float, sent: str | bytes | None) -> bytes:
        try:
            waiting = self.port.in_waiting
            if waiting:  # a socket:// port says 1 here for "some": take all there is
                self.port.timeout = 0
                return bytes(self.port.read(max(waiting, 4096)))
            self.port.timeout = wait_s
            return bytes(self.port.read(1))
        except (serial.SerialException, OSError) as exc:
            raise InstrumentConnectionError(
                self.name,
                f"link to {self.url} lost: {exc}",
                sent=sent,
                received=bytes(self._buffer) or None,
            ) from exc

    def close(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self.port.close()

    def abandon(self) -> None:
        """Close a stale link without waiting for it (see :func:`close_soon`)."""
        if not is_socket_url(self.url):
            self.close()
            return
        try:
            fileno = self.port.fileno()
        except (serial.SerialException, OSError, AttributeError):
            self.close()
            return
        close_soon(fileno, self.close)
