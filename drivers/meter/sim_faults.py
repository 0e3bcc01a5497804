"""Faults the simulated meter can be told to show, set from the test's own thread.

Two families, matching how real meters go wrong:

**Wire faults** change what goes back on the wire for the next request(s):

============================  =====================================================
:class:`WireFault`            what the client sees
============================  =====================================================
``EXCEPTION``                 a Modbus exception response with ``exception_code``
``NO_REPLY``                  nothing: the request times out
``GARBAGE``                   the reply with every byte scrambled (bad CRC / MBAP)
``TRUNCATED``                 the first half of the reply, then silence
``DROP``                      the connection closes instead of a reply
``WRONG_FUNCTION``            a well-formed reply with the other read's function
                              code (FC03 to an FC04 request and vice versa)
============================  =====================================================

``times`` limits a wire fault to that many requests (``None``: until cleared), so a
test can show that one lost reply is retried and a persistent one is reported.

**Value faults** change what the registers say while the wire stays healthy:
``NAN`` (float32 NaN, or SunSpec's 0x8000 / acc32 0), ``NOT_IMPLEMENTED`` (SunSpec
0x8000 / acc32 0; float32 NaN on the SDM630, which has no other sentinel) and
``NEGATIVE`` (the value's sign flipped; acc32 energy is unsigned, so there it shows
as not implemented). ``acc32_offset`` shifts the SunSpec energy counter (mod 2^32)
so a test can watch a real roll-over on the wire. ``energy_offset_wh`` is added to the
import energy both maps serve: a jump no load could draw in the time (a meter
swapped or reset under the rig, a corrupted register), or a total beyond the
register's range (``1e33`` Wh puts 1e30 kWh in the SDM630's float register; the
acc32 counter wraps, as its 32 bits must).

All setters are thread-safe: tests call them while the server's loop thread reads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

Quantity = Literal["voltage", "current", "power", "frequency", "energy"]
QUANTITIES: Final[tuple[Quantity, ...]] = ("voltage", "current", "power", "frequency", "energy")


class WireFault(StrEnum):
    EXCEPTION = "exception"
    NO_REPLY = "no_reply"
    GARBAGE = "garbage"
    TRUNCATED = "truncated"
    DROP = "drop"
    WRONG_FUNCTION = "wrong_function"


class ValueFault(StrEnum):
    NAN = "nan"
    NOT_IMPLEMENTED = "not_implemented"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class ActiveWireFault:
    """The wire fault that applies to one request."""

    kind: WireFault
    exception_code: int = 0


class MeterFaults:
    """The fault settings of one simulated meter. Everything starts healthy."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wire: ActiveWireFault | None = None
        self._times: int | None = None
        self._values: dict[Quantity, ValueFault] = {}
        self.acc32_offset = 0
        self.energy_offset_wh = 0.0

    def inject(self, kind: WireFault, *, times: int | None = None, exception_code: int = 4) -> None:
        """Show ``kind`` on the next ``times`` requests (``None``: until :meth:`clear_wire`)."""
        if kind is WireFault.EXCEPTION and not 1 <= exception_code <= 255:
            raise ValueError(f"a Modbus exception code is 1-255, not {exception_code}")
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 (or None), not {times}")
        with self._lock:
            self._wire = ActiveWireFault(kind, exception_code)
            self._times = times

    def exception(self, code: int, *, times: int | None = None) -> None:
        """Answer with Modbus exception ``code`` (2 illegal address, 4 device failure, ...)."""
        self.inject(WireFault.EXCEPTION, times=times, exception_code=code)

    def clear_wire(self) -> None:
        with self._lock:
            self._wire, self._times = None, None

    def take_wire(self) -> ActiveWireFault | None:
        """The wire fault for this request (called by the server once per request)."""
        if self._wire is None:
            return None
        with self._lock:
            fault = self._wire
            if self._times is not None:
                self._times -= 1
                if self._times <= 0:
                    self._wire, self._times = None, None
            return fault

    def set_value(self, quantity: Quantity, fault: ValueFault | None) -> None:
        """Make ``quantity`` read as ``fault`` (``None`` heals it)."""
        if quantity not in QUANTITIES:
            raise ValueError(f"unknown quantity {quantity!r}; one of {', '.join(QUANTITIES)}")
        with self._lock:
            values = dict(self._values)
            if fault is None:
                values.pop(quantity, None)
            else:
                values[quantity] = ValueFault(fault)
            self._values = values

    @property
    def values(self) -> dict[Quantity, ValueFault]:
        """The value faults in force (a copy-on-write mapping; do not mutate)."""
        return self._values

    def clear(self) -> None:
        """Back to a healthy meter."""
        with self._lock:
            self._wire, self._times = None, None
            self._values = {}
            self.acc32_offset = 0
            self.energy_offset_wh = 0.0
