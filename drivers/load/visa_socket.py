"""The TCP socket under a pyvisa-py ``SOCKET`` session: Nagle off, and a closed peer seen.

pyvisa does not expose these, so :class:`~drivers.load.session.ScpiSession` reaches
the socket through pyvisa-py's session table; on other backends (or other resource
types) there is no socket and the helpers fall back or do nothing.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from pyvisa import constants


def _socket_of(res: Any) -> socket.socket | None:
    """The TCP socket under a pyvisa-py SOCKET session, or None (other backends)."""
    try:
        sock = res.visalib.sessions[res.session].interface
    except Exception:
        return None
    return sock if isinstance(sock, socket.socket) else None


def no_delay(res: Any) -> None:
    """Turn Nagle's algorithm off: a setting is two small writes in a row (command,
    then ``SYST:ERR?``), and with Nagle on the second waits for the instrument's
    delayed ACK, some 40 ms. pyvisa-py does not honour VI_ATTR_TCPIP_NODELAY, so the
    socket is set directly; other backends get the VISA attribute."""
    sock = _socket_of(res)
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return
    with contextlib.suppress(Exception):
        res.set_visa_attribute(
            constants.ResourceAttribute.tcpip_nodelay, constants.VisaBoolean.true
        )


def peer_closed(res: Any) -> bool:
    """True when a pyvisa-py socket session's peer has closed (EOF waiting)."""
    sock = _socket_of(res)
    if sock is None:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
