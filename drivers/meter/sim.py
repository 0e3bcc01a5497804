"""The simulated meter: a pymodbus server that reads the coupled model at request time.

One :class:`MeterSim` is one meter (the EUMD or the premise revenue meter) behind a
real Modbus wire on 127.0.0.1, serving the register image of the map it was started
for (``map_name``; see :mod:`drivers.meter.sim_image`): the SDM630 map on input
registers, or a SunSpec map on holding registers. That map's driver, or any
third-party Modbus client (mbpoll, a plain pymodbus script), reads it exactly as it
would read the real meter. Two maps of one meter are two simulators on one model.

Two framings, chosen per server:

- ``framing="tcp"``: Modbus TCP (MBAP header). Endpoint URL ``tcp://127.0.0.1:PORT``.
- ``framing="rtu"``: RTU frames (CRC, no header) over a TCP socket, i.e. an RS-485
  line a serial client opens as ``socket://127.0.0.1:PORT``. With ``line_baud`` set,
  every reply is held back for the time the request and the reply take on a real
  line at that baud rate (11 bits per character, 3.5-character silences between
  frames), and the line stays busy until then, so timeouts and poll rates behave as
  on RS-485. Only the addressed unit answers; others stay silent, as on a bus.

Values are computed **at read time**: each read calls ``source.meter(which)`` once
(the :class:`drivers.sim.model.BenchModel` advances itself to the clock's "now")
and the map's image writes the measured points into the register block through a
pymodbus ``SimDevice`` action. Nothing is pushed on a timer, so a virtual clock can run an
hour of charging in milliseconds and every poll still sees the model's present.

Requests are answered synchronously inside the connection's ``data_received``:
pymodbus 3.16's stock handler bounces each request through
``run_coroutine_threadsafe`` (a self-pipe write and several loop iterations), which
halves the requests a second the shared simulator loop can serve. The subclassed
handler calls the same pymodbus datastore code, just without the detour.

Faults are set in-process through :attr:`MeterSim.faults`
(:class:`~drivers.meter.sim_faults.MeterFaults`), from any thread.

Usage::

    with SimLoop() as loop:
        sim = MeterSim(model, which="eumd", map_name="sdm630")
        endpoint = sim.start_on(loop)          # MeterEndpoint(host, port, ...)
        meter = open_meter("sdm630", endpoint.url)
        meter.snapshot()
        sim.faults.inject(WireFault.NO_REPLY, times=1)
        sim.stop_on(loop)
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import ExceptionResponse, ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.server.requesthandler import ServerRequestHandler
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus.transaction import TransactionManager

from drivers.meter.link_settings import char_time_s, frame_gap_s
from drivers.meter.sim_faults import MeterFaults, WireFault
from drivers.meter.sim_image import (
    IMAGES,
    Block,
    ImageSettings,
    MeterReadingLike,
    SimIdentity,
    SunSpecScales,
)
from drivers.sim.runtime import SimLoop

Framing = Literal["tcp", "rtu"]
MeterWhich = Literal["eumd", "premise", "reference"]
_ALL_INTERFACES: Final = {"", "0.0.0.0", "::"}


class MeterSource(Protocol):
    """Where readings come from: :class:`drivers.sim.model.BenchModel` or anything alike."""

    def meter(self, which: MeterWhich) -> MeterReadingLike: ...


@dataclass(frozen=True)
class MeterEndpoint:
    """Where a started simulated meter listens."""

    host: str
    port: int
    framing: Framing
    unit: int
    line_baud: int | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The URL :class:`~drivers.meter.modbus_link.ModbusLink` opens."""
        scheme = "tcp" if self.framing == "tcp" else "socket"
        return f"{scheme}://{self.host}:{self.port}"

    def describe(self, map_name: str = "sdm630") -> dict[str, object]:
        """The endpoint as ``rig sim`` writes it to its endpoints JSON."""
        if self.framing == "tcp":
            return {"modbus_tcp": self.address, "unit": self.unit, "map": map_name}
        return {
            "modbus_rtu": self.url,
            "unit": self.unit,
            "map": map_name,
            "baud": self.line_baud,
        }


def _run_now(coro: Coroutine[Any, Any, ModbusPDU]) -> ModbusPDU:
    """Run a coroutine that never suspends (pymodbus's datastore path) to completion."""
    try:
        coro.send(None)
    except StopIteration as done:
        result: ModbusPDU = done.value
        return result
    coro.close()
    raise RuntimeError("the meter datastore suspended; it must answer synchronously")


def _blocks(blocks: list[Block]) -> list[SimData]:
    """Register blocks as pymodbus ``SimData``; one zero register at 0 for none."""
    return [
        SimData(address, values=list(words), datatype=DataType.REGISTERS)
        for address, words in blocks or [(0, [0])]
    ]


def _scramble(frame: bytes) -> bytes:
    return bytes(b ^ 0xA5 for b in frame)


class _MeterRequestHandler(ServerRequestHandler):
    """One client connection: parse a request, let :class:`MeterSim` answer it."""

    def __init__(self, owner: _MeterServer) -> None:
        super().__init__(owner, None, None, None)  # type: ignore[no-untyped-call]
        self.sim = owner.sim

    def callback_connected(self) -> None:
        super().callback_connected()
        sock = self.transport.get_extra_info("socket") if self.transport else None
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def callback_data(self, data: bytes, addr: tuple[Any, ...] | None = None) -> int:
        try:
            used: int = TransactionManager.callback_data(self, data, addr)
        except ModbusIOException as exc:
            response = ExceptionResponse(
                exc.fcode or 0,
                exception_code=ExcCodes.ILLEGAL_FUNCTION,
                device_id=exc.dev_id,
                transaction=exc.transaction_id,
            )
            self.sim._send(self, response, len(data))
            return len(data)
        pdu = self.last_pdu
        if pdu is not None:
            self.last_pdu = None
            self.sim._answer(self, pdu, used)
        return used


class _MeterServer(ModbusTcpServer):
    def __init__(self, sim: MeterSim, device: SimDevice, framer: FramerType) -> None:
        super().__init__(device, framer=framer, address=(sim.host, sim.port))
        self.sim = sim

    def callback_new_connection(self) -> _MeterRequestHandler:
        return _MeterRequestHandler(self)


class MeterSim:
    """A simulated Modbus meter fed by ``source.meter(which)``.

    ``map_name`` picks the register image served (a name in
    :data:`~drivers.meter.sim_image.IMAGES`); ``unit`` is its Modbus address;
    ``framing`` and ``line_baud`` choose the wire (see the module doc);
    ``sunspec_base`` (40000, 0 or 50000) and ``sunspec_model`` (201 or 203) shape the
    SunSpec map; ``scales`` its scale factors. ``host`` must be a
    specific interface (127.0.0.1 by default), never all interfaces.
    """

    def __init__(
        self,
        source: MeterSource,
        *,
        which: MeterWhich = "eumd",
        map_name: str = "sdm630",
        unit: int = 1,
        framing: Framing = "tcp",
        line_baud: int | None = None,
        sunspec_base: int = 40000,
        sunspec_model: int = 203,
        scales: SunSpecScales | None = None,
        identity: SimIdentity | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if host in _ALL_INTERFACES:
            raise ValueError("the simulated meter listens on one interface (e.g. 127.0.0.1)")
        if framing not in ("tcp", "rtu"):
            raise ValueError(f"framing is 'tcp' or 'rtu', not {framing!r}")
        if line_baud is not None and framing != "rtu":
            raise ValueError("line timing (line_baud) applies to RTU framing only")
        if line_baud is not None and line_baud <= 0:
            raise ValueError(f"line_baud must be positive, not {line_baud}")
        if not 1 <= unit <= 247:
            raise ValueError(f"a Modbus unit is 1-247, not {unit}")
        if sunspec_base not in (0, 40000, 50000):
            raise ValueError(f"SunSpec base is 0, 40000 or 50000, not {sunspec_base}")
        self.source = source
        self.which: MeterWhich = which
        self.unit = unit
        self.framing: Framing = framing
        self.line_baud = line_baud
        self.host = host
        self.port = port
        self.identity = identity or SimIdentity()
        settings = ImageSettings(
            unit, self.identity, sunspec_base, sunspec_model, scales or SunSpecScales()
        )
        self.image = IMAGES.get_or_raise(map_name, "meter simulator")(settings)
        self.faults = MeterFaults()
        #: Requests received (answered or not), for tests and the benchmark.
        self.requests = 0
        self._server: _MeterServer | None = None
        self._endpoint: MeterEndpoint | None = None
        self._line_free_at = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def _device(self) -> SimDevice:
        """The image's blocks as a pymodbus device; a table the map leaves empty gets one
        zero register at 0 (pymodbus needs a block in every table)."""
        bits = [SimData(0, values=[False] * 16, datatype=DataType.BITS)]
        return SimDevice(
            self.unit,
            simdata=(bits, list(bits), _blocks(self.image.holding), _blocks(self.image.inputs)),
            action=self._action,
        )

    async def start(self) -> MeterEndpoint:
        """Start listening on the running loop; return where."""
        if self._endpoint is not None:
            return self._endpoint
        framer = FramerType.SOCKET if self.framing == "tcp" else FramerType.RTU
        server = _MeterServer(self, self._device(), framer)
        await server.serve_forever(background=True)
        listener: Any = server.transport
        port = int(listener.sockets[0].getsockname()[1])
        self._server, self._loop = server, asyncio.get_running_loop()
        self._endpoint = MeterEndpoint(self.host, port, self.framing, self.unit, self.line_baud)
        return self._endpoint

    async def stop(self) -> None:
        """Close the listener and every client connection."""
        server, self._server, self._endpoint = self._server, None, None
        if server is not None:
            await server.shutdown()  # type: ignore[no-untyped-call]

    def start_on(self, loop: SimLoop) -> MeterEndpoint:
        """Start on a :class:`~drivers.sim.runtime.SimLoop` from any other thread."""
        return loop.run(self.start())

    def stop_on(self, loop: SimLoop) -> None:
        loop.run(self.stop())

    @property
    def endpoint(self) -> MeterEndpoint:
        if self._endpoint is None:
            raise RuntimeError("the simulated meter is not running; call start() first")
        return self._endpoint

    def drop_connections(self) -> None:
        """Close every open client connection now (the listener stays up)."""
        server, loop = self._server, self._loop
        if server is None or loop is None:
            return

        def drop() -> None:
            for handler in list(server.active_connections.values()):
                handler.close()

        loop.call_soon_threadsafe(drop)

    def prime_rollover(self, margin_wh: float) -> int:
        """Shift the energy counter so it wraps after ``margin_wh`` more Wh (SunSpec acc32).

        Returns the offset applied (also in ``faults.acc32_offset``).
        """
        reading = self.source.meter(self.which)
        self.faults.acc32_offset = self.image.rollover_offset(reading.import_wh, margin_wh)
        return self.faults.acc32_offset

    # -- requests ------------------------------------------------------------------------

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus SimDevice action: refresh the registers from the model before a read."""
        if set_values is not None:
            return ExcCodes.ILLEGAL_FUNCTION  # the meter's registers are read-only here
        if self.image.covers(function_code, address, count):
            reading = self.source.meter(self.which)
            self.image.fill(registers, start_address, reading, self.faults)
        return None

    def _answer(self, handler: _MeterRequestHandler, request: ModbusPDU, request_len: int) -> None:
        self.requests += 1
        addressed = request.dev_id in (self.unit, 0)
        if self.framing == "rtu" and not addressed:
            return  # another device on the bus: stay silent
        fault = self.faults.take_wire()
        kind = fault.kind if fault is not None else None
        if kind is WireFault.NO_REPLY:
            return
        if kind is WireFault.DROP:
            handler.close()
            return
        response: ModbusPDU
        if fault is not None and kind is WireFault.EXCEPTION:
            response = ExceptionResponse(request.function_code, fault.exception_code)
        elif kind is WireFault.WRONG_FUNCTION:
            response = _run_now(request.datastore_update(handler.server.context, self.unit))
            response.function_code = 3 if request.function_code == 4 else 4
        elif not addressed:
            response = ExceptionResponse(request.function_code, ExcCodes.GATEWAY_NO_RESPONSE)
        else:
            try:
                response = _run_now(request.datastore_update(handler.server.context, self.unit))
            except Exception:  # the model failed: a real meter would report a device failure
                response = ExceptionResponse(request.function_code, ExcCodes.DEVICE_FAILURE)
        response.transaction_id = request.transaction_id
        response.dev_id = request.dev_id
        self._send(handler, response, request_len, kind)

    def _send(
        self,
        handler: _MeterRequestHandler,
        response: ModbusPDU,
        request_len: int,
        fault: WireFault | None = None,
    ) -> None:
        frame: bytes = handler.framer.buildFrame(response)
        if fault is WireFault.GARBAGE:
            frame = _scramble(frame)
        elif fault is WireFault.TRUNCATED:
            frame = frame[: max(1, len(frame) // 2)]
        if self.line_baud is None or self._loop is None:
            handler.send(frame)
            return
        # RS-485 timing: the request occupies the line, a 3.5-char silence ends it, the
        # reply occupies the line, another silence ends that; the line is busy until then.
        char, gap = char_time_s(self.line_baud), frame_gap_s(self.line_baud)
        now = self._loop.time()
        start = max(now, self._line_free_at)
        delivered = start + request_len * char + gap + len(frame) * char
        self._line_free_at = delivered + gap
        self._loop.call_at(delivered, self._deliver, handler, frame)

    @staticmethod
    def _deliver(handler: _MeterRequestHandler, frame: bytes) -> None:
        if handler.transport is not None:
            handler.send(frame)
