"""The TCP plumbing every simulated pilot wire shares: listen, accept, tick, drop.

A :class:`TcpWire` listens on 127.0.0.1 (port 0 picks a free one), sets
``TCP_NODELAY`` on every accepted connection (small request/reply traffic
can otherwise stall ~40 ms on delayed ACKs), and runs two coroutines per
connection: ``on_bytes`` for what the client sends and ``on_tick`` every
``tick_s`` of *wall* time for what the device sends on its own. Periodic output
runs on wall time on purpose: on a virtual clock, model time only moves when the
runner advances it, and a device that went quiet until then would look dead.

:meth:`drop_links` closes every open connection, like a pulled cable; the
listener stays up so a driver can reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

HOST = "127.0.0.1"


class Connection:
    """One accepted client: write to it, or close it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    def send(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    def send_later(self, delay_s: float, data: bytes) -> None:
        """Send ``data`` after ``delay_s`` seconds (call on the server's loop)."""
        asyncio.get_running_loop().call_later(delay_s, self.send, data)

    @property
    def closed(self) -> bool:
        return self._writer.is_closing()

    def close(self) -> None:
        self._writer.close()


class TcpWire:
    """Base class: subclasses implement :meth:`on_bytes`, and :meth:`on_tick` to talk first."""

    tick_s: float | None = None

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._connections: set[Connection] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulated wire is not listening")
        sock: socket.socket = self._server.sockets[0]
        port: int = sock.getsockname()[1]
        return port

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, HOST, port)
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self.drop_links()
            await self._server.wait_closed()
            self._server = None

    def drop_links(self) -> None:
        """Close every connection now (call on the server's loop)."""
        for connection in list(self._connections):
            connection.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = Connection(writer)
        self._connections.add(connection)
        ticker = asyncio.create_task(self._tick_forever(connection))
        try:
            while not connection.closed:
                data = await reader.read(4096)
                if not data:
                    break
                self.on_bytes(connection, data)
        except (ConnectionError, OSError):
            pass
        finally:
            ticker.cancel()
            self._connections.discard(connection)
            self.on_close(connection)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _tick_forever(self, connection: Connection) -> None:
        if not self.tick_s:  # None or 0: this wire only answers
            return
        while not connection.closed:
            await asyncio.sleep(self.tick_s)
            self.on_tick(connection)

    def on_bytes(self, connection: Connection, data: bytes) -> None:
        raise NotImplementedError

    def on_tick(self, connection: Connection) -> None:
        """Called every ``tick_s`` seconds of wall time while the client is connected."""

    def on_close(self, connection: Connection) -> None:
        """Called once when the connection ends (forget per-connection state here)."""
