"""Embedded services in a helper process, started one plan ahead, on the plan's clock.

Why: on a simulated bench every plan gets a fresh :class:`~rig.services.cluster.Cluster`
(fresh databases, nothing carried over from the plan before), and starting one —
three FastAPI apps, their databases, their HTTP clients — costs ~0.25 s of CPU, about
half of what a whole plan costs. In the rig's own process that CPU sits on the plan's
critical path and competes for the GIL with the bench, the actors and the services'
request handling.

So a **services host** — one child process per rig process, ``python -m
rig.runner.services_host CLOCK_FILE`` — starts the clusters instead: while plan *n*
runs, the host already starts the fresh cluster plan *n + 1* will get, on the other
core. Each plan still gets a cluster of its own, with empty databases in a scratch
directory of its own, stopped when the plan ends; plans stay exactly as isolated as
before. The services' request handling runs in the host too, off the rig's GIL.

**The clock.** The services only ever ask their clock for ``now()``. The plan's
:class:`MirroredClock` (a :class:`~rig.clock.VirtualClock`) writes every new time
into its slot of a small shared file (``/dev/shm`` where there is one), under its
own lock, and the host's :class:`SlotClock` for that cluster reads it — one clock,
two processes. A slot is zeroed before its cluster starts, so what the cluster
stamps at start-up (the data set's standing signals) is announced before any plan
time, as it is when a cluster starts at the plan's start.

**Fallbacks.** The first plan of a process does not wait for the host to import
and start (~1 s): it starts its cluster in-process, as does any plan when the host
failed, when ``RIG_SERVICES_HOST=0``, or on a wall clock (lab benches keep the
in-process cluster on their shifted wall clock).

Protocol (JSON lines): ``{"op": "start", "id": n, "data": PATH, "slot": k}`` →
``{"id": n, "urls": {...}}`` or ``{"id": n, "error": "..."}``; ``{"op": "stop",
"id": n}`` (no answer). End of input stops every cluster and ends the host.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import mmap
import os
import struct
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from rig.clock import VirtualClock

log = logging.getLogger("rig.runner")
#: Clock slots in the shared file; a slot is reused after this many clusters.
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
            _DOUBLE.pack_into(memory, slot * _DOUBLE.size, self._now)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds} s)")
        with self._lock:
            self._now += seconds
            self._publish()
            return self._now

    def advance_to(self, moment: float) -> float:
        with self._lock:
            self._now = max(self._now, moment)
            self._publish()
            return self._now

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


def _shared_file(path: Path) -> mmap.mmap:
    with path.open("r+b") as file:
        return mmap.mmap(file.fileno(), SLOTS * _DOUBLE.size)


# --------------------------------------------------------------------------- rig side


@dataclass(frozen=True)
class Lease:
    """One cluster in the host, for one plan."""

    id: int
    urls: dict[str, str]
    slot: int
    sep2_urls: dict[str, str]
    """Each utility's IEEE 2030.5 server, by utility ID."""


class ServicesHost:
    """The rig's handle on its services host process (see the module docstring)."""

    def __init__(self) -> None:
        fd, name = tempfile.mkstemp(prefix="rig-clock-", dir=scratch_root())
        os.write(fd, bytes(SLOTS * _DOUBLE.size))
        os.close(fd)
        self.clock_file = Path(name)
        self.memory = _shared_file(self.clock_file)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rig.runner.services_host", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin: IO[str] = self.process.stdin
        self._lock = threading.Lock()
        self._pending: dict[int, Future[dict[str, Any]]] = {}
        self._ready: dict[str, tuple[Future[dict[str, Any]], int, int]] = {}
        self._next = 0
        self.warm = False
        self.broken = False
        threading.Thread(
            target=self._read, args=(self.process.stdout,), name="rig-services-host", daemon=True
        ).start()

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            try:
                reply = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                future = self._pending.pop(int(reply.get("id", -1)), None)
            if future is not None:
                future.set_result(reply)
        with self._lock:  # the host ended
            self.broken = True
            pending, self._pending = self._pending, {}
        for future in pending.values():
            future.set_result({"error": "the services host ended"})

    def _send(self, message: dict[str, Any]) -> None:
        self._stdin.write(json.dumps(message) + "\n")
        self._stdin.flush()

    def _request(self, data: str) -> tuple[Future[dict[str, Any]], int, int]:
        """Ask for a cluster of ``data`` (lock held)."""
        ident = self._next
        self._next += 1
        slot = ident % SLOTS
        _DOUBLE.pack_into(self.memory, slot * _DOUBLE.size, 0.0)
        future: Future[dict[str, Any]] = Future()
        self._pending[ident] = future
        self._send({"op": "start", "id": ident, "data": data, "slot": slot})
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
            reply = {"error": "no answer within 60 s"}
        if "error" in reply:
            log.warning("services host: %s; starting the services in-process", reply["error"])
            return None
        self.warm = True
        return Lease(ident, dict(reply["urls"]), slot, dict(reply.get("sep2_urls", {})))

    def release(self, lease: Lease) -> None:
        with self._lock:
            if not self.broken:
                try:
                    self._send({"op": "stop", "id": lease.id})
                except (OSError, ValueError):
                    self.broken = True

    def close(self) -> None:
        with self._lock:
            self.broken = True
            with contextlib.suppress(OSError):
                self._stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.memory.close()
        self.clock_file.unlink(missing_ok=True)


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


def _serve(clock_file: str, requests: IO[str], replies: IO[str]) -> None:
    from rig.services.cluster import Cluster
    from rig.services.dataset import LoadedDataset, load_dataset

    memory = _shared_file(Path(clock_file))
    datasets: dict[str, LoadedDataset] = {}
    running: dict[int, tuple[Cluster, tempfile.TemporaryDirectory[str]]] = {}
    stopping = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stop")

    def stop(entry: tuple[Cluster, tempfile.TemporaryDirectory[str]]) -> None:
        cluster, state = entry
        try:
            cluster.stop()
        finally:
            state.cleanup()

    for line in requests:
        message = json.loads(line)
        ident = int(message["id"])
        if message["op"] == "stop":
            entry = running.pop(ident, None)
            if entry is not None:
                stopping.submit(stop, entry)
            continue
        try:
            path = str(message["data"])
            if path not in datasets:
                datasets[path] = load_dataset(path)
            state = tempfile.TemporaryDirectory(prefix="rig-services-", dir=scratch_root())
            cluster = Cluster(datasets[path], state_dir=Path(state.name))
            cluster.clock = SlotClock(memory, int(message["slot"]))
            cluster.start()
            running[ident] = (cluster, state)
            reply: dict[str, Any] = {
                "id": ident,
                "urls": dict(cluster.endpoints),
                "sep2_urls": dict(cluster.sep2_endpoints),
            }
        except Exception as error:  # told to the rig, which starts its own
            reply = {"id": ident, "error": f"{type(error).__name__}: {error}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    for entry in running.values():
        stopping.submit(stop, entry)
    stopping.shutdown(wait=True)


def main(argv: list[str]) -> int:
    """``python -m rig.runner.services_host CLOCK_FILE``: serve clusters until stdin ends."""
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # nothing but replies goes to the rig
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING)
    _serve(argv[1], sys.stdin, replies)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
