"""A TCP proxy that breaks a link on demand: the dropped cable and the hung instrument.

Safety claims about lost links must be tested where links are lost: on the wire.
:class:`WireFault` sits between the rig and one instrument's TCP endpoint (Modbus
TCP, a SCPI socket, an slcan adapter behind ``socket://``) and forwards bytes both
ways until told otherwise:

- :meth:`drop` closes every connection and refuses new ones (the cable is pulled)
  until :meth:`restore`;
- :meth:`hang` keeps the connections open but forwards nothing in either direction
  (the instrument's firmware is stuck) until :meth:`restore`, which forwards again.

Neither end is told anything: the driver sees exactly what a real fault shows it, a
reset or silence. The safety soak (``benchmarks/soak_safety.py``) puts one in front
of each instrument of a :class:`~rig.bench.labsim.LabSim`::

    with WireFault("127.0.0.1", 5025) as proxy:       # the load's SCPI socket
        resource = f"TCPIP0::127.0.0.1::{proxy.port}::SOCKET"
        ...
        proxy.drop(); time.sleep(0.5); proxy.restore()
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from contextlib import suppress

HOST = "127.0.0.1"


class WireFault:
    """Forward 127.0.0.1:``port`` → ``target``; drop or hang the link on demand."""

    def __init__(self, target_host: str, target_port: int, *, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server((HOST, port))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._lock = threading.Lock()
        self._mode = "forward"
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="wire-fault", daemon=True)

    @property
    def mode(self) -> str:
        """``forward``, ``dropped`` or ``hung``."""
        return self._mode

    def start(self) -> WireFault:
        self._thread.start()
        return self

    # -- faults ---------------------------------------------------------------------------

    def drop(self) -> None:
        """Pull the cable: close every connection, refuse new ones until :meth:`restore`."""
        with self._lock:
            self._mode = "dropped"
            for sock in list(self._peers):
                self._close(sock)

    def hang(self) -> None:
        """Keep connections open but forward nothing until :meth:`restore`."""
        with self._lock:
            self._mode = "hung"

    def restore(self) -> None:
        """Forward again (a dropped link accepts new connections; a hung one resumes)."""
        with self._lock:
            self._mode = "forward"

    # -- the forwarding loop ----------------------------------------------------------------

    def _close(self, sock: socket.socket) -> None:
        peer = self._peers.pop(sock, None)
        for one in (sock, peer):
            if one is None:
                continue
            self._peers.pop(one, None)
            with suppress(KeyError, ValueError):
                self._selector.unregister(one)
            one.close()

    def _accept(self) -> None:
        client, _ = self._listener.accept()
        if self._mode == "dropped":
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=2.0)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._peers[client] = upstream
        self._peers[upstream] = client
        self._selector.register(client, selectors.EVENT_READ, None)
        self._selector.register(upstream, selectors.EVENT_READ, None)

    def _forward(self, sock: socket.socket) -> None:
        if self._mode == "hung":
            return  # leave the bytes in the kernel's buffer: nothing moves
        peer = self._peers.get(sock)
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data or peer is None:
            self._close(sock)
            return
        try:
            peer.sendall(data)
        except OSError:
            self._close(sock)

    def _serve(self) -> None:
        while self._running:
            events = self._selector.select(timeout=0.02)
            waiting = False
            with self._lock:
                for key, _ in events:
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._listener:
                        self._accept()
                    elif sock in self._peers:
                        waiting = self._mode == "hung"
                        self._forward(sock)
            if waiting:
                time.sleep(0.01)  # bytes wait in the kernel; do not spin on them

    def stop(self) -> None:
        self._running = False
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        with self._lock:
            for sock in list(self._peers):
                self._close(sock)
        self._selector.close()
        self._listener.close()

    def __enter__(self) -> WireFault:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
