"""Embedded services in a helper process, started one plan ahead, on the plan's clock.

Why: on a simulated bench every plan gets a fresh :class:`~rig.services.cluster.Cluster`
(fresh databases, nothing carried over from the plan before), and starting one —
three FastAPI apps, their databases, their HTTP clients — costs ~0.25 s of CPU, about
half of what a whole plan costs. In the rig's own process that CPU sits on the plan's
critical path and competes for the GIL with the bench, the actors and the services'
request handling. ``benchmarks/bench_services_host.py`` measures what the host saves
(docs/benchmarks.md, "The services host").

So a **services host** — one child process per rig process, ``python -m
rig.services.host`` — starts the clusters instead: while plan *n* runs, the host
already starts the fresh cluster plan *n + 1* will get, on the other core. Each plan
still gets a cluster of its own, with empty databases in a scratch directory of its
own, stopped when the plan ends; plans stay exactly as isolated as before. The
services' request handling runs in the host too, off the rig's GIL.

**The clock.** The services only ever ask their clock for ``now()``. The plan's
:class:`MirroredClock` (a :class:`~rig.clock.VirtualClock`) writes every new time
into its slot of a small shared memory (:mod:`mmap` over an unnamed file in RAM
where there is one, which the host inherits), under its own lock, and the host's
:class:`SlotClock` for that cluster reads it — one clock, two processes. A slot is
zeroed before its cluster starts, so what the cluster stamps at start-up (the data
set's standing signals) is announced before any plan time, as it is when a cluster
starts at the plan's start.

**The conversation** is two one-way pipes the host inherits, each a
:class:`multiprocessing.connection.Connection` (pickled, framed messages):
:class:`Start` and :class:`Stop` go to the host, which answers a :class:`Start`
with :class:`Started` or :class:`Failed`. When the rig closes its end, the host
stops every cluster and ends.

Why a plain child process and not a :class:`multiprocessing.Process`: the rig has
threads, so only the ``spawn`` and ``forkserver`` start methods are safe, and both
import the rig's ``__main__`` module again in the child — a script that runs plans
without an ``if __name__ == "__main__"`` guard would run twice. Nor is the clock a
:class:`multiprocessing.shared_memory.SharedMemory`: on Python 3.11 a process that
attaches one registers it with a resource tracker of its own, which unlinks it when
that process ends.

**Fallbacks.** The first plan of a process does not wait for the host to import
and start (~1 s): it starts its cluster in-process, as does any plan when the host
failed, when ``RIG_SERVICES_HOST=0``, or on a wall clock (lab benches keep the
in-process cluster on their shifted wall clock).
"""

from __future__ import annotations

import atexit
import logging
import mmap
import os
import struct
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from rig.clock import VirtualClock

if TYPE_CHECKING:
    from rig.services.cluster import Cluster

log = logging.getLogger("rig.runner")
#: Clock slots in the shared memory; a slot is reused after this many clusters.
SLOTS = 256
_DOUBLE = struct.Struct("<d")
_REPO = Path(__file__).resolve().parents[2]


def scratch_root() -> str | None:
    """RAM (``/dev/shm``) where there is one, else the system's temporary directory."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


class MirroredClock(VirtualClock):
    """A :class:`VirtualClock` that also writes its time into a shared slot once bound."""

    def __init__(self, start: float | datetime = 0.0) -> None:
        super().__init__(start)
        self._slot: tuple[mmap.mmap, int] | None = None

    def bind(self, memory: mmap.mmap, slot: int) -> None:
        with self._lock:
            self._slot = (memory, slot)
            self._publish()

    def advance(self, seconds: float) -> float:
        now = super().advance(seconds)
        self._mirror()
        return now

    def advance_to(self, moment: float) -> float:
        now = super().advance_to(moment)
        self._mirror()
        return now

    def _mirror(self) -> None:
        """Write the time now into the slot: the latest time always lands last."""
        with self._lock:
            self._publish()

    def _publish(self) -> None:
        if self._slot is not None:
            memory, slot = self._slot
            _DOUBLE.pack_into(memory, slot * _DOUBLE.size, self._now)


class SlotClock:
    """The host's side of a :class:`MirroredClock`: reads the time from its slot."""

    is_virtual = True

    def __init__(self, memory: mmap.mmap, slot: int) -> None:
        self._memory = memory
        self._offset = slot * _DOUBLE.size

    def now(self) -> float:
        value: float = _DOUBLE.unpack_from(self._memory, self._offset)[0]
        return value

    def sleep(self, seconds: float) -> None:  # the services never sleep on their clock
        raise RuntimeError("a services host clock only tells the time")


# --------------------------------------------------------------------------- messages


class Start(NamedTuple):
    """Start a cluster of the data set at ``data``, on clock slot ``slot``."""

    id: int
    data: str
    slot: int


class Stop(NamedTuple):
    """Stop cluster ``id`` (no answer)."""

    id: int


class Started(NamedTuple):
    """Cluster ``id`` is up: its services' URLs, and each utility's IEEE 2030.5 server."""

    id: int
    urls: dict[str, str]
    sep2_urls: dict[str, str]


class Failed(NamedTuple):
    """Cluster ``id`` did not start; the rig starts its own."""

    id: int
    error: str


# --------------------------------------------------------------------------- rig side


class Lease(NamedTuple):
    """One cluster in the host, for one plan."""

    id: int
    urls: dict[str, str]
    slot: int
    sep2_urls: dict[str, str]
    """Each utility's IEEE 2030.5 server, by utility ID."""


class ServicesHost:
    """The rig's handle on its services host process (see the module docstring)."""

    def __init__(self) -> None:
        with tempfile.TemporaryFile(dir=scratch_root()) as clock_file:
            clock_file.truncate(SLOTS * _DOUBLE.size)
            self.memory = mmap.mmap(clock_file.fileno(), SLOTS * _DOUBLE.size)
            host_requests, requests = os.pipe()
            replies, host_replies = os.pipe()
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO), env.get("PYTHONPATH")]))
            handed = (clock_file.fileno(), host_requests, host_replies)
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "rig.services.host", *map(str, handed)],
                    stdin=subprocess.DEVNULL,
                    pass_fds=handed,
                    env=env,
                )
            finally:
                os.close(host_requests)  # the host's ends live in the host now
                os.close(host_replies)
        self._requests = Connection(requests, readable=False)
        self._replies = Connection(replies, writable=False)
        self._lock = threading.Lock()
        self._pending: dict[int, Future[Started | Failed]] = {}
        self._ready: dict[str, tuple[Future[Started | Failed], int, int]] = {}
        self._next = 0
        self.warm = False
        self.broken = False
        threading.Thread(target=self._read, name="rig-services-host", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                reply: Started | Failed = self._replies.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                future = self._pending.pop(reply.id, None)
            if future is not None:
                future.set_result(reply)
        with self._lock:  # the host ended
            self.broken = True
            pending, self._pending = self._pending, {}
        for ident, future in pending.items():
            future.set_result(Failed(ident, "the services host ended"))

    def _request(self, data: str) -> tuple[Future[Started | Failed], int, int]:
        """Ask for a cluster of ``data`` (lock held)."""
        ident = self._next
        self._next += 1
        slot = ident % SLOTS
        _DOUBLE.pack_into(self.memory, slot * _DOUBLE.size, 0.0)
        future: Future[Started | Failed] = Future()
        self._pending[ident] = future
        self._requests.send(Start(ident, data, slot))
        return future, ident, slot

    def take(self, data: str) -> Lease | None:
        """The cluster started ahead for ``data`` (and the next one asked for); or None.

        ``None`` means: start one in-process this time — the host is still warming
        up, it failed, or it ended.
        """
        with self._lock:
            if self.broken:
                return None
            ahead = self._ready.pop(data, None)
            if ahead is None or (not ahead[0].done() and not self.warm):
                self._ready[data] = ahead or self._request(data)
                return None
            self._ready[data] = self._request(data)
        future, ident, slot = ahead
        try:
            reply = future.result(timeout=60)
        except TimeoutError:
            reply = Failed(ident, "no answer within 60 s")
        if isinstance(reply, Failed):
            log.warning("services host: %s; starting the services in-process", reply.error)
            return None
        self.warm = True
        return Lease(ident, dict(reply.urls), slot, dict(reply.sep2_urls))

    def release(self, lease: Lease) -> None:
        with self._lock:
            if not self.broken:
                try:
                    self._requests.send(Stop(lease.id))
                except (OSError, ValueError):
                    self.broken = True

    def close(self) -> None:
        with self._lock:
            self.broken = True
            self._requests.close()  # the host stops every cluster and ends
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._replies.close()
        self.memory.close()


_HOST: ServicesHost | None = None
_HOST_LOCK = threading.Lock()


def services_host() -> ServicesHost | None:
    """This process's services host, started on first use; None when switched off."""
    global _HOST
    if os.environ.get("RIG_SERVICES_HOST", "1") == "0":
        return None
    with _HOST_LOCK:
        if _HOST is None:
            try:
                _HOST = ServicesHost()
            except OSError as error:
                log.warning("services host did not start (%s); services stay in-process", error)
                os.environ["RIG_SERVICES_HOST"] = "0"
                return None
            atexit.register(_HOST.close)
        return _HOST


# --------------------------------------------------------------------------- host side


def _serve(memory: mmap.mmap, requests: Connection, replies: Connection) -> None:
    """The host process: start and stop clusters as asked, until the rig hangs up."""
    from rig.services.cluster import Cluster
    from rig.services.dataset import LoadedDataset, load_dataset

    datasets: dict[str, LoadedDataset] = {}
    running: dict[int, tuple[Cluster, tempfile.TemporaryDirectory[str]]] = {}
    stopping = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stop")

    def stop(entry: tuple[Cluster, tempfile.TemporaryDirectory[str]]) -> None:
        cluster, state = entry
        try:
            cluster.stop()
        finally:
            state.cleanup()

    while True:
        try:
            message: Start | Stop = requests.recv()
        except EOFError:
            break
        if isinstance(message, Stop):
            entry = running.pop(message.id, None)
            if entry is not None:
                stopping.submit(stop, entry)
            continue
        reply: Started | Failed
        try:
            if message.data not in datasets:
                datasets[message.data] = load_dataset(message.data)
            state = tempfile.TemporaryDirectory(prefix="rig-services-", dir=scratch_root())
            cluster = Cluster(datasets[message.data], state_dir=Path(state.name))
            cluster.clock = SlotClock(memory, message.slot)
            cluster.start()
            running[message.id] = (cluster, state)
            reply = Started(message.id, dict(cluster.endpoints), dict(cluster.sep2_endpoints))
        except Exception as error:  # told to the rig, which starts its own
            reply = Failed(message.id, f"{type(error).__name__}: {error}")
        replies.send(reply)
    for entry in running.values():
        stopping.submit(stop, entry)
    stopping.shutdown(wait=True)


def main(argv: list[str]) -> int:
    """``python -m rig.services.host CLOCK_FD REQUESTS_FD REPLIES_FD``: serve until hung up."""
    clock_fd, requests, replies = map(int, argv[1:4])
    os.dup2(2, 1)  # anything the services print goes where their log goes
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING)
    memory = mmap.mmap(clock_fd, SLOTS * _DOUBLE.size)
    _serve(memory, Connection(requests, writable=False), Connection(replies, readable=False))
    return 0


if __name__ == "__main__":  # run as the module itself, so its messages unpickle in the rig
    from rig.services import host

    raise SystemExit(host.main(sys.argv))
