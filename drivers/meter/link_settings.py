"""Where a meter is and how its wire behaves: :class:`LinkSettings`, from types or a URL.

A bench file already says, typed, which wire reaches a meter (Modbus TCP host and
port, or an RTU port with its line settings): :func:`tcp_link` and :func:`rtu_link`
take those values as they are. A URL, for the command line and third-party setups
(python-can style: configuration, not code), goes through :func:`parse_link`:

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

An RTU port in a bench file may itself be such a URL (``socket://``, ``rfc2217://``),
so :func:`rtu_link` reads the port the same way.

Timeouts are short on purpose. pymodbus defaults to 3 s and 3 retries, so a hung
device costs 12 s. Here each try waits ``timeout_s``: 0.5 s on TCP, and on RTU
0.25 s plus the time the longest possible frame pair takes on the wire at the
configured baud rate (about 0.56 s at 9600 baud). The RTU line timing itself
(:func:`char_time_s`, :func:`frame_gap_s`) is shared with the simulated meter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, Literal
from urllib.parse import parse_qs, urlsplit

LinkKind = Literal["tcp", "rtu-tcp", "rtu-serial"]

#: Bits on the wire per RTU character: start, 8 data, parity or second stop, stop.
BITS_PER_CHAR: Final = 11
#: The longest RTU transaction: an 8-byte read request, a 5 + 2 × 125-byte reply,
#: and two 3.5-character silences.
MAX_TRANSACTION_CHARS: Final = 8 + 5 + 250 + 7
TCP_TIMEOUT_S: Final = 0.5
RTU_TIMEOUT_MARGIN_S: Final = 0.25

_TCP_SCHEMES: Final = {"tcp", "modbus+tcp", "modbus-tcp"}
_RTU_TCP_SCHEMES: Final = {"socket", "rtu+tcp", "rtu-tcp", "rtu-over-tcp"}
_SERIAL_SCHEMES: Final = {"serial", "rtu", ""}
_PYSERIAL_URL_SCHEMES: Final = {"rfc2217", "loop", "spy", "hwgrep", "alt"}


def char_time_s(baudrate: int) -> float:
    """Seconds one RTU character occupies the line at ``baudrate``."""
    return BITS_PER_CHAR / baudrate


def frame_gap_s(baudrate: int) -> float:
    """The 3.5-character silence that ends an RTU frame (fixed at 1.75 ms above 19200 baud)."""
    return 0.00175 if baudrate > 19200 else 3.5 * char_time_s(baudrate)


@dataclass(frozen=True)
class LinkSettings:
    """Where and how to reach a meter: :func:`tcp_link`, :func:`rtu_link` or :func:`parse_link`."""

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


def tcp_link(host: str, port: int = 502, timeout_s: float | None = None) -> LinkSettings:
    """Modbus TCP to ``host:port``; ``timeout_s`` None is the TCP default."""
    return LinkSettings("tcp", host, port, timeout_s=timeout_s or TCP_TIMEOUT_S)


def rtu_link(
    port: str,
    *,
    baudrate: int,
    parity: str,
    stopbits: int,
    bytesize: int,
    timeout_s: float | None = None,
) -> LinkSettings:
    """Modbus RTU on ``port``: a device path, ``COMn``, or a pyserial or ``socket://`` URL."""
    return parse_link(
        port if "://" in port else f"serial://{port}",
        baudrate=baudrate,
        parity=parity,
        stopbits=stopbits,
        bytesize=bytesize,
        timeout_s=timeout_s,
    )


def parse_link(
    url: str,
    *,
    baudrate: int | None = None,
    parity: str | None = None,
    stopbits: int | None = None,
    bytesize: int | None = None,
    timeout_s: float | None = None,
) -> LinkSettings:
    """Turn a meter URL (see the module doc) into :class:`LinkSettings`.

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
