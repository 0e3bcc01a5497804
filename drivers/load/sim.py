"""Simulated programmable loads: a raw SCPI socket server per dialect, fed by the model.

A real load listens on a TCP port (5025 by convention) and reads newline-terminated
SCPI; so does :class:`LoadSimulator`, on 127.0.0.1 and an ephemeral port unless told
otherwise. The driver reaches it with the VISA string of a real one,
``TCPIP0::127.0.0.1::PORT::SOCKET``, through pyvisa, and cannot tell the difference::

    from drivers.sim.runtime import SimLoop
    from drivers.load.sim import Fault, LoadSimulator

    with SimLoop() as loop:
        sim = LoadSimulator(model, "chroma63800")
        endpoint = sim.start_on(loop)             # "TCPIP0::127.0.0.1::40123::SOCKET"
        ...
        sim.inject(Fault.NO_REPLY, match="MEAS")  # the next MEAS query goes unanswered
        ...
        sim.stop_on(loop)

What the instrument does is in :mod:`drivers.load.sim_dialects` (command tables,
error queue, the model it drives); this module is the wire and the faults.

**Faults** are injected from any thread with :meth:`LoadSimulator.inject` and fire on
the next message line whose text contains ``match`` (any line if ``match`` is
``None``), ``times`` times:

==================  ===============================================================
``NO_REPLY``        a query is executed but its reply is never sent
``GARBAGE``         a query's reply is replaced by ``reply`` (default ``#?!garbage``)
                    -- also the way to send ``NaN``, ``9.91E37`` or ``-5``
``TRUNCATED``       the first half of a query's reply is sent, without terminator,
                    and the instrument stalls (as a wedged serial bridge does)
``ERROR``           the command is refused, not executed, and ``error`` is put in
                    the error queue (default -200 "Execution error")
``DROP``            the connection is closed on receipt of the line

``DELAY``           a query's reply is sent ``delay_s`` late (a slow instrument; the
                    way to interrupt a query while its reply is on its way)
==================  ===============================================================

Reply faults (``NO_REPLY``, ``GARBAGE``, ``TRUNCATED``, ``DELAY``) only fire on lines that
produce a reply. Every line received and the reply sent (or ``None``) is kept in
:attr:`LoadSimulator.transcript`, which the wire-dialogue tests compare against.

**Communication watchdog.** ``LoadSimulator(..., watchdog_ms=1000)`` arms the
instrument's watchdog when the simulator starts (the generic ``scpi`` dialect can
also be armed over the wire, see :mod:`drivers.load.sim_dialects`). Every message
line from any client restarts the timer, on the simulator loop's monotonic clock
(wall time: a watchdog watches a real controller, whatever clock the model keeps);
when it runs out the input goes off and :attr:`LoadSimulator.watchdog_trips` counts
one. After a trip the timer waits for the next line.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from drivers.load.sim_dialects import SIM_DIALECTS, LoadModel, SimInstrument
from drivers.sim.runtime import SimLoop


class Fault(StrEnum):
    NO_REPLY = "no_reply"
    GARBAGE = "garbage"
    TRUNCATED = "truncated"
    ERROR = "error"
    DROP = "drop"
    DELAY = "delay"


_REPLY_FAULTS = frozenset({Fault.NO_REPLY, Fault.GARBAGE, Fault.TRUNCATED, Fault.DELAY})


@dataclass
class _Armed:
    fault: Fault
    match: str | None
    times: int
    reply: str
    error: tuple[int, str]
    delay_s: float


class LoadSimulator:
    """One simulated load of ``dialect`` (``scpi``, ``chroma63800``, ``it8600``)."""

    def __init__(
        self,
        model: LoadModel,
        dialect: str = "scpi",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_current_a: float = 80.0,
        power_factor_range: tuple[float, float] = (0.5, 1.0),
        queue_size: int = 10,
        transcript_size: int = 1000,
        watchdog_ms: int = 0,
    ) -> None:
        spec = SIM_DIALECTS.get_or_raise(dialect, "load simulator")
        self.dialect = dialect
        self.host = host
        self.port = port
        self.instrument = SimInstrument(
            model,
            spec,
            max_current_a=max_current_a,
            power_factor_range=power_factor_range,
            queue_size=queue_size,
        )
        self.instrument.watchdog_ms = watchdog_ms
        self._watchdog_timer: asyncio.TimerHandle | None = None
        self.transcript: deque[tuple[str, str | None]] = deque(maxlen=transcript_size)
        self._faults: list[_Armed] = []
        self._lock = threading.Lock()
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.Transport] = set()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The VISA resource string a driver opens."""
        if self._server is None:
            raise RuntimeError("the load simulator is not running")
        return f"TCPIP0::{self.host}::{self.port}::SOCKET"

    async def start(self) -> str:
        """Listen (call on the simulator loop); return the VISA endpoint."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ScpiProtocol(self), self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self.heard()  # a watchdog armed at construction runs from the start
        return self.endpoint

    async def stop(self) -> None:
        server, self._server = self._server, None
        if self._watchdog_timer is not None:
            self._watchdog_timer.cancel()
            self._watchdog_timer = None
        for transport in list(self._transports):
            transport.abort()
        if server is not None:
            server.close()
            await server.wait_closed()

    def start_on(self, loop: SimLoop) -> str:
        """Start on a running :class:`SimLoop` from any thread; return the endpoint."""
        return loop.run(self.start())

    def stop_on(self, loop: SimLoop) -> None:
        loop.run(self.stop())

    # -- faults and inspection -------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        match: str | None = None,
        times: int = 1,
        reply: str = "#?!garbage",
        error: tuple[int, str] = (-200, "Execution error"),
        delay_s: float = 0.2,
    ) -> None:
        """Arm ``fault`` for the next ``times`` lines containing ``match``."""
        armed = _Armed(Fault(fault), match.upper() if match else None, times, reply, error, delay_s)
        with self._lock:
            self._faults.append(armed)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def push_error(self, code: int, message: str) -> None:
        """Put an entry in the error queue as if the instrument had raised it."""
        self.instrument.push_error(code, message)

    def error_queue(self) -> list[tuple[int, str]]:
        return list(self.instrument.errors)

    @property
    def watchdog_trips(self) -> int:
        """How often the communication watchdog has switched the input off."""
        return self.instrument.watchdog_trips

    # -- the watchdog (on the simulator loop) -----------------------------------------

    def heard(self) -> None:
        """A line came in (or the simulator started): restart the watchdog's timer."""
        if self._watchdog_timer is not None:
            self._watchdog_timer.cancel()
            self._watchdog_timer = None
        timeout_ms = self.instrument.watchdog_ms
        if timeout_ms > 0 and self._server is not None:
            loop = asyncio.get_running_loop()
            self._watchdog_timer = loop.call_later(timeout_ms / 1000, self._watchdog_expired)

    def _watchdog_expired(self) -> None:
        self._watchdog_timer = None
        self.instrument.watchdog_expired()

    # -- the wire ------------------------------------------------------------------------

    def _take_fault(self, line: str, will_reply: bool | None) -> _Armed | None:
        """The armed fault that fires on ``line``; ``will_reply`` None: pre-execution."""
        if not self._faults:
            return None
        upper = line.upper()
        with self._lock:
            for armed in self._faults:
                pre = armed.fault not in _REPLY_FAULTS
                if will_reply is None and not pre:
                    continue
                if will_reply is not None and (pre or not will_reply):
                    continue
                if armed.match is not None and armed.match not in upper:
                    continue
                armed.times -= 1
                if armed.times <= 0:
                    self._faults.remove(armed)
                return armed
        return None

    def handle_line(self, line: str, transport: asyncio.Transport) -> None:
        armed = self._take_fault(line, None)
        if armed is not None and armed.fault is Fault.DROP:
            self.transcript.append((line, None))
            transport.close()
            return
        if armed is not None:  # Fault.ERROR: refused, not executed
            self.instrument.push_error(*armed.error)
            self.transcript.append((line, None))
            return
        reply = self.instrument.execute(line)
        if reply is None:
            self.transcript.append((line, None))
            return
        armed = self._take_fault(line, True)
        if armed is None:
            data = reply.encode("ascii") + b"\n"
        elif armed.fault is Fault.GARBAGE:
            reply = armed.reply
            data = reply.encode("latin-1", "replace") + b"\n"
        elif armed.fault is Fault.TRUNCATED:
            reply = reply[: max(1, len(reply) // 2)]
            data = reply.encode("ascii")
        elif armed.fault is Fault.DELAY:
            self.transcript.append((line, reply))
            data = reply.encode("ascii") + b"\n"
            asyncio.get_running_loop().call_later(armed.delay_s, _late_write, transport, data)
            return
        else:  # NO_REPLY
            reply, data = None, b""
        # recorded before it is sent: a client holding the reply sees it in the transcript
        self.transcript.append((line, reply))
        if data:
            transport.write(data)


def _late_write(transport: asyncio.Transport, data: bytes) -> None:
    if not transport.is_closing():
        transport.write(data)


class _ScpiProtocol(asyncio.Protocol):
    """One client connection: newline-framed messages, one reply line per query line."""

    def __init__(self, sim: LoadSimulator) -> None:
        self._sim = sim
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._sim._transports.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._sim._transports.discard(self._transport)
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        transport = self._transport
        while transport is not None and not transport.is_closing():
            line, found, rest = self._buffer.partition(b"\n")
            if not found:
                break
            self._buffer = rest
            text = line.decode("ascii", "replace").rstrip("\r")
            if text.strip():
                self._sim.handle_line(text, transport)
                self._sim.heard()
